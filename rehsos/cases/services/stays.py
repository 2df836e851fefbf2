"""Residential stays: admission, discharge and transfer between centres, the centre's
capacity, and occupancy by day and cluster.

* ``admit``: the case must be open and residential (or switched to residential with a
  reason), have no open stay, and be admitted on a day between its opening and
  today. A centre at capacity refuses the admission unless a user holding
  ``cases.override_capacity`` (the head) gives a reason, which is kept on the stay.
  The facility row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs one
  writer at a time), so two admissions at once cannot both take the last bed.
* ``discharge`` with a reason and a date; ``transfer`` = discharge here + admit there.
* ``occupancy``: beds used per day and cluster for a centre and a date range,
  counted in SQL. A stay occupies a bed from ``admitted_on`` up to the day before
  ``discharged_on`` (a bed freed in the morning is taken again the same day).

Capacity is a list of limits (:class:`CapacityLimit`), each for the whole centre or
for one cluster. Today the one source is ``Facility.capacity``; per-cluster capacity
(the facilities issue) plugs in with ``register_capacity_source``.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.cases.models import Case, CaseStatus, Setting, Stay
from rehsos.cases.services import events
from rehsos.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from rehsos.core.permissions import can, require, scoped
from rehsos.facilities.models import Facility

MAX_RANGE_DAYS = 366
MIN_REASON = 10


class CapacityExceeded(DomainError):
    """The centre (or the cluster's share of it) is full on a day of the stay."""

    status = 409
    code = "capacity_exceeded"
    title = gettext_lazy("The centre is full")


# --- capacity -------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityLimit:
    beds: int
    cluster: str | None = None  # None: the whole centre


CapacitySource = Callable[[Facility], Iterable[CapacityLimit]]


def centre_capacity(facility: Facility) -> list[CapacityLimit]:
    """The centre's total beds (``Facility.capacity``); none known: no limit."""
    return [] if facility.capacity is None else [CapacityLimit(beds=facility.capacity)]


_capacity_sources: list[CapacitySource] = [centre_capacity]


def register_capacity_source(source: CapacitySource) -> CapacitySource:
    """Add a source of limits (e.g. beds per cluster from the facilities app). Every
    limit of every source must hold for an admission to go through without override."""
    if source not in _capacity_sources:
        _capacity_sources.append(source)
    return source


def capacity_limits(facility: Facility) -> list[CapacityLimit]:
    return [limit for source in _capacity_sources for limit in source(facility)]


# --- occupancy (reads) ----------------------------------------------------------------


def _days_sql(vendor: str) -> str:
    if vendor == "postgresql":
        return (
            "SELECT d::date AS day FROM generate_series(%s::date, %s::date, interval '1 day') AS d"
        )
    return (
        "WITH RECURSIVE span(day) AS (SELECT date(%s) UNION ALL "
        "SELECT date(day, '+1 day') FROM span WHERE day < date(%s)) SELECT day FROM span"
    )


def daily_counts(
    facility_ids: list[int], start: datetime.date, end: datetime.date, *, cluster: str | None = None
) -> list[tuple[datetime.date, int, str, int]]:
    """Beds used: one row (day, facility id, cluster, stays) for every day from
    ``start`` to ``end`` (both included) on which a centre had a stay of that cluster.
    Days without any stay have no row. Counted in SQL (a day series joined to the
    stays by the ``stay_occupancy`` index); the reports app may call it for many
    centres at once."""
    if not facility_ids or start > end:
        return []
    table = Stay._meta.db_table
    marks = ", ".join(["%s"] * len(facility_ids))
    cluster_sql = " AND s.cluster = %s" if cluster else ""
    sql = (
        f"WITH days AS ({_days_sql(connection.vendor)}) "  # noqa: S608 - names from our models, values bound
        f"SELECT days.day, s.facility_id, s.cluster, COUNT(*) FROM days "
        f"JOIN {table} s ON s.admitted_on <= days.day "
        f"AND (s.discharged_on IS NULL OR s.discharged_on > days.day) "
        f"WHERE s.facility_id IN ({marks}){cluster_sql} "
        f"GROUP BY days.day, s.facility_id, s.cluster ORDER BY 1, 2, 3"
    )
    params = [start, end, *facility_ids] + ([cluster] if cluster else [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day), fid, c, n)
        for day, fid, c, n in rows
    ]


