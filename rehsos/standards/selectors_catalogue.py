"""Reads of the standards catalogue: catalogues, versions, criteria by domain, the
version in force on a day, and the difference between two sets of criteria.

Everyone holding ``standards.view`` reads every catalogue (a catalogue holds no
personal data and no centre's data), so these take the user only to check that.
"""

import bisect
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound
from rehsos.core.permissions import require
from rehsos.standards.models import Catalogue, CatalogueVersion, Criterion, Domain, Scale
from rehsos.standards.services_catalogue import FIELDS, criterion_values, staff_roles

VIEW = "standards.view"
IN_FORCE_STATUSES = (CatalogueVersion.Status.ADOPTED, CatalogueVersion.Status.RETIRED)


# --- catalogues and versions -----------------------------------------------------------


@dataclass
class CatalogueRow:
    catalogue: Catalogue
    in_force: CatalogueVersion | None
    draft: CatalogueVersion | None
    versions: int
    criteria: int  # of the version in force, else of the latest version


def catalogue_rows(user, today: datetime.date | None = None) -> list[CatalogueRow]:
    """Every catalogue with the version in force today and its draft (two queries)."""
    require(user, VIEW)
    today = today or timezone.localdate()
    catalogues = list(Catalogue.objects.all())
    versions: dict[int, list[CatalogueVersion]] = {}
    for version in (
        CatalogueVersion.objects.filter(catalogue__in=catalogues)
        .annotate(criteria_count=Count("criteria"))
        .order_by("catalogue_id", "-number")
    ):
        versions.setdefault(version.catalogue_id, []).append(version)
    rows = []
    for catalogue in catalogues:
        mine = versions.get(catalogue.pk, [])
        in_force = next((v for v in mine if is_in_force(v, today)), None)
        draft = next((v for v in mine if v.status == CatalogueVersion.Status.DRAFT), None)
        shown = in_force or (mine[0] if mine else None)
        rows.append(
            CatalogueRow(
                catalogue=catalogue,
                in_force=in_force,
                draft=draft,
                versions=len(mine),
                criteria=shown.criteria_count if shown else 0,
            )
        )
    return rows


def catalogue_for(user, code: str) -> Catalogue:
    require(user, VIEW)
    catalogue = Catalogue.objects.filter(code=(code or "").strip().lower()).first()
    if catalogue is None:
        raise NotFound(_("No standards catalogue has the code %(code)s.") % {"code": code})
    return catalogue


def versions_of(catalogue: Catalogue) -> QuerySet[CatalogueVersion]:
    """The catalogue's versions, newest first, with their criteria counts."""
    return (
        CatalogueVersion.objects.filter(catalogue=catalogue)
        .select_related("adopted_by")
        .annotate(
            criteria_count=Count("criteria"),
            critical_count=Count("criteria", filter=Q(criteria__critical=True)),
        )
        .order_by("-number")
    )


def version_for(user, code: str, number: int) -> CatalogueVersion:
    require(user, VIEW)
    version = (
        CatalogueVersion.objects.select_related("catalogue", "adopted_by")
        .filter(catalogue__code=(code or "").strip().lower(), number=number)
        .first()
    )
    if version is None:
        raise NotFound(
            _("The catalogue %(code)s has no version %(number)s.")
            % {"code": code, "number": number}
        )
    return version


def criterion_for(version: CatalogueVersion, code: str) -> Criterion:
    criterion = (
        Criterion.objects.select_related("version", "version__catalogue")
        .filter(version=version, code=(code or "").strip().upper())
        .first()
    )
    if criterion is None:
        raise NotFound(
            _("Version %(number)s has no criterion %(code)s.")
            % {"number": version.number, "code": code}
        )
    return criterion


def criteria_of(version: CatalogueVersion) -> QuerySet[Criterion]:
    return Criterion.objects.filter(version=version).order_by("order", "code")


def is_in_force(version: CatalogueVersion, on: datetime.date) -> bool:
    return (
        version.status in IN_FORCE_STATUSES
        and version.effective_from is not None
        and version.effective_from <= on
        and (version.effective_to is None or version.effective_to >= on)
    )


