"""The assessment pages: the form (criteria by domain in the reader's language, answers
saved one by one with CSRF, JSON for assess.js and a redirect without JavaScript, the
"unrated only" filter, read-only when it must be), evidence, the summary with the
missing criteria and submitting, schedules, and the home and centre panels."""

import datetime
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from rehsos.core import home_panels
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.core.tests.logins import verified_client
from rehsos.facilities import panels as facility_panels
from rehsos.standards import services_assessments as services
from rehsos.standards.models import Answer, Assessment, Evidence, Schedule
from rehsos.standards.tests.factories import AssessmentFactory, small_catalogue

TODAY = timezone.localdate()
JSON = "application/json"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture
def version(db):
    version = small_catalogue()
    version.catalogue.clusters = ["ANAK"]
    version.catalogue.save()
    first = version.criteria.get(code="ACC-1")
    first.text_id = "Jalur landai dengan pegangan di kedua sisi"
    first.text_en = "Ramps with handrails on both sides"
    first.guidance_en = "Measure the slope: at most 1:12."
    first.evidence_required = "Photo of each ramp"
    first.save()
    return version


@pytest.fixture
def assessment(facility_head, handayani, version):
    return services.start_self_assessment(
        user=facility_head, facility=handayani, catalogue=version.catalogue
    )


def signed_in(user, *, csrf=False, language="en") -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def form_url(a) -> str:
    return reverse("standards:assessment_form", args=[a.public_id])


def answer_url(a, code) -> str:
    return reverse("standards:assessment_answer", args=[a.public_id, code])


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 140, 90)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --- the form -------------------------------------------------------------------------


def test_the_form_lists_criteria_by_domain_in_the_readers_language(assessment, facility_head):
    page = signed_in(facility_head).get(form_url(assessment))
    assert page.status_code == 200
    html = page.content.decode()
    for code in ("ACC-1", "ACC-2", "ACC-3", "SAFE-1", "SAFE-2", "SAFE-3"):
        assert f'data-criterion="{code}"' in html
    assert html.index('id="d-ACC"') < html.index('id="d-SAFE"')
    # English first, Indonesian on demand.
    assert html.index("Ramps with handrails on both sides") < html.index(
        "Jalur landai dengan pegangan"
    )
    assert "Measure the slope: at most 1:12." in html
    assert "Photo of each ramp" in html
    assert html.count('name="choice"') == 6 * 6  # 4 levels, N/A and "not rated" each
    assert "standards/assess.js" in html

    indonesian = signed_in(facility_head, language="id").get(form_url(assessment))
    html = indonesian.content.decode()
    assert html.index("Jalur landai dengan pegangan") < html.index("Ramps with handrails")


def test_an_answer_saves_with_csrf_and_answers_json(assessment, facility_head):
    client = signed_in(facility_head, csrf=True)
    client.get(form_url(assessment))
    token = client.cookies["csrftoken"].value
    body = {"choice": "2", "justification": "", "comment": "Both ramps fine", "revision": "1"}

    refused = client.post(answer_url(assessment, "ACC-1"), body, HTTP_ACCEPT=JSON)
    assert refused.status_code == 403  # no CSRF token
    assert not Answer.objects.exists()

    saved = client.post(
        answer_url(assessment, "ACC-1"), body, HTTP_ACCEPT=JSON, HTTP_X_CSRFTOKEN=token
    )
    assert saved.status_code == 200
    data = saved.json()
    assert data["saved"] is True
    assert data["answer"]["rating"] == 2
    assert data["answer"]["revision"] == 1
    assert data["progress"] == {"answered": 1, "total": 6}
    assert Answer.objects.get().comment == "Both ramps fine"


