"""/api/v1/regions: Kemendagri areas by code, by parent and by name prefix."""

from typing import Annotated

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from rehsos.core.api import Problem
from rehsos.core.errors import ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.regions import selectors
from rehsos.regions.keys import CODE_PATTERN, is_code, name_key
from rehsos.regions.models import Level, Region

router = Router(tags=["regions"])

CODE_HELP = "Kemendagri code: 32 (province), 32.01, 32.01.01 or 32.01.01.2001 (village)."


class RegionRef(Schema):
    code: str = Field(..., examples=["32.01"])
    name: str = Field(..., examples=["Kabupaten Bogor"])
    level: int = Field(..., description="1 province, 2 regency/city, 3 district, 4 village.")


class RegionOut(RegionRef):
    level_name: str = Field(..., examples=["Regency / city"])
    parent: str | None = Field(None, description="The parent's code; null for a province.")
    province_code: str


class RegionDetail(RegionOut):
    path: list[RegionRef] = Field(..., description="From the province down to this region itself.")


class RegionPage(Schema):
    items: list[RegionOut]
    next: str | None = Field(
        None, description="Pass as `after` for the next page; null at the end."
    )


class RegionFilters(Schema):
    parent: str | None = Field(
        None,
        json_schema_extra={"pattern": CODE_PATTERN},
        description="Only regions below this code: its children, or with `level` its "
        "descendants at that level.",
    )
    level: int | None = Field(
        None, ge=1, le=4, description="1 province, 2 regency/city, 3 district, 4 village."
    )
    q: str | None = Field(
        None,
        max_length=100,
        description="Name prefix, in any case and with or without accents; "
        "from three letters on, `bogor` also finds `Kota Bogor`.",
    )
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)
    after: str | None = Field(None, max_length=200, description="The `next` of the previous page.")


def _check_code(value: str, field: str) -> None:
    if not is_code(value):
        raise ValidationFailed(
            fields={
                field: _(
                    "“%(value)s” is not a region code: use digits and dots as in 32, 32.01, "
                    "32.01.01 or 32.01.01.2001."
                )
                % {"value": value[:20]}
            }
        )


def _out(region: Region) -> dict:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "level_name": str(Level(region.level).label),
        "parent": region.parent_id,
        "province_code": region.province_code,
    }


@router.get(
    "/{code}",
    response={200: RegionDetail, 404: Problem, 422: Problem},
    summary="One region, with its path from the province",
)
@requires("regions.view")
def region_detail(request, code: Annotated[str, Path(description=CODE_HELP)]):
    """An unknown code answers 404 naming it; a code that is not in the Kemendagri
    form answers 422 naming the field `code`."""
    _check_code(code, "code")
    regions = selectors.path(code)
    return {
        **_out(regions[-1]),
        "path": [{"code": r.code, "name": r.name, "level": r.level} for r in regions],
    }


@router.get(
    "",
    response={200: RegionPage, 404: Problem, 422: Problem},
    summary="List regions by parent, level and name prefix",
)
@requires("regions.view")
def region_list(request, filters: Query[RegionFilters]):
    """Regions in code order, or — with `q` — provinces first, then by name. Pages
    are keyset-paginated: follow `next` with `after` until it is null."""
    parent = None
    if filters.parent:
        _check_code(filters.parent, "parent")
        parent = selectors.get_region(filters.parent, field="parent")
        if filters.level is not None and filters.level <= parent.level:
            raise ValidationFailed(
                fields={
                    "level": _("Choose a level below the parent's (level %(level)s).")
                    % {"level": parent.level}
                }
            )
    q = filters.q
    if q is not None and not name_key(q):
        if q.strip():
            raise ValidationFailed(fields={"q": _("Type at least one letter or digit.")})
        q = None  # an empty search box: no name filter
    queryset, order = selectors.listing(parent=parent, level=filters.level, q=q)
    page = keyset_page(queryset, order=order, after=filters.after, limit=filters.limit)
    return {"items": [_out(r) for r in page.items], "next": page.next_cursor}
