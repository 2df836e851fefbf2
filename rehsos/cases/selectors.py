"""Reads of cases that are more than a ``.get``: caseload, board, timeline, indicators.

Every function takes the user and starts from ``access.in_scope`` / ``visible_cases``,
so nothing here can reach outside the user's scope. Lists page by keyset on indexed
keys (``rehsos.core.pagination``); the board is one grouped count plus one short,
index-backed query per stage column."""

import datetime
import heapq
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from rehsos.cases import access
from rehsos.cases.models import (
    AftercareOutcome,
    AftercareVisit,
    Assessment,
    Case,
    CaseEvent,
    CaseStatus,
    ClosureReason,
    Cluster,
    GlassBreak,
    RiskLevel,
    ServiceRecord,
    Stage,
    Stay,
    Task,
    Transition,
)
from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.pagination import decode_cursor, encode_cursor, keyset_page
from rehsos.core.permissions import can, scoped
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.selectors_home import SMALL_CELL, AggregateTable, suppress_small_cells

BOARD_COLUMN_CARDS = 25
INDICATOR_PARTS = (
    "cluster",
    "stage",
    "unit",
    "province",
    "time",
    "completed",
    "aftercare",
    "overdue",
)
PAGE_SIZE = 50

# --- stages -------------------------------------------------------------------------


def default_stages() -> list[Stage]:
    """The stages of the default stage list, in order (the board's columns)."""
    return list(Stage.objects.filter(stage_set__is_default=True).order_by("order"))


# --- cards: one line per case on the caseload and the board ---------------------------


@dataclass
class Card:
    case: Case
    name: str
    masked: bool
    days_in_stage: int
    stage_overdue: bool
    has_overdue_task: bool

    @property
    def overdue(self) -> bool:
        return self.stage_overdue or self.has_overdue_task


def initials(full_name: str) -> str:
    """'Siti Nurhaliza' -> 'S. N.': what a sensitive case shows to someone outside its team."""
    return " ".join(f"{word[0].upper()}." for word in full_name.split() if word[:1].isalpha())


def card_queryset(queryset: QuerySet) -> QuerySet:
    """What a card needs, in the one query: the person's name and public id, the stage."""
    return queryset.select_related("stage", "social_worker").annotate(
        full_name=F("person__full_name"), person_public_id=F("person__public_id")
    )


def cards(user, cases: list[Case]) -> list[Card]:
    """Cards for cases already fetched with ``card_queryset``: names of sensitive cases
    the user may not open are masked to initials (one query for open glass breaks)."""
    now = timezone.now()
    sensitive = [c.pk for c in cases if c.is_sensitive and not access.on_team(user, c)]
    opened = set()
    if sensitive:
        opened = set(
            GlassBreak.objects.filter(
                user=user, case_id__in=sensitive, expires_at__gt=now
            ).values_list("case_id", flat=True)
        )
    # One query for the overdue-task flags of the cards shown (an EXISTS per row made
    # PostgreSQL hash every overdue task of the country for each column).
    late = (
        set(
            Task.objects.filter(
                case_id__in=[c.pk for c in cases],
                status=Task.Status.OPEN,
                due_on__lt=timezone.localdate(),
            ).values_list("case_id", flat=True)
        )
        if cases
        else set()
    )
    result = []
    for case in cases:
        masked = case.pk in sensitive and case.pk not in opened
        name = getattr(case, "full_name", None) or case.person.full_name
        days = max((now - case.stage_entered_at).days, 0)
        target = case.stage.target_days
        result.append(
            Card(
                case=case,
                name=initials(name) if masked else name,
                masked=masked,
                days_in_stage=days,
                stage_overdue=bool(target and days > target),
                has_overdue_task=case.pk in late,
            )
        )
    return result


def readable_persons(cards_shown: list[Card]) -> list:
    """The persons whose names a list shows in clear (for the access log)."""
    return [card.case.person_id for card in cards_shown if not card.masked]