def test_refusals_answer_json_naming_the_field(assessment, facility_head):
    client = signed_in(facility_head)
    outside = client.post(
        answer_url(assessment, "ACC-1"), {"choice": "9", "revision": "1"}, HTTP_ACCEPT=JSON
    )
    assert outside.status_code == 422
    assert set(outside.json()["errors"]) == {"rating"}
    word = client.post(
        answer_url(assessment, "ACC-1"), {"choice": "met", "revision": "1"}, HTTP_ACCEPT=JSON
    )
    assert set(word.json()["errors"]) == {"rating"}
    na = client.post(
        answer_url(assessment, "ACC-3"), {"choice": "na", "revision": "1"}, HTTP_ACCEPT=JSON
    )
    assert set(na.json()["errors"]) == {"justification"}
    assert not Answer.objects.exists()

    client.post(answer_url(assessment, "ACC-1"), {"choice": "3", "revision": "4"}, HTTP_ACCEPT=JSON)
    stale = client.post(
        answer_url(assessment, "ACC-1"), {"choice": "0", "revision": "2"}, HTTP_ACCEPT=JSON
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["rating"] == 3


def test_without_javascript_the_form_posts_and_comes_back(assessment, facility_head):
    client = signed_in(facility_head)
    response = client.post(
        answer_url(assessment, "SAFE-2"),
        {"choice": "na", "justification": "No kitchen on site.", "revision": "1"},
    )
    assert response.status_code == 302
    assert response["Location"] == form_url(assessment) + "#c-SAFE-2"
    answer = Answer.objects.get()
    assert (answer.not_applicable, answer.justification) == (True, "No kitchen on site.")


def test_unrated_only_leaves_the_answered_out(assessment, facility_head):
    services.save_answer(
        assessment=assessment,
        criterion=assessment.version.criteria.get(code="ACC-2"),
        user=facility_head,
        rating=1,
        revision=1,
    )
    html = signed_in(facility_head).get(form_url(assessment) + "?unrated=1").content.decode()
    assert 'data-criterion="ACC-2"' not in html
    assert 'data-criterion="ACC-1"' in html
    assert "1 of 6 answered" in html


def test_the_form_is_read_only_for_those_who_may_not_answer(assessment, facility_head):
    assessor = UserFactory(role=Role.STANDARDS_ASSESSOR)
    html = signed_in(assessor).get(form_url(assessment)).content.decode()
    assert "data-read-only" in html
    assert "<fieldset disabled>" in html
    refused = signed_in(assessor).post(
        answer_url(assessment, "ACC-1"), {"choice": "2", "revision": "1"}, HTTP_ACCEPT=JSON
    )
    assert refused.status_code == 403
    # JSON, so that assess.js drops the save instead of retrying it as if offline.
    assert refused.json()["code"] == "forbidden"
    assert not Answer.objects.exists()


def test_another_centres_assessment_is_not_found(assessment, galih_pakuan):
    head = UserFactory(
        role=Role.FACILITY_HEAD, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    client = signed_in(head)
    assert client.get(form_url(assessment)).status_code == 404
    response = client.post(answer_url(assessment, "ACC-1"), {"choice": "2", "revision": "1"})
    assert response.status_code == 404
    from_script = client.post(
        answer_url(assessment, "ACC-1"), {"choice": "2", "revision": "1"}, HTTP_ACCEPT=JSON
    )
    assert (from_script.status_code, from_script.json()["code"]) == (404, "not_found")


# --- evidence -------------------------------------------------------------------------


def test_evidence_is_uploaded_from_the_form_and_served_with_permission(
    assessment, facility_head, galih_pakuan
):
    client = signed_in(facility_head)
    url = reverse("standards:assessment_evidence_upload", args=[assessment.public_id, "ACC-1"])
    future = client.post(
        url,
        {
            "file": SimpleUploadedFile("ramp.jpg", jpeg()),
            "kind": "photo",
            "valid_from": (TODAY + datetime.timedelta(days=1)).isoformat(),
        },
        HTTP_ACCEPT=JSON,
    )
    assert future.status_code == 422
    assert set(future.json()["errors"]) == {"valid_from"}

    created = client.post(
        url,
        {"file": SimpleUploadedFile("ramp.jpg", jpeg()), "kind": "photo", "valid_from": TODAY},
        HTTP_ACCEPT=JSON,
    )
    assert created.status_code == 201, created.content
    item = created.json()["evidence"]
    assert item["name"] == "ramp.jpg"
    download = client.get(item["url"])
    assert download.status_code == 200
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(download.streaming_content) == jpeg()

    head = UserFactory(
        role=Role.FACILITY_HEAD, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    assert signed_in(head).get(item["url"]).status_code == 404
    assert 'data-evidence-item="' in client.get(form_url(assessment)).content.decode()

    deleted = client.post(item["delete_url"], HTTP_ACCEPT=JSON)
    assert deleted.status_code == 200
    assert not Evidence.objects.exists()


# --- the summary and submitting -------------------------------------------------------


def answer_all(assessment, user, *left_out):
    for code, rating in {"ACC-1": 2, "ACC-2": 1, "ACC-3": 2, "SAFE-1": 3, "SAFE-2": 0}.items():
        if code not in left_out:
            services.save_answer(
                assessment=assessment,
                criterion=assessment.version.criteria.get(code=code),
                user=user,
                rating=rating,
                revision=1,
            )


def test_submitting_with_unrated_criteria_shows_them(assessment, facility_head):
    answer_all(assessment, facility_head)
    client = signed_in(facility_head)
    detail = client.get(reverse("standards:assessment_detail", args=[assessment.public_id]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert 'data-missing-code="SAFE-3"' in html
    assert 'data-domain="ACC"' in html

    refused = client.post(reverse("standards:assessment_submit", args=[assessment.public_id]))
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'data-missing-code="SAFE-3"' in html
    assert "1 criterion is not rated yet" in html
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.IN_PROGRESS

    services.save_answer(
        assessment=assessment,
        criterion=assessment.version.criteria.get(code="SAFE-3"),
        user=facility_head,
        rating=2,
        revision=1,
    )
    done = client.post(reverse("standards:assessment_submit", args=[assessment.public_id]))
    assert done.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    html = client.get(form_url(assessment)).content.decode()
    assert "<fieldset disabled>" in html


def test_a_head_starts_a_self_assessment_from_the_page(facility_head, handayani, version):
    client = signed_in(facility_head)
    page = client.get(reverse("standards:assessment_start"))
    assert page.status_code == 200
    assert version.catalogue.code in page.content.decode()
    response = client.post(
        reverse("standards:assessment_start"),
        {
            "facility": handayani.code,
            "catalogue": version.catalogue.code,
            "started_on": TODAY.isoformat(),
        },
    )
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == form_url(assessment)


def test_findings_are_added_on_the_summary(assessment, facility_head):
    client = signed_in(facility_head)
    url = reverse("standards:assessment_finding_add", args=[assessment.public_id])
    empty = client.post(url, {"kind": "advice", "text": ""})
    assert empty.status_code == 422
    added = client.post(url, {"kind": "recommendation", "text": "Fix ramp", "criterion": "ACC-1"})
    assert added.status_code == 302
    assert assessment.findings.get().criterion.code == "ACC-1"


def test_the_list_page_does_not_grow_in_queries(
    assessment, facility_head, handayani, django_assert_max_num_queries
):
    client = signed_in(facility_head)
    url = reverse("standards:assessment_list")
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    AssessmentFactory.create_batch(6, facility=handayani, version=assessment.version)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("data-assessment=") == 7


# --- schedules and panels -------------------------------------------------------------


def test_schedules_are_planned_on_their_page(facility_head, handayani, version):
    client = signed_in(facility_head)
    assert client.get(reverse("standards:schedule_create")).status_code == 200
    response = client.post(
        reverse("standards:schedule_create"),
        {
            "facility": handayani.code,
            "catalogue": version.catalogue.code,
            "kind": "self",
            "next_due": (TODAY + datetime.timedelta(days=10)).isoformat(),
            "interval_months": "12",
            "assessor": str(facility_head.pk),
        },
    )
    assert response.status_code == 302, response.content
    schedule = Schedule.objects.get()
    assert schedule.assessor == facility_head
    listing = client.get(reverse("standards:schedule_list")).content.decode()
    assert f'data-schedule="{schedule.pk}"' in listing
    assert "due soon" in listing


def test_the_home_panel_shows_work_in_progress_and_due_schedules(
    assessment, facility_head, handayani, version
):
    Schedule.objects.create(
        facility=handayani,
        catalogue=version.catalogue,
        kind="external",
        next_due=TODAY - datetime.timedelta(days=3),
    )
    panel = next(
        p
        for p in home_panels.panels_for(facility_head)
        if p.template == "standards/assessments/panels/home.html"
    )
    assert [a.pk for a in panel.context["in_progress"]] == [assessment.pk]
    assert panel.context["in_progress"][0].criteria == 6
    assert [s.kind for s in panel.context["schedules"]] == ["external"]
    assert panel.context["schedules"][0].overdue is True
    html = signed_in(facility_head).get("/").content.decode()
    assert 'data-panel="standards-assessments"' in html

    # An assessor sees the audits they are assigned to, not the centre's self-assessment.
    assessor = UserFactory(role=Role.STANDARDS_ASSESSOR)
    mine = next(
        p
        for p in home_panels.panels_for(assessor)
        if p.template == "standards/assessments/panels/home.html"
    )
    assert mine.context["in_progress"] == []


def test_the_centre_page_panel_shows_the_latest_scores(assessment, facility_head, handayani):
    answer_all(assessment, facility_head)
    services.save_answer(
        assessment=assessment,
        criterion=assessment.version.criteria.get(code="SAFE-3"),
        user=facility_head,
        rating=2,
        revision=1,
    )
    services.submit(assessment, user=facility_head)
    request = RequestFactory().get("/")
    request.user = facility_head
    panel = next(
        p
        for p in facility_panels.panels_for(request, handayani)
        if p.template == "standards/assessments/panels/facility.html"
    )
    rows = {kind: a for kind, _label, a in panel.context["rows"]}
    assert rows["self"].pk == assessment.pk
    assert rows["self"].score is not None
    assert rows["external"] is None


def test_a_national_admin_reopens_from_the_summary(assessment, facility_head, national_admin):
    answer_all(assessment, facility_head)
    services.save_answer(
        assessment=assessment,
        criterion=assessment.version.criteria.get(code="SAFE-3"),
        user=facility_head,
        rating=2,
        revision=1,
    )
    services.submit(assessment, user=facility_head)
    client = verified_client(national_admin)
    url = reverse("standards:assessment_reopen", args=[assessment.public_id])
    detail = client.get(reverse("standards:assessment_detail", args=[assessment.public_id]))
    assert f'action="{url}"' in detail.content.decode()
    head_view = signed_in(facility_head).get(
        reverse("standards:assessment_detail", args=[assessment.public_id])
    )
    assert f'action="{url}"' not in head_view.content.decode()
    assert client.post(url, {"reason": "short"}).status_code == 422
    assert client.post(url, {"reason": "Re-check SAFE-1 after the drill."}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.IN_PROGRESS
