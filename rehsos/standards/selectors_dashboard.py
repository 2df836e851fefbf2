"""The standards dashboards: one centre's, and the national (or provincial) one.

A centre's dashboard: the latest submitted self-assessment and external audit side
by side per domain, the share of criteria met and the critical gaps of the latest
submitted assessment (with the actions that answer them), its actions by status,
overdue ones, the cost of the open ones by funding source, and the attestation.

The national dashboard has one row per centre in the user's scope (the model
centres first), built from a fixed number of grouped queries whatever the number
of centres: the latest assessments (``scoring.latest_assessments``), their counts of
criteria met and critical gaps (:func:`summaries`), the last audit dates and the
action counts, each grouped by centre in SQL. Sorting and paging happen on those
rows in Python.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DateField, Max, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rehsos.core.permissions import scoped
from rehsos.core.services.accounts import province_choices
from rehsos.facilities.models import Cluster, Facility
from rehsos.standards import scoring
from rehsos.standards.models import MET_AT_LEAST, Action, Answer, Assessment, Criterion, Domain
from rehsos.standards.scoring import AssessmentScore, DomainScore
from rehsos.standards.selectors_actions import (
    DUE_SOON_DAYS,
    AttestationStatus,
    attestation_status,
    facilities_in_scope,
)
from rehsos.standards.services_actions import OPEN_STATUSES

# Above this many centres the latest assessments are looked up for the whole nation
# and filtered here, rather than sent as a long IN list.
IN_LIST_MAX = 2000
PAGE_SIZE = 100


# --- one centre -------------------------------------------------------------------


@dataclass(frozen=True)
class DomainRow:
    domain: str
    label: str
    self_score: DomainScore | None
    external: DomainScore | None

    @property
    def gap(self) -> Decimal | None:
        """External minus self (negative: the centre rated itself higher)."""
        if not self.self_score or not self.external:
            return None
        if self.self_score.percent is None or self.external.percent is None:
            return None
        return self.external.percent - self.self_score.percent


@dataclass(frozen=True)
class Gap:
    """A critical criterion not met in the latest submitted assessment."""

    code: str
    criterion: Criterion | None
    actions: tuple[Action, ...]  # actions on the criterion that are not cancelled

    @property
    def covered(self) -> bool:
        return bool(self.actions)


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class FundingCost:
    funding: str
    label: str
    actions: int
    total: Decimal  # of the estimates given
    unestimated: int  # actions without an estimate


@dataclass
class CentreDashboard:
    facility: Facility
    today: datetime.date
    latest: Assessment | None = None
    latest_score: AssessmentScore | None = None
    self_assessment: Assessment | None = None
    self_score: AssessmentScore | None = None
    external: Assessment | None = None
    external_score: AssessmentScore | None = None
    domains: list[DomainRow] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    by_status: list[StatusCount] = field(default_factory=list)
    overdue: int = 0
    due_soon: int = 0
    costs: list[FundingCost] = field(default_factory=list)
    attestation: AttestationStatus | None = None
    last_audit_on: datetime.date | None = None

    @property
    def met_percent(self) -> Decimal | None:
        return self.latest_score.met_percent if self.latest_score else None

    @property
    def gaps_open(self) -> int:
        return len(self.gaps)

    @property
    def gaps_uncovered(self) -> int:
        return sum(1 for gap in self.gaps if not gap.covered)

    @property
    def actions_total(self) -> int:
        return sum(row.count for row in self.by_status)

    @property
    def open_actions(self) -> int:
        return sum(row.count for row in self.by_status if row.status in OPEN_STATUSES)

    @property
    def open_cost(self) -> Decimal:
        return sum((row.total for row in self.costs), Decimal(0))


def _newer(one: Assessment | None, two: Assessment | None) -> Assessment | None:
    """The later of two submitted assessments, by the order ``latest_assessments`` uses."""
    if one is None or two is None:
        return one or two
    far = datetime.datetime.min.replace(tzinfo=datetime.UTC)

    def key(a):
        return (a.submitted_at or far, a.started_on, a.pk)

    return one if key(one) >= key(two) else two


def audit_day(assessment: Assessment | None) -> datetime.date | None:
    if assessment is None:
        return None
    if assessment.visit_on:
        return assessment.visit_on
    return timezone.localdate(assessment.submitted_at) if assessment.submitted_at else None


def centre_dashboard(user, facility: Facility, today: datetime.date | None = None):
    today = today or timezone.localdate()
    board = CentreDashboard(facility=facility, today=today)
    ids = {
        kind: scoring.latest_assessments([facility.pk], kind=kind).get(facility.pk)
        for kind in Assessment.Kind.values
    }
    found = {
        a.pk: a
        for a in Assessment.objects.filter(pk__in=[i for i in ids.values() if i]).select_related(
            "version", "version__catalogue"
        )
    }
    marks = scoring.scores(found)
    board.self_assessment = found.get(ids[Assessment.Kind.SELF])
    board.external = found.get(ids[Assessment.Kind.EXTERNAL])
    board.self_score = marks.get(ids[Assessment.Kind.SELF])
    board.external_score = marks.get(ids[Assessment.Kind.EXTERNAL])
    board.latest = _newer(board.self_assessment, board.external)
    board.latest_score = marks.get(board.latest.pk) if board.latest else None
    board.last_audit_on = audit_day(board.external)

    self_domains = board.self_score.domains if board.self_score else {}
    external_domains = board.external_score.domains if board.external_score else {}
    board.domains = [
        DomainRow(code, str(label), self_domains.get(code), external_domains.get(code))
        for code, label in Domain.choices
        if code in self_domains or code in external_domains
    ]

    if board.latest_score and board.latest_score.critical_failed:
        codes = list(board.latest_score.critical_failed)
        criteria = {
            c.code: c
            for c in Criterion.objects.filter(version_id=board.latest.version_id, code__in=codes)
        }
        covering: dict[str, list[Action]] = {code: [] for code in codes}
        for action in (
            Action.objects.filter(facility=facility, criterion__code__in=codes)
            .exclude(status=Action.Status.CANCELLED)
            .select_related("criterion")
            .order_by("due_on", "pk")
        ):
            covering[action.criterion.code].append(action)
        board.gaps = [Gap(code, criteria.get(code), tuple(covering[code])) for code in codes]

    counts = dict(
        Action.objects.filter(facility=facility)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
        .order_by()
    )
    board.by_status = [
        StatusCount(status, str(label), counts.get(status, 0))
        for status, label in Action.Status.choices
    ]
    due = Action.objects.filter(facility=facility, status__in=OPEN_STATUSES).aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        due_soon=Count(
            "pk",
            filter=Q(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)),
        ),
    )
    board.overdue, board.due_soon = due["overdue"], due["due_soon"]
    board.costs = open_costs(Action.objects.filter(facility=facility))
    board.attestation = attestation_status(user, facility, today)
    return board


def open_costs(actions) -> list[FundingCost]:
    """The estimated cost of the open actions of ``actions`` by funding source."""
    rows = {
        row["funding"]: row
        for row in actions.filter(status__in=OPEN_STATUSES)
        .values("funding")
        .annotate(
            n=Count("pk"),
            total=Sum("cost_estimate"),
            unestimated=Count("pk", filter=Q(cost_estimate__isnull=True)),
        )
        .order_by()
    }
    return [
        FundingCost(
            funding,
            str(label),
            rows.get(funding, {}).get("n", 0),
            Decimal(rows.get(funding, {}).get("total") or 0).quantize(Decimal(1)),
            rows.get(funding, {}).get("unestimated", 0),
        )
        for funding, label in Action.Funding.choices
    ]


# --- the nation (or a province) ---------------------------------------------------


@dataclass
class CentreRow:
    facility_id: int
    code: str
    name: str
    province_code: str
    province: str
    kind: str
    kind_label: str
    clusters: list
    is_model: bool
    assessment_kind: str = ""
    met: int = 0
    applicable: int = 0
    met_percent: Decimal | None = None
    score_percent: Decimal | None = None  # the overall score stored on submission
    critical_gaps: int | None = None  # None: never assessed
    uncovered_gaps: int | None = None
    open_actions: int = 0
    overdue: int = 0
    last_audit_on: datetime.date | None = None

    @property
    def assessed(self) -> bool:
        return self.critical_gaps is not None


@dataclass(frozen=True)
class Totals:
    centres: int
    assessed: int
    met: int
    applicable: int
    critical_gaps: int
    uncovered_gaps: int
    open_actions: int
    overdue: int

    @property
    def met_percent(self) -> Decimal | None:
        """Criteria met over criteria applicable, summed over the latest assessments."""
        return scoring.percent_of(self.met, self.applicable)


SORTS = {
    "name": lambda r: r.name.lower(),
    "province": lambda r: (r.province.lower(), r.name.lower()),
    "met": lambda r: r.met_percent,
    "gaps": lambda r: r.critical_gaps,
    "overdue": lambda r: r.overdue,
    "open": lambda r: r.open_actions,
    "audit": lambda r: r.last_audit_on,
}


@dataclass(frozen=True)
class NationalFilters:
    province: str = ""
    kind: str = ""
    cluster: str = ""
    sort: str = "name"  # a key of SORTS, "-" in front for descending
    page: int = 1


@dataclass
class NationalDashboard:
    filters: NationalFilters
    today: datetime.date
    models: list[CentreRow]
    rows: list[CentreRow]  # every centre matching the filters, sorted
    totals: Totals
    model_totals: Totals

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.rows) // PAGE_SIZE))

    @property
    def page(self) -> int:
        return min(max(1, self.filters.page), self.pages)

    @property
    def page_rows(self) -> list[CentreRow]:
        start = (self.page - 1) * PAGE_SIZE
        return self.rows[start : start + PAGE_SIZE]


def clean_filters(
    *, province="", kind="", cluster="", sort="name", page=1, provinces=None
) -> NationalFilters:
    """Filters from a query string: unknown values are ignored, not errors."""
    provinces = provinces if provinces is not None else dict(province_choices())
    sort = sort if sort and sort.lstrip("-") in SORTS else "name"
    try:
        page = max(1, int(page))
    except (TypeError, ValueError):
        page = 1
    return NationalFilters(
        province=province if province in provinces else "",
        kind=kind if kind in Facility.Kind.values else "",
        cluster=cluster if cluster in Cluster.values else "",
        sort=sort,
        page=page,
    )


def _sorted(rows: list[CentreRow], sort: str) -> list[CentreRow]:
    key = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    known = [r for r in rows if key(r) is not None]
    unknown = [r for r in rows if key(r) is None]  # never assessed or audited: always last
    known.sort(key=lambda r: (key(r), r.name.lower()), reverse=descending)
    unknown.sort(key=lambda r: r.name.lower())
    return known + unknown


def _totals(rows: list[CentreRow]) -> Totals:
    return Totals(
        centres=len(rows),
        assessed=sum(1 for r in rows if r.assessed),
        met=sum(r.met for r in rows),
        applicable=sum(r.applicable for r in rows),
        critical_gaps=sum(r.critical_gaps or 0 for r in rows),
        uncovered_gaps=sum(r.uncovered_gaps or 0 for r in rows),
        open_actions=sum(r.open_actions for r in rows),
        overdue=sum(r.overdue for r in rows),
    )


def _centres(user, filters: NationalFilters):
    centres = facilities_in_scope(user)
    if filters.province:
        centres = centres.filter(province_code=filters.province)
    if filters.kind:
        centres = centres.filter(kind=filters.kind)
    if filters.cluster:
        # The JSON list as text holds each code in quotes ("TS-KPO" is not "KPO"), on
        # SQLite and PostgreSQL alike.
        centres = centres.filter(clusters__icontains=f'"{filters.cluster}"')
    return centres


def national_dashboard(
    user, filters: NationalFilters | None = None, today: datetime.date | None = None
) -> NationalDashboard:
    filters = filters or NationalFilters()
    today = today or timezone.localdate()
    provinces = dict(province_choices())
    fields = ("pk", "code", "name", "province_code", "kind", "clusters", "is_model")
    chosen = {row["pk"]: row for row in _centres(user, filters).values(*fields)}
    model_centres = {
        row["pk"]: row for row in facilities_in_scope(user).filter(is_model=True).values(*fields)
    }
    everything = {**chosen, **model_centres}
    ids = list(everything)
    kind_labels = dict(Facility.Kind.choices)
    rows = {
        pk: CentreRow(
            facility_id=pk,
            code=row["code"],
            name=row["name"],
            province_code=row["province_code"],
            province=provinces.get(row["province_code"], row["province_code"]),
            kind=row["kind"],
            kind_label=str(kind_labels.get(row["kind"], row["kind"])),
            clusters=list(row["clusters"] or []),
            is_model=row["is_model"],
        )
        for pk, row in everything.items()
    }
    if rows:
        _fill(user, rows, ids, today)

    chosen_rows = _sorted([rows[pk] for pk in chosen], filters.sort)
    model_rows = sorted((rows[pk] for pk in model_centres), key=lambda r: r.name.lower())
    return NationalDashboard(
        filters=filters,
        today=today,
        models=model_rows,
        rows=chosen_rows,
        totals=_totals(chosen_rows),
        model_totals=_totals(model_rows),
    )


@dataclass(frozen=True)
class Summary:
    """The figures of one assessment the national table shows."""

    met: int
    applicable: int
    critical_gaps: int
    uncovered_gaps: int  # critical gaps without an action (not cancelled) on the criterion

    @property
    def met_percent(self) -> Decimal | None:
        return scoring.percent_of(self.met, self.applicable)


def summaries(assessment_ids) -> dict[int, Summary]:
    """Criteria met and applicable, critical gaps, and the gaps no action answers, per
    assessment, in three grouped queries per chunk of ids.

    The counts follow ``scoring`` (applicable: rated and not N/A; met: rated at least
    ``MET_AT_LEAST``; a critical gap: a critical criterion rated below it), without
    its per-domain weighted sums: for 4,500 assessments of 64 criteria these queries
    take a fraction of ``scoring.scores`` (docs/standards-actions.md). A test checks
    that the two agree. A gap is answered by an action of the same centre, not
    cancelled, on a criterion of the same code (as on the centre's dashboard)."""
    ids = sorted({int(i) for i in assessment_ids})
    rated = Q(rating__isnull=False, not_applicable=False)
    gap = Q(criterion__critical=True, not_applicable=False, rating__lt=MET_AT_LEAST)
    result = {}
    for start in range(0, len(ids), scoring.CHUNK):
        answers = Answer.objects.filter(assessment_id__in=ids[start : start + scoring.CHUNK])
        gaps: dict[int, list[str]] = {}
        facilities: dict[int, int] = {}
        for aid, fid, code in (
            answers.filter(gap)
            .values_list("assessment_id", "assessment__facility_id", "criterion__code")
            .order_by()
        ):
            gaps.setdefault(aid, []).append(code)
            facilities[aid] = fid
        covered: set[tuple[int, str]] = set()
        if gaps:
            covered = set(
                Action.objects.filter(
                    facility_id__in=set(facilities.values()), criterion__critical=True
                )
                .exclude(status=Action.Status.CANCELLED)
                .values_list("facility_id", "criterion__code")
                .distinct()
                .order_by()
            )
        for aid, met, applicable in (
            answers.values("assessment_id")
            .annotate(
                applicable=Count("pk", filter=rated),
                met=Count("pk", filter=rated & Q(rating__gte=MET_AT_LEAST)),
            )
            .values_list("assessment_id", "met", "applicable")
            .order_by()
        ):
            codes = gaps.get(aid, [])
            fid = facilities.get(aid)
            uncovered = sum(1 for code in codes if (fid, code) not in covered)
            result[aid] = Summary(met, applicable, len(codes), uncovered)
    return result


def _fill(user, rows: dict[int, CentreRow], ids: list[int], today: datetime.date) -> None:
    """Scores, gaps, action counts and audit dates for every row, in grouped queries."""
    wanted = set(ids)
    by_facility = scoring.latest_assessments(ids if len(ids) <= IN_LIST_MAX else None)
    latest = {fid: aid for fid, aid in by_facility.items() if fid in wanted}
    stored = {
        pk: (kind, score)
        for pk, kind, score in Assessment.objects.filter(pk__in=list(latest.values()))
        .values_list("pk", "kind", "score")
        .order_by()
    }
    figures = summaries(latest.values())
    for fid, aid in latest.items():
        row = rows[fid]
        row.assessment_kind, row.score_percent = stored.get(aid, ("", None))
        summary = figures.get(aid, Summary(0, 0, 0, 0))  # no answer at all: nothing met
        row.met, row.applicable = summary.met, summary.applicable
        row.met_percent = summary.met_percent
        row.critical_gaps, row.uncovered_gaps = summary.critical_gaps, summary.uncovered_gaps
    # Open and overdue actions per centre.
    for fid, n_open, n_overdue in (
        scoped(user, Action.objects.filter(status__in=OPEN_STATUSES))
        .values("facility_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today)))
        .values_list("facility_id", "n", "late")
        .order_by()
    ):
        if fid in rows:
            rows[fid].open_actions, rows[fid].overdue = n_open, n_overdue
    # The day of the last external audit per centre.
    audited = Coalesce("visit_on", TruncDate("submitted_at"), output_field=DateField())
    for fid, day in (
        scoped(user, Assessment.objects.filter(kind=Assessment.Kind.EXTERNAL))
        .filter(status__in=scoring.SUBMITTED)
        .values("facility_id")
        .annotate(last=Max(audited))
        .values_list("facility_id", "last")
        .order_by()
    ):
        if fid in rows:
            if isinstance(day, str):  # SQLite may hand back text for an expression
                day = datetime.date.fromisoformat(day[:10])
            rows[fid].last_audit_on = day


CSV_HEADER = (
    _("Code"),
    _("Centre"),
    _("Province"),
    _("Kind"),
    _("Model centre"),
    _("Latest assessment"),
    _("% of criteria met"),
    _("Score %"),
    _("Critical gaps open"),
    _("Critical gaps without an action"),
    _("Open actions"),
    _("Overdue actions"),
    _("Last audit"),
)


def csv_rows(board: NationalDashboard):
    yield [str(h) for h in CSV_HEADER]
    for r in board.rows:
        yield [
            r.code,
            r.name,
            r.province,
            r.kind_label,
            str(_("yes")) if r.is_model else "",
            r.assessment_kind,
            "" if r.met_percent is None else str(r.met_percent),
            "" if r.score_percent is None else str(r.score_percent),
            "" if r.critical_gaps is None else r.critical_gaps,
            "" if r.uncovered_gaps is None else r.uncovered_gaps,
            r.open_actions,
            r.overdue,
            r.last_audit_on.isoformat() if r.last_audit_on else "",
        ]