# --- filters --------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    cluster: str = ""
    stage: str = ""
    risk: str = ""
    worker: int | None = None

    def apply(self, queryset: QuerySet) -> QuerySet:
        if self.cluster:
            queryset = queryset.filter(cluster=self.cluster)
        if self.stage:
            queryset = queryset.filter(stage__code=self.stage, stage__stage_set__is_default=True)
        if self.risk:
            queryset = queryset.filter(risk_level=self.risk)
        if self.worker:
            queryset = queryset.filter(social_worker_id=self.worker)
        return queryset

    @property
    def active(self) -> bool:
        return bool(self.cluster or self.stage or self.risk or self.worker)


def parse_filters(data, *, stages: list[Stage] | None = None) -> Filters:
    """Filters from a query string; a bad value raises ValidationFailed naming it."""
    errors = {}
    cluster = (data.get("cluster") or "").strip()
    if cluster and cluster not in Cluster.values:
        errors["cluster"] = _("Choose one of the clusters.")
    stage = (data.get("stage") or "").strip()
    codes = [s.code for s in (stages if stages is not None else default_stages())]
    if stage and stage not in codes:
        errors["stage"] = _("Choose one of the stages.")
    risk = (data.get("risk") or "").strip()
    if risk and risk not in RiskLevel.values:
        errors["risk"] = _("Choose low, medium or high.")
    worker_raw = str(data.get("worker") or "").strip()
    worker = None
    if worker_raw:
        if worker_raw.isdigit() and len(worker_raw) < 12:
            worker = int(worker_raw)
        else:
            errors["worker"] = _("Choose a social worker from the list.")
    if errors:
        raise ValidationFailed(fields=errors)
    return Filters(cluster=cluster, stage=stage, risk=risk, worker=worker)


# --- caseload -------------------------------------------------------------------------


def caseload(user, *, filters: Filters | None = None, after: str | None = None, limit=PAGE_SIZE):
    """The user's open cases (assigned social worker or supervisor), longest in their
    stage first; a keyset page of cards."""
    queryset = access.visible_cases(user).filter(
        Q(social_worker=user) | Q(supervisor=user), status=CaseStatus.OPEN
    )
    queryset = card_queryset((filters or Filters()).apply(queryset))
    page = keyset_page(queryset, order=("stage_entered_at", "id"), after=after, limit=limit)
    page.items = cards(user, page.items)
    return page


# --- the board ------------------------------------------------------------------------


def board_units(user) -> QuerySet:
    """The units whose board the user may open: their own centre, or the centres of
    their province, or every centre for national roles."""
    from rehsos.facilities.models import Facility

    return scoped(user, Facility.objects.filter(is_active=True)).order_by("name")


def board_unit(user, unit_id=None):
    """The unit of the board: the user's own centre, or the one chosen (in scope)."""
    from rehsos.facilities.models import Facility

    if user.scope_level == ScopeLevel.FACILITY:
        if unit_id not in (None, "", str(user.facility_id), user.facility_id):
            raise NotFound(_("No such centre in your scope."))
        return user.facility
    if unit_id in (None, ""):
        return None
    if not str(unit_id).isdigit() or len(str(unit_id)) > 12:
        raise ValidationFailed(fields={"unit": _("Choose a centre from the list.")})
    unit = scoped(user, Facility.objects.all()).filter(pk=int(unit_id)).first()
    if unit is None:
        raise NotFound(_("No such centre in your scope."))
    return unit


@dataclass
class Column:
    stage: Stage
    count: int
    cards: list[Card] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)


def _unit_cases(user, unit) -> QuerySet:
    return access.in_scope(user).filter(unit=unit, status=CaseStatus.OPEN)


def board(user, unit, *, filters: Filters | None = None, per_column=BOARD_COLUMN_CARDS):
    """The centre's open cases by stage: a column per stage of the default list with
    its count and the cases longest in the stage first. Sensitive cases are on the
    board (the head must see the whole load) with initials instead of names."""
    filters = filters or Filters()
    stages = default_stages()
    base = filters.apply(_unit_cases(user, unit))
    counts = dict(base.values_list("stage_id").annotate(n=Count("pk")).order_by())
    columns = []
    for stage in stages:
        if filters.stage and stage.code != filters.stage:
            continue
        column = Column(stage=stage, count=counts.get(stage.pk, 0))
        if column.count:
            column.cards = list(
                card_queryset(base.filter(stage=stage)).order_by("stage_entered_at", "id")[
                    :per_column
                ]
            )
        columns.append(column)
    # Cards for every column at once: one query for glass breaks, one for late tasks.
    built = iter(cards(user, [case for column in columns for case in column.cards]))
    for column in columns:
        column.cards = [next(built) for _case in column.cards]
    return columns