@dataclass
class OccupancyCell:
    cluster: str
    used: int
    capacity: int | None

    @property
    def percent(self) -> float | None:
        return round(100 * self.used / self.capacity, 1) if self.capacity else None


@dataclass
class OccupancyDay:
    day: datetime.date
    cells: list[OccupancyCell]
    total: int
    capacity: int | None

    @property
    def percent(self) -> float | None:
        return round(100 * self.total / self.capacity, 1) if self.capacity else None

    @property
    def over(self) -> bool:
        return self.capacity is not None and self.total > self.capacity


@dataclass
class Occupancy:
    facility: Facility
    start: datetime.date
    end: datetime.date
    clusters: list[str]
    capacity: int | None
    cluster_capacity: dict[str, int] = field(default_factory=dict)
    days: list[OccupancyDay] = field(default_factory=list)

    @property
    def peak(self) -> int:
        return max((d.total for d in self.days), default=0)

    @property
    def average(self) -> float:
        return round(sum(d.total for d in self.days) / len(self.days), 1) if self.days else 0.0


def parse_range(start, end) -> tuple[datetime.date, datetime.date]:
    """Check a date range from a page or the API (``from`` and ``to``, both included)."""
    errors = {}
    dates = []
    for name, value in (("from", start), ("to", end)):
        if isinstance(value, datetime.date):
            dates.append(value)
            continue
        try:
            dates.append(datetime.date.fromisoformat(str(value or "").strip()))
        except ValueError:
            errors[name] = _("Give a date as YYYY-MM-DD.")
            dates.append(None)
    if errors:
        raise ValidationFailed(fields=errors)
    start, end = dates
    if end < start:
        raise ValidationFailed(fields={"to": _("The end of the range is before its start.")})
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            fields={"to": _("Choose at most %(days)d days.") % {"days": MAX_RANGE_DAYS}}
        )
    return start, end


def occupancy(facility: Facility, start: datetime.date, end: datetime.date) -> Occupancy:
    """The centre's occupancy per day and cluster, with its capacity and the share
    used. Every day of the range is present (zero when nobody stayed); the clusters
    are those the centre serves and any with a stay in the range."""
    counts: dict[tuple[datetime.date, str], int] = {}
    present = set()
    for day, _fid, cluster, n in daily_counts([facility.pk], start, end):
        counts[(day, cluster)] = n
        present.add(cluster)
    clusters = list(facility.clusters or [])
    clusters += sorted(present - set(clusters))
    limits = capacity_limits(facility)
    centre = [limit.beds for limit in limits if limit.cluster is None]
    capacity = min(centre) if centre else None
    by_cluster = {}
    for limit in limits:
        if limit.cluster is not None:
            by_cluster[limit.cluster] = min(limit.beds, by_cluster.get(limit.cluster, limit.beds))
    days = []
    day = start
    while day <= end:
        cells = [OccupancyCell(c, counts.get((day, c), 0), by_cluster.get(c)) for c in clusters]
        days.append(OccupancyDay(day, cells, sum(cell.used for cell in cells), capacity))
        day += datetime.timedelta(days=1)
    return Occupancy(facility, start, end, clusters, capacity, by_cluster, days)


def facilities_in_scope(user):
    return scoped(user, Facility.objects.filter(is_active=True)).order_by("name")


def facility_for(user, code: str) -> Facility:
    """A centre in the user's scope by its code (NotFound otherwise, as for a missing one)."""
    facility = facilities_in_scope(user).filter(code=code).first()
    if facility is None:
        raise NotFound(_("No such centre in your scope."))
    return facility


def residents(facility: Facility, on: datetime.date | None = None):
    """Stays occupying a bed at the centre on a day (today by default)."""
    on = on or timezone.localdate()
    return (
        Stay.objects.filter(facility=facility, admitted_on__lte=on)
        .exclude(discharged_on__lte=on)
        .select_related("case", "case__person", "case__social_worker")
        .order_by("cluster", "admitted_on", "pk")
    )


# --- writes ---------------------------------------------------------------------------


def _check_version(row, version: int | None, what: str) -> None:
    if version is not None and row.version != version:
        raise Conflict(
            _("Someone else changed this %(what)s after you opened it.") % {"what": what},
            extra={"current_version": row.version, "your_version": version},
        )


