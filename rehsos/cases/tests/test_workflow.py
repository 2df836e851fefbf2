"""The case's life cycle: opening, editing, assigning, stage moves with their rules,
termination, closing and reopening — through the services and the pages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from rehsos.cases.models import (
    AftercareVisit,
    Assessment,
    Case,
    CaseEvent,
    CaseStatus,
    Instrument,
    InstrumentVersion,
    Plan,
    ServiceComponent,
    ServiceRecord,
    Stay,
    Termination,
    Transition,
)
from rehsos.cases.services import cases as case_services
from rehsos.cases.services import stage_rules, termination, workflow
from rehsos.cases.tests.factories import CaseFactory, default_stage, ppks
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import PersonFactory, UserFactory
from rehsos.registry.services.consent import give_consent

YEAR = timezone.localdate().year


@pytest.fixture
def adult(handayani):
    return PersonFactory(
        facility=handayani, village_id="31.75.03.1001", birth_date=datetime.date(1980, 1, 2)
    )


@pytest.fixture
def supervisor(handayani):
    return UserFactory(
        username="supervisor.handayani",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


@pytest.fixture
def galih_worker(galih_pakuan):
    return UserFactory(
        username="peksos.galih",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )


def open_at_handayani(user, person, handayani, **kwargs):
    values = {"person": person, "ppks_type": "AMPK", "setting": "residential", "unit": handayani}
    return case_services.open_case(user, **{**values, **kwargs})


def consent(user, person):
    give_consent(
        user,
        person,
        purpose="case_management",
        lawful_basis="consent",
        given_by="parent",
        giver_name="Ibu Sari",
    )


def complete_assessment(case):
    instrument, _created = Instrument.objects.get_or_create(
        code="test-form", defaults={"name_id": "Formulir uji", "name_en": "Test form"}
    )
    version, _created = InstrumentVersion.objects.get_or_create(
        instrument=instrument, version=1, defaults={"definition": {}, "status": "published"}
    )
    return Assessment.objects.create(
        case=case, instrument_version=version, assessed_on=timezone.localdate(), is_complete=True
    )


def approved_plan(case):
    return Plan.objects.create(case=case, status="approved", approved_at=timezone.now())


def service(case):
    return ServiceRecord.objects.create(
        case=case,
        component=ServiceComponent.objects.get(code="TERAPI"),
        delivered_on=timezone.localdate(),
        description="Konseling",
    )


# --- opening -------------------------------------------------------------------------------


def test_opening_a_case_numbers_it_and_starts_at_the_first_stage(
    social_worker, supervisor, handayani, person_in_handayani
):
    case = open_at_handayani(
        social_worker,
        person_in_handayani,
        handayani,
        social_worker=social_worker,
        supervisor=supervisor,
        risk_level="high",
        summary="  Ditemukan di jalan  ",
    )

    assert case.number == f"ANAK-3175-{YEAR}-000001"
    assert case.cluster == "ANAK"  # from the PPKS type
    assert case.province_code == "31"
    assert case.stage.code == "intake"
    assert case.flag_child is True  # born 2010: a child when the case opened
    assert case.summary == "Ditemukan di jalan"
    assert case.version == 1
    transition = Transition.objects.get(case=case)
    assert (transition.kind, transition.from_stage, transition.to_stage.code) == (
        "open",
        None,
        "intake",
    )
    event = CaseEvent.objects.get(case=case)
    assert event.kind == "opened"
    assert event.data["number"] == case.number
    assert event.data["ppks_type"] == "AMPK"

    second = open_at_handayani(
        social_worker,
        PersonFactory(facility=handayani, village_id="31.75.03.1001"),
        handayani,
        ppks_type="LUT",
    )
    assert second.number == f"LU-3175-{YEAR}-000002"
    assert second.flag_child is True  # the factory's default person is a child too


def test_the_sequence_runs_per_regency_and_skips_numbers_already_taken(
    national_admin, handayani, galih_pakuan, adult, person_in_galih_pakuan
):
    CaseFactory(number=f"ANAK-3175-{YEAR}-000001", unit=handayani, cluster="LU")
    first = open_at_handayani(national_admin, adult, handayani)
    elsewhere = case_services.open_case(
        national_admin,
        person=person_in_galih_pakuan,
        ppks_type="KPN",
        setting="community",
        unit=galih_pakuan,
    )
    assert first.number == f"ANAK-3175-{YEAR}-000002"
    assert first.flag_child is False
    assert elsewhere.number == f"KPN-3201-{YEAR}-000001"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cluster": "ANAK", "ppks_type": "KPN"}, "ppks_type"),  # NAPZA in the children's
        ({"cluster": "ANAK", "ppks_type": "LUT"}, "ppks_type"),
        ({"ppks_type": "NOPE"}, "ppks_type"),
        ({"setting": "hotel"}, "setting"),
        ({"risk_level": "extreme"}, "risk_level"),
        ({"opened_on": datetime.date(2100, 1, 1)}, "opened_on"),
        ({"flags": {"flag_alien": True}}, "flags"),
    ],
)
def test_opening_refuses_bad_values_naming_the_field(
    social_worker, handayani, person_in_handayani, change, field
):
    with pytest.raises(ValidationFailed) as raised:
        open_at_handayani(social_worker, person_in_handayani, handayani, **change)
    assert field in raised.value.fields
    assert not Case.objects.exists()


def test_opening_refuses_a_unit_and_staff_outside_the_users_area(
    social_worker, handayani, galih_pakuan, galih_worker, person_in_handayani
):
    with pytest.raises(ValidationFailed) as raised:
        open_at_handayani(social_worker, person_in_handayani, galih_pakuan)
    assert set(raised.value.fields) == {"unit"}

    with pytest.raises(ValidationFailed) as raised:
        open_at_handayani(social_worker, person_in_handayani, handayani, social_worker=galih_worker)
    assert set(raised.value.fields) == {"social_worker"}

    retired = UserFactory(
        username="pensiun",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
        is_active=False,
    )
    with pytest.raises(ValidationFailed) as raised:
        open_at_handayani(social_worker, person_in_handayani, handayani, supervisor=retired)
    assert set(raised.value.fields) == {"supervisor"}
    assert not Case.objects.exists()


def test_a_second_open_case_in_the_same_cluster_is_refused(
    social_worker, handayani, person_in_handayani
):
    first = open_at_handayani(social_worker, person_in_handayani, handayani)
    with pytest.raises(ValidationFailed) as raised:
        open_at_handayani(social_worker, person_in_handayani, handayani)
    assert first.number in raised.value.fields["person"]
    assert Case.objects.count() == 1


def test_an_analyst_cannot_open_a_case(analyst, handayani, person_in_handayani):
    with pytest.raises(PermissionDenied):
        open_at_handayani(analyst, person_in_handayani, handayani)


# --- editing and assigning ----------------------------------------------------------------


def test_editing_bumps_the_version_and_a_stale_edit_is_a_conflict(social_worker, handayani):
    case = CaseFactory(unit=handayani)
    edited = case_services.update_case(
        social_worker, case, {"risk_level": "high", "flag_law": True}, version=1
    )
    assert (edited.risk_level, edited.flag_law, edited.version) == ("high", True, 2)
    assert CaseEvent.objects.get(case=case, kind="edited").data["fields"] == [
        "flag_law",
        "risk_level",
    ]

    with pytest.raises(Conflict) as raised:
        case_services.update_case(social_worker, case, {"risk_level": "low"}, version=1)
    assert raised.value.extra["current"]["risk_level"] == "high"
    assert raised.value.extra["current"]["version"] == 2
    case.refresh_from_db()
    assert (case.risk_level, case.version) == ("high", 2)


def test_the_child_flag_stays_on_a_childs_case(social_worker, handayani, person_in_handayani):
    case = CaseFactory(unit=handayani, person=person_in_handayani, flag_child=True)
    with pytest.raises(ValidationFailed) as raised:
        case_services.update_case(social_worker, case, {"flag_child": False}, version=1)
    assert set(raised.value.fields) == {"flag_child"}
    with pytest.raises(ValidationFailed) as raised:
        case_services.update_case(social_worker, case, {"unit": "x", "stage": "y"}, version=1)
    assert set(raised.value.fields) == {"unit", "stage"}


def test_assigning_needs_the_right_and_staff_of_the_unit(
    social_worker, supervisor, facility_head, galih_worker, handayani
):
    case = CaseFactory(unit=handayani)
    with pytest.raises(PermissionDenied):
        case_services.assign(
            social_worker, case, social_worker=social_worker, supervisor=None, version=1
        )
    with pytest.raises(ValidationFailed) as raised:
        case_services.assign(
            facility_head, case, social_worker=galih_worker, supervisor=supervisor, version=1
        )
    assert set(raised.value.fields) == {"social_worker"}

    assigned = case_services.assign(
        facility_head, case, social_worker=social_worker, supervisor=supervisor, version=1
    )
    assert (assigned.social_worker, assigned.supervisor, assigned.version) == (
        social_worker,
        supervisor,
        2,
    )
    event = CaseEvent.objects.get(case=case, kind="assigned")
    assert event.data == {"social_worker": social_worker.pk, "supervisor": supervisor.pk}


# --- stage moves ---------------------------------------------------------------------------


def test_a_move_whose_rules_are_not_met_lists_what_is_missing_and_changes_nothing(
    social_worker, handayani
):
    case = CaseFactory(unit=handayani)
    with pytest.raises(ValidationFailed) as raised:
        workflow.move_stage(social_worker, case, "planning", version=1)
    error = raised.value
    assert error.code == "stage_requirements"
    assert "stage" in error.fields
    assert len(error.extra["missing"]) == 2
    assert "Consent" in error.extra["missing"][0]
    assert "No complete assessment is recorded." in error.extra["missing"][1]
    case.refresh_from_db()
    assert (case.stage.code, case.version) == ("intake", 1)
    assert not Transition.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case).exists()


def test_moving_forward_through_the_stages_records_each_transition(
    social_worker, facility_head, handayani
):
    case = CaseFactory(unit=handayani, stage_entered_at=timezone.now() - datetime.timedelta(days=3))
    consent(social_worker, case.person)
    case = workflow.move_stage(social_worker, case, "assessment", version=1)
    assert (case.stage.code, case.version) == ("assessment", 2)
    first = Transition.objects.get(case=case)
    assert (first.kind, first.from_stage.code, first.days_in_previous) == ("forward", "intake", 3)

    complete_assessment(case)
    approved_plan(case)
    case = workflow.move_stage(social_worker, case, "intervention", version=2)  # skips planning
    assert case.stage.code == "intervention"
    assert CaseEvent.objects.filter(case=case, kind="stage_moved").count() == 2

    with pytest.raises(ValidationFailed) as raised:
        workflow.move_stage(social_worker, case, "reintegration", version=3)
    assert raised.value.extra["missing"] == [
        "Resocialisation and reintegration: No service delivered is recorded."
    ]
    service(case)
    case = workflow.move_stage(social_worker, case, "reintegration", version=3)
    assert case.stage.code == "reintegration"


def test_moving_back_needs_a_reason_and_a_stale_move_is_a_conflict(social_worker, handayani):
    case = CaseFactory(unit=handayani, stage_code="planning")
    with pytest.raises(ValidationFailed) as raised:
        workflow.move_stage(social_worker, case, "assessment", reason=" ", version=1)
    assert set(raised.value.fields) == {"reason"}
    with pytest.raises(Conflict):
        workflow.move_stage(social_worker, case, "assessment", reason="Asesmen ulang", version=9)

    case = workflow.move_stage(social_worker, case, "assessment", reason="Asesmen ulang", version=1)
    transition = Transition.objects.get(case=case)
    assert (transition.kind, transition.reason) == ("back", "Asesmen ulang")
    with pytest.raises(ValidationFailed) as raised:
        workflow.move_stage(social_worker, case, "nowhere", version=2)
    assert set(raised.value.fields) == {"to_stage"}


def test_only_heads_move_into_aftercare_which_schedules_the_visits(
    social_worker, facility_head, provincial_officer, handayani
):
    case = CaseFactory(unit=handayani, stage_code="termination")
    termination.write_summary(
        social_worker, case, goals_met="most", reason="completed", summary="Kembali ke keluarga."
    )
    termination.approve(facility_head, case)
    with pytest.raises(PermissionDenied):
        workflow.move_stage(social_worker, case, "aftercare", version=1)

    case = workflow.move_stage(facility_head, case, "aftercare", version=1)
    assert case.stage.code == "aftercare"
    visits = AftercareVisit.objects.filter(case=case).order_by("months_after")
    assert [v.months_after for v in visits] == [1, 3, 6, 12]
    assert CaseEvent.objects.filter(case=case, kind="aftercare_scheduled").count() == 1


def test_termination_stage_needs_the_person_discharged(social_worker, handayani):
    case = CaseFactory(unit=handayani, stage_code="reintegration")
    termination.write_summary(
        social_worker, case, goals_met="all", reason="completed", summary="Tujuan tercapai."
    )
    Stay.objects.create(
        case=case, facility=handayani, cluster="ANAK", admitted_on=timezone.localdate()
    )
    assert stage_rules.check(case, default_stage("termination")) == [
        "The person is still admitted at a centre: record the discharge first."
    ]
    with pytest.raises(ValidationFailed):
        workflow.move_stage(social_worker, case, "termination", version=1)


def test_an_unknown_rule_in_the_stage_list_blocks_the_move(social_worker, handayani):
    stage = default_stage("assessment")
    stage.requirements = ["no_such_rule"]
    stage.save()
    case = CaseFactory(unit=handayani)
    assert stage_rules.check(case, stage) == [
        "Unknown rule no_such_rule in the stage list: ask an administrator."
    ]


# --- termination, closing, reopening -----------------------------------------------------


def test_the_termination_is_approved_by_the_head_and_not_by_its_author(
    social_worker, facility_head, galih_pakuan, handayani
):
    case = CaseFactory(unit=handayani)
    with pytest.raises(ValidationFailed) as raised:
        termination.write_summary(social_worker, case, goals_met="x", reason="y", summary="")
    assert set(raised.value.fields) == {"goals_met", "reason", "summary"}
    summary = termination.write_summary(
        facility_head, case, goals_met="some", reason="moved", summary="Pindah ke Surabaya."
    )
    with pytest.raises(PermissionDenied):
        termination.approve(social_worker, case)  # no cases.approve
    with pytest.raises(PermissionDenied):
        termination.approve(facility_head, case)  # the author
    other_head = UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    with pytest.raises(PermissionDenied):
        termination.approve(other_head, case)
    summary.refresh_from_db()
    assert summary.approved_at is None

    officer = UserFactory(
        username="dinsos.dki.2",
        role=Role.PROVINCIAL_OFFICER,
        scope_level=ScopeLevel.PROVINCE,
        province_code="31",
    )
    approved = termination.approve(officer, case)
    assert approved.approved_by == officer
    with pytest.raises(Conflict):
        termination.write_summary(
            facility_head, case, goals_met="all", reason="moved", summary="Ubah ringkasan."
        )


def test_a_rewrite_of_the_summary_carries_its_version(social_worker, handayani):
    case = CaseFactory(unit=handayani)
    first = termination.write_summary(
        social_worker, case, goals_met="some", reason="lost", summary="Kontak hilang."
    )
    with pytest.raises(Conflict):
        termination.write_summary(
            social_worker, case, goals_met="none", reason="lost", summary="Tidak bisa dihubungi."
        )
    rewritten = termination.write_summary(
        social_worker,
        case,
        goals_met="none",
        reason="lost",
        summary="Tidak bisa dihubungi.",
        version=first.version,
    )
    assert (rewritten.goals_met, rewritten.version) == ("none", 2)


def test_closing_needs_an_approved_termination_even_for_a_death(
    social_worker, facility_head, handayani
):
    case = CaseFactory(unit=handayani, stage_code="assessment")
    with pytest.raises(ValidationFailed) as raised:
        workflow.close_case(social_worker, case, version=1)
    assert raised.value.extra["missing"] == ["The termination summary is not written."]
    termination.write_summary(
        social_worker, case, goals_met="none", reason="died", summary="Meninggal dunia."
    )
    with pytest.raises(ValidationFailed) as raised:
        workflow.close_case(social_worker, case, version=1)
    assert raised.value.extra["missing"] == [
        "The termination summary is not approved by the head yet."
    ]
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN

    termination.approve(facility_head, case)
    closed = workflow.close_case(social_worker, case, reason="Meninggal", version=1)
    assert (closed.status, closed.closed_on, closed.closure_reason) == (
        "closed",
        timezone.localdate(),
        "died",
    )
    assert Transition.objects.get(case=case, kind="close").to_stage.code == "assessment"
    with pytest.raises(ValidationFailed) as raised:
        workflow.move_stage(social_worker, closed, "planning", version=2)
    assert set(raised.value.fields) == {"status"}


def test_reopening_needs_a_reason_and_withdraws_the_termination_approval(
    social_worker, facility_head, handayani
):
    case = CaseFactory(unit=handayani, stage_code="reintegration")
    termination.write_summary(
        social_worker, case, goals_met="all", reason="completed", summary="Selesai program."
    )
    termination.approve(facility_head, case)
    case = workflow.close_case(social_worker, case, version=1)

    with pytest.raises(ValidationFailed) as raised:
        workflow.reopen_case(social_worker, case, reason="")
    assert set(raised.value.fields) == {"reason"}
    with pytest.raises(ValidationFailed) as raised:
        workflow.reopen_case(social_worker, case, reason="Kambuh lagi", to_stage="aftercare")
    assert set(raised.value.fields) == {"to_stage"}

    with pytest.raises(ValidationFailed) as raised:  # the stage's own rule still holds
        workflow.reopen_case(social_worker, case, reason="Kambuh lagi", to_stage="intervention")
    assert raised.value.extra["missing"] == ["The intervention plan is not approved yet."]
    approved_plan(case)
    reopened = workflow.reopen_case(
        social_worker, case, reason="Kambuh, butuh intervensi", to_stage="intervention"
    )
    assert (reopened.status, reopened.closed_on, reopened.closure_reason) == ("open", None, "")
    assert reopened.stage.code == "intervention"
    transition = Transition.objects.get(case=case, kind="reopen")
    assert transition.reason == "Kambuh, butuh intervensi"
    assert Termination.objects.get(case=case).approved_at is None
    with pytest.raises(ValidationFailed):
        workflow.close_case(social_worker, reopened, version=reopened.version)


# --- pages -----------------------------------------------------------------------------------


@pytest.fixture
def worker_client(client, social_worker):
    client.force_login(social_worker)
    return client


def test_the_open_page_opens_a_case_for_the_person(
    worker_client, social_worker, handayani, person_in_handayani
):
    url = reverse("cases:open") + f"?person={person_in_handayani.public_id}"
    page = worker_client.get(url)
    assert page.status_code == 200
    assert person_in_handayani.full_name in page.content.decode()

    response = worker_client.post(
        url,
        {
            "person": str(person_in_handayani.public_id),
            "ppks_type": ppks("AJ").pk,
            "cluster": "",
            "setting": "family",
            "unit": handayani.pk,
            "social_worker": social_worker.pk,
            "risk_level": "medium",
            "flag_law": "on",
            "summary": "Anak jalanan di Pasar Rebo",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.public_id])
    assert (case.ppks_type.code, case.setting, case.flag_law, case.flag_child) == (
        "AJ",
        "family",
        True,
        True,
    )


def test_the_open_page_shows_errors_next_to_the_field(
    worker_client, handayani, person_in_handayani
):
    response = worker_client.post(
        reverse("cases:open") + f"?person={person_in_handayani.public_id}",
        {
            "person": str(person_in_handayani.public_id),
            "ppks_type": ppks("KPN").pk,
            "cluster": "ANAK",
            "setting": "family",
            "unit": handayani.pk,
            "risk_level": "low",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "belongs to the cluster" in body
    assert not Case.objects.exists()


def test_the_move_page_shows_what_is_missing(worker_client, handayani, social_worker):
    case = CaseFactory(unit=handayani, social_worker=social_worker)
    url = reverse("cases:move", args=[case.public_id])
    page = worker_client.get(url)
    assert page.status_code == 200
    assert "Consent for case management" in page.content.decode()

    response = worker_client.post(url, {"to_stage": "assessment", "version": 1})
    assert response.status_code == 200
    assert "Consent (or another lawful basis)" in response.content.decode()
    case.refresh_from_db()
    assert case.stage.code == "intake"


def test_a_stale_edit_page_shows_both_versions(worker_client, handayani, social_worker):
    case = CaseFactory(unit=handayani, social_worker=social_worker, risk_level="low")
    case_services.update_case(social_worker, case, {"risk_level": "high"}, version=1)
    response = worker_client.post(
        reverse("cases:edit", args=[case.public_id]),
        {
            "ppks_type": case.ppks_type.pk,
            "cluster": "ANAK",
            "setting": "residential",
            "risk_level": "medium",
            "summary": "",
            "version": 1,
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "High" in body
    assert "Medium" in body
    case.refresh_from_db()
    assert case.risk_level == "high"


def test_a_case_of_another_centre_is_not_found(worker_client, galih_pakuan):
    case = CaseFactory(unit=galih_pakuan, cluster="KPN", ppks_type=ppks("KPN"))
    for name in ("cases:edit", "cases:move", "cases:close", "cases:termination"):
        assert worker_client.get(reverse(name, args=[case.public_id])).status_code == 404


def test_the_case_page_shows_the_stage_path_and_what_the_next_stage_needs(
    worker_client, handayani, social_worker
):
    case = CaseFactory(unit=handayani, social_worker=social_worker)
    page = worker_client.get(reverse("cases:detail", args=[case.public_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-section="workflow"' in body
    assert "Consent for case management" in body
    assert reverse("cases:move", args=[case.public_id]) in body
    assert reverse("cases:assign", args=[case.public_id]) not in body  # a worker cannot assign


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_openings_get_distinct_numbers(handayani, national_admin):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; PostgreSQL runs the openings at once")
    persons = [PersonFactory(facility=handayani, village_id="31.75.03.1001") for _ in range(6)]
    start = threading.Barrier(len(persons))
    numbers, failures = [], []

    def open_one(person):
        try:
            start.wait(timeout=10)
            numbers.append(open_at_handayani(national_admin, person, handayani).number)
        except Exception as exc:  # reported below, with the assertion
            failures.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_one, args=(p,)) for p in persons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(numbers) == [f"ANAK-3175-{YEAR}-{n:06d}" for n in range(1, 7)]
