"""Staffing ratios: a centre's staff against the staffing criteria of the standards
catalogue.

A criterion of an adopted catalogue version may state a ratio: one ``staff_role`` per
``residents_per_staff`` residents (``rehsos.standards.models.Criterion``). workforce
and standards sit on the same layer; reading the catalogue's models from here is the
one place workforce imports standards, and standards never imports workforce.

For a centre:

* the criteria that apply are those with a role and a ratio in the *current* adopted
  version of every catalogue whose functions match the centre: the catalogue lists no
  clusters (it applies to every centre) or shares one with the centre's
  ``Facility.clusters``. The current version of a catalogue is its adopted version in
  force on the day (``effective_from`` ≤ day ≤ ``effective_to``, open ends allowed),
  the highest number when several are;
* residents = the centre's places for the criterion's functions: the sum of its
  ``FacilityCapacity`` rows for the catalogue's clusters (all rows when the catalogue
  lists none); when it has no such row, the centre's total ``Facility.capacity``;
  neither known → the requirement is unknown;
* required = ⌈residents / residents_per_staff⌉; the requirements of criteria for the
  same role add up (each covers its own residents);
* actual = the staff of that role active on the day (started, not left);
* shortfall = max(0, required − actual).

Everything is read with four grouped queries whatever the number of centres: the
centres, their capacity rows, the active staff counted by centre and role, and the
current staffing criteria.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from rehsos.facilities.models import Facility, FacilityCapacity
from rehsos.standards.models import CatalogueVersion, Criterion
from rehsos.workforce.models import StaffMember, StaffRole

ROLE_ORDER = {role: i for i, role in enumerate(StaffRole.values)}


class Status:
    MET = "met"
    SHORT = "short"
    UNKNOWN = "unknown"  # the centre's capacity is not recorded


def _role_label(role: str) -> str:
    return str(StaffRole(role).label) if role in StaffRole.values else role


@dataclass(frozen=True)
class StaffingCriterion:
    code: str
    catalogue: str
    version: int
    clusters: tuple[str, ...]
    role: str
    residents_per_staff: int

    def applies_to(self, functions: set[str]) -> bool:
        return not self.clusters or bool(functions.intersection(self.clusters))


@dataclass(frozen=True)
class Requirement:
    criterion: StaffingCriterion
    residents: int | None
    required: int | None


@dataclass
class RoleRatio:
    role: str
    actual: int
    requirements: list[Requirement] = field(default_factory=list)

    @property
    def label(self) -> str:
        return _role_label(self.role)

    @property
    def required(self) -> int | None:
        known = [r.required for r in self.requirements if r.required is not None]
        if len(known) < len(self.requirements):
            return None
        return sum(known)

    @property
    def shortfall(self) -> int | None:
        required = self.required
        return None if required is None else max(0, required - self.actual)

    @property
    def status(self) -> str:
        shortfall = self.shortfall
        if shortfall is None:
            return Status.UNKNOWN
        return Status.SHORT if shortfall else Status.MET

    @property
    def residents_per_staff(self) -> str:
        return " + ".join(f"1:{r.criterion.residents_per_staff}" for r in self.requirements)


@dataclass
class CentreRatios:
    facility_id: int
    code: str
    name: str
    staff_by_role: dict[str, int]
    roles: list[RoleRatio]

    @property
    def by_role(self) -> list[tuple[str, str, int]]:
        """(role, label, active staff) in the roles' order."""
        return [(role, _role_label(role), n) for role, n in self.staff_by_role.items()]

    @property
    def staff_total(self) -> int:
        return sum(self.staff_by_role.values())

    @property
    def shortfall(self) -> int:
        return sum(r.shortfall or 0 for r in self.roles)

    @property
    def status(self) -> str:
        if any(r.status == Status.SHORT for r in self.roles):
            return Status.SHORT
        if any(r.status == Status.UNKNOWN for r in self.roles):
            return Status.UNKNOWN
        return Status.MET

    @property
    def short_roles(self) -> list[RoleRatio]:
        return [r for r in self.roles if r.status == Status.SHORT]


