"""Assessments: recorded and edited through the service, the pages and the API, with
scores on save, incomplete ones unscored, 409 on a stale version and the case's scope;
instruments administered without code."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rehsos.cases.instruments import versions as instrument_versions
from rehsos.cases.models import Assessment, CaseEvent, CaseStatus, InstrumentVersion
from rehsos.cases.services import assessments as services
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.models import AccessLog, ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.browser import CHROMIUM, LAUNCH_ARGS
from rehsos.core.tests.factories import UserFactory
from rehsos.core.tests.logins import verified_client

BARTHEL = {
    "bowels": 2,
    "bladder": 2,
    "grooming": 1,
    "toilet": 2,
    "feeding": 2,
    "transfer": 3,
    "mobility": 3,
    "dressing": 2,
    "stairs": 2,
    "bathing": 1,
}
TODAY = timezone.localdate()


def barthel():
    return services.current_version("barthel")


@pytest.fixture
def case(handayani, social_worker):
    return CaseFactory(unit=handayani, social_worker=social_worker, cluster="LU")


@pytest.fixture
def elsewhere(galih_pakuan):
    return CaseFactory(unit=galih_pakuan, cluster="KPN")


def record(user, case, answers=None, on=None, **kwargs):
    return services.record_assessment(
        user,
        case=case,
        instrument_version=kwargs.pop("version", None) or barthel(),
        assessed_on=on or TODAY,
        answers=BARTHEL if answers is None else answers,
        **kwargs,
    )


# --- the service --------------------------------------------------------------------------


def test_recording_scores_on_save_and_writes_an_event(case, social_worker):
    assessment = record(social_worker, case, {**BARTHEL, "stairs": 1})

    assessment.refresh_from_db()
    assert assessment.is_complete
    assert assessment.score == Decimal(95)
    assert assessment.band == "slight"
    assert assessment.subscores["raw"] == {"value": 19, "band": ""}
    assert assessment.assessor == social_worker
    event = CaseEvent.objects.get(case=case, kind="assessment_recorded")
    assert event.data == {
        "assessment": str(assessment.public_id),
        "instrument": "barthel",
        "instrument_version": 1,
        "complete": True,
        "score": 95.0,
        "band": "slight",
    }


def test_an_incomplete_assessment_is_saved_unscored_with_the_missing_items(case, social_worker):
    answers = {k: v for k, v in BARTHEL.items() if k not in ("bladder", "stairs")}
    assessment = record(social_worker, case, answers)
    assert not assessment.is_complete
    assert assessment.missing_items == ["bladder", "stairs"]
    assert assessment.score is None
    assert (assessment.band, assessment.subscores) == ("", {})


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({**BARTHEL, "tail": 1}, "answers.tail", "This instrument has no item tail."),
        ({**BARTHEL, "stairs": 5}, "answers.stairs", "Choose one of the answers on the scale"),
        ({**BARTHEL, "feeding": "a lot"}, "answers.feeding", "Choose one of the answers"),
        ("not a mapping", "answers", "The answers are an object"),
    ],
)
def test_answers_outside_the_definition_are_refused_by_field(
    case, social_worker, answers, field, message
):
    with pytest.raises(ValidationFailed) as raised:
        record(social_worker, case, answers)
    assert str(raised.value.fields[field]).startswith(message)
    assert not Assessment.objects.exists()


def test_a_future_date_a_draft_version_and_a_closed_case_are_refused(case, social_worker):
    with pytest.raises(ValidationFailed) as raised:
        record(social_worker, case, on=TODAY + datetime.timedelta(days=1))
    assert "assessed_on" in raised.value.fields

    draft = InstrumentVersion.objects.create(
        instrument=barthel().instrument, version=2, definition=barthel().definition
    )
    with pytest.raises(ValidationFailed) as raised:
        record(social_worker, case, version=draft)
    assert "not published" in str(raised.value.fields["instrument"])

    case.status, case.closed_on, case.closure_reason = CaseStatus.CLOSED, TODAY, "completed"
    case.save()
    with pytest.raises(ValidationFailed) as raised:
        record(social_worker, case)
    assert "case" in raised.value.fields
    assert not Assessment.objects.exists()


def test_an_analyst_may_not_record(case, analyst):
    with pytest.raises(PermissionDenied):
        record(analyst, case)


def test_editing_rescores_and_a_stale_version_is_a_conflict(case, social_worker):
    assessment = record(social_worker, case)
    edited = services.update_assessment(
        social_worker,
        assessment,
        version=1,
        answers={"stairs": 0, "bathing": 0},
        replace=False,
    )
    assert (edited.version, edited.score, edited.band) == (2, Decimal(85), "moderate")
    assert CaseEvent.objects.filter(case=case, kind="assessment_updated").count() == 1

    with pytest.raises(Conflict) as raised:
        services.update_assessment(social_worker, assessment, version=1, answers=BARTHEL)
    assert raised.value.extra == {"your_version": 1, "current_version": 2}
    assessment.refresh_from_db()
    assert (assessment.version, assessment.score) == (2, Decimal(85))


def test_trend_across_repeated_assessments(case, social_worker):
    record(social_worker, case, {**BARTHEL, "stairs": 0}, on=TODAY - datetime.timedelta(days=60))
    record(social_worker, case, BARTHEL, on=TODAY - datetime.timedelta(days=30))
    record(social_worker, case, BARTHEL, on=TODAY)
    record(social_worker, case, {**BARTHEL, "mobility": 0})
    [trend] = services.trends(case)
    assert [p.score for p in trend.points] == [Decimal(90), Decimal(100), Decimal(100), Decimal(85)]
    assert [p.change for p in trend.points] == ["", "up", "same", "down"]


def test_the_cluster_instruments_come_first(case):
    codes = [v.instrument.code for v in services.instruments_for(case)]  # an LU case
    assert codes[:3] == ["barthel", "lawton-iadl", "needs-lu"]
    assert set(codes[3:]) >= {"who-assist-v3", "wg-ss", "child-protection-risk"}


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def browser(client, social_worker):
    client.force_login(social_worker)
    return client


def barthel_post(answers=None, on=None, **extra):
    data = {k: str(v) for k, v in (BARTHEL if answers is None else answers).items()}
    data["meta-assessed_on"] = (on or TODAY).isoformat()
    data["meta-note"] = ""
    data.update(extra)
    return data


def test_choosing_an_instrument_lists_the_clusters_first(browser, case):
    response = browser.get(reverse("cases:assessment_choose", args=[case.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("data-for-cluster") < html.index('data-instrument="barthel"')
    assert html.index("data-others") < html.index('data-instrument="who-assist-v3"')


def test_the_form_page_records_and_shows_the_result(browser, case):
    url = reverse("cases:assessment_new", args=[case.public_id, "barthel"])
    page = browser.get(url)
    assert page.status_code == 200
    assert 'name="stairs"' in page.content.decode()

    response = browser.post(url, barthel_post({**BARTHEL, "stairs": 1}))
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:assessment", args=[assessment.public_id])
    result = browser.get(response["Location"]).content.decode()
    assert "data-score" in result
    assert "95" in result
    assert 'data-band="slight"' in result
    assert AccessLog.objects.filter(subject_id=str(case.person.public_id)).exists()


def test_the_form_page_keeps_answers_and_shows_errors_in_place(browser, case):
    url = reverse("cases:assessment_new", args=[case.public_id, "barthel"])
    response = browser.post(url, barthel_post({**BARTHEL, "stairs": 7}))
    assert response.status_code == 200
    errors = response.context["answers_form"].errors
    assert list(errors) == ["stairs"]
    assert 'value="2" checked' in response.content.decode()  # bowels kept
    assert not Assessment.objects.exists()


def test_an_incomplete_assessment_page_names_the_missing_items(browser, case):
    url = reverse("cases:assessment_new", args=[case.public_id, "barthel"])
    answers = {k: v for k, v in BARTHEL.items() if k != "stairs"}
    response = browser.post(url, barthel_post(answers), follow=True)
    html = response.content.decode()
    assert "data-incomplete" in html
    assert 'data-missing="stairs"' in html
    assert "Stairs" in html
    assert "data-score" not in html


def test_skip_rules_are_applied_on_the_server(browser, handayani, social_worker):
    kpn = CaseFactory(unit=handayani, social_worker=social_worker, cluster="KPN")
    url = reverse("cases:assessment_new", args=[kpn.public_id, "who-assist-v3"])
    page = browser.get(url).content.decode()
    assert 'data-item="q2_alcohol" data-group="q2" data-show-if=' in page
    data = {f"q1_{s}": "0" for s in ("tobacco", "cannabis", "cocaine", "ats", "inhalants",
                                     "sedatives", "hallucinogens", "opioids", "other")}  # fmt: skip
    data.update(q1_alcohol="3", q2_alcohol="4", q3_alcohol="3", q4_alcohol="0", q5_alcohol="0")
    data.update(q6_alcohol="3", q7_alcohol="0", q8_injection="0", q2_cannabis="6")
    data["meta-assessed_on"] = TODAY.isoformat()
    assert browser.post(url, data).status_code == 302
    assessment = Assessment.objects.get(case=kpn)
    assert "q2_cannabis" not in assessment.answers  # never used: not asked
    assert assessment.subscores["alcohol"] == {"value": 10, "band": "low"}
    assert assessment.band == "low"


def test_editing_on_the_page_with_a_stale_version_shows_both(browser, case, social_worker):
    assessment = record(social_worker, case)
    url = reverse("cases:assessment_edit", args=[assessment.public_id])
    assert browser.get(url).status_code == 200
    services.update_assessment(
        social_worker, assessment, version=1, answers={"bathing": 0}, replace=False
    )
    response = browser.post(url, barthel_post({**BARTHEL, "stairs": 1}, **{"meta-version": "1"}))
    assert response.status_code == 409
    conflict = response.context["conflict"]
    assert conflict["current_version"] == 2
    assert [str(row[0]) for row in conflict["rows"]] == ["Stairs", "Bathing"]
    assessment.refresh_from_db()
    assert assessment.score == Decimal(95)  # the other edit, untouched

    again = browser.post(url, barthel_post({**BARTHEL, "stairs": 1}, **{"meta-version": "2"}))
    assert again.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.version, assessment.score) == (3, Decimal(95))
    assert assessment.answers["bathing"] == 1
    assert assessment.answers["stairs"] == 1


def test_history_page_and_case_section_show_the_trend(browser, case, social_worker):
    record(social_worker, case, {**BARTHEL, "stairs": 0}, on=TODAY - datetime.timedelta(days=30))
    record(social_worker, case, BARTHEL)
    html = browser.get(reverse("cases:assessments", args=[case.public_id])).content.decode()
    assert "<svg" in html
    assert "<polyline" in html
    section = browser.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert 'data-section="assessments"' in section
    assert 'data-instrument="barthel"' in section
    assert 'data-band="independent"' in section
    assert "▲" in section


def test_a_user_of_another_centre_gets_404(client, elsewhere, galih_pakuan, social_worker):
    other = UserFactory(
        role=Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    assessment = record(other, elsewhere)
    client.force_login(social_worker)  # of Handayani
    for url in (
        reverse("cases:assessment", args=[assessment.public_id]),
        reverse("cases:assessment_edit", args=[assessment.public_id]),
        reverse("cases:assessments", args=[elsewhere.public_id]),
        reverse("cases:assessment_new", args=[elsewhere.public_id, "barthel"]),
    ):
        assert client.get(url).status_code == 404, url


def test_an_analyst_may_not_open_the_pages(client, analyst, case):
    client.force_login(analyst)
    assert client.get(reverse("cases:assessments", args=[case.public_id])).status_code == 403


# --- administering instruments ------------------------------------------------------------


def custom_definition(**changes) -> dict:
    data = {
        "code": "mood-check",
        "title": {"id": "Cek suasana hati", "en": "Mood check"},
        "clusters": ["ANAK"],
        "scales": [{"code": "yn", "type": "yes_no"}],
        "items": [
            {"code": "sad", "text": {"id": "Sedih?", "en": "Sad?"}, "scale": "yn"},
            {
                "code": "sad_often",
                "text": {"id": "Sering?", "en": "Often?"},
                "scale": "yn",
                "show_if": {"item": "sad", "equals": 1},
            },
        ],
        "scoring": {
            "main": "total",
            "rules": [{"code": "total", "label": {"id": "Skor", "en": "Score"}, "method": "sum"}],
        },
    }
    data.update(changes)
    return data


@pytest.fixture
def admin_browser(national_admin):
    return verified_client(national_admin)


def test_an_administrator_adds_previews_and_publishes_an_instrument(admin_browser, national_admin):
    upload = SimpleUploadedFile(
        "mood.yaml", json.dumps(custom_definition()).encode(), content_type="application/yaml"
    )
    response = admin_browser.post(reverse("cases:instrument_add"), {"file": upload})
    assert response.status_code == 302
    version = InstrumentVersion.objects.get(instrument__code="mood-check")
    assert (version.version, version.status) == (1, "draft")

    preview = admin_browser.get(response["Location"]).content.decode()
    assert 'name="sad_often"' in preview
    assert "data-show-if=" in preview

    admin_browser.post(response["Location"], {"action": "publish"})
    version.refresh_from_db()
    assert version.status == "published"

    # A change is a new draft, published as version 2; version 1 is retired, never changed.
    changed = custom_definition(title={"id": "Cek suasana hati", "en": "Mood check (2)"})
    url = reverse("cases:instrument", args=["mood-check"])
    response = admin_browser.post(url, {"definition": json.dumps(changed)})
    assert response.status_code == 302
    draft = InstrumentVersion.objects.get(instrument__code="mood-check", version=2)
    instrument_versions.publish(national_admin, draft)
    version.refresh_from_db()
    assert version.status == "retired"
    assert version.definition["title"]["en"] == "Mood check"


def test_an_invalid_upload_lists_its_problems_and_saves_nothing(admin_browser):
    bad = custom_definition()
    bad["items"][1]["show_if"] = {"item": "later", "equals": 1}
    bad["scales"][0]["type"] = "slider"
    response = admin_browser.post(reverse("cases:instrument_add"), {"definition": json.dumps(bad)})
    assert response.status_code == 200
    problems = response.context["problems"]
    assert problems == ["scales[0].type: Must be one of 'choice', 'yes_no', 'number' or 'text'."]
    bad["scales"][0]["type"] = "yes_no"
    response = admin_browser.post(reverse("cases:instrument_add"), {"definition": json.dumps(bad)})
    assert response.context["problems"] == ["items[1].show_if.item: No item has the code later."]
    response = admin_browser.post(reverse("cases:instrument_add"), {"definition": "{oops"})
    assert response.context["problems"][0].startswith("Not valid JSON (line 1")
    assert not InstrumentVersion.objects.filter(instrument__code="mood-check").exists()


def test_published_versions_are_immutable_and_only_admins_manage(national_admin, social_worker):
    version = instrument_versions.add_instrument(national_admin, custom_definition())
    instrument_versions.save_draft(national_admin, version.instrument, custom_definition(
        title={"id": "Baru", "en": "New"}))  # fmt: skip
    version.refresh_from_db()
    assert (version.version, version.definition["title"]["en"]) == (1, "New")  # the draft
    instrument_versions.publish(national_admin, version)
    with pytest.raises(ValidationFailed):
        instrument_versions.publish(national_admin, version)
    draft = instrument_versions.save_draft(national_admin, version.instrument, custom_definition())
    assert draft.version == 2
    assert draft.pk != version.pk
    with pytest.raises(PermissionDenied):
        instrument_versions.save_draft(social_worker, version.instrument, custom_definition())
    with pytest.raises(ValidationFailed) as raised:
        instrument_versions.save_draft(
            national_admin, version.instrument, custom_definition(code="other-code")
        )
    assert "definition.code" in raised.value.fields


def test_retired_versions_keep_their_assessments_readable(
    browser, case, social_worker, national_admin
):
    assessment = record(social_worker, case)
    instrument_versions.retire(national_admin, barthel())
    assert services.current_version("barthel") is None
    page = browser.get(reverse("cases:assessment", args=[assessment.public_id]))
    assert page.status_code == 200
    assert "retired version" in page.content.decode()


def test_a_social_worker_may_not_open_the_instrument_pages(browser):
    assert browser.get(reverse("cases:instruments")).status_code == 403


def test_the_django_admin_validates_a_definition_and_saves_a_draft(national_admin):
    # Django's admin asks for its own model permissions: a superuser has them all.
    national_admin.is_staff = national_admin.is_superuser = True
    national_admin.save(update_fields=["is_staff", "is_superuser"])
    client = verified_client(national_admin)
    add = reverse("admin:cases_instrumentversion_add")
    instrument = barthel().instrument
    bad = {**barthel().definition, "scoring": {"main": "nothing"}}
    response = client.post(add, {"instrument": instrument.pk, "definition": json.dumps(bad)})
    assert response.status_code == 200
    assert "scoring.main: No scoring rule has the code nothing." in response.content.decode()
    assert instrument.versions.count() == 1

    good = {**barthel().definition, "instructions": {"id": "Baru", "en": "New"}}
    response = client.post(add, {"instrument": instrument.pk, "definition": json.dumps(good)})
    assert response.status_code == 302
    draft = instrument.versions.get(version=2)
    assert (draft.status, draft.definition["instructions"]["en"]) == ("draft", "New")
    # A published version is shown read-only.
    page = client.get(reverse("admin:cases_instrumentversion_change", args=[barthel().pk]))
    assert 'name="definition"' not in page.content.decode()


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def api(client, social_worker):
    _token, raw = ApiToken.issue(social_worker, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def post(api, case, body):
    return api.post(
        f"/api/v1/cases/{case.public_id}/assessments",
        json.dumps(body),
        content_type="application/json",
    )


def test_api_records_reads_and_lists(api, case):
    response = post(
        api, case, {"instrument": "barthel", "assessed_on": str(TODAY), "answers": BARTHEL}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["score"], body["band"], body["is_complete"]) == (100.0, "independent", True)
    assert body["case"] == str(case.public_id)

    got = api.get(f"/api/v1/assessments/{body['public_id']}").json()
    assert got == body
    listed = api.get(f"/api/v1/cases/{case.public_id}/assessments").json()
    assert [a["public_id"] for a in listed["items"]] == [body["public_id"]]
    assert listed["next"] is None


def test_api_names_the_bad_answer_and_never_500s(api, case):
    response = post(
        api, case, {"instrument": "barthel", "assessed_on": str(TODAY), "answers": {"stairs": 9}}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "answers.stairs", "message": "Choose one of the answers on the scale (0, 1, 2)."}
    ]
    for body in (
        {"instrument": "nope", "assessed_on": str(TODAY)},
        {"instrument": "barthel", "assessed_on": "yesterday"},
        {"instrument": "barthel", "assessed_on": str(TODAY), "answers": [1, 2]},
        {"instrument": "barthel", "version": 99, "assessed_on": str(TODAY)},
        {},
    ):
        response = post(api, case, body)
        assert response.status_code == 422, (body, response.content)
    assert api.get(f"/api/v1/cases/{case.public_id}/assessments?after=zzz").status_code == 422
    assert not Assessment.objects.exists()


def test_api_patch_with_a_stale_version_is_409_with_both(api, case, social_worker):
    assessment = record(social_worker, case)
    url = f"/api/v1/assessments/{assessment.public_id}"
    ok = api.patch(url, json.dumps({"version": 1, "answers": {"stairs": 1}}), "application/json")
    assert ok.status_code == 200
    assert (ok.json()["version"], ok.json()["score"]) == (2, 95.0)
    stale = api.patch(url, json.dumps({"version": 1, "answers": {"stairs": 0}}), "application/json")
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["your_version"] == 1
    assert problem["current"]["version"] == 2
    assert problem["current"]["answers"]["stairs"] == 1
    # Removing an answer makes it incomplete: not scored, the item named.
    gone = api.patch(
        url, json.dumps({"version": 2, "answers": {"stairs": None}}), "application/json"
    )
    assert (gone.json()["is_complete"], gone.json()["missing_items"], gone.json()["score"]) == (
        False,
        ["stairs"],
        None,
    )


def test_api_scope_another_centre_gets_404(api, elsewhere, galih_pakuan):
    other = UserFactory(
        role=Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    assessment = record(other, elsewhere)
    assert api.get(f"/api/v1/assessments/{assessment.public_id}").status_code == 404
    assert api.get(f"/api/v1/cases/{elsewhere.public_id}/assessments").status_code == 404
    response = post(api, elsewhere, {"instrument": "barthel", "assessed_on": str(TODAY)})
    assert response.status_code == 404
    patch = api.patch(
        f"/api/v1/assessments/{assessment.public_id}",
        json.dumps({"version": 1}),
        "application/json",
    )
    assert patch.status_code == 404


def test_api_instruments_and_the_schema_of_their_answers(api):
    listed = api.get("/api/v1/instruments").json()
    codes = [i["code"] for i in listed["items"]]
    assert codes == sorted(codes)
    assert "who-assist-v3" in codes
    barthel_row = next(i for i in listed["items"] if i["code"] == "barthel")
    assert barthel_row["current_version"] == 1
    version = api.get("/api/v1/instruments/barthel/versions/1").json()
    assert version["definition"]["code"] == "barthel"
    assert list(version["answers_schema"]["properties"]) == list(BARTHEL)
    assert api.get("/api/v1/instruments/barthel/versions/9").status_code == 404


def test_the_openapi_document_shows_the_items_of_the_answers(api):
    schema = api.get("/api/v1/openapi.json").json()
    text = json.dumps(schema)
    assert "q3_alcohol" in text
    assert "Stairs / Naik turun tangga" in text


def test_the_form_speaks_indonesian_from_the_same_definition(browser, case, settings):
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    page = browser.get(reverse("cases:assessment_new", args=[case.public_id, "barthel"]))
    html = page.content.decode()
    assert "Naik turun tangga" in html
    assert "Mandiri naik dan turun" in html
    assert "Independent up and down" not in html


@pytest.mark.e2e
def test_the_page_hides_and_shows_items_as_they_are_answered(
    browser, handayani, social_worker, tmp_path
):
    """The skip-rule script in a real browser (the rendered page, opened from a file)."""
    if not CHROMIUM:
        pytest.skip("browser tests skipped: no chromium on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    kpn = CaseFactory(unit=handayani, social_worker=social_worker, cluster="KPN")
    url = reverse("cases:assessment_new", args=[kpn.public_id, "who-assist-v3"])
    (tmp_path / "form.html").write_text(browser.get(url).content.decode())
    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = chrome.new_page()
        page.goto((tmp_path / "form.html").as_uri())
        assert not page.is_visible('[data-item="q2_alcohol"]')
        assert not page.is_visible('[data-group-heading="q2"]')
        page.check('input[name="q1_alcohol"][value="3"]')
        assert page.is_visible('[data-item="q2_alcohol"]')
        assert page.is_visible('[data-item="q6_alcohol"]')
        assert not page.is_visible('[data-item="q3_alcohol"]')
        assert not page.is_visible('[data-group-heading="q3"]')
        page.check('input[name="q2_alcohol"][value="4"]')
        assert page.is_visible('[data-item="q3_alcohol"]')
        assert not page.is_visible('[data-item="q3_cannabis"]')
        chrome.close()
