"""Renovation projects, the pages and the API: list, create, the project page with its
S-curve and chain, milestones, money, supervision reports with photos, handover,
re-assessment and closing; the centre's panel; permissions and stale edits."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.partners.tests.factories import AgreementFactory, PartnerFactory
from rehsos.standards import services_renovation as services
from rehsos.standards.models import (
    Action,
    Assessment,
    Domain,
    RenovationProject,
    SupervisionPhoto,
    SupervisionReport,
)
from rehsos.standards.panels import renovation as panels
from rehsos.standards.tests.factories import (
    AnswerFactory,
    AssessmentFactory,
    renovation_gap,
    small_catalogue,
)

Status = RenovationProject.Status
TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def png(name="foto.png", colour=(200, 80, 40)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.requires_two_factor:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def api_for(user) -> Client:
    _token, raw = ApiToken.issue(user, "test")
    return Client(headers={"authorization": f"Bearer {raw}"})


@pytest.fixture
def consultant(db):
    return UserFactory(
        username="konsultan.bangunan",
        first_name="Konsultan",
        last_name="Pengawas",
        role=Role.STANDARDS_ASSESSOR,
    )


@pytest.fixture
def version(db):
    return small_catalogue(domains=(Domain.ACCESS,), per_domain=2)


@pytest.fixture
def gaps(handayani, version):
    audit = AssessmentFactory(
        facility=handayani,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        status=Assessment.Status.SUBMITTED,
        started_on=days_ago(300),
    )
    first, second = version.criteria.order_by("order")
    return (
        renovation_gap(handayani, first, assessment=audit, text="Ramp too steep (1:8)."),
        renovation_gap(handayani, second, assessment=audit, text="No accessible toilet."),
    )


@pytest.fixture
def jica(db):
    return PartnerFactory(code="jica", acronym="JICA")


@pytest.fixture
def project(national_admin, handayani, gaps, consultant, jica):
    project = services.create_project(
        national_admin,
        facility=handayani,
        title="Accessible dormitory",
        scope="Ramps and an accessible toilet block.",
        budget=Decimal("500000000"),
        starts_on=days_ago(120),
        planned_end_on=days_ago(10),
        actions=list(gaps),
        partner=jica,
        agreement=AgreementFactory(partner=jica),
        contractor="PT Bangun Sarana Contoh",
        consultant="CV Konsultan Teknik Contoh",
        consultant_user=consultant,
    )
    services.set_milestones(
        national_admin,
        project,
        milestones=[
            {"name": "Ramps", "weight": 40, "planned_on": days_ago(90)},
            {"name": "Toilet block", "weight": 60, "planned_on": days_ago(30)},
        ],
        version=project.version,
    )
    project.refresh_from_db()
    for status in (Status.TENDERING, Status.IN_PROGRESS):
        project = services.change_status(
            national_admin, project, to=status, version=project.version
        )
    return project


@pytest.fixture
def admin_client(national_admin):
    return signed_in(national_admin)


# --- the list and the project page -------------------------------------------------------


def test_the_list_shows_progress_and_pins_its_queries(
    admin_client, project, consultant, django_assert_num_queries
):
    services.add_supervision_report(consultant, project, reported_on=days_ago(60), progress=20)
    admin_client.get(reverse("standards:renovation_list"))  # warm the session and caches
    with django_assert_num_queries(11):
        response = admin_client.get(reverse("standards:renovation_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Accessible dormitory" in html
    assert 'class="table-danger"' in html  # 20 % done where 60 % was planned
    assert "Rp 500,000,000" in html


def test_the_project_page_shows_the_curve_the_money_the_reports_and_the_chain(
    admin_client, project, consultant, national_admin
):
    services.add_supervision_report(
        consultant,
        project,
        reported_on=days_ago(60),
        progress=55,
        findings="Handrail height 85 cm: correct.",
        photos=[png()],
        caption="Ramp, east side",
    )
    services.add_disbursement(national_admin, project, amount=100_000_000, paid_on=days_ago(50))
    response = admin_client.get(reverse("standards:renovation_detail", args=[project.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-line="planned"' in html
    assert 'data-line="actual"' in html
    assert 'data-line="disbursed"' in html
    assert "data-scurve-table" in html
    assert "Handrail height 85 cm" in html
    assert "Ramp, east side" in html
    assert html.count('data-step="') == 14  # two gaps × seven steps
    assert "Ramp too steep" in html
    photo = SupervisionPhoto.objects.get()
    assert reverse("standards:renovation_photo", args=[project.public_id, photo.pk]) in html


def test_a_partner_viewer_and_an_employer_cannot_open_the_pages(project):
    for role in (Role.PARTNER_VIEWER, Role.EMPLOYER):
        client = signed_in(UserFactory(username=f"x.{role}", role=role))
        for name in ("standards:renovation_list",):
            assert client.get(reverse(name)).status_code == 403
        url = reverse("standards:renovation_detail", args=[project.public_id])
        assert client.get(url).status_code == 403


def test_a_centre_out_of_scope_sees_no_project(project, galih_pakuan):
    head = UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    client = signed_in(head)
    assert (
        client.get(reverse("standards:renovation_detail", args=[project.public_id])).status_code
        == 404
    )
    assert (
        "Accessible dormitory"
        not in client.get(reverse("standards:renovation_list")).content.decode()
    )


# --- create and edit --------------------------------------------------------------------


def test_create_picks_the_centre_then_its_gaps(admin_client, handayani, gaps, jica):
    url = reverse("standards:renovation_create")
    picker = admin_client.get(url)
    assert picker.status_code == 200
    assert handayani.code in picker.content.decode()
    page = admin_client.get(url, {"facility": handayani.code})
    html = page.content.decode()
    assert "Ramp too steep" in html
    koica_grant = AgreementFactory(partner=PartnerFactory(code="koica", acronym="KOICA"))
    data = {
        "facility": handayani.code,
        "title": "Fire safety upgrade",
        "scope": "Fire alarm and two emergency exits.",
        "actions": [str(gaps[0].public_id)],
        "partner": "jica",
        "agreement": str(koica_grant.public_id),
        "budget": "250000000",
        "starts_on": "2026-08-01",
        "planned_end_on": "2026-12-31",
    }
    refused = admin_client.post(url, data)
    assert refused.status_code == 422
    assert 'data-field-error="agreement"' in refused.content.decode()
    assert not RenovationProject.objects.exists()
    data["agreement"] = ""
    created = admin_client.post(url, data)
    project = RenovationProject.objects.get()
    assert created.status_code == 302
    assert created["Location"] == reverse("standards:renovation_detail", args=[project.public_id])
    assert list(project.actions.all()) == [gaps[0]]
    assert project.partner == jica


def test_a_stale_edit_shows_both_versions(admin_client, project, national_admin):
    url = reverse("standards:renovation_edit", args=[project.public_id])
    form = admin_client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["actions"] = form.initial["actions"]
    data["title"] = "Mine"
    services.update_project(national_admin, project, version=project.version, title="Theirs")
    response = admin_client.post(url, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "data-conflict" in html
    assert "Theirs" in html
    project.refresh_from_db()
    assert project.title == "Theirs"


# --- milestones, money --------------------------------------------------------------------


def test_milestones_page_names_the_row_and_the_sum(admin_client, project):
    url = reverse("standards:renovation_milestones", args=[project.public_id])
    form = admin_client.get(url)
    assert form.status_code == 200
    data = {
        "version": project.version,
        "m-TOTAL_FORMS": "3",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "0",
        "m-MAX_NUM_FORMS": "60",
        "m-0-name": "Ramps",
        "m-0-weight": "40",
        "m-0-planned_on": str(days_ago(90)),
        "m-1-name": "Toilet block",
        "m-1-weight": "50",
        "m-1-planned_on": str(days_ago(300)),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field-error="m-1-planned_on"' in html
    data["m-1-planned_on"] = str(days_ago(30))
    response = admin_client.post(url, data)
    assert response.status_code == 422
    assert "must still sum to 100" in response.content.decode()
    data["m-1-weight"] = "60"
    assert admin_client.post(url, data).status_code == 302


def test_money_page_asks_for_a_note_beyond_the_budget(admin_client, project):
    url = reverse("standards:renovation_disbursements", args=[project.public_id])
    data = {
        "action": "add",
        "status": "paid",
        "paid_on": str(days_ago(5)),
        "amount": "4000000",
        "currency": "USD",
        "rate": "16250",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 422  # Rp 65,000,000,000 against Rp 500,000,000
    assert 'data-field-error="note"' in response.content.decode()
    data.update(amount="20000", note="")
    assert admin_client.post(url, data).status_code == 302
    assert project.disbursements.get().amount_rp == Decimal("325000000")


# --- supervision ----------------------------------------------------------------------


def test_the_consultant_reports_with_photos_and_the_photo_is_served(project, consultant):
    client = signed_in(consultant)
    url = reverse("standards:renovation_report", args=[project.public_id])
    response = client.post(
        url,
        {
            "reported_on": str(days_ago(40)),
            "progress": "62.5",
            "findings": "Toilet tiles laid.",
            "photos": [png("a.png"), png("b.png", (10, 10, 10))],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = SupervisionReport.objects.get()
    assert (report.progress, report.author) == (Decimal("62.5"), consultant)
    photos = list(report.photos.order_by("pk"))
    assert len(photos) == 2
    assert photos[0].file.name.startswith("standards/supervision/")
    served = client.get(
        reverse("standards:renovation_photo", args=[project.public_id, photos[0].pk])
    )
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


def test_a_file_that_is_not_an_image_is_refused_with_nothing_stored(project, consultant):
    client = signed_in(consultant)
    fake = SimpleUploadedFile("foto.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = client.post(
        reverse("standards:renovation_report", args=[project.public_id]),
        {"reported_on": str(days_ago(40)), "progress": "50", "photos": [fake]},
    )
    assert response.status_code == 422
    assert "JPEG or PNG" in response.content.decode()
    assert not SupervisionReport.objects.exists()
    assert not SupervisionPhoto.objects.exists()


def test_another_consultant_may_not_report_on_the_page(project):
    stranger = UserFactory(username="konsultan.lain", role=Role.STANDARDS_ASSESSOR)
    client = signed_in(stranger)
    url = reverse("standards:renovation_report", args=[project.public_id])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reported_on": str(TODAY), "progress": "10"}).status_code == 403
    assert not SupervisionReport.objects.exists()


# --- handover, re-assessment, closing ---------------------------------------------------


def test_handover_reassessment_and_closing_on_the_pages(
    admin_client, project, consultant, gaps, version
):
    handover = reverse("standards:renovation_handover", args=[project.public_id])
    services.add_supervision_report(consultant, project, reported_on=days_ago(40), progress=90)
    refused = admin_client.post(
        handover,
        {
            "handed_over_on": str(days_ago(5)),
            "note": "Keys to the head.",
            "version": project.version,
        },
    )
    assert refused.status_code == 422
    assert 'data-field-error="progress"' not in refused.content.decode()  # a form-wide error
    assert "handed over only at 100" in refused.content.decode()
    services.add_supervision_report(consultant, project, reported_on=days_ago(9), progress=100)
    done = admin_client.post(
        handover,
        {
            "handed_over_on": str(days_ago(8)),
            "note": "Keys to the head.",
            "version": project.version,
        },
    )
    assert done.status_code == 302
    project.refresh_from_db()
    reaudit = AssessmentFactory(
        facility=project.facility,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        status=Assessment.Status.SUBMITTED,
        started_on=days_ago(3),
    )
    first, second = version.criteria.order_by("order")
    AnswerFactory(assessment=reaudit, criterion=first, rating=3)
    AnswerFactory(assessment=reaudit, criterion=second, rating=0)
    link = admin_client.post(
        reverse("standards:renovation_reassessment", args=[project.public_id]),
        {"assessment": str(reaudit.public_id), "version": project.version},
    )
    assert link.status_code == 302
    project.refresh_from_db()
    close_url = reverse("standards:renovation_close", args=[project.public_id])
    preview = admin_client.get(close_url).content.decode()
    assert preview.count("data-check=") == 2
    assert "rated the criterion below met" in preview
    closed = admin_client.post(
        close_url, {"version": project.version, "note": "Toilet: in the 2027 own-budget plan."}
    )
    assert closed.status_code == 302
    assert Action.objects.get(pk=gaps[0].pk).status == Action.Status.DONE
    assert Action.objects.get(pk=gaps[1].pk).status == Action.Status.OPEN
    page = admin_client.get(reverse("standards:renovation_detail", args=[project.public_id]))
    html = page.content.decode()
    assert f'data-proven="{gaps[0].pk}"' in html
    assert f'data-open="{gaps[1].pk}"' in html
    chain = admin_client.get(reverse("standards:renovation_action_chain", args=[gaps[0].public_id]))
    assert chain.status_code == 200
    assert chain.content.decode().count('data-done="yes"') == 7


# --- panels -----------------------------------------------------------------------------


def test_the_centre_panel_lists_its_projects(project, national_admin, facility_head, galih_pakuan):
    request = RequestFactory().get("/")
    request.user = facility_head
    panel = panels.renovation_projects(request, project.facility)
    assert [row.project for row in panel.context["rows"]] == [project]
    assert panel.context["may_create"] is False
    request.user = national_admin
    assert panels.renovation_projects(request, galih_pakuan).context["rows"] == []


def test_the_consultant_sees_the_works_they_supervise_on_the_home_page(project, consultant):
    stranger = UserFactory(username="konsultan.lain", role=Role.STANDARDS_ASSESSOR)
    assert panels.renovation_works(stranger) is None
    panel = panels.renovation_works(consultant)
    assert [row.project for row in panel.context["rows"]] == [project]
    html = signed_in(consultant).get("/").content.decode()
    assert 'data-panel="renovation-works"' in html


# --- the API ---------------------------------------------------------------------------


def test_api_create_refuses_an_agreement_of_another_partner(national_admin, handayani, jica):
    api = api_for(national_admin)
    koica_grant = AgreementFactory(partner=PartnerFactory(code="koica"))
    body = {
        "facility": handayani.code,
        "title": "Fire safety",
        "scope": "Alarm and exits.",
        "budget": 250000000,
        "starts_on": "2026-08-01",
        "planned_end_on": "2026-12-31",
        "partner": "jica",
        "agreement": str(koica_grant.public_id),
    }
    response = api.post("/api/v1/standards/renovations", body, content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["agreement"]
    body["agreement"] = None
    created = api.post("/api/v1/standards/renovations", body, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["partner"] == "jica"


def test_api_detail_has_the_curve_and_a_stale_patch_is_409(project, national_admin, consultant):
    services.add_supervision_report(consultant, project, reported_on=days_ago(60), progress=20)
    api = api_for(national_admin)
    url = f"/api/v1/standards/renovations/{project.public_id}"
    detail = api.get(url).json()
    assert detail["curve"]["planned"] == [
        {"day": str(days_ago(120)), "percent": 0.0},
        {"day": str(days_ago(90)), "percent": 40.0},
        {"day": str(days_ago(30)), "percent": 100.0},
    ]
    # 60 days ago: 40 + 60 × 30/60 = 70 planned, 20 actual.
    assert detail["curve"]["planned_at_latest"] == 70.0
    assert detail["curve"]["deviation"] == -50.0
    assert detail["behind"] is True
    assert [m["name"] for m in detail["milestones"]] == ["Ramps", "Toilet block"]
    ok = api.patch(
        url, {"version": detail["version"], "budget": 600000000}, content_type="application/json"
    )
    assert ok.status_code == 200
    stale = api.patch(
        url, {"version": detail["version"], "title": "Old"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["budget"] == 600000000
    project.refresh_from_db()
    assert project.title == "Accessible dormitory"


def test_api_supervision_photos_handover_and_close(
    project, national_admin, consultant, version, gaps
):
    stranger = api_for(UserFactory(username="konsultan.lain", role=Role.STANDARDS_ASSESSOR))
    base = f"/api/v1/standards/renovations/{project.public_id}"
    body = {"reported_on": str(days_ago(9)), "progress": 100, "findings": "All done."}
    refused = stranger.post(f"{base}/supervision-reports", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    api = api_for(consultant)
    report = api.post(f"{base}/supervision-reports", body, content_type="application/json")
    assert report.status_code == 201
    upload = api.post(
        f"{base}/photos", {"report": report.json()["id"], "files": [png(), png("c.png")]}
    )
    assert upload.status_code == 201, upload.content
    photos = upload.json()["photos"]
    assert len(photos) == 2
    assert api.get(photos[0]["url"]).status_code == 200
    bad = api.post(
        f"{base}/photos",
        {"report": report.json()["id"], "files": [SimpleUploadedFile("x.png", b"%PDF-1.4 no")]},
    )
    assert bad.status_code == 422
    assert SupervisionPhoto.objects.count() == 2

    admin = api_for(national_admin)
    project.refresh_from_db()
    handover = admin.post(
        f"{base}/handover",
        {"handed_over_on": str(days_ago(8)), "note": "Keys.", "version": project.version},
        content_type="application/json",
    )
    assert handover.status_code == 200
    reaudit = AssessmentFactory(
        facility=project.facility,
        version=version,
        status=Assessment.Status.SUBMITTED,
        started_on=days_ago(2),
    )
    for criterion in version.criteria.all():
        AnswerFactory(assessment=reaudit, criterion=criterion, rating=2)
    version_now = handover.json()["version"]
    linked = admin.post(
        f"{base}/reassessment",
        {"assessment": str(reaudit.public_id), "version": version_now},
        content_type="application/json",
    )
    assert linked.status_code == 200
    closed = admin.post(
        f"{base}/close", {"version": linked.json()["version"]}, content_type="application/json"
    )
    assert closed.status_code == 200
    result = closed.json()
    assert result["status"] == "closed"
    assert sorted(r["action"] for r in result["closing_result"]["proven"]) == sorted(
        g.pk for g in gaps
    )
    assert result["closing_result"]["open"] == []


def test_api_milestones_and_money(project, national_admin):
    api = api_for(national_admin)
    base = f"/api/v1/standards/renovations/{project.public_id}"
    short = api.put(
        f"{base}/milestones",
        {
            "version": project.version,
            "milestones": [{"name": "All", "weight": 90, "planned_on": str(days_ago(30))}],
        },
        content_type="application/json",
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "milestones"
    tranche = api.post(
        f"{base}/disbursements",
        {"amount": "1000.50", "currency": "JPY", "rate": "104.3", "paid_on": str(days_ago(3))},
        content_type="application/json",
    )
    assert tranche.status_code == 201
    assert tranche.json()["amount_rp"] == 104352  # 1,000.50 × 104.3 = 104,352.15
    assert len(api.get(f"{base}/disbursements").json()) == 1


def test_api_list_pins_its_queries(project, national_admin, django_assert_num_queries):
    api = api_for(national_admin)
    api.get("/api/v1/standards/renovations")
    with django_assert_num_queries(6):
        response = api.get("/api/v1/standards/renovations")
    assert [p["title"] for p in response.json()["items"]] == ["Accessible dormitory"]


def test_every_page_of_a_project_opens(admin_client, project, consultant, national_admin):
    report = services.add_supervision_report(
        consultant, project, reported_on=days_ago(60), progress=40, photos=[png()]
    )
    services.add_disbursement(
        national_admin,
        project,
        amount=5000,
        currency="USD",
        rate=16000,
        status="planned",
        planned_on=TODAY,
    )
    pages = [
        reverse(f"standards:renovation_{name}", args=[project.public_id])
        for name in (
            "detail",
            "edit",
            "milestones",
            "disbursements",
            "report",
            "photos_add",
            "handover",
            "reassessment",
            "close",
            "chain",
        )
    ]
    pages += [reverse("standards:renovation_list"), reverse("standards:renovation_create")]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    milestones = admin_client.get(pages[2]).content.decode()
    assert 'value="Toilet block"' in milestones
    money = admin_client.get(pages[3]).content.decode()
    assert "Rp 80,000,000" in money  # the planned tranche: 5,000 × 16,000
    photos = admin_client.get(pages[5] + f"?report={report.pk}").content.decode()
    assert f'<option value="{report.pk}" selected>' in photos


def test_the_project_page_in_indonesian(admin_client, project, consultant):
    """Dates, numbers and rupiah in the Indonesian locale (the translations of the texts
    are added when the messages are extracted)."""
    services.add_supervision_report(consultant, project, reported_on=days_ago(60), progress=12.5)
    response = admin_client.get(
        reverse("standards:renovation_detail", args=[project.public_id]),
        headers={"accept-language": "id"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="id"' in html
    assert "Rp 500.000.000" in html
    assert "12,50" in html


def test_status_change_on_the_page(admin_client, project):
    url = reverse("standards:renovation_status", args=[project.public_id])
    refused = admin_client.post(url, {"to": "cancelled", "version": project.version})
    assert refused.status_code == 422
    assert 'data-field-error="reason"' in refused.content.decode()
    stale = admin_client.post(url, {"to": "cancelled", "version": 1, "reason": "x" * 12})
    assert stale.status_code == 409
    assert "data-conflict" in stale.content.decode()
    done = admin_client.post(
        url,
        {"to": "cancelled", "version": project.version, "reason": "Funds moved elsewhere."},
    )
    assert done.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.cancel_reason) == (Status.CANCELLED, "Funds moved elsewhere.")
