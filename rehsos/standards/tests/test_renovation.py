"""Renovation projects, the services: the project and its links, the status rules,
milestones, money, supervision reports, handover, the re-assessment and closing, the
S-curve and the chain from an audit finding to the action closed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.roles import Role
from rehsos.core.tests.factories import UserFactory
from rehsos.partners.tests.factories import AgreementFactory, PartnerFactory
from rehsos.standards import selectors_renovation as selectors
from rehsos.standards import services_renovation as services
from rehsos.standards.models import (
    Action,
    Assessment,
    Disbursement,
    Domain,
    Milestone,
    RenovationProject,
    SupervisionReport,
)
from rehsos.standards.models.renovation import RenovationEvent
from rehsos.standards.tests.factories import (
    AnswerFactory,
    AssessmentFactory,
    RenovationProjectFactory,
    renovation_gap,
    small_catalogue,
)

Status = RenovationProject.Status
TODAY = timezone.localdate()
START = datetime.date(2026, 1, 1)
D = datetime.date


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def consultant(db):
    return UserFactory(username="konsultan.bangunan", role=Role.STANDARDS_ASSESSOR)


@pytest.fixture
def jica(db):
    return PartnerFactory(code="jica", name="Japan International Cooperation Agency")


@pytest.fixture
def jica_grant(jica):
    return AgreementFactory(partner=jica, title="Grant aid for four model centres")


@pytest.fixture
def version(db):
    return small_catalogue(domains=(Domain.ACCESS,), per_domain=3)


@pytest.fixture
def gaps(handayani, version):
    criteria = list(version.criteria.order_by("order"))
    audit = AssessmentFactory(
        facility=handayani,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        status=Assessment.Status.SUBMITTED,
        started_on=days_ago(400),
    )
    ramp = renovation_gap(handayani, criteria[0], assessment=audit, text="Ramp too steep (1:8).")
    toilet = renovation_gap(
        handayani, criteria[1], assessment=audit, text="No accessible toilet in the dormitory."
    )
    return ramp, toilet


def new_project(user, facility, **extra):
    data = {
        "facility": facility,
        "title": "Accessible dormitory",
        "scope": "Ramps, handrails and an accessible toilet block.",
        "budget": Decimal("1000000000"),
        "starts_on": days_ago(200),
        "planned_end_on": days_ago(20),
        "contractor": "PT Bangun Sarana Contoh",
        "consultant": "CV Konsultan Teknik Contoh",
    }
    data.update(extra)
    return services.create_project(user, **data)


def plan_and_start(user, project, weights=((40, 150), (60, 60))) -> RenovationProject:
    """Milestones (weight, planned days ago), tendering, works in progress."""
    services.set_milestones(
        user,
        project,
        milestones=[
            {"name": f"Stage {i + 1}", "weight": w, "planned_on": days_ago(d)}
            for i, (w, d) in enumerate(weights)
        ],
        version=project.version,
    )
    project.refresh_from_db()
    project = services.change_status(user, project, to=Status.TENDERING, version=project.version)
    return services.change_status(user, project, to=Status.IN_PROGRESS, version=project.version)


@pytest.fixture
def works(national_admin, handayani, gaps, consultant, jica, jica_grant):
    project = new_project(
        national_admin,
        handayani,
        actions=list(gaps),
        partner=jica,
        agreement=jica_grant,
        consultant_user=consultant,
    )
    return plan_and_start(national_admin, project)


# --- the project and its links ----------------------------------------------------------


def test_a_project_links_its_centres_gaps_partner_and_agreement(
    national_admin, handayani, gaps, jica, jica_grant
):
    project = new_project(
        national_admin, handayani, actions=list(gaps), agreement=jica_grant, budget="750000000"
    )
    assert project.partner == jica  # the agreement names its partner
    assert project.budget == Decimal("750000000")
    assert project.province_code == "31"
    assert set(project.actions.all()) == set(gaps)
    assert project.status == Status.PLANNED
    assert RenovationEvent.objects.filter(project=project, kind="created").count() == 1


def test_an_agreement_of_another_partner_is_refused(national_admin, handayani, jica):
    koica_grant = AgreementFactory(partner=PartnerFactory(code="koica", acronym="KOICA"))
    with pytest.raises(ValidationFailed) as raised:
        new_project(national_admin, handayani, partner=jica, agreement=koica_grant)
    assert set(raised.value.fields) == {"agreement"}
    assert "KOICA" in str(raised.value.fields["agreement"])
    assert not RenovationProject.objects.exists()


def test_only_actions_of_the_same_centre_can_be_linked(
    national_admin, handayani, galih_pakuan, version
):
    elsewhere = renovation_gap(galih_pakuan, version.criteria.first())
    with pytest.raises(ValidationFailed) as raised:
        new_project(national_admin, handayani, actions=[elsewhere])
    assert set(raised.value.fields) == {"actions"}
    assert not RenovationProject.objects.exists()


def test_the_consultants_account_must_be_a_standards_assessor(
    national_admin, handayani, facility_head
):
    with pytest.raises(ValidationFailed) as raised:
        new_project(national_admin, handayani, consultant_user=facility_head)
    assert set(raised.value.fields) == {"consultant_user"}


def test_bad_budget_and_dates_are_named(national_admin, handayani):
    with pytest.raises(ValidationFailed) as raised:
        new_project(
            national_admin, handayani, budget="12.50", planned_end_on=days_ago(300), title=" "
        )
    assert set(raised.value.fields) == {"budget", "planned_end_on", "title"}


def test_only_renovation_managers_create_projects(facility_head, handayani):
    with pytest.raises(PermissionDenied):
        new_project(facility_head, handayani)
    assert not RenovationProject.objects.exists()


def test_an_edit_carries_the_version_it_read(national_admin, handayani):
    project = new_project(national_admin, handayani)
    services.update_project(
        national_admin, project, version=project.version, budget=Decimal("900000000")
    )
    with pytest.raises(Conflict):
        services.update_project(national_admin, project, version=1, title="Another title")
    project.refresh_from_db()
    assert (project.version, project.title, project.budget) == (
        2,
        "Accessible dormitory",
        Decimal("900000000"),
    )


# --- status and milestones --------------------------------------------------------------


def test_works_start_only_when_the_weights_sum_to_100(national_admin, handayani):
    project = new_project(national_admin, handayani)
    services.set_milestones(
        national_admin,
        project,
        milestones=[
            {"name": "Foundations", "weight": "40", "planned_on": days_ago(150)},
            {"name": "Structure", "weight": "35.5", "planned_on": days_ago(100)},
        ],
        version=1,
    )
    project.refresh_from_db()
    project = services.change_status(
        national_admin, project, to=Status.TENDERING, version=project.version
    )
    with pytest.raises(ValidationFailed) as raised:
        services.change_status(
            national_admin, project, to=Status.IN_PROGRESS, version=project.version
        )
    assert set(raised.value.fields) == {"milestones"}
    assert "75.50" in str(raised.value.fields["milestones"])
    project.refresh_from_db()
    assert project.status == Status.TENDERING

    services.set_milestones(
        national_admin,
        project,
        milestones=[
            {"name": "Foundations", "weight": "40", "planned_on": days_ago(150)},
            {"name": "Structure", "weight": "35.5", "planned_on": days_ago(100)},
            {"name": "Finishing", "weight": "24.5", "planned_on": days_ago(40)},
        ],
        version=project.version,
    )
    project.refresh_from_db()
    project = services.change_status(
        national_admin, project, to=Status.IN_PROGRESS, version=project.version
    )
    assert project.status == Status.IN_PROGRESS


def test_weights_never_pass_100_and_stay_at_100_once_works_started(national_admin, works):
    too_much = [
        {"name": "A", "weight": 70, "planned_on": days_ago(150)},
        {"name": "B", "weight": 40, "planned_on": days_ago(100)},
    ]
    with pytest.raises(ValidationFailed) as raised:
        services.set_milestones(national_admin, works, milestones=too_much, version=works.version)
    assert "milestones" in raised.value.fields
    too_little = [{"name": "A", "weight": 90, "planned_on": days_ago(150)}]
    with pytest.raises(ValidationFailed) as raised:
        services.set_milestones(national_admin, works, milestones=too_little, version=works.version)
    assert "must still sum to 100" in str(raised.value.fields["milestones"])
    assert sorted(works.milestones.values_list("weight", flat=True)) == [40, 60]


def test_a_milestone_row_error_names_the_row(national_admin, handayani):
    project = new_project(national_admin, handayani)
    with pytest.raises(ValidationFailed) as raised:
        services.set_milestones(
            national_admin,
            project,
            milestones=[
                {"name": "Ok", "weight": 50, "planned_on": days_ago(150)},
                {"name": "", "weight": 0, "planned_on": days_ago(500)},
                {"name": "Done early", "weight": 10, "planned_on": days_ago(90), "done_on": TODAY},
            ],
            version=1,
        )
    assert set(raised.value.fields) == {
        "milestones.1.name",
        "milestones.1.weight",
        "milestones.1.planned_on",
        "milestones.2.done_on",
    }
    assert not Milestone.objects.exists()


def test_status_rules(national_admin, handayani):
    project = new_project(national_admin, handayani)
    with pytest.raises(ValidationFailed) as raised:
        services.change_status(national_admin, project, to=Status.IN_PROGRESS, version=1)
    assert "tendering" in str(raised.value.fields["status"])
    with pytest.raises(ValidationFailed) as raised:
        services.change_status(national_admin, project, to=Status.HANDED_OVER, version=1)
    assert "handover" in str(raised.value.fields["status"])
    with pytest.raises(ValidationFailed) as raised:
        services.change_status(national_admin, project, to=Status.CANCELLED, version=1)
    assert set(raised.value.fields) == {"reason"}
    project = services.change_status(
        national_admin,
        project,
        to=Status.CANCELLED,
        version=1,
        reason="The partner moved the funds to another centre.",
    )
    assert project.cancel_reason.startswith("The partner moved")
    with pytest.raises(ValidationFailed):
        services.update_project(national_admin, project, version=project.version, title="New")


# --- money ----------------------------------------------------------------------------


def test_a_payment_in_yen_is_converted_and_rounded(national_admin, works):
    tranche = services.add_disbursement(
        national_admin,
        works,
        amount=Decimal("1234567"),
        currency="jpy",
        rate=Decimal("108.456789"),
        paid_on=days_ago(100),
    )
    # 1,234,567 × 108.456789 = 133,897,172.625363 → 133,897,173
    assert tranche.currency == "JPY"
    assert tranche.amount_rp == Decimal("133897173")
    with pytest.raises(ValidationFailed) as raised:
        services.add_disbursement(national_admin, works, amount=1000, rate=2, paid_on=TODAY)
    assert set(raised.value.fields) == {"rate"}  # rupiah has the rate 1


def test_money_beyond_the_budget_needs_a_note(national_admin, works):
    services.add_disbursement(national_admin, works, amount=600_000_000, paid_on=days_ago(90))
    services.add_disbursement(
        national_admin,
        works,
        amount=300_000_000,
        status=Disbursement.Status.PLANNED,
        planned_on=TODAY + datetime.timedelta(days=30),
    )
    with pytest.raises(ValidationFailed) as raised:
        services.add_disbursement(national_admin, works, amount=200_000_000, paid_on=days_ago(1))
    assert set(raised.value.fields) == {"note"}
    assert works.disbursements.count() == 2
    services.add_disbursement(
        national_admin,
        works,
        amount=200_000_000,
        paid_on=days_ago(1),
        note="Addendum 1: extra retaining wall approved by the partner.",
    )
    totals = selectors.money(works)
    assert totals["paid"] == Decimal("800000000")
    assert totals["planned"] == Decimal("300000000")
    assert totals["over"] is True


def test_a_planned_tranche_is_paid_once(national_admin, works):
    tranche = services.add_disbursement(
        national_admin,
        works,
        amount=100,
        currency="USD",
        rate=16000,
        status=Disbursement.Status.PLANNED,
        planned_on=TODAY,
    )
    paid = services.pay_disbursement(national_admin, tranche, paid_on=TODAY, rate=16250)
    assert (paid.status, paid.amount_rp) == (Disbursement.Status.PAID, Decimal("1625000"))
    with pytest.raises(ValidationFailed):
        services.pay_disbursement(national_admin, tranche, paid_on=TODAY)
    with pytest.raises(ValidationFailed):
        services.remove_disbursement(national_admin, tranche)


# --- supervision ----------------------------------------------------------------------


def test_progress_may_not_go_down_without_a_note(consultant, works):
    services.add_supervision_report(consultant, works, reported_on=days_ago(120), progress=30)
    with pytest.raises(ValidationFailed) as raised:
        services.add_supervision_report(consultant, works, reported_on=days_ago(90), progress=25)
    assert set(raised.value.fields) == {"progress_note"}
    # A back-dated report above a later one would make the later one a decrease.
    with pytest.raises(ValidationFailed) as raised:
        services.add_supervision_report(consultant, works, reported_on=days_ago(130), progress=35)
    assert set(raised.value.fields) == {"progress_note"}
    assert SupervisionReport.objects.count() == 1
    report = services.add_supervision_report(
        consultant,
        works,
        reported_on=days_ago(90),
        progress=25,
        progress_note="Part of the ramp was demolished: its slope failed the check.",
    )
    assert report.author == consultant
    assert report.progress_note.startswith("Part of the ramp")


def test_a_consultant_who_is_not_the_projects_cannot_report(works):
    stranger = UserFactory(username="konsultan.lain", role=Role.STANDARDS_ASSESSOR)
    with pytest.raises(PermissionDenied):
        services.add_supervision_report(stranger, works, reported_on=days_ago(10), progress=50)
    assert not SupervisionReport.objects.exists()


def test_no_report_before_the_works_start(consultant, national_admin, handayani):
    project = new_project(national_admin, handayani, consultant_user=consultant)
    with pytest.raises(ValidationFailed) as raised:
        services.add_supervision_report(consultant, project, reported_on=TODAY, progress=5)
    assert "status" in raised.value.fields


def test_handover_only_at_100_percent(national_admin, consultant, works):
    services.add_supervision_report(consultant, works, reported_on=days_ago(30), progress=95)
    with pytest.raises(ValidationFailed) as raised:
        services.hand_over(
            national_admin,
            works,
            handed_over_on=days_ago(5),
            note="Keys handed.",
            version=works.version,
        )
    assert set(raised.value.fields) == {"progress"}
    assert "95" in str(raised.value.fields["progress"])
    works.refresh_from_db()
    assert works.status == Status.IN_PROGRESS

    services.add_supervision_report(consultant, works, reported_on=days_ago(10), progress=100)
    with pytest.raises(ValidationFailed) as raised:
        services.hand_over(
            national_admin, works, handed_over_on=days_ago(12), note="Keys.", version=works.version
        )
    assert set(raised.value.fields) == {"handed_over_on"}
    project = services.hand_over(
        national_admin,
        works,
        handed_over_on=days_ago(8),
        note="Handed to the head of the centre; snag list of 4 items.",
        version=works.version,
    )
    assert (project.status, project.handed_over_on) == (Status.HANDED_OVER, days_ago(8))


# --- the S-curve ----------------------------------------------------------------------


def test_the_s_curve_of_a_small_project(db):
    project = RenovationProjectFactory.build(
        starts_on=D(2026, 1, 1), planned_end_on=D(2026, 3, 31), budget=Decimal(1_000_000)
    )
    milestones = [
        Milestone(name="Foundations", weight=Decimal(30), planned_on=D(2026, 1, 31)),
        Milestone(name="Roof", weight=Decimal(70), planned_on=D(2026, 3, 2)),
    ]
    reports = [
        SupervisionReport(reported_on=D(2026, 1, 21), progress=Decimal(20)),
        SupervisionReport(reported_on=D(2026, 2, 15), progress=Decimal(50)),
    ]
    tranches = [
        Disbursement(status="paid", paid_on=D(2026, 1, 5), amount_rp=Decimal(200_000)),
        Disbursement(status="paid", paid_on=D(2026, 2, 20), amount_rp=Decimal(150_000)),
        Disbursement(status="planned", planned_on=D(2026, 3, 31), amount_rp=Decimal(650_000)),
    ]
    curve = selectors.build_curve(project, milestones, reports, tranches, today=D(2026, 2, 15))
    assert curve.planned == [(D(2026, 1, 1), 0), (D(2026, 1, 31), 30), (D(2026, 3, 2), 100)]
    assert curve.actual == [(D(2026, 1, 1), 0), (D(2026, 1, 21), 20), (D(2026, 2, 15), 50)]
    assert curve.disbursed == [(D(2026, 1, 5), 20), (D(2026, 2, 20), 35)]
    # 15 of the 30 days from 31 January to 2 March: 30 + 70 × 15/30 = 65.
    assert curve.planned_at_latest == Decimal("65.00")
    assert curve.deviation == Decimal("-15.00")
    assert curve.behind is True
    # 20 of 30 days in January: 30 × 20/30 = 20 — on plan at the first report.
    table = {p.day: p for p in curve.points}
    assert table[D(2026, 1, 21)].planned == Decimal("20.00")
    assert table[D(2026, 1, 21)].actual == Decimal(20)
    assert table[D(2026, 2, 20)].disbursed == Decimal(35)
    assert table[D(2026, 2, 20)].actual is None
    assert table[D(2026, 3, 31)].planned == Decimal(100)
    assert (curve.paid_rp, curve.planned_rp) == (Decimal(350_000), Decimal(650_000))
    assert curve.planned_today == Decimal("65.00")
    svg = selectors.chart(curve, today=D(2026, 2, 15))
    # 0 % at the start: the bottom left corner of the plot.
    assert svg["planned"].split()[0] == f"{float(svg['left'])},{float(svg['bottom'])}"
    assert len(svg["actual_dots"]) == 3


def test_ten_points_behind_is_not_yet_flagged(db):
    project = RenovationProjectFactory.build(starts_on=D(2026, 1, 1), planned_end_on=D(2026, 1, 31))
    curve = selectors.build_curve(
        project,
        [Milestone(name="All", weight=Decimal(100), planned_on=D(2026, 1, 31))],
        [SupervisionReport(reported_on=D(2026, 1, 16), progress=Decimal(40))],
        [],
    )
    assert curve.planned_at_latest == Decimal("50.00")
    assert (curve.deviation, curve.behind) == (Decimal("-10.00"), False)


# --- re-assessment, closing and the chain ----------------------------------------------


def handed_over(national_admin, consultant, works) -> RenovationProject:
    services.add_supervision_report(consultant, works, reported_on=days_ago(100), progress=45)
    services.add_supervision_report(consultant, works, reported_on=days_ago(20), progress=100)
    return services.hand_over(
        national_admin,
        works,
        handed_over_on=days_ago(15),
        note="Handed to the head of the centre.",
        version=works.version,
    )


def reaudit(facility, version, ratings: dict[str, int], **extra) -> Assessment:
    assessment = AssessmentFactory(
        facility=facility,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        status=extra.pop("status", Assessment.Status.SUBMITTED),
        started_on=extra.pop("started_on", days_ago(5)),
        **extra,
    )
    for criterion in version.criteria.all():
        AnswerFactory(assessment=assessment, criterion=criterion, rating=ratings[criterion.code])
    return assessment


def test_the_reassessment_must_be_of_the_centre_and_after_the_handover(
    national_admin, consultant, works, version, galih_pakuan
):
    project = handed_over(national_admin, consultant, works)
    ratings = {"ACC-1": 2, "ACC-2": 2, "ACC-3": 2}
    before = reaudit(project.facility, version, ratings, started_on=days_ago(16))
    elsewhere = reaudit(galih_pakuan, version, ratings)
    draft = reaudit(project.facility, version, ratings, status=Assessment.Status.IN_PROGRESS)
    for wrong in (before, elsewhere, draft):
        with pytest.raises(ValidationFailed) as raised:
            services.link_reassessment(
                national_admin, project, assessment=wrong, version=project.version
            )
        assert set(raised.value.fields) == {"assessment"}
    assert list(services.reassessment_candidates(project)) == []
    good = reaudit(project.facility, version, ratings, started_on=days_ago(15))
    assert list(services.reassessment_candidates(project)) == [good]


def test_closing_marks_the_proven_gaps_done_and_lists_the_others(
    national_admin, consultant, works, gaps, version
):
    ramp, toilet = gaps
    project = handed_over(national_admin, consultant, works)
    # The ramp is now met; the toilet is only partly met.
    check = reaudit(project.facility, version, {"ACC-1": 2, "ACC-2": 1, "ACC-3": 0})
    project = services.link_reassessment(
        national_admin, project, assessment=check, version=project.version
    )
    with pytest.raises(ValidationFailed) as raised:
        services.close_project(national_admin, project, version=project.version)
    assert set(raised.value.fields) == {"note"}
    ramp.refresh_from_db()
    assert ramp.status == Action.Status.OPEN  # nothing changed by the refusal

    project = services.close_project(
        national_admin,
        project,
        version=project.version,
        note="The toilet needs a wider door: added to the 2027 own-budget plan.",
    )
    assert project.status == Status.CLOSED
    assert project.closed_on == TODAY
    ramp.refresh_from_db()
    toilet.refresh_from_db()
    assert ramp.status == Action.Status.DONE
    assert ramp.closed_on == TODAY
    assert str(check.public_id) in ramp.closing_note
    assert "ACC-1" in ramp.closing_note
    assert toilet.status == Action.Status.OPEN
    assert [row["action"] for row in project.closing_result["proven"]] == [ramp.pk]
    assert project.closing_result["open"] == [
        {
            "action": toilet.pk,
            "title": toilet.title,
            "criterion": "ACC-2",
            "rating": 1,
            "reason": services.BELOW_MET,
        }
    ]


def test_closing_needs_a_handover_and_a_reassessment(national_admin, consultant, works):
    with pytest.raises(ValidationFailed) as raised:
        services.close_project(national_admin, works, version=works.version)
    assert set(raised.value.fields) == {"status"}
    project = handed_over(national_admin, consultant, works)
    with pytest.raises(ValidationFailed) as raised:
        services.close_project(national_admin, project, version=project.version)
    assert set(raised.value.fields) == {"assessment"}


def test_a_newer_catalogue_version_proves_the_same_code(
    national_admin, consultant, works, gaps, version
):
    newer = small_catalogue(domains=(Domain.ACCESS,), per_domain=3)
    newer.catalogue = version.catalogue
    newer.save()
    project = handed_over(national_admin, consultant, works)
    check = reaudit(project.facility, newer, {"ACC-1": 3, "ACC-2": 2, "ACC-3": 2})
    project = services.link_reassessment(
        national_admin, project, assessment=check, version=project.version
    )
    project = services.close_project(national_admin, project, version=project.version)
    assert Action.objects.filter(pk__in=[g.pk for g in gaps], status="done").count() == 2
    assert project.closing_result["open"] == []


def test_the_chain_from_finding_to_closed_action(
    national_admin, consultant, works, gaps, version, django_assert_max_num_queries
):
    ramp, toilet = gaps
    project = handed_over(national_admin, consultant, works)
    check = reaudit(project.facility, version, {"ACC-1": 2, "ACC-2": 0, "ACC-3": 2})
    services.link_reassessment(national_admin, project, assessment=check, version=project.version)
    project.refresh_from_db()
    services.close_project(
        national_admin, project, version=project.version, note="Toilet: next budget year."
    )
    project = selectors.project_for(national_admin, project.public_id)
    with django_assert_max_num_queries(4):
        chains = selectors.chains_for_project(project)
    by_action = {c.action.pk: c for c in chains}
    steps = [s.key for s in by_action[ramp.pk].steps]
    assert steps == [
        "finding",
        "action",
        "project",
        "supervision",
        "handover",
        "reaudit",
        "closed",
    ]
    assert by_action[ramp.pk].complete
    ramp_steps = {s.key: s for s in by_action[ramp.pk].steps}
    assert ramp_steps["finding"].day == days_ago(400)
    assert "Ramp too steep" in ramp_steps["finding"].detail
    assert ramp_steps["supervision"].detail.startswith("2 reports")
    assert ramp_steps["handover"].day == days_ago(15)
    assert ramp_steps["reaudit"].day == days_ago(5)
    assert "ACC-1 proven closed" in ramp_steps["reaudit"].detail
    toilet_steps = {s.key: s for s in by_action[toilet.pk].steps}
    assert not toilet_steps["closed"].done
    assert "still open" in toilet_steps["reaudit"].detail
    # The same chain from the action's side.
    action = selectors.action_for(national_admin, ramp.public_id)
    [from_action] = selectors.chains_for_action(national_admin, action)
    assert from_action.project == project
    assert from_action.complete
