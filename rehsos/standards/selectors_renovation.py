"""Reads of renovation projects: the projects a user may see, their S-curve (planned
vs actual progress and money disbursed), progress figures for lists, the chain from
an audit finding to the re-audit that closed it, and a partner's portfolio.

S-curve (all figures are percentages, two decimals, rounded half up):

* planned: the milestones' weights accumulated by planned date, from 0 % at the
  start of the works; between two dates the progress is interpolated linearly (work
  on a milestone is assumed to go evenly from the previous date to its own);
  before the start 0 %, after the last milestone its sum (100 % when complete).
* actual: the progress of the supervision reports (the last report of a day counts),
  from 0 % at the start.
* disbursed: payments made (not planned tranches) accumulated by the day paid, as
  a share of the budget.
* deviation: actual − planned on the date of the latest report; more than
  ``BEHIND_POINTS`` (10) points below the plan flags the project as behind.
"""

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.core.errors import NotFound
from rehsos.core.permissions import can, scoped
from rehsos.standards.models import (
    Action,
    Assessment,
    Disbursement,
    Milestone,
    RenovationProject,
    SupervisionReport,
)
from rehsos.standards.services_renovation import assessment_day, reason_text

Status = RenovationProject.Status
BEHIND_POINTS = Decimal(10)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal(0)


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- the projects a user may see --------------------------------------------------------


def projects_visible_to(user):
    """Renovation projects in the user's scope (none without ``standards.view``)."""
    if not can(user, "standards.view"):
        return RenovationProject.objects.none()
    return scoped(user, RenovationProject.objects.all())


def project_for(user, public_id) -> RenovationProject:
    """A project in the user's scope by its public id; NotFound for a missing one and
    for one out of scope alike."""
    project = (
        projects_visible_to(user)
        .select_related("facility", "partner", "agreement", "consultant_user", "reassessment")
        .filter(public_id=public_id)
        .first()
    )
    if project is None:
        raise NotFound(_("No such renovation project in your scope."))
    return project


def action_for(user, public_id) -> Action:
    if not can(user, "standards.view"):
        raise NotFound(_("No such action in your scope."))
    action = (
        scoped(user, Action.objects.all())
        .select_related("facility", "criterion", "finding__assessment", "finding__criterion")
        .filter(public_id=public_id)
        .first()
    )
    if action is None:
        raise NotFound(_("No such action in your scope."))
    return action


def project_list(user, *, status: str = "", facility: str = "", partner: str = "", q: str = ""):
    """The projects the user may see, filtered, newest start first."""
    projects = projects_visible_to(user).select_related("facility", "partner")
    if status:
        projects = projects.filter(status=status)
    if facility:
        projects = projects.filter(facility__code=facility)
    if partner:
        projects = projects.filter(partner__code=partner)
    if q:
        projects = projects.filter(Q(title__icontains=q) | Q(scope__icontains=q))
    return projects.order_by("-starts_on", "-id")


# --- the S-curve ------------------------------------------------------------------------


@dataclass(frozen=True)
class CurvePoint:
    day: datetime.date
    planned: Decimal | None
    actual: Decimal | None
    disbursed: Decimal
    events: tuple[str, ...]


@dataclass
class Curve:
    start: datetime.date
    end: datetime.date
    planned: list[tuple[datetime.date, Decimal]]
    actual: list[tuple[datetime.date, Decimal]]
    disbursed: list[tuple[datetime.date, Decimal]]
    points: list[CurvePoint]
    weights_total: Decimal
    budget: Decimal
    paid_rp: Decimal
    planned_rp: Decimal
    latest_report_on: datetime.date | None = None
    planned_at_latest: Decimal | None = None
    actual_at_latest: Decimal | None = None
    deviation: Decimal | None = None
    planned_today: Decimal | None = None

    @property
    def behind(self) -> bool:
        return self.deviation is not None and self.deviation < -BEHIND_POINTS

    @property
    def disbursed_percent(self) -> Decimal:
        return _round(HUNDRED * self.paid_rp / self.budget) if self.budget else ZERO