def board_column(user, unit, stage: Stage, *, filters=None, after=None, limit=PAGE_SIZE):
    """One stage of the board as a long list, by keyset."""
    base = (filters or Filters()).apply(_unit_cases(user, unit)).filter(stage=stage)
    page = keyset_page(
        card_queryset(base), order=("stage_entered_at", "id"), after=after, limit=limit
    )
    page.items = cards(user, page.items)
    return page


def unit_workers(unit) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(facility=unit, is_active=True, role=Role.SOCIAL_WORKER)
        .order_by("first_name", "last_name", "username")
    )


# --- overdue work ---------------------------------------------------------------------


def overdue_tasks(user, *, mine: bool = False, after=None, limit=PAGE_SIZE):
    """Open tasks past their due date: the user's own, or their scope's (the unit for a
    head, the province for a provincial officer). Oldest first, by keyset."""
    queryset = scoped(user, Task.objects.all()).filter(
        status=Task.Status.OPEN, due_on__lt=timezone.localdate()
    )
    if mine or not can(user, "cases.approve"):
        queryset = queryset.filter(assignee=user)
    queryset = queryset.select_related("case", "assignee", "unit")
    return keyset_page(queryset, order=("due_on", "id"), after=after, limit=limit)


# --- break the glass ------------------------------------------------------------------


def glass_breaks(user, *, unseen_only=False) -> QuerySet:
    """Glass breaks on the cases of the user's scope (a head: their unit's), newest first."""
    queryset = scoped(user, GlassBreak.objects.all()).select_related("case", "user")
    if user.role == Role.FACILITY_HEAD:
        queryset = queryset.filter(case__unit_id=user.facility_id)
    if unseen_only:
        queryset = queryset.filter(seen_by_head_at__isnull=True)
    return queryset.order_by("-at", "-id")


# --- the timeline ---------------------------------------------------------------------

# Labels for the event kinds we know; any other kind (a module added later) is shown
# with its code made readable: "placement_started" -> "Placement started".
EVENT_LABELS = {
    "opened": _("Case opened"),
    "case_opened": _("Case opened"),
    "moved": _("Stage changed"),
    "stage_moved": _("Stage changed"),
    "closed": _("Case closed"),
    "reopened": _("Case reopened"),
    "assigned": _("Worker assigned"),
    "transferred": _("Transferred"),
    "transfer_requested": _("Transfer requested"),
    "transfer_accepted": _("Transfer accepted"),
    "transfer_declined": _("Transfer declined"),
    "referral_accepted": _("Referral accepted"),
    "assessment_recorded": _("Assessment recorded"),
    "plan_approved": _("Plan approved"),
    "plan_submitted": _("Plan submitted"),
    "service_recorded": _("Service recorded"),
    "note_added": _("Note added"),
    "admitted": _("Admitted"),
    "discharged": _("Discharged"),
    "aftercare_visit": _("Aftercare visit"),
    "glass_broken": _("Opened by breaking the glass"),
}


def event_label(kind: str) -> str:
    if kind in EVENT_LABELS:
        return str(EVENT_LABELS[kind])
    return capfirst(kind.replace(".", " ").replace("_", " ").replace("-", " ").strip())


@dataclass
class Entry:
    at: datetime.datetime
    source: str
    id: int
    label: str
    detail: str = ""
    actor: object = None
    data: dict = field(default_factory=dict)


# (source, rank): ties on the same instant are ordered by rank, then id (keyset key).
_SOURCES = ("event", "transition", "service", "assessment", "stay")
_RANK = {name: i for i, name in enumerate(_SOURCES)}


def _before(field_name: str, source: str, cursor) -> Q:
    """Rows of ``source`` strictly after the cursor in newest-first order."""
    if cursor is None:
        return Q()
    at, rank, pk = cursor
    if _RANK[source] < rank:
        return Q(**{f"{field_name}__lt": at}) | Q(**{field_name: at})
    if _RANK[source] == rank:
        return Q(**{f"{field_name}__lt": at}) | Q(**{field_name: at, "pk__lt": pk})
    return Q(**{f"{field_name}__lt": at})


