"""Standards reports: the facility and national reports' figures, PDF (valid, with
pages) and XLSX (re-opened by openpyxl, the right sheets and numbers), in English and
Indonesian; made by a background job from the page and the API; scoped."""

import datetime
import io
import re
import zlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from PIL import Image

from rehsos.core.jobs import execute_job
from rehsos.core.models import ApiToken, Job
from rehsos.core.roles import Role
from rehsos.core.tests.factories import FacilityFactory, UserFactory
from rehsos.standards.models import (
    Action,
    Assessment,
    Disbursement,
    Domain,
    Evidence,
    Finding,
    Milestone,
    RenovationProject,
    SupervisionReport,
)
from rehsos.standards.reports import facility as facility_data
from rehsos.standards.reports import national as national_data
from rehsos.standards.reports import pdf, xlsx
from rehsos.standards.reports.jobs import start_report
from rehsos.standards.tests.factories import rated_assessment, small_catalogue

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (120, 160, 90)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(handayani, galih_pakuan):
    version = small_catalogue()
    for c in version.criteria.all():
        c.text_id = f"Teks kriteria {c.code}"
        c.text_en = f"Criterion text {c.code}"
        c.save()
    handayani.is_model = True
    handayani.save()
    rated_assessment(
        facility=handayani,
        version=version,
        ratings={"ACC-1": 2, "ACC-2": 2, "ACC-3": 1, "SAFE-1": 2, "SAFE-2": 2, "SAFE-3": 2},
    )
    external = rated_assessment(
        facility=handayani,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        visit_on=datetime.date(2026, 3, 2),
        ratings={"ACC-1": 2, "ACC-2": 3, "ACC-3": 0, "SAFE-1": 1, "SAFE-2": "na", "SAFE-3": 2},
    )
    answer = external.answers.get(criterion__code="ACC-3")
    stored = default_storage.save("standards/evidence/ramp.jpg", ContentFile(_jpeg()))
    Evidence.objects.create(
        answer=answer,
        kind=Evidence.Kind.PHOTO,
        file=stored,
        original_name="ramp.jpg",
        content_type="image/jpeg",
        size=default_storage.size(stored),
        sha256="0" * 64,
        caption="Ramp to the dormitory, 1:8",
        valid_from=datetime.date(2026, 3, 2),
    )
    finding = Finding.objects.create(
        assessment=external,
        criterion=answer.criterion,
        kind=Finding.Kind.RECOMMENDATION,
        text="Rebuild the ramp at 1:12 with handrails on both sides.",
    )
    Action.objects.create(
        facility=handayani,
        finding=finding,
        criterion=answer.criterion,
        title="Rebuild the dormitory ramp",
        due_on=datetime.date(2026, 5, 31),
        cost_estimate=Decimal("45000000"),
    )
    Action.objects.create(
        facility=handayani,
        title="Fire drill twice a year",
        due_on=datetime.date(2026, 9, 1),
        status=Action.Status.DONE,
        closed_on=datetime.date(2026, 4, 1),
        cost_estimate=Decimal("2000000"),
    )
    project = RenovationProject.objects.create(
        facility=handayani,
        title="Accessible dormitory block",
        scope="Ramps, handrails, accessible bathrooms.",
        budget=Decimal("1000000000"),
        contractor="PT Bangun Sejahtera",
        status=RenovationProject.Status.IN_PROGRESS,
        starts_on=datetime.date(2026, 1, 5),
        planned_end_on=datetime.date(2026, 12, 20),
    )
    Milestone.objects.create(
        project=project, name="Ramps", weight=40, planned_on=datetime.date(2026, 4, 1)
    )
    Milestone.objects.create(
        project=project, name="Bathrooms", weight=60, planned_on=datetime.date(2026, 10, 1)
    )
    Disbursement.objects.create(
        project=project,
        paid_on=datetime.date(2026, 2, 1),
        amount=Decimal("300000000"),
        amount_rp=Decimal("300000000"),
    )
    Disbursement.objects.create(
        project=project,
        status=Disbursement.Status.PLANNED,
        planned_on=datetime.date(2026, 8, 1),
        amount=Decimal("500000000"),
        amount_rp=Decimal("500000000"),
    )
    SupervisionReport.objects.create(
        project=project,
        reported_on=datetime.date(2026, 5, 15),
        progress=Decimal("25"),
        findings="Ramp formwork done; handrails not yet ordered.",
    )
    rated_assessment(
        facility=galih_pakuan,
        version=version,
        ratings={"ACC-1": 0, "ACC-2": 2, "ACC-3": 0, "SAFE-1": 2, "SAFE-2": 2, "SAFE-3": 2},
    )
    return {"version": version, "external": external, "project": project}


def pdf_pages(content: bytes) -> int:
    """The number of page objects, read from the PDF's (compressed) object streams."""
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    text = content
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.DOTALL):
        try:
            text += zlib.decompress(stream)
        except zlib.error:
            continue
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", text))


