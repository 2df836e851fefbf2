"""Reads of centres: the filtered list (pages and API share it), one centre by its
code with everything its profile shows, and who may see a contact's details.

Every signed-in user reads every centre (``facilities.view``): where a centre is and
what it offers is no secret. A contact's phone and e-mail are shown only to roles
that manage centres and to national roles.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.permissions import can
from rehsos.core.roles import ScopeLevel
from rehsos.facilities.models import Cluster, Facility, FacilityName, FacilityPhoto
from rehsos.facilities.services import may_manage
from rehsos.regions.keys import ancestor_codes
from rehsos.regions.models import Level, Region

SEARCH_MAX = 100
ACTIVE_CHOICES = ("active", "inactive", "all")
YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off")


@dataclass
class Filters:
    """The list's filters, checked; ``errors`` names each bad one (the rest apply)."""

    kind: str = ""
    owner: str = ""
    province: str = ""
    cluster: str = ""
    model: bool | None = None
    active: str = "active"
    q: str = ""
    errors: dict = field(default_factory=dict)

    @property
    def values(self) -> dict:
        model = "" if self.model is None else ("1" if self.model else "0")
        return {
            "kind": self.kind,
            "owner": self.owner,
            "province": self.province,
            "cluster": self.cluster,
            "model": model,
            "active": self.active,
            "q": self.q,
        }

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationFailed(fields=self.errors)


def _flag(value) -> tuple[bool | None, bool]:
    if value is None or value == "":
        return None, True
    if isinstance(value, bool):
        return value, True
    text = str(value).strip().lower()
    if text in YES:
        return True, True
    if text in NO:
        return False, True
    return None, False


def parse_filters(params) -> Filters:
    """Filters from a query string (page) or the API's query (same names)."""
    get = params.get
    found = Filters()
    errors = found.errors
    found.kind = str(get("kind") or "").strip()
    if found.kind and found.kind not in Facility.Kind.values:
        errors["kind"] = _("Choose one of: %(values)s.") % {
            "values": ", ".join(Facility.Kind.values)
        }
        found.kind = ""
    found.owner = str(get("owner") or "").strip()
    if found.owner and found.owner not in Facility.Owner.values:
        errors["owner"] = _("Choose one of: %(values)s.") % {
            "values": ", ".join(Facility.Owner.values)
        }
        found.owner = ""
    found.province = str(get("province") or "").strip()
    if found.province and not (len(found.province) == 2 and found.province.isdigit()):
        errors["province"] = _("Give a province code of two digits, e.g. 31.")
        found.province = ""
    found.cluster = str(get("cluster") or "").strip()
    if found.cluster and found.cluster not in Cluster.values:
        errors["cluster"] = _("Choose one of: %(values)s.") % {"values": ", ".join(Cluster.values)}
        found.cluster = ""
    found.model, ok = _flag(get("model"))
    if not ok:
        errors["model"] = _("Enter true or false.")
    active = str(get("active") or "active").strip().lower()
    if active not in ACTIVE_CHOICES:
        errors["active"] = _("Choose one of: %(values)s.") % {"values": ", ".join(ACTIVE_CHOICES)}
        active = "active"
    found.active = active
    found.q = " ".join(str(get("q") or "").split())[:SEARCH_MAX]
    return found


def centres(filters: Filters) -> QuerySet:
    """Centres matching the filters. The search matches the code, the name, the short
    name and any former name (so a merged centre's old name finds where it went)."""
    rows = Facility.objects.all()
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.owner:
        rows = rows.filter(owner=filters.owner)
    if filters.province:
        rows = rows.filter(province_code=filters.province)
    if filters.cluster:
        # A JSON list of codes: match the quoted code in its text (SQLite has no JSON
        # containment lookup; the codes never contain one another with their quotes).
        rows = rows.filter(clusters__icontains=f'"{filters.cluster}"')
    if filters.model is not None:
        rows = rows.filter(is_model=filters.model)
    if filters.active == "active":
        rows = rows.filter(is_active=True)
    elif filters.active == "inactive":
        rows = rows.filter(is_active=False)
    if filters.q:
        former = FacilityName.objects.filter(facility=OuterRef("pk"), name__icontains=filters.q)
        rows = rows.filter(
            Q(code__icontains=filters.q)
            | Q(name__icontains=filters.q)
            | Q(short_name__icontains=filters.q)
            | Exists(former)
        )
    return rows


