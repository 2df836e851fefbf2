"""The standards dashboards on a small world checked by hand.

Handayani (a model centre) was audited against a catalogue of six criteria, three
per domain, the first of each domain critical:

    ACC-1  critical  partly met (1)   → a failed critical criterion: a critical gap
    ACC-2            met (2)
    ACC-3            not applicable   → out of the denominator
    SAFE-1 critical  exceeds (3)
    SAFE-2           not met (0)
    SAFE-3           met (2)

Applicable 5, met 3 (ACC-2, SAFE-1, SAFE-3): 60.00 % of criteria met; one critical
gap open (ACC-1). Its earlier self-assessment rated everything "met" (100 %).
Galih Pakuan's self-assessment met all six: 100.00 %, no gap. Together: 9 of 11
applicable criteria met = 81.82 %.

Handayani's actions: one open and overdue (Rp 1,000,000, own budget), one in
progress due in 10 days (Rp 2,500,000, partner), one open without an estimate
(not funded), one done.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rehsos.core.models import ApiToken
from rehsos.core.tests.factories import FacilityFactory
from rehsos.partners.models import Agreement, Partner
from rehsos.standards import scoring, selectors_dashboard
from rehsos.standards.models import Action, Assessment
from rehsos.standards.selectors_dashboard import NationalFilters
from rehsos.standards.tests.factories import AnswerFactory, AssessmentFactory, small_catalogue

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def assess(facility, version, kind, ratings: dict, *, submitted: datetime.date, visit=None):
    assessment = AssessmentFactory(
        facility=facility,
        version=version,
        kind=kind,
        status=Assessment.Status.SUBMITTED,
        started_on=submitted - datetime.timedelta(days=3),
        visit_on=visit,
        submitted_at=at(submitted),
    )
    for criterion in version.criteria.all():
        rating = ratings.get(criterion.code, 2)
        AnswerFactory(
            assessment=assessment,
            criterion=criterion,
            rating=None if rating == "na" else rating,
            not_applicable=rating == "na",
        )
    return assessment


@pytest.fixture
def world(handayani, galih_pakuan):
    handayani.is_model = True
    handayani.save()
    version = small_catalogue()
    assess(handayani, version, Assessment.Kind.SELF, {}, submitted=days(-60))
    audit = assess(
        handayani,
        version,
        Assessment.Kind.EXTERNAL,
        {"ACC-1": 1, "ACC-2": 2, "ACC-3": "na", "SAFE-1": 3, "SAFE-2": 0, "SAFE-3": 2},
        submitted=days(-20),
        visit=days(-25),
    )
    assess(galih_pakuan, version, Assessment.Kind.SELF, {}, submitted=days(-5))
    partner = Partner.objects.create(code="jica", name="JICA", kind=Partner.Kind.BILATERAL)
    grant = Agreement.objects.create(
        partner=partner, kind=Agreement.Kind.GRANT, title="Grant", status=Agreement.Status.SIGNED
    )
    common = {"facility": handayani}
    Action.objects.create(title="Late", due_on=days(-1), cost_estimate=1_000_000, **common)
    Action.objects.create(
        title="Going",
        due_on=days(10),
        status=Action.Status.IN_PROGRESS,
        cost_estimate=2_500_000,
        funding=Action.Funding.PARTNER,
        agreement=grant,
        **common,
    )
    Action.objects.create(title="Unfunded", due_on=days(40), funding=Action.Funding.NONE, **common)
    Action.objects.create(
        title="Finished",
        due_on=days(-30),
        status=Action.Status.DONE,
        cost_estimate=9_000_000,
        **common,
    )
    return {"version": version, "audit": audit}


# --- one centre -------------------------------------------------------------------


def test_the_centre_figures(world, handayani, facility_head):
    board = selectors_dashboard.centre_dashboard(facility_head, handayani)
    assert board.latest == world["audit"]
    assert board.met_percent == Decimal("60.00")
    assert (board.latest_score.met, board.latest_score.applicable) == (3, 5)
    assert [gap.code for gap in board.gaps] == ["ACC-1"]
    assert board.gaps_uncovered == 1
    assert {row.status: row.count for row in board.by_status} == {
        "open": 2,
        "in_progress": 1,
        "done": 1,
        "cancelled": 0,
    }
    assert (board.overdue, board.due_soon, board.open_actions) == (1, 1, 3)
    costs = {row.funding: (row.actions, row.total, row.unestimated) for row in board.costs}
    assert costs == {
        "own": (1, Decimal(1_000_000), 0),
        "partner": (1, Decimal(2_500_000), 0),
        "none": (1, Decimal(0), 1),
    }
    assert board.open_cost == Decimal(3_500_000)
    assert board.last_audit_on == days(-25)
    accessibility = next(row for row in board.domains if row.domain == "ACC")
    # Self: all met → 100 %. Audit: ACC-1 (weight 1) half, ACC-2 (weight 2) full, ACC-3
    # N/A → 2.5 of 3 = 83.33 %, failed by its critical criterion.
    assert accessibility.self_score.percent == Decimal("100.00")
    assert accessibility.external.percent == Decimal("83.33")
    assert accessibility.external.failed
    assert accessibility.gap == Decimal("-16.67")
    assert board.attestation.due


def test_an_action_on_the_criterion_covers_the_gap_unless_cancelled(
    world, handayani, facility_head
):
    ramp = world["version"].criteria.get(code="ACC-1")
    cover = Action.objects.create(
        facility=handayani, title="Rebuild the ramp", due_on=days(50), criterion=ramp
    )
    board = selectors_dashboard.centre_dashboard(facility_head, handayani)
    assert board.gaps[0].actions == (cover,)
    assert board.gaps_uncovered == 0
    Action.objects.filter(pk=cover.pk).update(status=Action.Status.CANCELLED)
    board = selectors_dashboard.centre_dashboard(facility_head, handayani)
    assert board.gaps_uncovered == 1


def test_the_centre_page(client, world, handayani, facility_head):
    client.force_login(facility_head)
    assert client.get("/standards/").url == f"/standards/centres/{handayani.code}/dashboard/"
    html = client.get(f"/standards/centres/{handayani.code}/dashboard/").content.decode()
    assert 'data-figure="met-percent">60.00%' in html
    assert 'data-figure="critical-gaps">1' in html
    assert 'data-figure="overdue">1' in html
    assert 'data-gap="ACC-1"' in html
    assert "data-uncovered" in html
    assert "data-open-cost>Rp 3,500,000" in html
    assert client.get("/standards/dashboard/").status_code == 200  # only its own centre there
    assert client.get(f"/standards/centres/{'brskpn-galih-pakuan'}/dashboard/").status_code == 404


# --- the nation -------------------------------------------------------------------


def test_the_national_figures(world, national_admin, handayani, galih_pakuan):
    board = selectors_dashboard.national_dashboard(national_admin)
    assert [row.code for row in board.models] == [handayani.code]
    rows = {row.code: row for row in board.rows}
    mine = rows[handayani.code]
    assert (mine.met_percent, mine.critical_gaps, mine.uncovered_gaps) == (Decimal("60.00"), 1, 1)
    assert (mine.open_actions, mine.overdue, mine.last_audit_on) == (3, 1, days(-25))
    assert mine.assessment_kind == "external"
    other = rows[galih_pakuan.code]
    assert (other.met_percent, other.critical_gaps, other.overdue, other.last_audit_on) == (
        Decimal("100.00"),
        0,
        0,
        None,
    )
    totals = board.totals
    assert (totals.centres, totals.assessed, totals.met, totals.applicable) == (2, 2, 9, 11)
    assert totals.met_percent == Decimal("81.82")
    assert (totals.critical_gaps, totals.overdue, totals.open_actions) == (1, 1, 3)
    assert board.model_totals.met_percent == Decimal("60.00")


def test_the_national_counts_agree_with_scoring(world, handayani, galih_pakuan):
    ids = list(scoring.latest_assessments().values()) + [
        a.pk for a in Assessment.objects.filter(kind=Assessment.Kind.SELF)
    ]
    full = scoring.scores(ids)
    lean = selectors_dashboard.summaries(ids)
    assert set(lean) == set(full)
    for aid, mark in full.items():
        summary = lean[aid]
        assert (summary.met, summary.applicable, summary.met_percent) == (
            mark.met,
            mark.applicable,
            mark.met_percent,
        )
        assert summary.critical_gaps == len(mark.critical_failed)
    assert lean[world["audit"].pk].uncovered_gaps == 1


def test_filters_and_sorting(world, national_admin, handayani, galih_pakuan):
    FacilityFactory(code="lks-baru", name="LKS Baru", kind="lks", clusters=["LU"])
    by_cluster = selectors_dashboard.national_dashboard(
        national_admin, NationalFilters(cluster="KPN")
    )
    assert [row.code for row in by_cluster.rows] == [galih_pakuan.code]
    assert [row.code for row in by_cluster.models] == [handayani.code]  # always shown
    by_province = selectors_dashboard.national_dashboard(
        national_admin, NationalFilters(province="32")
    )
    assert [row.code for row in by_province.rows] == [galih_pakuan.code]
    by_kind = selectors_dashboard.national_dashboard(national_admin, NationalFilters(kind="lks"))
    assert [row.code for row in by_kind.rows] == ["lks-baru"]
    best_first = selectors_dashboard.national_dashboard(
        national_admin, NationalFilters(sort="-met")
    )
    # Never assessed goes last whichever the direction.
    assert [row.code for row in best_first.rows] == [galih_pakuan.code, handayani.code, "lks-baru"]
    worst_first = selectors_dashboard.national_dashboard(
        national_admin, NationalFilters(sort="met")
    )
    assert [row.code for row in worst_first.rows] == [handayani.code, galih_pakuan.code, "lks-baru"]


def test_a_provincial_officer_sees_the_province(world, provincial_officer, handayani):
    board = selectors_dashboard.national_dashboard(provincial_officer)
    assert [row.code for row in board.rows] == [handayani.code]
    assert board.totals.met_percent == Decimal("60.00")


def test_the_queries_do_not_grow_with_the_number_of_centres(world, national_admin):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors_dashboard.national_dashboard(national_admin)
        return len(captured)

    before = count_queries()
    for n in range(4):
        centre = FacilityFactory(code=f"sentra-{n}", name=f"Sentra {n}")
        assess(centre, world["version"], Assessment.Kind.EXTERNAL, {}, submitted=days(-n - 1))
        Action.objects.create(facility=centre, title="Late", due_on=days(-3))
    assert count_queries() == before
    board = selectors_dashboard.national_dashboard(national_admin)
    assert board.totals.centres == 6
    assert board.totals.overdue == 5


def test_the_national_page_and_csv(client, world, analyst, handayani):
    client.force_login(analyst)
    assert client.get("/standards/").url == "/standards/dashboard/"
    html = client.get("/standards/dashboard/?sort=-gaps").content.decode()
    assert 'data-table="models"' in html
    assert 'data-total="met">81.82%' in html
    assert html.index('data-centre="brsampk-handayani"') < html.index(
        'data-centre="brskpn-galih-pakuan"'
    )
    csv = client.get("/standards/dashboard/?format=csv&cluster=ANAK")
    lines = csv.content.decode().strip().splitlines()
    assert lines[0].startswith("Code,Centre,Province")
    assert lines[1].startswith("brsampk-handayani,Sentra Handayani,")
    assert ",60.00," in lines[1]
    assert len(lines) == 2


def test_the_dashboard_api(client, world, handayani, analyst):
    _token, raw = ApiToken.issue(analyst, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    centre = client.get(f"/api/v1/standards/dashboard/centres/{handayani.code}").json()
    assert centre["met_percent"] == "60.00"
    assert [g["code"] for g in centre["critical_gaps"]] == ["ACC-1"]
    assert centre["overdue"] == 1
    assert centre["open_cost_by_funding"] == {"own": 1000000, "partner": 2500000, "none": 0}
    national = client.get("/api/v1/standards/dashboard?sort=-met").json()
    assert national["totals"]["met_percent"] == "81.82"
    assert [row["facility"] for row in national["centres"]] == [
        "brskpn-galih-pakuan",
        handayani.code,
    ]
    bad = client.get("/api/v1/standards/dashboard?kind=castle&sort=size")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"kind", "sort"}
