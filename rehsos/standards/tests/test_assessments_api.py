"""/api/v1/standards/assessments and /standards/schedules: refusals naming the field
(422), stale revisions (409 with the stored answer), assessors not assigned (403),
submitting with unrated criteria (422 listing them), evidence checks, scope (404)."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.standards import services_assessments as services
from rehsos.standards.models import Answer, Assessment, Evidence, Finding, Schedule
from rehsos.standards.tests.factories import AssessmentFactory, small_catalogue

TODAY = timezone.localdate()
PROBLEM = "application/problem+json"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


def api(user) -> Client:
    _token, raw = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def fields(response) -> set[str]:
    return {error["field"] for error in response.json().get("errors") or []}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 140, 90)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def catalogue(db):
    version = small_catalogue()
    version.catalogue.clusters = []  # applies to every centre
    version.catalogue.save()
    return version.catalogue


@pytest.fixture
def assessor(db):
    return UserFactory(username="asesor.dewi", role=Role.STANDARDS_ASSESSOR)


@pytest.fixture
def self_assessment(facility_head, handayani, catalogue):
    return services.start_self_assessment(
        user=facility_head, facility=handayani, catalogue=catalogue
    )


@pytest.fixture
def audit(national_admin, handayani, catalogue, assessor):
    return services.create_audit(
        user=national_admin, facility=handayani, catalogue=catalogue, lead=assessor
    )


def base(assessment) -> str:
    return f"/api/v1/standards/assessments/{assessment.public_id}"


def put(client, assessment, code, **body):
    body.setdefault("revision", 1)
    return client.put(f"{base(assessment)}/answers/{code}", body, content_type="application/json")


# --- creating -------------------------------------------------------------------------


def test_a_head_starts_a_self_assessment_and_reads_it(facility_head, handayani, catalogue):
    client = api(facility_head)
    created = client.post(
        "/api/v1/standards/assessments",
        {"kind": "self", "facility": handayani.code, "catalogue": catalogue.code},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["status"], body["facility"]) == (
        "self",
        "in_progress",
        handayani.code,
    )

    detail = client.get(f"/api/v1/standards/assessments/{body['public_id']}").json()
    assert detail["answers"] == []
    assert [m["code"] for m in detail["missing"]] == [
        "ACC-1",
        "ACC-2",
        "ACC-3",
        "SAFE-1",
        "SAFE-2",
        "SAFE-3",
    ]
    assert detail["live_score"]["percent"] is None
    assert detail["live_score"]["unrated"] == 6


def test_an_audit_names_its_lead_by_username(national_admin, handayani, catalogue, assessor):
    client = api(national_admin)
    payload = {
        "kind": "external",
        "facility": handayani.code,
        "catalogue": catalogue.code,
        "lead": "nobody.here",
        "visit_on": (TODAY + datetime.timedelta(days=14)).isoformat(),
    }
    refused = client.post("/api/v1/standards/assessments", payload, content_type="application/json")
    assert refused.status_code == 422
    assert fields(refused) == {"lead"}
    payload["lead"] = assessor.username
    created = client.post("/api/v1/standards/assessments", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["lead"] == assessor.username


def test_a_head_cannot_create_an_audit(facility_head, handayani, catalogue, assessor):
    response = api(facility_head).post(
        "/api/v1/standards/assessments",
        {
            "kind": "external",
            "facility": handayani.code,
            "catalogue": catalogue.code,
            "lead": assessor.username,
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert not Assessment.objects.exists()


# --- answers --------------------------------------------------------------------------


def test_a_rating_outside_the_scale_answers_422_naming_rating(self_assessment, facility_head):
    response = put(api(facility_head), self_assessment, "ACC-1", rating=5)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert fields(response) == {"rating"}
    assert not Answer.objects.exists()


def test_not_applicable_without_justification_answers_422(self_assessment, facility_head):
    response = put(api(facility_head), self_assessment, "ACC-3", not_applicable=True)
    assert response.status_code == 422
    assert fields(response) == {"justification"}


def test_an_older_revision_answers_409_with_the_stored_answer(self_assessment, facility_head):
    client = api(facility_head)
    assert put(client, self_assessment, "ACC-1", rating=3, revision=5).status_code == 200
    again = put(client, self_assessment, "ACC-1", rating=3, revision=5)
    assert again.status_code == 200  # a replay of the same save
    stale = put(client, self_assessment, "ACC-1", rating=0, revision=4)
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_answer"
    assert stale.json()["current"]["rating"] == 3
    assert stale.json()["current"]["revision"] == 5
    assert Answer.objects.get().rating == 3


def test_an_assessor_not_assigned_gets_403(audit, assessor):
    outsider = UserFactory(username="asesor.lain", role=Role.STANDARDS_ASSESSOR)
    response = put(api(outsider), audit, "ACC-1", rating=2)
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert not Answer.objects.exists()
    assert put(api(assessor), audit, "ACC-1", rating=2).status_code == 200


def test_a_centre_outside_the_scope_is_not_found(self_assessment, galih_pakuan):
    head = UserFactory(
        role=Role.FACILITY_HEAD, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    client = api(head)
    assert client.get(base(self_assessment)).status_code == 404
    assert put(client, self_assessment, "ACC-1", rating=2).status_code == 404


def test_an_unknown_criterion_is_not_found(self_assessment, facility_head):
    assert put(api(facility_head), self_assessment, "NOPE-9", rating=2).status_code == 404


# --- evidence -------------------------------------------------------------------------


def post_evidence(client, assessment, *, name, content, kind, valid_from, code="ACC-1"):
    return client.post(
        f"{base(assessment)}/answers/{code}/evidence",
        {
            "file": SimpleUploadedFile(name, content),
            "kind": kind,
            "valid_from": valid_from.isoformat(),
            "caption": "Ramp",
        },
    )


def test_evidence_is_uploaded_listed_and_downloaded(self_assessment, facility_head, galih_pakuan):
    client = api(facility_head)
    created = post_evidence(
        client, self_assessment, name="ramp.jpg", content=jpeg(), kind="photo", valid_from=TODAY
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["criterion"], body["kind"], body["content_type"]) == (
        "ACC-1",
        "photo",
        "image/jpeg",
    )
    assert body["valid_from"] == TODAY.isoformat()

    detail = client.get(base(self_assessment)).json()
    assert [e["id"] for e in detail["evidence"]] == [body["id"]]
    download = client.get(f"{base(self_assessment)}/evidence/{body['id']}/file")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == jpeg()

    head = UserFactory(
        role=Role.FACILITY_HEAD, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    assert api(head).get(f"{base(self_assessment)}/evidence/{body['id']}/file").status_code == 404


def test_evidence_of_the_wrong_type_or_date_is_refused_with_a_reason(
    self_assessment, facility_head
):
    client = api(facility_head)
    exe = post_evidence(
        client,
        self_assessment,
        name="laporan.pdf",
        content=b"MZ\x90\x00 this is no pdf",
        kind="document",
        valid_from=TODAY,
    )
    assert exe.status_code == 422
    assert fields(exe) == {"file"}
    assert "not accepted" in exe.json()["errors"][0]["message"]

    pdf_as_photo = post_evidence(
        client, self_assessment, name="sop.pdf", content=PDF_BYTES, kind="photo", valid_from=TODAY
    )
    assert pdf_as_photo.status_code == 422
    assert "JPEG or PNG" in pdf_as_photo.json()["errors"][0]["message"]

    future = post_evidence(
        client,
        self_assessment,
        name="sop.pdf",
        content=PDF_BYTES,
        kind="document",
        valid_from=TODAY + datetime.timedelta(days=2),
    )
    assert future.status_code == 422
    assert fields(future) == {"valid_from"}
    assert not Evidence.objects.exists()


def test_evidence_too_large_is_refused(self_assessment, facility_head, settings):
    settings.REHSOS_ATTACHMENT_MAX_MB = 1
    response = post_evidence(
        api(facility_head),
        self_assessment,
        name="big.pdf",
        content=PDF_BYTES + b"0" * (1024 * 1024),
        kind="document",
        valid_from=TODAY,
    )
    assert response.status_code == 422
    assert "larger than the limit" in response.json()["errors"][0]["message"]


# --- findings, submit, reopen ---------------------------------------------------------


def test_findings_are_added_listed_and_deleted(self_assessment, facility_head):
    client = api(facility_head)
    bad = client.post(
        f"{base(self_assessment)}/findings",
        {"kind": "recommendation", "text": "Fix the ramp.", "criterion": "NOPE"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert fields(bad) == {"criterion"}
    made = client.post(
        f"{base(self_assessment)}/findings",
        {"kind": "recommendation", "text": "Fix the ramp.", "criterion": "ACC-1"},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert client.get(f"{base(self_assessment)}/findings").json()[0]["criterion"] == "ACC-1"
    gone = client.delete(f"{base(self_assessment)}/findings/{made.json()['id']}")
    assert gone.status_code == 204
    assert not Finding.objects.exists()


def answer_everything(client, assessment, *left_out):
    for code, rating in {"ACC-1": 2, "ACC-2": 1, "SAFE-1": 3, "SAFE-2": 0, "SAFE-3": 2}.items():
        if code not in left_out:
            assert put(client, assessment, code, rating=rating).status_code == 200
    if "ACC-3" not in left_out:
        response = put(
            client, assessment, "ACC-3", not_applicable=True, justification="Single storey."
        )
        assert response.status_code == 200


def test_submit_with_unrated_criteria_answers_422_listing_them(self_assessment, facility_head):
    client = api(facility_head)
    answer_everything(client, self_assessment, "SAFE-2")
    response = client.post(f"{base(self_assessment)}/submit")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "unrated_criteria"
    assert [m["code"] for m in body["missing"]] == ["SAFE-2"]
    assert body["missing"][0]["text"]
    assert fields(response) == {"answers"}
    assert "SAFE-2" in body["errors"][0]["message"]


def test_submit_stores_the_score_and_a_national_admin_reopens(
    self_assessment, facility_head, national_admin, handayani, catalogue
):
    schedule = Schedule.objects.create(
        facility=handayani,
        catalogue=catalogue,
        kind="self",
        interval_months=6,
        next_due=TODAY,
    )
    client = api(facility_head)
    answer_everything(client, self_assessment)
    submitted = client.post(f"{base(self_assessment)}/submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["score"] == "66.67"
    assert submitted.json()["passed"] is True
    schedule.refresh_from_db()
    assert schedule.next_due == services.add_months(TODAY, 6)

    read_only = put(client, self_assessment, "ACC-1", rating=0, revision=7)
    assert read_only.status_code == 409
    assert read_only.json()["code"] == "assessment_submitted"

    reason = {"reason": "ACC-2 was rated before the works were checked."}
    refused = client.post(
        f"{base(self_assessment)}/reopen", reason, content_type="application/json"
    )
    assert refused.status_code == 403
    reopened = api(national_admin).post(
        f"{base(self_assessment)}/reopen", reason, content_type="application/json"
    )
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["score"]) == ("in_progress", None)


def test_patch_needs_the_row_version(self_assessment, facility_head):
    client = api(facility_head)
    url = base(self_assessment)
    ok = client.patch(
        url, {"row_version": 1, "summary": "Walked the dormitory."}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()["row_version"] == 2
    stale = client.patch(url, {"row_version": 1, "title": "Late"}, content_type="application/json")
    assert stale.status_code == 409
    self_assessment.refresh_from_db()
    assert (self_assessment.summary, self_assessment.title) == ("Walked the dormitory.", "")


# --- lists and schedules --------------------------------------------------------------


def test_the_list_is_scoped_and_its_queries_do_not_grow(
    self_assessment,
    audit,
    facility_head,
    handayani,
    galih_pakuan,
    catalogue,
    assessor,
    django_assert_max_num_queries,
):
    other_head = UserFactory(
        role=Role.FACILITY_HEAD, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    services.start_self_assessment(user=other_head, facility=galih_pakuan, catalogue=catalogue)
    client = api(facility_head)
    client.get("/api/v1/standards/assessments")  # the token's first use writes its stamps
    with django_assert_max_num_queries(4) as few:  # token, rate window, page, assessors
        response = client.get("/api/v1/standards/assessments")
    items = response.json()["items"]
    assert {i["public_id"] for i in items} == {str(self_assessment.public_id), str(audit.public_id)}
    earlier = AssessmentFactory.create_batch(
        5, facility=handayani, version=self_assessment.version, status="submitted"
    )
    for a in earlier:
        a.assessors.add(assessor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/standards/assessments")
    assert len(response.json()["items"]) == 7
    only = client.get("/api/v1/standards/assessments?kind=external").json()["items"]
    assert [i["public_id"] for i in only] == [str(audit.public_id)]


def test_schedules_are_planned_changed_and_deleted(facility_head, handayani, catalogue):
    client = api(facility_head)
    created = client.post(
        "/api/v1/standards/schedules",
        {
            "facility": handayani.code,
            "catalogue": catalogue.code,
            "kind": "self",
            "next_due": (TODAY + datetime.timedelta(days=40)).isoformat(),
            "interval_months": 12,
            "assessor": facility_head.username,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    external = client.post(
        "/api/v1/standards/schedules",
        {
            "facility": handayani.code,
            "catalogue": catalogue.code,
            "kind": "external",
            "next_due": TODAY.isoformat(),
        },
        content_type="application/json",
    )
    assert external.status_code == 403
    moved = client.put(
        f"/api/v1/standards/schedules/{pk}",
        {"next_due": (TODAY - datetime.timedelta(days=1)).isoformat(), "interval_months": 24},
        content_type="application/json",
    )
    assert moved.status_code == 200
    assert moved.json()["overdue"] is True
    due = client.get("/api/v1/standards/schedules?due_within_days=30").json()
    assert [s["id"] for s in due] == [pk]
    assert client.delete(f"/api/v1/standards/schedules/{pk}").status_code == 204
    assert not Schedule.objects.exists()


def test_a_re_audit_names_the_submitted_assessment_it_repeats(
    self_assessment, facility_head, national_admin, handayani, catalogue, assessor
):
    client = api(national_admin)
    payload = {
        "kind": "external",
        "facility": handayani.code,
        "catalogue": catalogue.code,
        "lead": assessor.username,
        "follows": str(self_assessment.public_id),
    }
    in_progress = client.post(
        "/api/v1/standards/assessments", payload, content_type="application/json"
    )
    assert in_progress.status_code == 422
    assert fields(in_progress) == {"follows"}

    answer_everything(api(facility_head), self_assessment)
    services.submit(self_assessment, user=facility_head)
    created = client.post("/api/v1/standards/assessments", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["follows"] == str(self_assessment.public_id)