def _over_limits(
    facility: Facility, cluster: str, start: datetime.date, end: datetime.date
) -> list[dict]:
    """The limits a new open stay of ``cluster`` from ``start`` would break (checked
    day by day up to ``end``, the last day a stay can already be recorded for)."""
    broken = []
    for limit in capacity_limits(facility):
        if limit.cluster is not None and limit.cluster != cluster:
            continue
        per_day: dict[datetime.date, int] = {}
        for day, _fid, _c, n in daily_counts([facility.pk], start, end, cluster=limit.cluster):
            per_day[day] = per_day.get(day, 0) + n
        peak = max(per_day.values(), default=0)
        if peak + 1 > limit.beds:
            broken.append({"cluster": limit.cluster, "capacity": limit.beds, "occupied": peak})
    return broken


def _refuse_over_capacity(user, facility, broken, override_reason: str) -> str:
    """Decide on an admission over capacity: the reason to record, or a refusal."""
    may_override = can(user, "cases.override_capacity")
    first = broken[0]
    extra = {**first, "may_override": may_override}
    if not may_override:
        raise CapacityExceeded(
            _(
                "%(centre)s is full (%(occupied)d of %(capacity)d beds used). Only the head "
                "of the centre can admit beyond its capacity."
            )
            % {
                "centre": facility.name,
                "occupied": first["occupied"],
                "capacity": first["capacity"],
            },
            extra=extra,
        )
    reason = (override_reason or "").strip()
    if len(reason) < MIN_REASON:
        raise CapacityExceeded(
            _(
                "%(centre)s is full (%(occupied)d of %(capacity)d beds used). To admit anyway, "
                "say why (at least %(min)d characters)."
            )
            % {
                "centre": facility.name,
                "occupied": first["occupied"],
                "capacity": first["capacity"],
                "min": MIN_REASON,
            },
            fields={"override_reason": _("Give the reason for exceeding the capacity.")},
            extra=extra,
        )
    return reason


def admit(
    user,
    case: Case,
    *,
    facility: Facility,
    admitted_on: datetime.date | None = None,
    planned_discharge_on: datetime.date | None = None,
    room: str = "",
    setting_reason: str = "",
    override_reason: str = "",
) -> Stay:
    """Admit a case to a centre. See the module's docstring for the rules."""
    require(user, "cases.edit")
    today = timezone.localdate()
    admitted_on = admitted_on or today
    with transaction.atomic():
        # Fixed lock order: the case, then the centre.
        case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
        errors = {}
        if case.status != CaseStatus.OPEN:
            errors["case"] = _("The case is closed; reopen it before admitting.")
        if not scoped(user, Facility.objects.filter(pk=facility.pk, is_active=True)).exists():
            errors["facility"] = _("Choose an active centre in your scope.")
        if admitted_on > today:
            errors["admitted_on"] = _("The admission date cannot be in the future.")
        elif admitted_on < case.opened_on:
            errors["admitted_on"] = _(
                "The admission date cannot be before the case was opened (%(date)s)."
            ) % {"date": case.opened_on.isoformat()}
        if planned_discharge_on and planned_discharge_on < admitted_on:
            errors["planned_discharge_on"] = _("The planned discharge is before the admission.")
        switch = case.setting != Setting.RESIDENTIAL
        if switch and len((setting_reason or "").strip()) < MIN_REASON:
            errors["setting_reason"] = _(
                "The case is not residential: give the reason for the change to a residential "
                "setting (at least %(min)d characters)."
            ) % {"min": MIN_REASON}
        stays = list(case.stays.all())
        if any(stay.discharged_on is None for stay in stays):
            errors["case"] = _("The case already has an open stay; discharge it first.")
        else:
            last_out = max((s.discharged_on for s in stays), default=None)
            if last_out and admitted_on < last_out and "admitted_on" not in errors:
                errors["admitted_on"] = _(
                    "The admission date overlaps the previous stay (discharged %(date)s)."
                ) % {"date": last_out.isoformat()}
        if errors:
            raise ValidationFailed(fields=errors)

        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        broken = _over_limits(facility, case.cluster, admitted_on, today)
        reason = _refuse_over_capacity(user, facility, broken, override_reason) if broken else ""

        if switch:
            previous = case.setting
            Case.objects.filter(pk=case.pk).update(
                setting=Setting.RESIDENTIAL, version=F("version") + 1, updated_at=timezone.now()
            )
            case.setting = Setting.RESIDENTIAL
            case.refresh_from_db(fields=["version", "updated_at"])
            events.record(
                case, "setting_changed", actor=user, previous=previous, setting=case.setting
            )
        try:
            with transaction.atomic():
                stay = Stay.objects.create(
                    case=case,
                    facility=facility,
                    cluster=case.cluster,
                    admitted_on=admitted_on,
                    planned_discharge_on=planned_discharge_on,
                    room=(room or "").strip(),
                    capacity_override_by=user if reason else None,
                    capacity_override_reason=reason,
                    admitted_by=user,
                )
        except IntegrityError as exc:  # an open stay written by someone else meanwhile
            raise ValidationFailed(
                fields={"case": _("The case already has an open stay; discharge it first.")}
            ) from exc
        events.record(
            case,
            "stay_admitted",
            actor=user,
            stay=str(stay.public_id),
            facility=facility.code,
            cluster=stay.cluster,
            admitted_on=admitted_on.isoformat(),
            over_capacity=bool(reason),
        )
    return stay


