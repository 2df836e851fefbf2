"""Overseas internships: calls and their rules, applications (for oneself or by the
head of centre), eligibility stored per rule, scores, selection with a written
rationale within the places, withdrawal, placements; the pages and the API."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core import home_panels
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.workforce.models import Application, InternshipCall, StaffRole
from rehsos.workforce.services import internships as services
from rehsos.workforce.tests.factories import (
    SCORING,
    ApplicationFactory,
    CallFactory,
    StaffFactory,
)

TODAY = timezone.localdate()
Decision = Application.Decision
RATIONALE = "Strong plan for the vocational workshop at home."


@pytest.fixture
def trainer_user(handayani):
    return UserFactory(
        username="instruktur.handayani",
        role=Role.INSTRUCTOR,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


@pytest.fixture
def trainer(handayani, trainer_user):
    return StaffFactory(
        facility=handayani, user=trainer_user, role=StaffRole.INSTRUCTOR, birth_year=1990
    )


@pytest.fixture
def call(db):
    return CallFactory(
        eligibility=[
            {"rule": "role_in", "roles": ["instructor", "caregiver"]},
            {"rule": "max_age", "years": 45},
        ]
    )


def in_selection(call):
    InternshipCall.objects.filter(pk=call.pk).update(status=InternshipCall.Status.SELECTION)
    call.refresh_from_db()
    return call


def scored(call, total, **extra):
    return ApplicationFactory(call=call, total=Decimal(total), **extra)


# --- calls ------------------------------------------------------------------------------


def call_data(**overrides):
    data = {
        "title": "Pelatih ke Jepang 2026",
        "country": "jp",
        "opens_on": TODAY,
        "closes_on": TODAY + datetime.timedelta(days=30),
        "places": 3,
        "eligibility": [{"rule": "min_service_years", "years": 2}],
        "scoring": [dict(c) for c in SCORING],
    }
    data.update(overrides)
    return data


def test_a_call_is_created_as_a_draft(national_admin):
    call = services.create_call(national_admin, **call_data())
    assert call.status == InternshipCall.Status.DRAFT
    assert call.country == "JP"


def test_bad_rules_are_refused_naming_the_place(national_admin):
    with pytest.raises(ValidationFailed) as raised:
        services.create_call(
            national_admin,
            **call_data(
                eligibility=[{"rule": "max_age", "years": "old"}],
                scoring=[{"code": "a", "label": "A", "weight": 50, "max": 10}],
                places=0,
            ),
        )
    assert set(raised.value.fields) == {"eligibility[0].years", "scoring", "places"}
    assert not InternshipCall.objects.exists()


def test_only_the_internships_team_runs_calls(facility_head):
    with pytest.raises(PermissionDenied):
        services.create_call(facility_head, **call_data())


def test_rules_freeze_once_the_call_opens(national_admin):
    call = services.create_call(national_admin, **call_data())
    call = services.set_status(national_admin, call, status="open", version=call.version)
    with pytest.raises(ValidationFailed) as raised:
        services.update_call(
            national_admin, call, version=call.version, eligibility=[{"rule": "facility_model"}]
        )
    assert "eligibility" in raised.value.fields
    call = services.update_call(national_admin, call, version=call.version, places=5)
    assert call.places == 5
    with pytest.raises(Conflict):
        services.update_call(national_admin, call, version=1, places=4)


def test_status_moves_one_step_at_a_time(national_admin):
    call = services.create_call(national_admin, **call_data(scoring=[]))
    with pytest.raises(ValidationFailed) as raised:
        services.set_status(national_admin, call, status="open", version=call.version)
    assert "scoring" in raised.value.fields
    with pytest.raises(ValidationFailed) as raised:
        services.set_status(national_admin, call, status="decided", version=call.version)
    assert "status" in raised.value.fields


def test_decided_needs_a_decision_for_every_eligible_application(national_admin, call):
    in_selection(call)
    scored(call, "70")
    with pytest.raises(ValidationFailed) as raised:
        services.set_status(national_admin, call, status="decided", version=call.version)
    assert raised.value.fields == {"status": "1 eligible applications still have no decision."}


# --- applications -----------------------------------------------------------------------


def test_a_staff_member_applies_for_themselves(trainer_user, trainer, call):
    application = services.submit_application(trainer_user, call, motivation="Belajar.")
    assert application.staff == trainer
    assert application.submitted_by == trainer_user
    assert application.eligible is True
    assert application.decision == Decision.PENDING
    assert application.eligibility_result == {
        "role_in": {"ok": True, "reason": "Role Instructor is eligible."},
        "max_age": {
            "ok": True,
            "reason": f"Age {call.closes_on.year - 1990} at the closing date (at most 45).",
        },
    }


def test_an_ineligible_application_is_kept_with_its_reasons(trainer_user, trainer, call):
    trainer.birth_year = 1960
    trainer.save()
    application = services.submit_application(trainer_user, call)
    assert application.eligible is False
    assert application.decision == Decision.INELIGIBLE
    assert application.eligibility_result["role_in"]["ok"] is True
    assert application.eligibility_result["max_age"]["ok"] is False


def test_an_unlinked_account_cannot_apply(social_worker, call):
    with pytest.raises(ValidationFailed) as raised:
        services.submit_application(social_worker, call)
    assert "staff" in raised.value.fields


def test_the_head_applies_for_their_staff_not_for_others(
    facility_head, trainer, call, galih_pakuan, social_worker
):
    application = services.submit_application(facility_head, call, staff=trainer)
    assert application.submitted_by == facility_head
    outsider = StaffFactory(facility=galih_pakuan, role=StaffRole.INSTRUCTOR)
    with pytest.raises(ValidationFailed) as raised:
        services.submit_application(facility_head, call, staff=outsider)
    assert "staff" in raised.value.fields
    # A social worker may not apply for a colleague.
    colleague = StaffFactory(facility=trainer.facility, role=StaffRole.CAREGIVER)
    with pytest.raises(ValidationFailed):
        services.submit_application(social_worker, call, staff=colleague)
    assert Application.objects.count() == 1


def test_one_application_per_call_and_only_while_open(trainer_user, trainer, call):
    services.submit_application(trainer_user, call)
    with pytest.raises(ValidationFailed) as raised:
        services.submit_application(trainer_user, call)
    assert "staff" in raised.value.fields
    closed = CallFactory(closes_on=TODAY - datetime.timedelta(days=1))
    with pytest.raises(ValidationFailed) as raised:
        services.submit_application(trainer_user, closed)
    assert "call" in raised.value.fields


# --- scores -----------------------------------------------------------------------------


def test_scores_give_the_weighted_total(national_admin, call):
    in_selection(call)
    application = ApplicationFactory(call=call, total=None)
    application = services.enter_scores(
        national_admin, application, points={"motivation": 7}, version=application.version
    )
    assert application.total is None  # not every criterion yet
    application = services.enter_scores(
        national_admin,
        application,
        points={"motivation": 7, "plan": 15},
        version=application.version,
    )
    # 40 × 7/10 + 60 × 15/20 = 28 + 45
    assert application.total == Decimal("73.00")
    assert application.scores == {"motivation": 7, "plan": 15}


def test_points_beyond_the_maximum_are_refused(national_admin, call):
    in_selection(call)
    application = ApplicationFactory(call=call, total=None)
    with pytest.raises(ValidationFailed) as raised:
        services.enter_scores(
            national_admin, application, points={"plan": 21}, version=application.version
        )
    assert raised.value.fields == {"scores.plan": "Give 0 to 20 points."}
    application.refresh_from_db()
    assert application.scores == {}


def test_no_scores_before_selection(national_admin, call):
    application = ApplicationFactory(call=call)
    with pytest.raises(ValidationFailed) as raised:
        services.enter_scores(
            national_admin, application, points={"plan": 1}, version=application.version
        )
    assert "scores" in raised.value.fields


# --- selection --------------------------------------------------------------------------


def test_a_decision_needs_its_rationale(national_admin, call):
    in_selection(call)
    application = scored(call, "80")
    with pytest.raises(ValidationFailed) as raised:
        services.decide(
            national_admin, application, decision="selected", rationale="  ", version=None
        )
    assert list(raised.value.fields) == ["rationale"]
    application.refresh_from_db()
    assert application.decision == Decision.PENDING


def test_never_more_selected_than_places(national_admin, call):
    in_selection(call)
    first, second, third = (scored(call, t) for t in ("90", "80", "70"))
    services.decide_many(
        national_admin,
        call,
        [
            services.DecisionInput(first, "selected", RATIONALE),
            services.DecisionInput(second, "selected", RATIONALE),
        ],
    )
    with pytest.raises(ValidationFailed) as raised:
        services.decide(
            national_admin, third, decision="selected", rationale=RATIONALE, version=None
        )
    assert raised.value.fields == {
        "decision": "Only 2 places: 3 would be selected. Put 1 on the reserve list or not selected."
    }
    third.refresh_from_db()
    assert third.decision == Decision.PENDING
    services.decide(national_admin, third, decision="reserve", rationale=RATIONALE, version=None)
    # A batch is all or none: one bad row, nothing saved.
    with pytest.raises(ValidationFailed):
        services.decide_many(
            national_admin,
            call,
            [
                services.DecisionInput(first, "rejected", RATIONALE),
                services.DecisionInput(second, "rejected", "short"),
            ],
        )
    assert Application.objects.get(pk=first.pk).decision == Decision.SELECTED


def test_a_reserve_moves_up_when_a_selected_intern_withdraws(
    national_admin, facility_head, call, trainer
):
    in_selection(call)
    call.places = 1
    call.save()
    selected = scored(call, "90", staff=trainer)
    reserve = scored(call, "80")
    services.decide(
        national_admin, selected, decision="selected", rationale=RATIONALE, version=None
    )
    services.decide(national_admin, reserve, decision="reserve", rationale=RATIONALE, version=None)
    selected.refresh_from_db()
    services.withdraw(facility_head, selected, version=selected.version, reason="Sakit")
    services.decide(national_admin, reserve, decision="selected", rationale=RATIONALE, version=None)
    assert Application.objects.get(pk=reserve.pk).decision == Decision.SELECTED


def test_ineligible_or_unscored_applications_cannot_be_selected(national_admin, call):
    in_selection(call)
    ineligible = ApplicationFactory(call=call, eligible=False, decision=Decision.INELIGIBLE)
    unscored = ApplicationFactory(call=call, total=None)
    with pytest.raises(ValidationFailed) as raised:
        services.decide_many(
            national_admin,
            call,
            [
                services.DecisionInput(ineligible, "selected", RATIONALE, None, "a."),
                services.DecisionInput(unscored, "selected", RATIONALE, None, "b."),
            ],
        )
    assert set(raised.value.fields) == {"a.decision", "b.decision"}


def test_a_stale_decision_is_a_conflict(national_admin, call):
    in_selection(call)
    application = scored(call, "80")
    with pytest.raises(Conflict):
        services.decide(
            national_admin, application, decision="selected", rationale=RATIONALE, version=7
        )


# --- placements -------------------------------------------------------------------------


def test_placement_of_a_selected_intern(national_admin, call):
    in_selection(call)
    application = scored(call, "80")
    with pytest.raises(ValidationFailed) as raised:
        services.set_placement(
            national_admin,
            application,
            host_institution="Kobe",
            starts_on=TODAY,
            ends_on=TODAY,
            version=None,
        )
    assert "decision" in raised.value.fields
    services.decide(
        national_admin, application, decision="selected", rationale=RATIONALE, version=None
    )
    with pytest.raises(ValidationFailed) as raised:
        services.set_placement(
            national_admin,
            application,
            host_institution="",
            starts_on=TODAY,
            ends_on=TODAY - datetime.timedelta(days=1),
            version=None,
        )
    assert set(raised.value.fields) == {"host_institution", "placement_ends_on"}
    done = services.set_placement(
        national_admin,
        application,
        host_institution="Kobe Rehabilitation Centre",
        starts_on=TODAY + datetime.timedelta(days=10),
        ends_on=TODAY + datetime.timedelta(days=100),
        version=None,
    )
    assert done.host_institution == "Kobe Rehabilitation Centre"


# --- pages ------------------------------------------------------------------------------


def test_the_applicant_applies_on_the_page(client, trainer_user, trainer, call):
    client.force_login(trainer_user)
    page = client.get("/workforce/open-calls/")
    assert page.status_code == 200
    assert str(call.public_id).encode() in page.content
    response = client.post(f"/workforce/calls/{call.public_id}/apply/", {"motivation": "Siap."})
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/workforce/my/{application.public_id}/"
    mine = client.get(f"/workforce/my/{application.public_id}/")
    assert mine.status_code == 200
    assert b'data-rule="max_age" data-ok="yes"' in mine.content


def test_call_page_ranks_applicants_by_total(client, provincial_officer, call, handayani):
    low = scored(call, "55.5", staff=StaffFactory(facility=handayani, name="Rendah"))
    high = scored(call, "91", staff=StaffFactory(facility=handayani, name="Tinggi"))
    ApplicationFactory(call=call, total=None, staff=StaffFactory(facility=handayani, name="Belum"))
    client.force_login(provincial_officer)
    page = client.get(f"/workforce/calls/{call.public_id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index(str(high.public_id)) < text.index(str(low.public_id)) < text.index("Belum")


def test_the_call_form_shows_rule_errors_under_the_rules(client, call):
    admin = UserFactory(username="admin.magang", role=Role.NATIONAL_ADMIN)
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.post(
        "/workforce/calls/new/",
        {
            "title": "Magang",
            "country": "JP",
            "opens_on": str(TODAY),
            "closes_on": str(TODAY),
            "places": "2",
            "eligibility": '[{"rule": "max_age", "years": "x"}]',
            "scoring": '[{"code": "a", "label": "A", "weight": 50, "max": 10}]',
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-field-error="eligibility"' in text
    assert "eligibility[0].years: Give a whole number from 15 to 80." in text
    assert "The weights add up to 50; they must add up to 100." in text
    broken = client.post("/workforce/calls/new/", {"title": "Magang", "scoring": "["})
    assert b'data-field-error="scoring"' in broken.content
    assert InternshipCall.objects.count() == 1  # only the fixture's

    in_selection(call)
    a, b = scored(call, "90"), scored(call, "80")
    call.places = 1
    call.save()
    response = client.post(
        f"/workforce/calls/{call.public_id}/selection/",
        {
            f"{a.public_id}.decision": "selected",
            f"{a.public_id}.rationale": RATIONALE,
            f"{a.public_id}.version": a.version,
            f"{b.public_id}.decision": "selected",
            f"{b.public_id}.rationale": "",
            f"{b.public_id}.version": b.version,
        },
    )
    assert response.status_code == 422
    assert f'data-field-error="{b.public_id}.rationale"'.encode() in response.content
    assert not Application.objects.filter(decision=Decision.SELECTED).exists()


# --- API --------------------------------------------------------------------------------


def api_as(client, user):
    _token, raw = ApiToken.issue(user, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_api_decisions_name_the_field(client, national_admin, call):
    in_selection(call)
    call.places = 1
    call.save()
    a, b = scored(call, "90"), scored(call, "80")
    api = api_as(client, national_admin)
    url = f"/api/v1/workforce/applications/{a.public_id}/decision"
    missing = api.post(url, {"decision": "selected"}, content_type="application/json")
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {
            "field": "rationale",
            "message": "Write the rationale for this decision (at least 10 characters).",
        }
    ]
    ok = api.post(
        url, {"decision": "selected", "rationale": RATIONALE}, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["decision"] == "selected"
    full = api.post(
        f"/api/v1/workforce/applications/{b.public_id}/decision",
        {"decision": "selected", "rationale": RATIONALE},
        content_type="application/json",
    )
    assert full.status_code == 422
    assert full.json()["errors"][0]["field"] == "decision"
    stale = api.post(
        f"/api/v1/workforce/applications/{b.public_id}/decision",
        {"decision": "reserve", "rationale": RATIONALE, "version": 99},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["decision"] == "pending"
    batch = api.post(
        f"/api/v1/workforce/calls/{call.public_id}/decisions",
        {"decisions": [{"application": str(b.public_id), "decision": "reserve", "rationale": ""}]},
        content_type="application/json",
    )
    assert batch.status_code == 422
    assert batch.json()["errors"][0]["field"] == "decisions[0].rationale"


def test_api_apply_score_and_rank(client, trainer_user, trainer, national_admin, call):
    api = api_as(client, trainer_user)
    applied = api.post(
        f"/api/v1/workforce/calls/{call.public_id}/applications",
        {"motivation": "Siap belajar."},
        content_type="application/json",
    )
    assert applied.status_code == 201, applied.content
    body = applied.json()
    assert body["eligible"] is True
    assert set(body["eligibility_result"]) == {"role_in", "max_age"}
    assert [a["public_id"] for a in api.get("/api/v1/workforce/me/applications").json()] == [
        body["public_id"]
    ]
    in_selection(call)
    admin = api_as(client, national_admin)
    scores = admin.put(
        f"/api/v1/workforce/applications/{body['public_id']}/scores",
        {"version": body["version"], "scores": {"motivation": 10, "plan": 10}},
        content_type="application/json",
    )
    assert scores.status_code == 200, scores.content
    assert scores.json()["total"] == 70.0
    bad = admin.put(
        f"/api/v1/workforce/applications/{body['public_id']}/scores",
        {"version": scores.json()["version"], "scores": {"plan": 30}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "scores.plan"
    ranked = admin.get(f"/api/v1/workforce/calls/{call.public_id}/applications").json()
    assert [a["total"] for a in ranked] == [70.0]


def test_open_calls_show_on_the_home_page_of_those_who_may_apply(
    trainer_user, trainer, call, analyst
):
    def calls_panel(user):
        return [p for p in home_panels.panels_for(user) if "open_calls" in p.template]

    (panel,) = calls_panel(trainer_user)
    assert panel.context["rows"] == [(call, False)]
    services.submit_application(trainer_user, call)
    (panel,) = calls_panel(trainer_user)
    assert panel.context["rows"] == [(call, True)]
    assert calls_panel(analyst) == []  # reads the workforce, does not apply


def test_api_apply_to_a_closed_call_names_the_call(client, trainer_user, trainer):
    closed = CallFactory(closes_on=TODAY - datetime.timedelta(days=1))
    response = api_as(client, trainer_user).post(
        f"/api/v1/workforce/calls/{closed.public_id}/applications",
        {},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "call"
    assert not Application.objects.exists()