def _entries(case: Case, cursor, limit: int) -> list[Entry]:
    take = limit + 1
    found: list[list[Entry]] = []
    transitions = (
        Transition.objects.filter(_before("at", "transition", cursor), case=case)
        .select_related("from_stage", "to_stage", "actor")
        .order_by("-at", "-pk")[:take]
    )
    found.append(
        [
            Entry(
                at=t.at,
                source="transition",
                id=t.pk,
                label=f"{t.get_kind_display()}: {t.to_stage}",
                detail=(
                    str(
                        _("%(days)s days in %(stage)s")
                        % {"days": t.days_in_previous, "stage": t.from_stage}
                    )
                    if t.from_stage_id and t.days_in_previous is not None
                    else ""
                ),
                actor=t.actor,
                data={"reason": t.reason},
            )
            for t in transitions
        ]
    )
    services = (
        ServiceRecord.objects.filter(_before("recorded_at", "service", cursor), case=case)
        .select_related("component", "recorded_by")
        .order_by("-recorded_at", "-pk")[:take]
    )
    found.append(
        [
            Entry(
                at=s.recorded_at,
                source="service",
                id=s.pk,
                label=str(_("Service delivered: %(component)s") % {"component": s.component}),
                detail=f"{s.delivered_on:%Y-%m-%d} · {s.description}",
                actor=s.recorded_by,
            )
            for s in services
        ]
    )
    assessments = (
        Assessment.objects.filter(_before("created_at", "assessment", cursor), case=case)
        .select_related("instrument_version__instrument", "assessor")
        .order_by("-created_at", "-pk")[:take]
    )
    found.append(
        [
            Entry(
                at=a.created_at,
                source="assessment",
                id=a.pk,
                label=str(
                    _("Assessment: %(instrument)s")
                    % {"instrument": a.instrument_version.instrument}
                ),
                detail=" · ".join(
                    str(part)
                    for part in (a.assessed_on, a.score if a.is_complete else "", a.band)
                    if part not in ("", None)
                ),
                actor=a.assessor,
            )
            for a in assessments
        ]
    )
    stays = (
        Stay.objects.filter(_before("created_at", "stay", cursor), case=case)
        .select_related("facility")
        .order_by("-created_at", "-pk")[:take]
    )
    found.append(
        [
            Entry(
                at=s.created_at,
                source="stay",
                id=s.pk,
                label=str(_("Residential stay at %(centre)s") % {"centre": s.facility}),
                detail=f"{s.admitted_on:%Y-%m-%d} – "
                + (f"{s.discharged_on:%Y-%m-%d}" if s.discharged_on else "…"),
            )
            for s in stays
        ]
    )
    shown = {(e.source, e.id) for rows in found for e in rows}
    events = (
        CaseEvent.objects.filter(_before("at", "event", cursor), case=case)
        .select_related("actor")
        .order_by("-at", "-pk")[:take]
    )
    rows = []
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        # An event about a row already on the timeline adds nothing but noise.
        if any(
            (source, data.get(key)) in shown
            for source in _SOURCES[1:]
            for key in (source, f"{source}_id")
        ):
            continue
        rows.append(
            Entry(
                at=event.at,
                source="event",
                id=event.pk,
                label=event_label(event.kind),
                actor=event.actor,
                data={k: v for k, v in data.items() if isinstance(v, str | int | float)},
            )
        )
    found.insert(0, rows)

    def key(entry: Entry):
        return (entry.at, _RANK[entry.source], entry.id)

    return list(heapq.merge(*found, key=key, reverse=True))[:take]


@dataclass
class TimelinePage:
    items: list[Entry]
    next_cursor: str | None


