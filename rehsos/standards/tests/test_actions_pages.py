"""The improvement-plan pages: the plan grouped by status with overdue highlighted,
adding and editing an action, its status, evidence served only within scope, the
attestation page and the home panel."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.standards import services_actions
from rehsos.standards.models import Action, ActionEvidence, Assessment, Attestation
from rehsos.standards.tests.factories import AssessmentFactory, FindingFactory, small_catalogue

TODAY = timezone.localdate()
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


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


@pytest.fixture
def head_client(client, facility_head):
    client.force_login(facility_head)
    return client


@pytest.fixture
def action(handayani):
    return Action.objects.create(facility=handayani, title="Install handrails", due_on=days(30))


def test_the_plan_groups_by_status_and_highlights_overdue(
    head_client, handayani, django_assert_num_queries
):
    Action.objects.create(facility=handayani, title="Fix the fire alarm", due_on=days(-5))
    Action.objects.create(
        facility=handayani, title="Paint", due_on=days(9), status=Action.Status.IN_PROGRESS
    )
    Action.objects.create(
        facility=handayani, title="Old", due_on=days(-40), status=Action.Status.DONE
    )
    with django_assert_num_queries(11):
        response = head_client.get(f"/standards/centres/{handayani.code}/actions/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-overdue") == 1
    assert 'data-group="open"' in html
    assert 'data-group="done"' in html
    assert "1 overdue" in html
    assert "1 due within 14 days" in html
    filtered = head_client.get(f"/standards/centres/{handayani.code}/actions/?overdue=on")
    assert "Fix the fire alarm" in filtered.content.decode()
    assert "Paint" not in filtered.content.decode()


def test_the_head_adds_an_action_on_the_page(head_client, handayani, social_worker):
    url = f"/standards/centres/{handayani.code}/actions/new/"
    assert head_client.get(url).status_code == 200
    refused = head_client.post(
        url, {"title": "Buy a hoist", "due_on": days(10).isoformat(), "funding": "partner"}
    )
    assert refused.status_code == 422
    assert 'data-field-error="agreement"' in refused.content.decode()
    response = head_client.post(
        url,
        {
            "title": "Buy a hoist",
            "due_on": days(10).isoformat(),
            "funding": "own",
            "owner": social_worker.pk,
            "cost_estimate": "4500000",
        },
    )
    action = Action.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/standards/actions/{action.public_id}/"
    assert (action.owner, action.cost_estimate) == (social_worker, 4500000)
    page = head_client.get(response["Location"]).content.decode()
    assert "Rp 4,500,000" in page


def test_a_stale_edit_shows_both_versions(head_client, action):
    url = f"/standards/actions/{action.public_id}/"
    Action.objects.filter(pk=action.pk).update(title="Saved by someone", version=2)
    response = head_client.post(
        url,
        {"title": "Mine", "due_on": days(30).isoformat(), "funding": "own", "version": 1},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "data-conflict" in html
    assert "Saved by someone" in html
    action.refresh_from_db()
    assert action.title == "Saved by someone"


def test_closing_as_done_on_the_page_needs_evidence(head_client, action):
    status_url = f"/standards/actions/{action.public_id}/status/"
    refused = head_client.post(
        status_url, {"status": "done", "note": "All installed.", "version": 1}
    )
    assert refused.status_code == 422
    assert "Upload at least one piece of evidence" in refused.content.decode()

    upload = head_client.post(
        f"/standards/actions/{action.public_id}/evidence/",
        {
            "file": SimpleUploadedFile("bukti.pdf", PDF_BYTES),
            "valid_from": TODAY.isoformat(),
            "caption": "",
        },
    )
    assert upload.status_code == 302
    done = head_client.post(status_url, {"status": "done", "note": "All installed.", "version": 1})
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.status == Action.Status.DONE


def test_evidence_is_served_only_within_scope(client, facility_head, action, galih_pakuan):
    client.force_login(facility_head)
    client.post(
        f"/standards/actions/{action.public_id}/evidence/",
        {"file": SimpleUploadedFile("bukti.pdf", PDF_BYTES), "valid_from": TODAY.isoformat()},
    )
    evidence = ActionEvidence.objects.get()
    url = f"/standards/actions/{action.public_id}/evidence/{evidence.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF_BYTES

    other = UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.get(f"/standards/actions/{action.public_id}/").status_code == 404
    edit = client.post(
        f"/standards/actions/{action.public_id}/",
        {"title": "Mine", "due_on": days(30).isoformat(), "funding": "own", "version": 1},
    )
    assert edit.status_code == 404
    assert client.get("/standards/centres/brsampk-handayani/actions/").status_code == 404


def test_the_attestation_page(head_client, handayani, action):
    url = f"/standards/centres/{handayani.code}/attestation/"
    page = head_client.get(url).content.decode()
    assert "data-attestation-form" in page
    assert "1 action is open" in page
    statement = "The plan is reviewed every month with all staff."
    unconfirmed = head_client.post(url, {"statement": statement})
    assert unconfirmed.status_code == 422
    assert not Attestation.objects.exists()
    response = head_client.post(url, {"statement": statement, "confirm": "on"})
    assert response.status_code == 302
    page = head_client.get(url).content.decode()
    assert f'data-attested="{TODAY.year}"' in page
    assert "data-attestation-form" not in page


def test_a_provincial_officer_cannot_attest(client, provincial_officer, handayani, action):
    client.force_login(provincial_officer)
    url = f"/standards/centres/{handayani.code}/attestation/"
    assert "data-attestation-due" in client.get(url).content.decode()
    response = client.post(url, {"statement": "x" * 30, "confirm": "on"})
    assert response.status_code == 403
    assert not Attestation.objects.exists()


def test_the_home_panel_shows_what_is_due_and_the_attestation(head_client, handayani):
    Action.objects.create(facility=handayani, title="Fix the fire alarm", due_on=days(-5))
    Action.objects.create(facility=handayani, title="Paint the ramp", due_on=days(12))
    Action.objects.create(facility=handayani, title="Next quarter", due_on=days(60))
    html = head_client.get("/").content.decode()
    assert 'data-panel="standards-actions"' in html
    assert "Fix the fire alarm" in html
    assert "Paint the ramp" in html
    assert "Next quarter" not in html
    assert "1 overdue" in html
    assert "data-attestation-due" in html


def test_an_audit_action_on_a_critical_criterion(head_client, handayani, facility_head):
    version = small_catalogue()
    audit = AssessmentFactory(
        facility=handayani,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        status=Assessment.Status.SUBMITTED,
        visit_on=days(-5),
        submitted_at=timezone.now(),
    )
    ramp = version.criteria.get(code="ACC-1")
    FindingFactory(assessment=audit, criterion=ramp, text="The ramp is too steep.")
    (action,) = services_actions.create_from_findings(audit, user=facility_head)
    page = head_client.get(f"/standards/actions/{action.public_id}/").content.decode()
    assert "The ramp is too steep." in page
    assert (
        f'<option value="{ramp.pk}" selected>ACC-1 · Site and building accessibility · critical'
        in page
    )
    new = head_client.get(f"/standards/centres/{handayani.code}/actions/new/?criterion={ramp.pk}")
    assert f'<option value="{ramp.pk}" selected>' in new.content.decode()
