"""The partner's view: the centres its partner funds, with aggregates and progress,
never personal data; only its own centres; an unlinked account gets an explanation."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import FacilityFactory, UserFactory
from rehsos.partners.models import PartnerUser
from rehsos.partners.tests.factories import AgreementFactory, PartnerFactory
from rehsos.standards import scoring
from rehsos.standards import selectors_renovation as selectors
from rehsos.standards import services_renovation as services
from rehsos.standards.models import Action, Assessment, Domain, RenovationProject
from rehsos.standards.tests.factories import (
    AnswerFactory,
    AssessmentFactory,
    renovation_gap,
    small_catalogue,
)

TODAY = timezone.localdate()
Status = RenovationProject.Status
# Names that must never reach a partner.
CONSULTANT_NAME = "Sutrisno Wiryawan"
HEAD_NAME = "Ratna Kusumawati"
FINDINGS = "Pak Budi the caretaker complained about the noise"


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (90, 90, 90)).save(buffer, format="JPEG")
    return SimpleUploadedFile("lokasi.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def world(national_admin, handayani, galih_pakuan):
    """JICA funds works at Handayani and an action at a third centre; KOICA funds works
    at Galih Pakuan."""
    version = small_catalogue(domains=(Domain.ACCESS, Domain.SAFETY), per_domain=2)
    jica = PartnerFactory(code="jica", name="Japan International Cooperation Agency")
    koica = PartnerFactory(code="koica", name="Korea International Cooperation Agency")
    jica_grant = AgreementFactory(partner=jica, title="JICA grant aid")
    consultant = UserFactory(
        username="sutrisno.w",
        first_name="Sutrisno",
        last_name="Wiryawan",
        role=Role.STANDARDS_ASSESSOR,
    )
    UserFactory(
        username="ratna.k",
        first_name="Ratna",
        last_name="Kusumawati",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )
    # Handayani's latest audit: the critical ACC-1 and SAFE-1 fail, SAFE-2 partly met.
    audit = AssessmentFactory(
        facility=handayani,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        status=Assessment.Status.SUBMITTED,
        started_on=days_ago(200),
    )
    ratings = {"ACC-1": 0, "ACC-2": 2, "SAFE-1": 1, "SAFE-2": 3}
    for criterion in version.criteria.all():
        AnswerFactory(assessment=audit, criterion=criterion, rating=ratings[criterion.code])
    ramp = renovation_gap(handayani, version.criteria.get(code="ACC-1"), assessment=audit)
    works = services.create_project(
        national_admin,
        facility=handayani,
        title="Accessible dormitory",
        scope="Ramps and handrails.",
        budget=Decimal("400000000"),
        starts_on=days_ago(100),
        planned_end_on=days_ago(1),
        actions=[ramp],
        agreement=jica_grant,
        contractor="PT Bangun Sarana Contoh",
        consultant="CV Konsultan Teknik Contoh",
        consultant_user=consultant,
    )
    services.set_milestones(
        national_admin,
        works,
        milestones=[{"name": "Everything", "weight": 100, "planned_on": days_ago(1)}],
        version=works.version,
    )
    works.refresh_from_db()
    for status in (Status.TENDERING, Status.IN_PROGRESS):
        works = services.change_status(national_admin, works, to=status, version=works.version)
    services.add_supervision_report(
        consultant,
        works,
        reported_on=days_ago(50),
        progress=30,
        findings=FINDINGS,
        photos=[photo()],
        caption="Workers on the roof",
    )
    services.add_disbursement(national_admin, works, amount=100_000_000, paid_on=days_ago(40))
    # KOICA's works at Galih Pakuan.
    services.create_project(
        national_admin,
        facility=galih_pakuan,
        title="Detox ward",
        scope="A new ward.",
        budget=Decimal("900000000"),
        starts_on=days_ago(30),
        planned_end_on=TODAY + datetime.timedelta(days=200),
        partner=koica,
    )
    # An action at a third centre funded by JICA's grant.
    third = FacilityFactory(code="pstw-budi-mulia", name="Sentra Budi Mulia", clusters=["LU"])
    Action.objects.create(
        facility=third,
        title="Emergency lighting in the dormitory",
        due_on=days_ago(10),
        cost_estimate=Decimal("35000000"),
        funding=Action.Funding.PARTNER,
        agreement=jica_grant,
    )
    viewer = UserFactory(username="jica.viewer", role=Role.PARTNER_VIEWER)
    PartnerUser.objects.create(user=viewer, partner=jica)
    return {"jica": jica, "viewer": viewer, "works": works, "audit": audit, "third": third}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_portfolio_holds_only_the_partners_centres_with_their_figures(
    world, handayani, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        portfolio = selectors.partner_portfolio(world["jica"])
    centres = {c.code: c for c in portfolio.centres}
    assert set(centres) == {"brsampk-handayani", "pstw-budi-mulia"}
    mine = centres["brsampk-handayani"]
    expected = scoring.score(world["audit"])
    assert mine.score == expected.percent
    assert mine.critical_gaps == len(expected.critical_failed) == 2
    assert mine.passed is False
    assert mine.assessed_on == days_ago(200)
    assert (mine.actions_open, mine.actions_overdue) == (1, 1)
    [project] = mine.projects
    assert (project.budget, project.paid) == (Decimal("400000000"), Decimal("100000000"))
    assert project.actual_percent == Decimal(30)
    # Planned on a straight line over 99 days; 50 days ago: 50/99 → 50.51 %.
    assert project.curve.planned_at_latest == Decimal("50.51")
    assert project.behind is True
    third = centres["pstw-budi-mulia"]
    assert (third.funded_actions, third.funded_open, third.funded_cost) == (
        1,
        1,
        Decimal("35000000"),
    )
    assert third.score is None
    assert portfolio.budget == Decimal("400000000")


def test_the_page_shows_aggregates_and_no_personal_data(world):
    client = signed_in(world["viewer"])
    response = client.get(reverse("standards:partner_portfolio"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-centre="brsampk-handayani"' in html
    assert 'data-centre="pstw-budi-mulia"' in html
    assert "Galih Pakuan" not in html
    assert "Detox ward" not in html
    centre = client.get(reverse("standards:partner_centre", args=["brsampk-handayani"]))
    assert centre.status_code == 200
    for page in (html, centre.content.decode()):
        for secret in (CONSULTANT_NAME, "sutrisno.w", HEAD_NAME, FINDINGS, "PT Bangun Sarana"):
            assert secret not in page
        assert "Workers on the roof" not in page
        assert "/photos/" not in page
    assert 'data-line="actual"' in centre.content.decode()
    assert (
        client.get(reverse("standards:partner_centre", args=["brskpn-galih-pakuan"])).status_code
        == 404
    )


def test_the_api_gives_the_same_aggregates_and_no_personal_data(world):
    _token, raw = ApiToken.issue(world["viewer"], "test")
    api = Client(headers={"authorization": f"Bearer {raw}"})
    response = api.get("/api/v1/partners/portfolio")
    assert response.status_code == 200
    body = response.json()
    assert body["partner"]["code"] == "jica"
    assert [c["code"] for c in body["centres"]] == ["pstw-budi-mulia", "brsampk-handayani"]
    handayani = body["centres"][1]
    assert handayani["critical_gaps"] == 2
    assert handayani["projects"][0]["paid_rp"] == 100000000
    assert handayani["projects"][0]["behind"] is True
    text = response.content.decode()
    for secret in (
        CONSULTANT_NAME,
        "sutrisno",
        HEAD_NAME,
        FINDINGS,
        "PT Bangun Sarana",
        "Workers on the roof",
        "/photos/",
    ):
        assert secret not in text
    # The partner viewer reaches none of the standards pages or endpoints.
    assert api.get("/api/v1/standards/renovations").status_code == 403
    url = f"/api/v1/standards/renovations/{world['works'].public_id}"
    assert api.get(url).status_code == 403
    browser = signed_in(world["viewer"])
    page = reverse("standards:renovation_detail", args=[world["works"].public_id])
    assert browser.get(page).status_code == 403


def test_an_unlinked_partner_viewer_gets_an_explanation(world):
    lost = UserFactory(username="viewer.tanpa.mitra", role=Role.PARTNER_VIEWER)
    response = signed_in(lost).get(reverse("standards:partner_portfolio"))
    assert response.status_code == 200
    assert "data-no-partner" in response.content.decode()
    assert "Sentra Handayani" not in response.content.decode()
    _token, raw = ApiToken.issue(lost, "test")
    body = Client(headers={"authorization": f"Bearer {raw}"}).get("/api/v1/partners/portfolio")
    assert body.status_code == 200
    assert body.json()["partner"] is None
    assert body.json()["centres"] == []
    assert "not linked" in body.json()["message"]


def test_other_roles_have_no_portfolio(world, analyst):
    assert signed_in(analyst).get(reverse("standards:partner_portfolio")).status_code == 403
