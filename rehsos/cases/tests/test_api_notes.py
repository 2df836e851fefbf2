"""/api/v1/ for notes, conferences, attachments and tasks: happy paths, refusals naming
the field, 409 on a stale task version, 404 outside the scope, never a 500."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from rehsos.cases.models import Attachment, Note, Task
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.models import AccessLog, ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

PDF_BYTES = b"%PDF-1.4\n%%EOF\n"
TODAY = timezone.localdate()


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


@pytest.fixture
def case(handayani, social_worker, person_in_handayani):
    return CaseFactory(unit=handayani, social_worker=social_worker, person=person_in_handayani)


@pytest.fixture
def outsider(galih_pakuan):
    return UserFactory(
        role=Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )


def fields(response) -> set[str]:
    return {error["field"] for error in response.json().get("errors") or []}


def test_notes_are_written_listed_and_edited(case, social_worker, facility_head):
    client = api(social_worker)
    base = f"/api/v1/cases/{case.public_id}/notes"

    created = client.post(
        base, {"body": "<p>Visit</p><img src=x onerror=alert(1)>"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    note = created.json()
    assert (note["body_html"], note["author"], note["editable"]) == (
        "<p>Visit</p>",
        social_worker.username,
        True,
    )
    listed = client.get(base).json()
    assert [item["id"] for item in listed["items"]] == [note["id"]]

    patched = client.patch(
        f"/api/v1/notes/{note['id']}",
        {"body": "<p>Visit, later</p>"},
        content_type="application/json",
    )
    assert patched.json()["body_html"] == "<p>Visit, later</p>"
    by_head = api(facility_head).patch(
        f"/api/v1/notes/{note['id']}", {"body": "<p>No</p>"}, content_type="application/json"
    )
    assert by_head.status_code == 403
    assert Note.objects.get().body_html == "<p>Visit, later</p>"


def test_a_long_note_is_422_naming_body(case, social_worker):
    response = api(social_worker).post(
        f"/api/v1/cases/{case.public_id}/notes",
        {"body": "x" * 20_001},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert fields(response) == {"body"}
    assert not Note.objects.exists()


def test_conferences_validate_attendees(case, social_worker):
    client = api(social_worker)
    url = f"/api/v1/cases/{case.public_id}/conferences"
    good = {
        "held_on": TODAY.isoformat(),
        "attendees": [{"name": "Ani", "role": "mother"}],
        "decisions": "Home leave at Lebaran.",
    }
    missing_role = {**good, "attendees": [{"name": "Ani"}]}
    future = {**good, "held_on": (TODAY + timedelta(days=3)).isoformat()}

    assert fields(client.post(url, missing_role, content_type="application/json")) == {
        "attendees.0.role"
    }
    assert fields(client.post(url, future, content_type="application/json")) == {"held_on"}
    created = client.post(url, good, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["attendees"] == [{"name": "Ani", "role": "mother", "organisation": ""}]
    assert len(client.get(url).json()["items"]) == 1


def test_attachments_upload_list_and_download(case, social_worker, outsider):
    client = api(social_worker)
    url = f"/api/v1/cases/{case.public_id}/attachments"

    fake = client.post(
        url, {"kind": "report", "file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00" + b"\0" * 64)}
    )
    assert fake.status_code == 422
    assert fields(fake) == {"file"}
    created = client.post(
        url, {"kind": "report", "title": "Surat", "file": SimpleUploadedFile("a.pdf", PDF_BYTES)}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["content_type"], body["size"], body["title"]) == (
        "application/pdf",
        len(PDF_BYTES),
        "Surat",
    )
    assert [item["id"] for item in client.get(url).json()["items"]] == [body["id"]]

    download = client.get(f"/api/v1/attachments/{body['id']}/file")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert AccessLog.objects.filter(
        user=social_worker, channel="api", purpose__startswith="attachment"
    ).exists()

    elsewhere = api(outsider)
    assert elsewhere.get(f"/api/v1/attachments/{body['id']}/file").status_code == 404
    assert elsewhere.get(url).status_code == 404
    assert elsewhere.delete(f"/api/v1/attachments/{body['id']}").status_code == 404
    assert not AccessLog.objects.filter(user=outsider).exists()
    assert client.delete(f"/api/v1/attachments/{body['id']}").status_code == 204
    assert not Attachment.objects.exists()


def test_tasks_with_row_versions(case, social_worker, facility_head):
    client = api(social_worker)
    url = f"/api/v1/cases/{case.public_id}/tasks"

    created = client.post(
        url,
        {"title": "Home visit", "due_on": TODAY.isoformat(), "assignee": facility_head.username},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    task = created.json()
    assert (task["assignee"], task["status"], task["version"], task["case_number"]) == (
        facility_head.username,
        "open",
        1,
        case.number,
    )
    mine = client.post(
        url, {"title": "Call", "due_on": TODAY.isoformat()}, content_type="application/json"
    ).json()
    assert [t["id"] for t in client.get("/api/v1/tasks").json()["items"]] == [mine["id"]]
    assert len(client.get(url).json()["items"]) == 2

    done = client.patch(
        f"/api/v1/tasks/{mine['id']}",
        {"status": "done", "version": 1},
        content_type="application/json",
    )
    assert (done.json()["status"], done.json()["version"]) == ("done", 2)
    stale = client.patch(
        f"/api/v1/tasks/{mine['id']}",
        {"status": "cancelled", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2
    assert stale.json()["current"]["status"] == "done"
    assert Task.objects.get(public_id=mine["id"]).status == "done"
    assert client.get("/api/v1/tasks?status=done").json()["items"][0]["id"] == mine["id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x", "due_on": "tomorrow"}, "due_on"),
        ({"due_on": "2030-01-01"}, "title"),
        ({"title": "x", "due_on": "2030-01-01", "assignee": "nobody"}, "assignee"),
        ({"title": "x" * 201, "due_on": "2030-01-01"}, "title"),
    ],
)
def test_bad_task_input_is_422_naming_the_field(case, social_worker, payload, field):
    response = api(social_worker).post(
        f"/api/v1/cases/{case.public_id}/tasks", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in fields(response)


def test_bad_input_never_500s(case, social_worker):
    client = api(social_worker)
    task = Task.objects.create(
        case=case, unit=case.unit, title="x", due_on=TODAY, assignee=social_worker
    )
    answers = [
        client.post(
            f"/api/v1/cases/{case.public_id}/notes", "not json", content_type="application/json"
        ),
        client.post(
            f"/api/v1/cases/{case.public_id}/notes", {"body": 5}, content_type="application/json"
        ),
        client.patch("/api/v1/notes/999999", {"body": "x"}, content_type="application/json"),
        client.patch(
            f"/api/v1/tasks/{task.public_id}",
            {"status": "finished", "version": 1},
            content_type="application/json",
        ),
        client.patch("/api/v1/tasks/not-a-uuid", {}, content_type="application/json"),
        client.get(f"/api/v1/cases/{case.public_id}/notes?after=garbage"),
        client.get("/api/v1/tasks?limit=0"),
        client.post(f"/api/v1/cases/{case.public_id}/attachments", {"kind": "report"}),
        client.get("/api/v1/attachments/999999/file"),
        client.post(
            f"/api/v1/cases/{case.public_id}/conferences",
            {"held_on": "2024-13-45", "attendees": "everyone", "decisions": ""},
            content_type="application/json",
        ),
    ]
    assert [response.status_code for response in answers] == [
        422,
        422,
        404,
        422,
        422,
        422,
        422,
        422,
        404,
        422,
    ]


def test_another_centre_gets_404_everywhere(case, outsider, social_worker):
    note = Note.objects.create(case=case, author=social_worker, body_html="<p>x</p>")
    task = Task.objects.create(
        case=case, unit=case.unit, title="x", due_on=TODAY, assignee=social_worker
    )
    client = api(outsider)
    for path in ("notes", "conferences", "attachments", "tasks"):
        assert client.get(f"/api/v1/cases/{case.public_id}/{path}").status_code == 404
    assert (
        client.patch(
            f"/api/v1/notes/{note.pk}", {"body": "<p>y</p>"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.patch(
            f"/api/v1/tasks/{task.public_id}",
            {"status": "done", "version": 1},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.get("/api/v1/tasks").json()["items"] == []