def timeline(case: Case, *, after: str | None = None, limit: int = PAGE_SIZE) -> TimelinePage:
    """The case's history, newest first: its event feed merged with its stage moves,
    services, assessments and stays, by keyset on (time, source, id)."""
    cursor = None
    if after:
        at, rank, pk = decode_cursor(after, 3)
        try:
            at = datetime.datetime.fromisoformat(str(at))
            rank, pk = int(rank), int(pk)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(
                fields={"after": _("This cursor is not valid; start from the first page.")}
            ) from exc
        cursor = (at, rank, pk)
    entries = _entries(case, cursor, limit)
    next_cursor = None
    if len(entries) > limit:
        entries = entries[:limit]
        last = entries[-1]
        next_cursor = encode_cursor([last.at.isoformat(), _RANK[last.source], last.id])
    return TimelinePage(items=entries, next_cursor=next_cursor)


# --- indicators -----------------------------------------------------------------------


def aggregate_only(user) -> bool:
    """Analysts and partners: counts without people, small cells suppressed."""
    return can(user, "stats.view") and not can(user, "cases.view")


def _counts(queryset: QuerySet, key: str) -> dict:
    return dict(queryset.values_list(key).annotate(n=Count("pk")).order_by())


def _table(pairs: list[tuple[str, int]], suppress: bool) -> AggregateTable:
    if suppress:
        return suppress_small_cells(pairs)
    table = AggregateTable()
    from rehsos.core.selectors_home import Cell

    table.rows = [Cell(label=label, value=n) for label, n in pairs]
    table.total = Cell(label="", value=sum(n for _label, n in pairs))
    return table