def planned_points(
    start: datetime.date, milestones: list[tuple[datetime.date, Decimal]]
) -> list[tuple[datetime.date, Decimal]]:
    """The planned curve's breakpoints: (start, 0) then the cumulative weight at each
    planned date (a milestone planned on the start day makes a step there)."""
    by_day: dict[datetime.date, Decimal] = defaultdict(Decimal)
    for day, weight in milestones:
        by_day[day] += weight
    points, total = [], ZERO
    if not by_day or min(by_day) > start:
        points.append((start, ZERO))
    for day in sorted(by_day):
        total += by_day[day]
        points.append((day, total))
    return points


def value_at(points: list[tuple[datetime.date, Decimal]], day: datetime.date) -> Decimal | None:
    """The curve through ``points`` (sorted by day) on ``day``, linearly interpolated;
    0 before the first point, the last value after the last one."""
    if not points:
        return None
    if day < points[0][0]:
        return ZERO
    for (d0, v0), (d1, v1) in itertools.pairwise(points):
        if d0 <= day < d1:
            share = Decimal((day - d0).days) / Decimal((d1 - d0).days)
            return _round(v0 + (v1 - v0) * share)
    return _round(points[-1][1])


def build_curve(
    project: RenovationProject,
    milestones: list[Milestone],
    reports: list[SupervisionReport],
    tranches: list[Disbursement],
    *,
    today: datetime.date | None = None,
) -> Curve:
    """The S-curve of one project from its rows (no query)."""
    today = today or timezone.localdate()
    start = project.starts_on
    planned = (
        planned_points(start, [(m.planned_on, m.weight) for m in milestones]) if milestones else []
    )
    last_of_day: dict[datetime.date, Decimal] = {}
    for report in sorted(reports, key=lambda r: (r.reported_on, r.pk or 0)):
        last_of_day[report.reported_on] = report.progress
    actual = [(start, ZERO)] if last_of_day and start not in last_of_day else []
    actual += sorted(last_of_day.items())

    budget = project.budget or ZERO
    paid = sorted(
        (t for t in tranches if t.status == Disbursement.Status.PAID), key=lambda t: t.paid_on
    )
    paid_by_day: dict[datetime.date, Decimal] = defaultdict(Decimal)
    for tranche in paid:
        paid_by_day[tranche.paid_on] += tranche.amount_rp
    disbursed, running = [], ZERO
    for day in sorted(paid_by_day):
        running += paid_by_day[day]
        disbursed.append((day, _round(HUNDRED * running / budget) if budget else ZERO))
    planned_rp = sum(
        (t.amount_rp for t in tranches if t.status == Disbursement.Status.PLANNED), ZERO
    )

    events: dict[datetime.date, list[str]] = defaultdict(list)
    events[start].append(_("start of works"))
    events[project.planned_end_on].append(_("planned end"))
    for m in milestones:
        events[m.planned_on].append(m.name)
    for day in last_of_day:
        events[day].append(_("supervision report"))
    for day in paid_by_day:
        events[day].append(_("payment"))
    if project.handed_over_on:
        events[project.handed_over_on].append(_("handover"))

    actual_of_day = dict(actual)
    points = []
    for day in sorted(events):
        paid_pct = ZERO
        for d, pct in disbursed:
            if d <= day:
                paid_pct = pct
        points.append(
            CurvePoint(
                day=day,
                planned=value_at(planned, day),
                actual=actual_of_day.get(day),
                disbursed=paid_pct,
                events=tuple(dict.fromkeys(events[day])),
            )
        )
    days = [p.day for p in points]
    curve = Curve(
        start=min(days),
        end=max(days),
        planned=planned,
        actual=actual,
        disbursed=disbursed,
        points=points,
        weights_total=sum((m.weight for m in milestones), ZERO),
        budget=budget,
        paid_rp=running,
        planned_rp=planned_rp,
        planned_today=value_at(planned, today),
    )
    if last_of_day:
        latest = max(last_of_day)
        curve.latest_report_on = latest
        curve.actual_at_latest = last_of_day[latest]
        curve.planned_at_latest = value_at(planned, latest)
        if curve.planned_at_latest is not None:
            curve.deviation = _round(curve.actual_at_latest - curve.planned_at_latest)
    return curve