# --- the figures ---------------------------------------------------------------------


def test_facility_report_figures(world, handayani):
    report = facility_data.facility_report(handayani, today=TODAY)
    assert report.main == world["external"]
    assert report.main_score.passed is False
    assert [d.code for d in report.domains] == [Domain.ACCESS, Domain.SAFETY]
    access = report.domains[0]
    # self: (1 + 2 + 3×0.5) / 6 = 75.00; external: (1 + 2 + 0) / 6 = 50.00
    assert (access.own, access.external) == (Decimal("75.00"), Decimal("50.00"))
    assert report.domains[1].critical_failed == ("SAFE-1",)
    # Gaps: critical SAFE-1 first, then ACC-3 with its finding and its overdue action.
    assert [g.code for g in report.gaps] == ["SAFE-1", "ACC-3"]
    ramp = report.gaps[1]
    assert ramp.findings == ("Rebuild the ramp at 1:12 with handrails on both sides.",)
    assert ramp.action == "Open"
    assert report.action_totals.overdue == 1
    assert report.action_totals.cost_open == Decimal("45000000")
    assert report.actions[0].overdue is True
    row = report.renovations[0]
    assert (row.paid, row.paid_percent) == (Decimal("300000000"), Decimal("30.00"))
    assert (row.planned_percent, row.actual_percent, row.slip) == (
        Decimal("40.00"),
        Decimal("25.00"),
        Decimal("-15.00"),
    )
    assert len(report.photos) == 1
    assert report.photos[0].data_uri.startswith("data:image/jpeg;base64,")
    assert report.photos[0].label == "ACC-3"
    assert report.agreement.pairs == 5


def test_a_missing_photo_file_is_left_out(world, handayani):
    default_storage.delete("standards/evidence/ramp.jpg")
    assert facility_data.facility_report(handayani, today=TODAY).photos == []


def test_national_report_figures(world, handayani, galih_pakuan, provincial_officer):
    FacilityFactory(code="lks-tanpa-audit", name="LKS Tanpa Audit", region_id="31.75.03.1001")
    report = national_data.national_report(None, today=TODAY, with_photos=False)
    assert len(report.centres) == 3
    assert len(report.assessed) == 2
    assert [c.facility for c in report.models] == [handayani]
    access = next(d for d in report.domains if d.code == Domain.ACCESS)
    # Handayani's audit 50.00 (its latest), Galih Pakuan's self 50.00 ((0+2+0)/6 → 33.33)
    assert access.centres == 2
    assert (access.lowest, access.highest) == (Decimal("33.33"), Decimal("50.00"))
    assert access.failed == 1  # Galih Pakuan's ACC-1
    gaps = {g.code: g for g in report.frequent_gaps}
    assert gaps["ACC-3"].centres == 2
    assert gaps["ACC-3"].percent == Decimal("100.00")
    assert report.frequent_gaps[0].code == "ACC-3"
    assert [c.facility for c in report.lowest] == [handayani, galih_pakuan]  # 65.00, 66.67
    assert report.actions.overdue == 1
    assert report.renovation_paid == Decimal("300000000")
    # A provincial officer of DKI Jakarta sees the centres of the province only.
    scoped = national_data.national_report(provincial_officer, today=TODAY, with_photos=False)
    assert {c.facility.province_code for c in scoped.centres} == {"31"}
    assert galih_pakuan not in [c.facility for c in scoped.centres]
    assert scoped.scope_label.startswith("Province")


# --- PDF and XLSX --------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "id"])
def test_facility_pdf_and_xlsx(world, handayani, lang):
    with translation.override(lang):
        report = facility_data.facility_report(handayani, today=TODAY)
        html = pdf.render_to_string("standards/reports/facility_pdf.html", {"report": report})
        content = pdf.facility_pdf(report)
        book = load_workbook(io.BytesIO(xlsx.facility_xlsx(report)))
        titles = xlsx.sheet_titles()
        score_heading = gettext("Score")
    assert pdf_pages(content) >= 2  # the criteria annex starts a page of its own
    assert html.count("data:image/jpeg;base64,") == 1
    assert ("Teks kriteria ACC-3" if lang == "id" else "Criterion text ACC-3") in html
    assert score_heading in html
    if lang == "id":
        assert score_heading != "Score"  # an Indonesian heading, not the English source
    assert book.sheetnames == [
        titles["scores"],
        titles["criteria"],
        titles["gaps"],
        titles["actions"],
        titles["renovation"],
        titles["about"],
    ]
    scores = list(book[titles["scores"]].iter_rows(values_only=True))
    assert scores[1][1:5] == ("ACC", 75, 50, 50)  # self, external, the audit's
    if lang == "en":
        assert scores[1][0] == "Site and building accessibility"
    assert scores[-1][4] == pytest.approx(float(report.main_score.percent))
    gaps = list(book[titles["gaps"]].iter_rows(values_only=True))
    assert [g[0] for g in gaps[1:]] == ["SAFE-1", "ACC-3"]
    actions = list(book[titles["actions"]].iter_rows(values_only=True))
    assert actions[1][5] == 45000000
    renovation = list(book[titles["renovation"]].iter_rows(values_only=True))
    assert renovation[1][8] == 300000000


