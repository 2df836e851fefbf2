"""`rehsos load-demo` grows the standards work of the four model centres: assessments
with evidence, improvement plans, inventories, renovation, staff and an internship
cohort — all through the services; nothing added on a second run."""

from io import StringIO

import pytest
from django.core.management import call_command

from rehsos.core.models import User
from rehsos.demo.standards import MODEL_CENTRES
from rehsos.facilities.models import Facility
from rehsos.partners.models import PartnerUser
from rehsos.standards import scoring
from rehsos.standards.models import (
    Action,
    Assessment,
    Attestation,
    Evidence,
    Finding,
    InventoryItem,
    RenovationProject,
    StockTake,
    SupervisionReport,
)
from rehsos.workforce.models import Application, ReentryAction, StaffMember, Training

MODEL_CODES = [centre.code for centre in MODEL_CENTRES]


def load() -> str:
    out = StringIO()
    call_command("load_demo", "--persons", "0", "--without-cases", stdout=out)
    return out.getvalue()


def tallies() -> tuple:
    models = (Assessment, Action, InventoryItem, RenovationProject, StaffMember, Application)
    return tuple(model.objects.count() for model in models)


@pytest.mark.django_db
def test_the_model_centres_get_the_whole_standards_story_once():
    assert "9 standards assessments" in load()
    models = Facility.objects.filter(is_model=True)
    assert models.count() == 4
    assert {c for f in models for c in f.clusters} == {"LU", "ANAK", "PD", "KPN"}

    for facility in models:
        kinds = set(
            Assessment.objects.filter(facility=facility, status="submitted").values_list(
                "kind", flat=True
            )
        )
        assert kinds == {"self", "external"}, facility.code
        assert facility.capacities.exists()
        assert facility.rooms.exists()
        assert InventoryItem.objects.filter(facility=facility).exists()
        assert StockTake.objects.filter(facility=facility, finished_at__isnull=False).exists()
        assert StaffMember.objects.filter(facility=facility).count() >= 10

    audits = Assessment.objects.filter(kind="external")
    scores = scoring.scores(list(audits.values_list("pk", flat=True)))
    assert all(score.percent is not None for score in scores.values())
    assert Evidence.objects.filter(kind="photo").exists()
    # Every recommendation became an action; some are done, with evidence.
    recommendations = Finding.objects.filter(kind="recommendation")
    assert recommendations.count() == Action.objects.filter(finding__isnull=False).count() > 0
    done = Action.objects.filter(status="done")
    assert done.exists()
    # Done with evidence, or proven by the re-audit that closed a renovation.
    assert all(
        action.evidence.exists() or action.renovations.filter(status="closed").exists()
        for action in done
    )
    assert Attestation.objects.filter(facility__code="brsampk-handayani").count() == 1

    # One renovation closed by a re-audit, one in progress with supervision reports.
    closed = RenovationProject.objects.get(status="closed")
    assert closed.reassessment is not None
    assert closed.reassessment.started_on > closed.handed_over_on
    assert RenovationProject.objects.filter(status="in_progress").exists()
    assert SupervisionReport.objects.filter(photos__isnull=False).exists()

    assert Training.objects.filter(participants__isnull=False).exists()
    selected = Application.objects.filter(decision="selected")
    assert selected.count() == 4
    decided = Application.objects.exclude(decision__in=["pending", "ineligible"])
    assert all(a.rationale for a in decided)
    assert ReentryAction.objects.filter(status="done").exists()
    assert PartnerUser.objects.filter(user__username="mitra.jica").exists()

    before = tallies()
    assert "nothing to add" in load()
    assert tallies() == before


@pytest.mark.django_db
def test_the_demo_pages_open_for_every_role_that_works_on_standards(client):
    load()
    pages = ["/", "/standards/", "/standards/dashboard/", "/workforce/", "/centres/"]
    pages += [f"/centres/{code}/" for code in MODEL_CODES]
    pages += [f"/standards/centres/{code}/dashboard/" for code in MODEL_CODES]
    for username in ("admin.nasional", "analis.nasional", "asesor.standar"):
        client.force_login(User.objects.get(username=username))
        for url in pages:
            response = client.get(url, follow=True)
            # Every role here reads every centre's page and the standards of its scope.
            assert response.status_code == 200, (username, url, response.status_code)
    for username in ("kepala.handayani", "dinsos.dki"):
        client.force_login(User.objects.get(username=username))
        for url in pages:
            # A centre's head and a provincial officer: the dashboards of centres
            # outside their scope are not found; every other page opens.
            status = client.get(url, follow=True).status_code
            expected = (200, 404) if url.endswith("/dashboard/") and "centres" in url else (200,)
            assert status in expected, (username, url, status)
    # The partner sees its centres, and nothing of the others' standards pages.
    client.force_login(User.objects.get(username="mitra.jica"))
    portfolio = client.get("/standards/partner/")
    assert portfolio.status_code == 200
    assert "Inten Suweno" in portfolio.content.decode()
    assert client.get("/standards/dashboard/").status_code == 403