def curve_for(project: RenovationProject, *, today: datetime.date | None = None) -> Curve:
    """The S-curve of one project (three queries)."""
    return build_curve(
        project,
        list(project.milestones.order_by("planned_on", "id")),
        list(project.supervision_reports.order_by("reported_on", "id")),
        list(project.disbursements.all()),
        today=today,
    )


def curves_for(projects: list[RenovationProject], *, today=None) -> dict[int, Curve]:
    """The S-curves of many projects in three queries."""
    ids = [p.pk for p in projects]
    milestones, reports, tranches = defaultdict(list), defaultdict(list), defaultdict(list)
    for m in Milestone.objects.filter(project_id__in=ids).order_by("planned_on", "id"):
        milestones[m.project_id].append(m)
    for r in SupervisionReport.objects.filter(project_id__in=ids).only(
        "id", "project_id", "reported_on", "progress"
    ):
        reports[r.project_id].append(r)
    for t in Disbursement.objects.filter(project_id__in=ids).only(
        "id", "project_id", "status", "paid_on", "planned_on", "amount_rp"
    ):
        tranches[t.project_id].append(t)
    return {
        p.pk: build_curve(p, milestones[p.pk], reports[p.pk], tranches[p.pk], today=today)
        for p in projects
    }


# --- the chart ------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 46


