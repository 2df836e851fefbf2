"""The improvement-plan API: list, create, patch (409 on a stale version), status
(422 naming the field), evidence, attestation, and scope."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.partners.models import Agreement, Partner
from rehsos.standards.models import Action, ActionEvidence

TODAY = timezone.localdate()
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PROBLEM = "application/problem+json"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


def as_user(client, user):
    _token, raw = ApiToken.issue(user, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.fixture
def head_api(client, facility_head):
    return as_user(client, facility_head)


@pytest.fixture
def action(handayani):
    return Action.objects.create(facility=handayani, title="Install handrails", due_on=days(30))


def errors_of(response) -> dict:
    assert response["Content-Type"].startswith(PROBLEM)
    return {e["field"]: e["message"] for e in response.json().get("errors") or []}


def test_create_and_list_with_filters(
    head_api, handayani, social_worker, django_assert_max_num_queries
):
    Action.objects.create(facility=handayani, title="Late one", due_on=days(-2))
    response = head_api.post(
        "/api/v1/standards/actions",
        {
            "facility": handayani.code,
            "title": "Train staff in evacuation",
            "due_on": days(20).isoformat(),
            "owner": social_worker.username,
            "cost_estimate": 1500000,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == social_worker.username
    assert body["cost_estimate"] == 1500000
    assert body["funding"] == "own"
    assert body["version"] == 1

    with django_assert_max_num_queries(4):  # token, rate window, page, evidence counts
        listed = head_api.get("/api/v1/standards/actions").json()
    assert [a["title"] for a in listed["items"]] == ["Late one", "Train staff in evacuation"]
    overdue = head_api.get("/api/v1/standards/actions?overdue=true").json()
    assert [(a["title"], a["overdue"]) for a in overdue["items"]] == [("Late one", True)]
    bad = head_api.get("/api/v1/standards/actions?status=finished")
    assert bad.status_code == 422
    assert set(errors_of(bad)) == {"status"}


def test_create_refuses_partner_funding_without_an_agreement(head_api, handayani):
    response = head_api.post(
        "/api/v1/standards/actions",
        {
            "facility": handayani.code,
            "title": "Renovate the bathrooms",
            "due_on": days(20).isoformat(),
            "funding": "partner",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(errors_of(response)) == {"agreement"}
    assert not Action.objects.exists()

    partner = Partner.objects.create(code="koica", name="KOICA", kind=Partner.Kind.BILATERAL)
    signed = Agreement.objects.create(
        partner=partner, kind=Agreement.Kind.GRANT, title="Grant", status=Agreement.Status.SIGNED
    )
    response = head_api.post(
        "/api/v1/standards/actions",
        {
            "facility": handayani.code,
            "title": "Renovate the bathrooms",
            "due_on": days(20).isoformat(),
            "funding": "partner",
            "agreement": str(signed.public_id),
            "cost_estimate": -5,
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(errors_of(response)) == {"cost_estimate"}


def test_patch_on_a_stale_version_answers_409_with_the_saved_action(head_api, action):
    url = f"/api/v1/standards/actions/{action.public_id}"
    first = head_api.patch(
        url, {"version": 1, "due_on": days(45).isoformat()}, content_type="application/json"
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = head_api.patch(url, {"version": 1, "title": "Mine"}, content_type="application/json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "conflict"
    assert body["current"]["version"] == 2
    assert body["current"]["due_on"] == days(45).isoformat()
    action.refresh_from_db()
    assert action.title == "Install handrails"


def test_status_done_without_evidence_answers_422_naming_the_fields(head_api, action):
    url = f"/api/v1/standards/actions/{action.public_id}/status"
    response = head_api.post(url, {"version": 1, "status": "done"}, content_type="application/json")
    assert response.status_code == 422
    assert set(errors_of(response)) == {"evidence", "note"}

    upload = head_api.post(
        f"/api/v1/standards/actions/{action.public_id}/evidence",
        {
            "file": SimpleUploadedFile("bukti.pdf", PDF_BYTES),
            "valid_from": days(-1).isoformat(),
            "caption": "Handrails",
        },
    )
    assert upload.status_code == 201, upload.content
    assert upload.json()["valid_from"] == days(-1).isoformat()
    done = head_api.post(
        url,
        {"version": 1, "status": "done", "note": "Installed and checked by the engineer."},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert done.json()["closed_on"] == TODAY.isoformat()

    evidence = ActionEvidence.objects.get()
    file = head_api.get(f"/api/v1/standards/actions/{action.public_id}/evidence/{evidence.pk}")
    assert file.status_code == 200
    assert b"".join(file.streaming_content) == PDF_BYTES


def test_an_upload_of_the_wrong_type_answers_422_naming_file(head_api, action):
    response = head_api.post(
        f"/api/v1/standards/actions/{action.public_id}/evidence",
        {"file": SimpleUploadedFile("x.pdf", b"GIF89a nope"), "valid_from": TODAY.isoformat()},
    )
    assert response.status_code == 422
    assert set(errors_of(response)) == {"file"}


def test_attesting_twice_in_a_year_answers_422_naming_year(head_api, handayani):
    url = "/api/v1/standards/actions/attestations"
    payload = {"facility": handayani.code, "statement": "The plan is reviewed every month."}
    first = head_api.post(url, payload, content_type="application/json")
    assert first.status_code == 201
    assert first.json()["year"] == TODAY.year
    second = head_api.post(url, payload, content_type="application/json")
    assert second.status_code == 422
    assert "already attested" in errors_of(second)["year"]
    listed = head_api.get(f"{url}?facility={handayani.code}")
    assert [row["year"] for row in listed.json()] == [TODAY.year]


def test_another_centres_head_gets_404_and_an_analyst_403(client, action, galih_pakuan, analyst):
    other = UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    url = f"/api/v1/standards/actions/{action.public_id}"
    as_user(client, other)
    assert client.get(url).status_code == 404
    assert (
        client.patch(url, {"version": 1, "title": "x"}, content_type="application/json").status_code
        == 404
    )
    assert client.get("/api/v1/standards/actions").json()["items"] == []
    as_user(client, analyst)
    assert client.get(url).status_code == 200
    refused = client.patch(url, {"version": 1, "title": "x"}, content_type="application/json")
    assert refused.status_code == 403
    action.refresh_from_db()
    assert action.title == "Install handrails"