def kind_counts(rows: QuerySet) -> list[tuple[str, str, int]]:
    """(kind, label, how many) of the filtered centres, in the kinds' order."""
    counted = Counter(dict(rows.order_by().values_list("kind").annotate(n=Count("pk"))))
    return [(value, label, counted.get(value, 0)) for value, label in Facility.Kind.choices]


def province_names(codes) -> dict[str, str]:
    codes = sorted({c for c in codes if c})
    if not codes:
        return {}
    return dict(
        Region.objects.filter(code__in=codes, level=Level.PROVINCE).values_list("code", "name")
    )


def provinces() -> list[tuple[str, str]]:
    return list(
        Region.objects.filter(level=Level.PROVINCE).order_by("name").values_list("code", "name")
    )


def centre(code: str) -> Facility:
    """A centre by its code (active or not), or NotFound."""
    found = (
        Facility.objects.select_related("region", "owner_region", "merged_into")
        .filter(code=str(code or "")[:40])
        .first()
    )
    if found is None:
        raise NotFound(_("No centre has the code %(code)s.") % {"code": str(code)[:40]})
    return found


def profile(code: str) -> Facility:
    """A centre with its names, capacity, rooms, contacts, photos and the centres merged
    into it, loaded in a fixed number of queries."""
    found = (
        Facility.objects.select_related("region", "owner_region", "merged_into")
        .prefetch_related(
            Prefetch("names", queryset=FacilityName.objects.order_by("valid_from", "pk")),
            "capacities",
            "rooms",
            "contacts",
            Prefetch(
                "photos",
                queryset=FacilityPhoto.objects.select_related("uploaded_by").order_by(
                    "-uploaded_at", "-pk"
                ),
            ),
            Prefetch("merged_from", queryset=Facility.objects.order_by("name")),
        )
        .filter(code=str(code or "")[:40])
        .first()
    )
    if found is None:
        raise NotFound(_("No centre has the code %(code)s.") % {"code": str(code)[:40]})
    return found


def region_path(region: Region | None) -> list[Region]:
    """The province, regency, district and village of a region, in one query."""
    if region is None:
        return []
    rows = {r.code: r for r in Region.objects.filter(code__in=ancestor_codes(region.code))}
    return [rows[c] for c in ancestor_codes(region.code) if c in rows]


def timeline(facility: Facility) -> list[FacilityName]:
    """The centre's names, oldest first; names with no known start come first."""
    names = list(facility.names.all())
    return sorted(names, key=lambda n: (n.valid_from is not None, n.valid_from or 0, n.pk))


def sees_contact_details(user, facility: Facility) -> bool:
    """A contact's phone and e-mail: for roles that manage centres and the ministry's
    national staff who work with them (not employers or partners, who are nation-scoped
    too: they reach a centre through its published address)."""
    return can(user, "facilities.manage") or (
        user.scope_level == ScopeLevel.NATION and can(user, "standards.view")
    )


def photo(facility: Facility, photo_id) -> FacilityPhoto:
    found = (
        FacilityPhoto.objects.select_related("facility")
        .filter(facility=facility, pk=photo_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such photo of this centre."))
    return found


__all__ = [
    "Filters",
    "centre",
    "centres",
    "kind_counts",
    "may_manage",
    "parse_filters",
    "photo",
    "profile",
    "province_names",
    "provinces",
    "region_path",
    "sees_contact_details",
    "timeline",
]