def discharge(
    user,
    stay: Stay,
    *,
    discharged_on: datetime.date | None = None,
    reason: str,
    version: int | None = None,
) -> Stay:
    """Discharge a stay on a day (today by default) for a reason."""
    require(user, "cases.edit")
    today = timezone.localdate()
    discharged_on = discharged_on or today
    with transaction.atomic():
        stay = Stay.objects.select_for_update().select_related("case").get(pk=stay.pk)
        _check_version(stay, version, _("stay"))
        errors = {}
        if stay.discharged_on is not None:
            errors["discharged_on"] = _("This stay has already been discharged.")
        elif discharged_on > today:
            errors["discharged_on"] = _("The discharge date cannot be in the future.")
        elif discharged_on < stay.admitted_on:
            errors["discharged_on"] = _(
                "The discharge date cannot be before the admission (%(date)s)."
            ) % {"date": stay.admitted_on.isoformat()}
        if reason not in Stay.DischargeReason.values:
            errors["reason"] = _("Choose a discharge reason.")
        if errors:
            raise ValidationFailed(fields=errors)
        stay.discharged_on = discharged_on
        stay.discharge_reason = reason
        stay.version += 1
        stay.save(update_fields=["discharged_on", "discharge_reason", "version", "updated_at"])
        events.record(
            stay.case,
            "stay_discharged",
            actor=user,
            stay=str(stay.public_id),
            facility=stay.facility.code,
            discharged_on=discharged_on.isoformat(),
            reason=reason,
        )
    return stay


def transfer(
    user,
    stay: Stay,
    *,
    to: Facility,
    on: datetime.date | None = None,
    room: str = "",
    override_reason: str = "",
    version: int | None = None,
) -> Stay:
    """Move a resident to another centre: discharge here (reason: transferred) and
    admit there on the same day, in one transaction. Returns the new stay."""
    if to.pk == stay.facility_id:
        raise ValidationFailed(fields={"to": _("Choose another centre than the current one.")})
    with transaction.atomic():
        done = discharge(
            user, stay, discharged_on=on, reason=Stay.DischargeReason.TRANSFERRED, version=version
        )
        return admit(
            user,
            done.case,
            facility=to,
            admitted_on=done.discharged_on,
            planned_discharge_on=done.planned_discharge_on,
            room=room,
            override_reason=override_reason,
        )


def stay_for(user, public_id) -> Stay:
    """A stay in the user's scope, through its case's visibility (NotFound otherwise).
    The caller still opens its case with ``access.get_case`` for the log and the
    sensitive-case rule."""
    stay = (
        scoped(user, Stay.objects.all())
        .select_related("case", "facility")
        .filter(public_id=public_id)
        .first()
    )
    if stay is None:
        from rehsos.cases import access

        stay = (
            Stay.objects.select_related("case", "facility")
            .filter(public_id=public_id, case__in=access.in_scope(user))
            .first()
        )
    if stay is None:
        raise NotFound(_("No such stay in your scope."))
    return stay