def required_staff(residents: int, residents_per_staff: int) -> int:
    """⌈residents / residents_per_staff⌉ in whole numbers."""
    return -(-residents // residents_per_staff)


def current_criteria(on: datetime.date) -> list[StaffingCriterion]:
    """The staffing criteria with a ratio in each catalogue's current adopted version."""
    in_force = (
        Q(version__status=CatalogueVersion.Status.ADOPTED)
        & (Q(version__effective_from__isnull=True) | Q(version__effective_from__lte=on))
        & (Q(version__effective_to__isnull=True) | Q(version__effective_to__gte=on))
    )
    rows = (
        Criterion.objects.filter(in_force, residents_per_staff__gt=0)
        .exclude(staff_role="")
        .values_list(
            "code",
            "staff_role",
            "residents_per_staff",
            "version__number",
            "version__catalogue_id",
            "version__catalogue__code",
            "version__catalogue__clusters",
        )
        .order_by("version__catalogue_id", "-version__number", "order", "code")
    )
    current: dict[int, int] = {}
    found = []
    for code, role, ratio, number, catalogue_id, catalogue, clusters in rows:
        if current.setdefault(catalogue_id, number) != number:
            continue  # an older version still marked adopted and in force
        found.append(
            StaffingCriterion(
                code=code,
                catalogue=catalogue,
                version=number,
                clusters=tuple(clusters or ()),
                role=role,
                residents_per_staff=ratio,
            )
        )
    return found


def residents_for(
    criterion: StaffingCriterion, places: dict[str, int], capacity: int | None
) -> int | None:
    """The centre's places for the criterion's functions (see the module's doc)."""
    if places:
        if not criterion.clusters:
            return sum(places.values())
        matching = [places[c] for c in criterion.clusters if c in places]
        if matching:
            return sum(matching)
    return capacity


def active_staff(on: datetime.date | None = None) -> QuerySet:
    on = on or timezone.localdate()
    return StaffMember.objects.filter(started_on__lte=on).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=on)
    )


def centre_ratios(
    facilities: QuerySet, *, on: datetime.date | None = None
) -> dict[int, CentreRatios]:
    """The ratios of every centre of ``facilities`` (a queryset), by facility id."""
    on = on or timezone.localdate()
    ids = facilities.values("pk")
    centres = list(facilities.values_list("pk", "code", "name", "clusters", "capacity"))
    places: dict[int, dict[str, int]] = defaultdict(dict)
    for facility_id, cluster, n in FacilityCapacity.objects.filter(facility_id__in=ids).values_list(
        "facility_id", "cluster", "places"
    ):
        places[facility_id][cluster] = n
    staff: dict[int, dict[str, int]] = defaultdict(dict)
    for facility_id, role, n in (
        active_staff(on)
        .filter(facility_id__in=ids)
        .values_list("facility_id", "role")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        staff[facility_id][role] = n
    criteria = current_criteria(on)

    result = {}
    for pk, code, name, clusters, capacity in centres:
        functions = set(clusters or ())
        by_role: dict[str, RoleRatio] = {}
        counts = staff.get(pk, {})
        for criterion in criteria:
            if not criterion.applies_to(functions):
                continue
            residents = residents_for(criterion, places.get(pk, {}), capacity)
            required = (
                None
                if residents is None
                else required_staff(residents, criterion.residents_per_staff)
            )
            ratio = by_role.setdefault(
                criterion.role, RoleRatio(role=criterion.role, actual=counts.get(criterion.role, 0))
            )
            ratio.requirements.append(Requirement(criterion, residents, required))
        roles = sorted(by_role.values(), key=lambda r: ROLE_ORDER.get(r.role, len(ROLE_ORDER)))
        ordered_counts = dict(
            sorted(counts.items(), key=lambda item: ROLE_ORDER.get(item[0], len(ROLE_ORDER)))
        )
        result[pk] = CentreRatios(pk, code, name, ordered_counts, roles)
    return result


def for_facility(facility: Facility, *, on: datetime.date | None = None) -> CentreRatios:
    return centre_ratios(Facility.objects.filter(pk=facility.pk), on=on)[facility.pk]


@dataclass
class RoleSummary:
    role: str
    centres: int = 0  # centres with a requirement for the role
    centres_short: int = 0
    centres_unknown: int = 0
    required: int = 0  # over the centres whose requirement is known
    actual: int = 0
    shortfall: int = 0

    @property
    def label(self) -> str:
        return _role_label(self.role)


@dataclass
class Overview:
    centres: list[CentreRatios]
    roles: list[RoleSummary]

    @property
    def short(self) -> list[CentreRatios]:
        found = [c for c in self.centres if c.status == Status.SHORT]
        return sorted(found, key=lambda c: (-c.shortfall, c.name))

    @property
    def unknown(self) -> list[CentreRatios]:
        return [c for c in self.centres if c.status == Status.UNKNOWN]


def overview(facilities: QuerySet, *, on: datetime.date | None = None) -> Overview:
    """Ratios of many centres with a summary per role (national or provincial view)."""
    centres = list(centre_ratios(facilities, on=on).values())
    summary: dict[str, RoleSummary] = {}
    for centre in centres:
        for ratio in centre.roles:
            row = summary.setdefault(ratio.role, RoleSummary(ratio.role))
            row.centres += 1
            if ratio.status == Status.UNKNOWN:
                row.centres_unknown += 1
                continue
            row.required += ratio.required or 0
            row.actual += ratio.actual
            row.shortfall += ratio.shortfall or 0
            row.centres_short += ratio.status == Status.SHORT
    roles = sorted(summary.values(), key=lambda r: ROLE_ORDER.get(r.role, len(ROLE_ORDER)))
    return Overview(centres=sorted(centres, key=lambda c: c.name), roles=roles)
