"""Reads of the region table: by code, by parent, by name prefix, and a region's path.

Regions are public reference data: every signed-in user may read all of them
(the ``regions.view`` action), so these selectors take no user and filter no scope.
"""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound
from rehsos.regions.keys import ancestor_codes, is_code, level_of, name_key
from rehsos.regions.models import Level, Region

# Official names open with the kind of area ("Kabupaten Bogor", "Kota Bogor",
# "Daerah Istimewa Yogyakarta"); people search by what follows. Longest first.
_NAME_PREFIXES = {
    Level.PROVINCE: ("daerah khusus ibukota ", "daerah istimewa "),
    Level.REGENCY: ("kabupaten administrasi ", "kota administrasi ", "kabupaten ", "kota "),
}
SEARCH_LIMIT = 20
ALIAS_MIN_LENGTH = 3


def unknown_code(code: str, field: str | None = None) -> NotFound:
    message = _("No region has the code %(code)s.") % {"code": code}
    return NotFound(message, code="region_not_found", fields={field: message} if field else None)


def get_region(code: str, *, field: str | None = None) -> Region:
    """The region with ``code``; ``NotFound`` naming the code (and the field) otherwise."""
    if not is_code(code):
        raise unknown_code(code, field)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise unknown_code(code, field)
    return region


def path(code: str) -> list[Region]:
    """The regions from the province down to ``code`` itself, in one query;
    ``NotFound`` when the code does not exist."""
    if not is_code(code):
        raise unknown_code(code)
    regions = list(Region.objects.filter(code__in=ancestor_codes(code)).order_by("level"))
    if not regions or regions[-1].code != code:
        raise unknown_code(code)
    return regions


def children(parent_code: str | None = None, level: int | None = None) -> QuerySet[Region]:
    """Regions below ``parent_code`` (provinces when it is ``None``), ordered by name.

    Without ``level`` these are the direct children; with it, every descendant at
    that level (all villages of a regency, say). The parent is not checked here:
    an unknown parent has no children.
    """
    if parent_code is None:
        return Region.objects.filter(level=level or Level.PROVINCE).order_by("name", "code")
    below = level_of(parent_code) + 1
    if level is None or level == below:
        return Region.objects.filter(parent_id=parent_code).order_by("name", "code")
    if level < below:
        return Region.objects.none()
    return Region.objects.filter(code__startswith=f"{parent_code}.", level=level).order_by(
        "name", "code"
    )


def listing(
    *, parent: Region | None = None, level: int | None = None, q: str | None = None
) -> tuple[QuerySet[Region], tuple[str, ...]]:
    """The regions of a list (below ``parent``, at ``level``, named ``q``…) and the
    keyset order to page them by: code order, or — with a name prefix — provinces
    first, then by name. A ``q`` without letters or digits matches nothing."""
    queryset = Region.objects.all()
    if parent is not None:
        if level is None or level == parent.level + 1:
            queryset = queryset.filter(parent_id=parent.code)
        else:
            queryset = queryset.filter(code__startswith=f"{parent.code}.")
    if level is not None:
        queryset = queryset.filter(level=level)
    if q is None:
        return queryset, ("code",)
    condition = name_prefix_filter(q, level)
    if condition is None:
        return queryset.none(), ("code",)
    return queryset.filter(condition), ("level", "name_key", "code")


def name_prefix_filter(q: str, level: int | None = None) -> Q | None:
    """The condition for names that start with ``q`` (any case, any accents), also
    after the kind of area ("bogor" finds "Kota Bogor"); ``None`` when ``q`` holds
    no letter or digit.

    The kind-of-area matches are few (provinces and regencies only), so they are
    looked up first, by index, and added by code. Most prefixes have none, and then
    the condition is one prefix range, which both databases answer in index order
    and stop at the page's end. With some, the OR makes the database collect and
    sort every match; from three letters on those are a few hundred at most, so
    shorter prefixes ("ma": thousands of villages) are matched on the name alone.
    """
    key = name_key(q)
    if not key:
        return None
    condition = Q(name_key__startswith=key)
    if len(key) < ALIAS_MIN_LENGTH:
        return condition
    aliases = Q()
    for kind, prefixes in _NAME_PREFIXES.items():
        if level is not None and level != kind:
            continue
        for prefix in prefixes:
            if not key.startswith(prefix):
                aliases |= Q(level=kind, name_key__startswith=prefix + key)
    if aliases:
        codes = list(Region.objects.filter(aliases).values_list("code", flat=True))
        if codes:
            condition |= Q(code__in=codes)
    return condition


def search_by_name_prefix(
    q: str,
    level: int | None = None,
    parent: str | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[Region]:
    """Regions whose name starts with ``q``, provinces first, then by name."""
    condition = name_prefix_filter(q, level)
    if condition is None:
        return []
    queryset = Region.objects.filter(condition)
    if level is not None:
        queryset = queryset.filter(level=level)
    if parent is not None:
        queryset = queryset.filter(code__startswith=f"{parent}.")
    return list(queryset.order_by("level", "name_key", "code")[:limit])