def version_in_force(
    catalogue: Catalogue, on: datetime.date | None = None
) -> CatalogueVersion | None:
    """The version that applies on ``on`` (default today), read from the effective dates
    (not from the status, which the daily retirement may not have moved yet)."""
    on = on or timezone.localdate()
    return (
        CatalogueVersion.objects.filter(
            catalogue=catalogue,
            status__in=IN_FORCE_STATUSES,
            effective_from__lte=on,
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from", "-number")
        .first()
    )


def latest_version(catalogue: Catalogue) -> CatalogueVersion | None:
    return CatalogueVersion.objects.filter(catalogue=catalogue).order_by("-number").first()


# --- criteria grouped by domain --------------------------------------------------------


@dataclass
class DomainGroup:
    code: str
    label: str
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def weight(self) -> Decimal:
        return sum((c.weight for c in self.criteria), Decimal("0"))

    @property
    def critical(self) -> int:
        return sum(1 for c in self.criteria if c.critical)


def criteria_by_domain(version: CatalogueVersion) -> list[DomainGroup]:
    """The version's criteria in the eight domains' fixed order (a domain without
    criteria is listed empty, so a draft shows what it lacks). One query."""
    groups = {code: DomainGroup(code=code, label=str(label)) for code, label in Domain.choices}
    for criterion in criteria_of(version):
        groups[criterion.domain].criteria.append(criterion)
    return list(groups.values())


@dataclass(frozen=True)
class VersionTotals:
    criteria: int
    critical: int
    weight: Decimal
    domains: int  # domains with at least one criterion


def version_totals(version: CatalogueVersion) -> VersionTotals:
    row = criteria_of(version).aggregate(
        n=Count("id"),
        critical=Count("id", filter=Q(critical=True)),
        weight=Sum("weight"),
        domains=Count("domain", distinct=True),
    )
    return VersionTotals(
        criteria=row["n"],
        critical=row["critical"],
        weight=row["weight"] or Decimal("0"),
        domains=row["domains"],
    )


# --- differences -----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ChangedCriterion:
    code: str
    before: dict
    after: dict
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Diff:
    added: tuple[dict, ...]
    removed: tuple[dict, ...]
    changed: tuple[ChangedCriterion, ...]
    moved: tuple[str, ...]  # codes whose place among the kept criteria changed
    unchanged: int

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.moved)

    def summary(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "moved": len(self.moved),
            "unchanged": self.unchanged,
        }


def display_value(name: str, value) -> str:
    """A criterion value as a person reads it (the diff pages, the API's diff)."""
    if value is None or value == "":
        return ""
    if name == "critical":
        return _("yes") if value else _("no")
    if name == "weight":
        return f"{Decimal(value).normalize():f}"
    if name == "domain":
        return f"{value} – {Domain(value).label}" if value in Domain.values else str(value)
    if name == "scale":
        return str(Scale(value).label) if value in Scale.values else str(value)
    if name == "staff_role":
        return staff_roles().get(value, str(value))
    return str(value)


def snapshot(version: CatalogueVersion) -> list[dict]:
    """The version's criteria as value dicts (API names), in order."""
    return [criterion_values(c) for c in criteria_of(version)]


def _stable(positions: list[int]) -> set[int]:
    """Indexes of a longest increasing subsequence of ``positions``: the criteria that
    kept their place; the others moved."""
    tails: list[int] = []  # index into positions of the smallest tail of each length
    previous = [-1] * len(positions)
    for i, value in enumerate(positions):
        k = bisect.bisect_left([positions[t] for t in tails], value)
        if k > 0:
            previous[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
        else:
            tails[k] = i
    keep, i = set(), tails[-1] if tails else -1
    while i >= 0:
        keep.add(i)
        i = previous[i]
    return keep


def diff(before: list[dict], after: list[dict]) -> Diff:
    """What turns the criteria ``before`` into ``after`` (value dicts, in order; matched
    by code): added, removed, changed (field by field) and moved criteria."""
    old = {row["code"]: row for row in before}
    new = {row["code"]: row for row in after}
    added = tuple(row for row in after if row["code"] not in old)
    removed = tuple(row for row in before if row["code"] not in new)
    changed, unchanged = [], 0
    for row in after:
        was = old.get(row["code"])
        if was is None:
            continue
        changes = tuple(
            FieldChange(
                field=f.name,
                label=str(f.label),
                before=display_value(f.name, was.get(f.name)),
                after=display_value(f.name, row.get(f.name)),
            )
            for f in FIELDS
            if f.name != "code"
            and _normal(f.name, was.get(f.name)) != _normal(f.name, row.get(f.name))
        )
        if changes:
            changed.append(
                ChangedCriterion(code=row["code"], before=was, after=row, changes=changes)
            )
        else:
            unchanged += 1
    kept_before = [row["code"] for row in before if row["code"] in new]
    place_after = {
        row["code"]: i for i, row in enumerate(row for row in after if row["code"] in old)
    }
    positions = [place_after[code] for code in kept_before]
    stable = _stable(positions)
    moved = tuple(code for i, code in enumerate(kept_before) if i not in stable)
    return Diff(
        added=added, removed=removed, changed=tuple(changed), moved=moved, unchanged=unchanged
    )


def _normal(name: str, value):
    if name == "weight":
        return None if value in (None, "") else Decimal(value).quantize(Decimal("0.01"))
    if name == "critical":
        return bool(value)
    if name == "residents_per_staff":
        return None if value in (None, "") else int(value)
    return "" if value is None else str(value)


def diff_versions(before: CatalogueVersion, after: CatalogueVersion) -> Diff:
    return diff(snapshot(before), snapshot(after))