@pytest.mark.parametrize("lang", ["en", "id"])
def test_national_pdf_and_xlsx(world, lang):
    with translation.override(lang):
        report = national_data.national_report(None, today=TODAY)
        content = pdf.national_pdf(report)
        html = pdf.render_to_string("standards/reports/national_pdf.html", {"report": report})
        book = load_workbook(io.BytesIO(xlsx.national_xlsx(report)))
        titles = xlsx.sheet_titles()
        centre = gettext("Centre")
        no = gettext("no")
    assert pdf_pages(content) >= 2
    assert html.count("data:image/jpeg;base64,") == 1  # a model centre's evidence
    if lang == "id":
        assert centre != "Centre"
        assert "Teks kriteria ACC-3" in html
    scores = list(book[titles["scores"]].iter_rows(values_only=True))
    assert scores[0][1] == centre
    by_code = {row[0]: row for row in scores[1:]}
    # Handayani's latest is the audit: (1 + 2 + 0 + 0.5 + 3) / (6 + 4) = 65.00
    assert by_code["brsampk-handayani"][7] == 65
    assert by_code["brsampk-handayani"][3] != no  # a model centre
    # Galih Pakuan: (0 + 2 + 0 + 1 + 2 + 3) / 12 = 66.67, ACC-1 (critical) not met
    assert by_code["brskpn-galih-pakuan"][7] == pytest.approx(66.67)
    assert by_code["brskpn-galih-pakuan"][9] == no
    gaps = list(book[titles["gaps"]].iter_rows(values_only=True))
    # Handayani: ACC-3 and SAFE-1 (critical); Galih Pakuan: ACC-1 (critical) and ACC-3
    assert sorted(g[:1] + g[3:] for g in gaps[1:]) == [
        ("brsampk-handayani", 2, 1, "SAFE-1", "ACC-3, SAFE-1"),
        ("brskpn-galih-pakuan", 2, 1, "ACC-1", "ACC-1, ACC-3"),
    ]
    criteria = list(book[titles["criteria"]].iter_rows(values_only=True))
    codes = ["ACC-1", "ACC-2", "ACC-3", "SAFE-1", "SAFE-2", "SAFE-3"]
    assert [row[0] for row in criteria[1:]] == codes
    assert criteria[3][4:] == (2, 2, 100)  # ACC-3: rated by 2 centres, unmet by 2


# --- jobs, page and API --------------------------------------------------------------


def test_the_page_queues_a_report_and_the_job_makes_it(
    client, analyst, world, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    url = reverse("standards:report_facility")
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"centre": "brsampk-handayani", "format": "pdf", "lang": "id"})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:job", args=[job.public_id])
    assert job.params["lang"] == "id"
    assert execute_job(str(job.public_id))["status"] == "done"
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert "/standards-brsampk-handayani-id-" in job.result_file.name
    assert job.result_file.name.endswith(".pdf")
    assert job.result_file.read().startswith(b"%PDF-")
    assert (job.done, job.total) == (4, 4)
    download = client.get(reverse("core:job_download", args=[job.public_id]))
    assert download.status_code == 200


def test_the_page_names_a_bad_field(client, provincial_officer, world):
    client.force_login(provincial_officer)
    response = client.post(
        reverse("standards:report_facility"),
        {"centre": "brskpn-galih-pakuan", "format": "docx", "lang": "fr"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    for field in ("centre", "format", "lang"):
        assert f'data-field-error="{field}"' in html
    assert not Job.objects.exists()


def test_the_api_queues_a_national_report(analyst, world, django_capture_on_commit_callbacks):
    _token, raw = ApiToken.issue(analyst, "tests")
    api = Client(headers={"authorization": f"Bearer {raw}"})
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/standards/reports",
            {"report": "national", "format": "xlsx", "lang": "id"},
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    execute_job(body["id"])
    body = api.get(body["url"]).json()
    assert body["status"] == "done", body["error"]
    assert body["result"]["lang"] == "id"
    assert body["file"]
    book = load_workbook(io.BytesIO(api.get(body["file"]).getvalue()))
    with translation.override("id"):
        assert book.sheetnames[0] == xlsx.sheet_titles()["scores"]
    bad = api.post(
        "/api/v1/standards/reports",
        {"report": "facility", "format": "pdf"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "centre" in bad.content.decode()


def test_partners_get_no_report(world):
    partner = UserFactory(username="mitra.koica", role=Role.PARTNER_VIEWER)
    with pytest.raises(Exception, match="permission"):
        start_report(user=partner, report="national", fmt="pdf")
    client = Client()
    client.force_login(partner)
    assert client.get(reverse("standards:report_national")).status_code == 403