def _summary(histogram: dict[int, int]) -> dict:
    """Count, mean and median of whole days given as {days: how many}."""
    n = sum(histogram.values())
    if not n:
        return {"n": 0, "avg": None, "med": None}
    ordered = sorted(histogram.items())

    def nth(k: int) -> int:  # the k-th smallest value, from 0
        seen = 0
        for days, count in ordered:
            seen += count
            if k < seen:
                return days
        return ordered[-1][0]

    middle = (nth((n - 1) // 2) + nth(n // 2)) / 2
    return {"n": n, "avg": sum(d * c for d, c in ordered) / n, "med": middle}


def _stage_times(cases: QuerySet, stages: list[Stage], suppress: bool, narrowed: bool):
    """Average and median days per stage: spells finished (Transition.days_in_previous)
    and the open cases' whole days so far (from stage_entered_at). Both are read as
    histograms (stage, days) -> count, a few hundred rows even nationally, so the
    database groups instead of sorting millions of values for a percentile."""
    transitions = Transition.objects.filter(from_stage__in=stages, days_in_previous__isnull=False)
    if narrowed:
        transitions = transitions.filter(case__in=cases.values("pk"))
    done: dict[int, dict[int, int]] = {}
    for stage_id, days, n in (
        transitions.values_list("from_stage", "days_in_previous").annotate(n=Count("pk")).order_by()
    ):
        done.setdefault(stage_id, {})[days] = n
    today = timezone.localdate()
    current: dict[int, dict[int, int]] = {}
    for stage_id, day, n in (
        cases.filter(status=CaseStatus.OPEN, stage__in=stages)
        .annotate(day=TruncDate("stage_entered_at"))
        .values_list("stage", "day")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        days = max((today - day).days, 0)
        bucket = current.setdefault(stage_id, {})
        bucket[days] = bucket.get(days, 0) + n
    result = []
    for stage in stages:
        row = {"stage": stage}
        for name, source in (("done", done), ("current", current)):
            figures = _summary(source.get(stage.pk, {}))
            hidden = suppress and 0 < figures["n"] < SMALL_CELL
            row[name] = {
                "n": None if hidden else figures["n"],
                "avg": None if hidden or figures["avg"] is None else round(figures["avg"], 1),
                "median": None if hidden or figures["med"] is None else round(figures["med"], 1),
                "hidden": hidden,
            }
        result.append(row)
    return result


def _province_names(codes) -> dict:
    from rehsos.regions.models import Region

    return dict(Region.objects.filter(level=1, code__in=list(codes)).values_list("code", "name"))


def indicators(
    user, *, unit=None, province: str | None = None, parts: tuple[str, ...] | None = None
) -> dict:
    """Case indicators in the user's scope (narrowed to a unit or a province if given):
    open cases by cluster, stage, unit and province; time in stage; completed
    rehabilitations per month (last 12); aftercare outcomes; overdue work. For
    aggregate-only roles every count table has its small cells suppressed."""
    from rehsos.facilities.models import Facility

    suppress = aggregate_only(user)
    cases = access.in_scope(user)
    tasks = scoped(user, Task.objects.all())
    if unit is not None:
        cases, tasks = cases.filter(unit=unit), tasks.filter(unit=unit)
    if province:
        cases = cases.filter(province_code=province)
        tasks = tasks.filter(province_code=province)
    wanted = set(
        parts
        or ("cluster", "stage", "unit", "province", "time", "completed", "aftercare", "overdue")
    )
    # Nationally the case filter would only cost a join over every case.
    narrowed = bool(unit is not None or province or user.scope_level != ScopeLevel.NATION)
    open_cases = cases.filter(status=CaseStatus.OPEN)
    result: dict = {"suppressed": suppress}
    stages = default_stages()
    # One grouped scan of the open cases serves the four breakdowns; the province
    # follows from the unit, so grouping by it too would only multiply the groups.
    grouped: dict[str, dict] = {"cluster": {}, "stage": {}, "unit": {}, "province_code": {}}
    if wanted & {"cluster", "stage", "unit", "province"}:
        rows = list(
            open_cases.values_list("cluster", "stage", "unit").annotate(n=Count("pk")).order_by()
        )
        provinces = dict(
            Facility.objects.filter(pk__in={unit_id for _c, _s, unit_id, _n in rows}).values_list(
                "pk", "province_code"
            )
        )
        for cluster, stage_id, unit_id, n in rows:
            for key, value in (
                ("cluster", cluster),
                ("stage", stage_id),
                ("unit", unit_id),
                ("province_code", provinces.get(unit_id)),
            ):
                grouped[key][value] = grouped[key].get(value, 0) + n
    if "cluster" in wanted:
        by_cluster = grouped["cluster"]
        result["by_cluster"] = _table(
            [(str(label), by_cluster.get(value, 0)) for value, label in Cluster.choices], suppress
        )
    if "stage" in wanted:
        by_stage = grouped["stage"]
        result["by_stage"] = _table(
            [(str(stage), by_stage.get(stage.pk, 0)) for stage in stages], suppress
        )
    if "unit" in wanted:
        by_unit = grouped["unit"]
        names = dict(Facility.objects.filter(pk__in=list(by_unit)).values_list("pk", "name"))
        result["by_unit"] = _table(
            sorted(((names.get(pk, str(pk)), n) for pk, n in by_unit.items()), key=lambda r: r[0]),
            suppress,
        )
    if "province" in wanted:
        by_province = grouped["province_code"]
        names = _province_names(by_province)
        result["by_province"] = _table(
            [(names.get(code, code), n) for code, n in sorted(by_province.items())], suppress
        )
    if "time" in wanted:
        result["time_in_stage"] = _stage_times(cases, stages, suppress, narrowed)
    if "completed" in wanted:
        since = (timezone.localdate().replace(day=1) - datetime.timedelta(days=335)).replace(day=1)
        per_month = dict(
            cases.filter(
                status=CaseStatus.CLOSED,
                closure_reason=ClosureReason.COMPLETED,
                closed_on__gte=since,
            )
            .annotate(month=TruncMonth("closed_on"))
            .values_list("month")
            .annotate(n=Count("pk"))
            .order_by()
        )
        months, month = [], since
        while month <= timezone.localdate():
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        per_month = {
            (m.date() if isinstance(m, datetime.datetime) else m): n for m, n in per_month.items()
        }
        result["completed"] = _table(
            [(m.strftime("%Y-%m"), per_month.get(m, 0)) for m in months], suppress
        )
    if "aftercare" in wanted:
        visits = AftercareVisit.objects.exclude(outcome="")
        if narrowed:
            visits = visits.filter(case__in=cases.values("pk"))
        outcomes = _counts(visits, "outcome")
        result["aftercare"] = _table(
            [(str(label), outcomes.get(value, 0)) for value, label in AftercareOutcome.choices],
            suppress,
        )
    if "overdue" in wanted:
        overdue = tasks.filter(status=Task.Status.OPEN, due_on__lt=timezone.localdate())
        by_kind = _counts(overdue, "kind")
        result["overdue"] = _table(
            [(str(label), by_kind.get(value, 0)) for value, label in Task.Kind.choices], suppress
        )
    return result