def _month_ticks(start: datetime.date, end: datetime.date, most: int = 12):
    months = []
    day = datetime.date(start.year, start.month, 1)
    while day <= end:
        if day >= start:
            months.append(day)
        day = datetime.date(day.year + (day.month // 12), day.month % 12 + 1, 1)
    step = max(1, -(-len(months) // most))
    return months[::step]


def chart(curve: Curve, *, today: datetime.date | None = None) -> dict:
    """Geometry of the S-curve as inline SVG: three polylines on a 0–100 % scale over
    the project's dates."""
    today = today or timezone.localdate()
    span = max((curve.end - curve.start).days, 1)
    plot_w, plot_h = CHART_WIDTH - LEFT - RIGHT, CHART_HEIGHT - TOP - BOTTOM

    def x(day: datetime.date) -> float:
        return round(LEFT + plot_w * (day - curve.start).days / span, 1)

    def y(pct: Decimal) -> float:
        pct = min(max(pct, ZERO), Decimal(110))
        return round(TOP + plot_h * float(HUNDRED - pct) / 100, 1)

    def line(points) -> str:
        return " ".join(f"{x(d)},{y(v)}" for d, v in points)

    steps = []
    previous = ZERO
    for day, pct in curve.disbursed:
        steps += [(day, previous), (day, pct)]
        previous = pct
    if steps:
        steps = [(curve.start, ZERO), *steps, (curve.end, previous)]
    latest = None
    if curve.latest_report_on is not None and curve.actual_at_latest is not None:
        latest = {
            "x": x(curve.latest_report_on),
            "y": y(curve.actual_at_latest),
            "planned_y": None if curve.planned_at_latest is None else y(curve.planned_at_latest),
        }
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": LEFT,
        "right": CHART_WIDTH - RIGHT,
        "top": TOP,
        "bottom": CHART_HEIGHT - BOTTOM,
        "grid": [{"y": y(Decimal(p)), "label": p} for p in (0, 25, 50, 75, 100)],
        "ticks": [
            {"x": x(day), "label": day.strftime("%Y-%m")}
            for day in _month_ticks(curve.start, curve.end)
        ],
        "planned": line(
            curve.planned + ([(curve.end, curve.planned[-1][1])] if curve.planned else [])
        ),
        "actual": line(curve.actual),
        "actual_dots": [{"x": x(d), "y": y(v), "label": f"{d}: {v} %"} for d, v in curve.actual],
        "disbursed": line(steps),
        "today": x(today) if curve.start <= today <= curve.end else None,
        "latest": latest,
    }


# --- progress figures for lists ---------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    project: RenovationProject
    curve: Curve

    @property
    def planned(self) -> Decimal | None:
        return self.curve.planned_today

    @property
    def actual(self) -> Decimal:
        return self.curve.actual[-1][1] if self.curve.actual else ZERO


def progress_rows(projects) -> list[Progress]:
    projects = list(projects)
    curves = curves_for(projects)
    return [Progress(p, curves[p.pk]) for p in projects]


def facility_projects(user, facility) -> list[Progress]:
    """The centre's projects (for its page), newest first."""
    projects = (
        projects_visible_to(user)
        .filter(facility=facility)
        .select_related("partner")
        .order_by("-starts_on", "-id")
    )
    return progress_rows(projects)


def supervised_by(user) -> list[Progress]:
    """Works in progress that ``user`` supervises as the consultant."""
    projects = (
        projects_visible_to(user)
        .filter(consultant_user=user, status__in=[Status.IN_PROGRESS, Status.HANDED_OVER])
        .select_related("facility")
        .order_by("planned_end_on", "id")
    )
    return progress_rows(projects)


def works_in_progress(user, *, limit: int = 200) -> list[Progress]:
    """Works in progress or handed over (awaiting the re-assessment) in the user's scope."""
    projects = (
        projects_visible_to(user)
        .filter(status__in=[Status.IN_PROGRESS, Status.HANDED_OVER])
        .select_related("facility")
        .order_by("planned_end_on", "id")[:limit]
    )
    return progress_rows(projects)


# --- the chain: finding → action → project → reports → handover → re-audit → closed ------


@dataclass(frozen=True)
class ChainStep:
    key: str
    title: str
    day: datetime.date | None
    done: bool
    detail: str = ""
    url: str | None = None


@dataclass
class Chain:
    action: Action
    project: RenovationProject
    steps: list[ChainStep] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def assessment_url(assessment: Assessment) -> str | None:
    return _url("standards:assessment_detail", assessment.public_id)


def action_url(action: Action) -> str | None:
    return _url("standards:actions_detail", action.public_id)


@dataclass(frozen=True)
class ReportSummary:
    count: int = 0
    first: datetime.date | None = None
    last: datetime.date | None = None
    progress: Decimal | None = None


def report_summaries(project_ids) -> dict[int, ReportSummary]:
    rows = (
        SupervisionReport.objects.filter(project_id__in=list(project_ids))
        .values("project_id")
        .annotate(count=Count("id"), first=Min("reported_on"), last=Max("reported_on"))
        .order_by()
    )
    latest = {
        r.project_id: r.progress
        for r in SupervisionReport.objects.filter(project_id__in=list(project_ids)).order_by(
            "project_id", "reported_on", "id"
        )
    }
    return {
        row["project_id"]: ReportSummary(
            row["count"], row["first"], row["last"], latest.get(row["project_id"])
        )
        for row in rows
    }


def build_chain(
    action: Action, project: RenovationProject, reports: ReportSummary, result: dict | None
) -> Chain:
    """The seven steps of one gap's way through one project (no query when the
    action's finding and criterion and the project's re-assessment are loaded)."""
    steps = []
    finding = action.finding if action.finding_id else None
    if finding is not None:
        audit = finding.assessment
        steps.append(
            ChainStep(
                "finding",
                _("Audit finding"),
                assessment_day(audit),
                True,
                _("%(kind)s: %(text)s")
                % {"kind": audit.get_kind_display(), "text": finding.text[:200]},
                assessment_url(audit),
            )
        )
    else:
        steps.append(
            ChainStep(
                "finding",
                _("Audit finding"),
                None,
                False,
                _("The action was added by the centre, not from an audit finding."),
            )
        )
    code = ""
    if action.criterion_id:
        code = action.criterion.code
    elif finding is not None and finding.criterion_id:
        code = finding.criterion.code
    steps.append(
        ChainStep(
            "action",
            _("Action"),
            timezone.localdate(action.created_at) if action.created_at else None,
            True,
            " · ".join(
                part
                for part in (
                    action.title,
                    code and _("criterion %(code)s") % {"code": code},
                    _("due %(date)s") % {"date": action.due_on.isoformat()},
                )
                if part
            ),
            action_url(action),
        )
    )
    steps.append(
        ChainStep(
            "project",
            _("Renovation project"),
            project.starts_on,
            project.status != Status.CANCELLED,
            f"{project.title} · {project.get_status_display()}",
            reverse("standards:renovation_detail", args=[project.public_id]),
        )
    )
    steps.append(
        ChainStep(
            "supervision",
            _("Supervision reports"),
            reports.last,
            reports.count > 0,
            _("%(n)d reports, %(first)s – %(last)s, latest progress %(progress)s %%")
            % {
                "n": reports.count,
                "first": reports.first,
                "last": reports.last,
                "progress": reports.progress,
            }
            if reports.count
            else _("No supervision report yet."),
        )
    )
    steps.append(
        ChainStep(
            "handover",
            _("Handover"),
            project.handed_over_on,
            project.handed_over_on is not None,
            project.handover_note[:200] if project.handed_over_on else _("Not handed over yet."),
        )
    )
    reassessment = project.reassessment if project.reassessment_id else None
    rating = ""
    if result:
        for row in result.get("proven", []) + result.get("open", []):
            if row["action"] == action.pk:
                rating = (
                    _("criterion %(code)s proven closed") % {"code": row["criterion"]}
                    if row in result.get("proven", [])
                    else _("still open: %(reason)s") % {"reason": reason_text(row["reason"])}
                )
    steps.append(
        ChainStep(
            "reaudit",
            _("Re-assessment"),
            assessment_day(reassessment) if reassessment else None,
            reassessment is not None,
            " · ".join(p for p in (str(reassessment.get_kind_display()), rating) if p)
            if reassessment
            else _("No re-assessment linked yet."),
            assessment_url(reassessment) if reassessment else None,
        )
    )
    closed = action.status == Action.Status.DONE
    steps.append(
        ChainStep(
            "closed",
            _("Action closed"),
            action.closed_on if closed else None,
            closed,
            action.closing_note[:300] if closed else action.get_status_display(),
        )
    )
    return Chain(action=action, project=project, steps=steps)


def _chain_actions(queryset):
    return queryset.select_related(
        "criterion", "finding__assessment", "finding__criterion"
    ).order_by("due_on", "id")


def chains_for_project(project: RenovationProject) -> list[Chain]:
    """One chain per gap the project closes (three queries)."""
    summary = report_summaries([project.pk]).get(project.pk, ReportSummary())
    return [
        build_chain(action, project, summary, project.closing_result)
        for action in _chain_actions(project.actions.all())
    ]


def chains_for_action(user, action: Action) -> list[Chain]:
    """The chains of every project (in the user's scope) that carries out ``action``."""
    projects = list(
        projects_visible_to(user)
        .filter(actions=action)
        .select_related("facility", "reassessment")
        .order_by("starts_on", "id")
    )
    summaries = report_summaries([p.pk for p in projects])
    return [
        build_chain(action, p, summaries.get(p.pk, ReportSummary()), p.closing_result)
        for p in projects
    ]


# --- totals ---------------------------------------------------------------------------


def money(project: RenovationProject) -> dict:
    """Budget, planned and paid rupiah, and what is left."""
    rows = dict(
        project.disbursements.values_list("status").annotate(total=Sum("amount_rp")).order_by()
    )
    paid = rows.get(Disbursement.Status.PAID) or ZERO
    planned = rows.get(Disbursement.Status.PLANNED) or ZERO
    return {
        "budget": project.budget,
        "paid": paid,
        "planned": planned,
        "committed": paid + planned,
        "left": project.budget - paid - planned,
        "over": paid + planned > project.budget,
        "paid_percent": _round(HUNDRED * paid / project.budget) if project.budget else ZERO,
    }


# --- a partner's portfolio --------------------------------------------------------------
#
# What a partner viewer sees: the centres its partner funds (a renovation project with
# the partner, or an action funded by one of its agreements), with aggregates and
# progress only. No person is named: no staff, no consultant's account, no report text
# or photo, nothing about beneficiaries.


NO_PARTNER_MESSAGE = gettext_lazy(
    "Your account is not linked to a partner organisation yet, so there is nothing to "
    "show. Ask the ministry's administrator to link your account to your organisation."
)


def partner_of(user):
    """The partner a partner viewer's account is linked to (``PartnerUser``), or None."""
    from rehsos.partners.models import PartnerUser

    link = PartnerUser.objects.select_related("partner").filter(user_id=user.pk).first()
    return link.partner if link else None


@dataclass(frozen=True)
class PortfolioProject:
    public_id: str
    title: str
    scope: str
    status: str
    status_label: str
    starts_on: datetime.date
    planned_end_on: datetime.date
    handed_over_on: datetime.date | None
    closed_on: datetime.date | None
    agreement: str
    budget: Decimal
    paid: Decimal
    planned_rp: Decimal
    planned_percent: Decimal | None
    actual_percent: Decimal
    deviation: Decimal | None
    behind: bool
    gaps_proven: int | None
    gaps_open: int | None
    curve: Curve


@dataclass
class PortfolioCentre:
    code: str
    name: str
    province: str
    kind: str
    is_model: bool
    score: Decimal | None = None
    met_percent: Decimal | None = None
    passed: bool | None = None
    critical_gaps: int | None = None
    assessed_on: datetime.date | None = None
    assessment_kind: str = ""
    assessment_id: int | None = None  # internal: never shown to the partner
    actions_open: int = 0
    actions_overdue: int = 0
    funded_actions: int = 0
    funded_open: int = 0
    funded_cost: Decimal = ZERO
    projects: list[PortfolioProject] = field(default_factory=list)

    @property
    def budget(self) -> Decimal:
        return sum((p.budget for p in self.projects if p.status != Status.CANCELLED), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((p.paid for p in self.projects), ZERO)

    @property
    def planned_percent(self) -> Decimal | None:
        return _budget_weighted(self.projects, "planned_percent")

    @property
    def actual_percent(self) -> Decimal | None:
        return _budget_weighted(self.projects, "actual_percent")


def _budget_weighted(projects, attr: str) -> Decimal | None:
    """Progress of several projects as one figure: weighted by budget."""
    rows = [
        (p.budget, getattr(p, attr))
        for p in projects
        if p.status != Status.CANCELLED and getattr(p, attr) is not None
    ]
    weight = sum((b for b, _v in rows), ZERO)
    if not rows or not weight:
        return None
    return _round(sum((b * v for b, v in rows), ZERO) / weight)


@dataclass
class Portfolio:
    partner: object
    centres: list[PortfolioCentre]

    @property
    def budget(self) -> Decimal:
        return sum((c.budget for c in self.centres), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((c.paid for c in self.centres), ZERO)

    @property
    def projects(self) -> int:
        return sum(len(c.projects) for c in self.centres)


def _portfolio_project(project: RenovationProject, curve: Curve) -> PortfolioProject:
    result = project.closing_result or {}
    closed = project.status == Status.CLOSED
    return PortfolioProject(
        public_id=str(project.public_id),
        title=project.title,
        scope=project.scope,
        status=project.status,
        status_label=str(project.get_status_display()),
        starts_on=project.starts_on,
        planned_end_on=project.planned_end_on,
        handed_over_on=project.handed_over_on,
        closed_on=project.closed_on,
        agreement=str(project.agreement) if project.agreement_id else "",
        budget=project.budget,
        paid=curve.paid_rp,
        planned_rp=curve.planned_rp,
        planned_percent=curve.planned_today,
        actual_percent=curve.actual[-1][1] if curve.actual else ZERO,
        deviation=curve.deviation,
        behind=curve.behind and project.status == Status.IN_PROGRESS,
        gaps_proven=len(result.get("proven", [])) if closed else None,
        gaps_open=len(result.get("open", [])) if closed else None,
        curve=curve,
    )


def partner_portfolio(partner, *, facility_code: str | None = None, today=None) -> Portfolio:
    """The centres ``partner`` funds with their aggregates (about a dozen queries for
    any number of centres)."""
    from rehsos.facilities.models import Facility
    from rehsos.regions.models import Region
    from rehsos.standards import scoring

    today = today or timezone.localdate()
    projects = list(
        RenovationProject.objects.filter(partner=partner)
        .select_related("agreement")
        .order_by("-starts_on", "-id")
    )
    funded = (
        Action.objects.filter(agreement__partner=partner)
        .values("facility_id")
        .annotate(
            n=Count("id"),
            open=Count("id", filter=Q(status__in=["open", "in_progress"])),
            cost=Sum("cost_estimate"),
        )
        .order_by()
    )
    funded = {row["facility_id"]: row for row in funded}
    ids = {p.facility_id for p in projects} | set(funded)
    facilities = Facility.objects.filter(pk__in=ids)
    if facility_code is not None:
        facilities = facilities.filter(code=facility_code)
    facilities = list(facilities.order_by("name"))
    ids = [f.pk for f in facilities]
    provinces = dict(
        Region.objects.filter(code__in={f.province_code for f in facilities}).values_list(
            "code", "name"
        )
    )
    projects = [p for p in projects if p.facility_id in ids]
    curves = curves_for(projects, today=today)
    open_counts = {
        row["facility_id"]: row
        for row in Action.objects.filter(facility_id__in=ids, status__in=["open", "in_progress"])
        .values("facility_id")
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
        .order_by()
    }
    latest = scoring.latest_assessments(ids)
    assessments = {
        a.pk: a
        for a in Assessment.objects.filter(pk__in=latest.values()).only(
            "id", "kind", "visit_on", "started_on"
        )
    }
    scores = scoring.scores(list(latest.values())) if latest else {}
    centres = []
    for facility in facilities:
        centre = PortfolioCentre(
            code=facility.code,
            name=facility.name,
            province=provinces.get(facility.province_code, facility.province_code),
            kind=str(facility.get_kind_display()),
            is_model=facility.is_model,
        )
        assessment_id = latest.get(facility.pk)
        if assessment_id is not None:
            score = scores.get(assessment_id)
            assessment = assessments[assessment_id]
            centre.assessed_on = assessment_day(assessment)
            centre.assessment_kind = str(assessment.get_kind_display())
            centre.assessment_id = assessment_id
            if score is not None:
                centre.score = score.percent
                centre.met_percent = score.met_percent
                centre.passed = score.passed
                centre.critical_gaps = len(score.critical_failed)
        counts = open_counts.get(facility.pk)
        if counts:
            centre.actions_open, centre.actions_overdue = counts["n"], counts["overdue"]
        mine = funded.get(facility.pk)
        if mine:
            centre.funded_actions, centre.funded_open = mine["n"], mine["open"]
            centre.funded_cost = mine["cost"] or ZERO
        centre.projects = [
            _portfolio_project(p, curves[p.pk]) for p in projects if p.facility_id == facility.pk
        ]
        centres.append(centre)
    return Portfolio(partner=partner, centres=centres)


def partner_centre_detail(partner, code: str) -> dict:
    """One centre of the partner's portfolio: its portfolio row, the domain scores of its
    latest assessment, its score over time, and the actions the partner funds there."""
    from rehsos.standards import scoring

    portfolio = partner_portfolio(partner, facility_code=code)
    if not portfolio.centres:
        raise NotFound(_("This centre is not among the centres your organisation funds."))
    centre = portfolio.centres[0]
    history = list(
        Assessment.objects.filter(facility__code=code, status__in=scoring.SUBMITTED)
        .only("id", "kind", "visit_on", "started_on")
        .order_by("started_on", "id")
    )
    scores = scoring.scores([a.pk for a in history]) if history else {}
    milestones = defaultdict(list)
    for m in Milestone.objects.filter(
        project__public_id__in=[p.public_id for p in centre.projects]
    ).select_related("project"):
        milestones[str(m.project.public_id)].append(m)
    latest = centre.assessment_id
    return {
        "centre": centre,
        "domains": list(scores[latest].domains.values()) if latest in scores else [],
        "history": [
            {
                "day": assessment_day(a),
                "kind": a.get_kind_display(),
                "percent": scores[a.pk].percent if a.pk in scores else None,
                "met_percent": scores[a.pk].met_percent if a.pk in scores else None,
                "passed": scores[a.pk].passed if a.pk in scores else None,
            }
            for a in history
        ],
        "actions": list(
            Action.objects.filter(agreement__partner=partner, facility__code=code)
            .select_related("criterion", "agreement")
            .order_by("due_on", "id")
        ),
        "milestones": dict(milestones),
    }
