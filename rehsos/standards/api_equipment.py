"""API of the standards app: equipment under /api/v1/standards/equipment — the standard
list, a centre's inventory, the costed shortfall (one centre or every centre in
scope) and stock-takes (start, count, finish, cancel)."""

import datetime
from uuid import UUID

from django.conf import settings
from ninja import Field, Query, Router, Schema, Status

from rehsos.core.api import Problem
from rehsos.core.errors import Conflict
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.standards import selectors_equipment as selectors
from rehsos.standards import services_equipment as services
from rehsos.standards.models import EquipmentItem, InventoryItem, StockTake, StockTakeLine

router = Router(tags=["standards: equipment"])
PREFIX = "/standards/equipment"


# --- schemas --------------------------------------------------------------------------


class ItemOut(Schema):
    code: str
    version: int
    name_id: str
    name_en: str
    category: str
    spec: str
    clusters: list[str] = Field(..., description="Functions it applies to; empty: every centre.")
    basis: str = Field(..., description="residents, room or facility.")
    quantity: int
    per_n: int | None
    room_kind: str
    unit_cost: int | None = Field(..., description="Estimate in whole rupiah.")
    who_apl: str
    is_active: bool


class ItemIn(Schema):
    code: str = Field(..., max_length=40)
    name_id: str = Field(..., max_length=200)
    name_en: str = Field(..., max_length=200)
    category: EquipmentItem.Category
    spec: str = Field("", max_length=4000)
    clusters: list[str] = Field(default_factory=list)
    basis: EquipmentItem.Basis
    quantity: int = Field(1, ge=1)
    per_n: int | None = Field(None, ge=1, description="Required when basis is residents.")
    room_kind: str = Field("", max_length=16, description="Required when basis is room.")
    unit_cost: int | None = Field(None, ge=0)
    who_apl: str = Field("", max_length=100)
    is_active: bool = True


class ItemPatch(Schema):
    version: int = Field(..., description="The item's version you read (409 if stale).")
    name_id: str | None = Field(None, max_length=200)
    name_en: str | None = Field(None, max_length=200)
    category: EquipmentItem.Category | None = None
    spec: str | None = Field(None, max_length=4000)
    clusters: list[str] | None = None
    basis: EquipmentItem.Basis | None = None
    quantity: int | None = Field(None, ge=1)
    per_n: int | None = Field(None, ge=1)
    room_kind: str | None = Field(None, max_length=16)
    unit_cost: int | None = Field(None, ge=0)
    who_apl: str | None = Field(None, max_length=100)
    is_active: bool | None = None


class ItemQuery(Schema):
    cluster: str = Field("", max_length=8)
    category: str = Field("", max_length=12)
    basis: str = Field("", max_length=12)
    q: str = Field("", max_length=100)
    include_inactive: bool = False


class InventoryOut(Schema):
    id: int
    version: int
    facility: str = Field(..., description="The centre's code.")
    item: str | None = Field(..., description="The standard item's code; null: not on the list.")
    description: str
    quantity: int
    condition: str
    counts: bool = Field(..., description="Counts towards the standard (good or fair).")
    acquired_on: datetime.date | None
    funded_by: UUID | None = Field(..., description="The partner agreement's public id.")
    location: str
    last_counted_on: datetime.date | None


class InventoryPage(Schema):
    items: list[InventoryOut]
    next: str | None = Field(None, description="Pass as `after` for the next page.")


class InventoryIn(Schema):
    item: str | None = Field(None, max_length=40, description="A standard item's code.")
    description: str = Field("", max_length=200, description="Default: the item's name.")
    quantity: int = Field(..., ge=1)
    condition: InventoryItem.Condition = InventoryItem.Condition.GOOD
    acquired_on: datetime.date | None = None
    funded_by: UUID | None = Field(None, description="A signed partner agreement's public id.")
    location: str = Field("", max_length=120)
    last_counted_on: datetime.date | None = None


class InventoryPatch(Schema):
    version: int = Field(..., description="The row's version you read (409 if stale).")
    item: str | None = Field(None, max_length=40, description="A code; empty string unlinks.")
    description: str | None = Field(None, max_length=200)
    quantity: int | None = Field(None, ge=0)
    condition: InventoryItem.Condition | None = None
    acquired_on: datetime.date | None = None
    funded_by: UUID | None = None
    location: str | None = Field(None, max_length=120)
    last_counted_on: datetime.date | None = None


class EquipmentPageQuery(Schema):
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")
    limit: int = Field(100, ge=1, le=settings.REHSOS_API_PAGE_MAX)


class EquipmentVersionQuery(Schema):
    version: int | None = Field(None, description="The row's version you read (409 if stale).")


class CategoryOut(Schema):
    category: str
    label: str
    items: int
    short: int
    units: int
    cost: int
    uncosted: int


class LineOut(Schema):
    item: str
    name_id: str
    name_en: str
    category: str
    basis: str
    required: int
    available: int
    unusable: int = Field(..., description="Poor or broken: listed, not counted.")
    shortfall: int
    unit_cost: int | None
    cost: int | None
    capacity_unknown: bool


class ShortfallOut(Schema):
    facility: str
    total_cost: int
    total_units: int
    uncosted: int = Field(..., description="Items short without a unit cost (not in the total).")
    capacity_unknown: bool
    categories: list[CategoryOut]
    lines: list[LineOut]


class CentreOut(Schema):
    facility: str
    name: str
    province: str
    items: int
    short: int
    units: int
    cost: int
    uncosted: int
    capacity_unknown: bool


class ItemTotalOut(Schema):
    item: str
    centres: int
    centres_short: int
    required: int
    available: int
    unusable: int
    units: int
    cost: int | None


class EquipmentNationalOut(Schema):
    total_cost: int
    total_units: int
    centres: list[CentreOut]
    categories: list[CategoryOut]
    items: list[ItemTotalOut]


class StockTakeLineOut(Schema):
    id: int
    inventory_item: int
    description: str
    location: str
    expected: int
    expected_condition: str
    counted: int | None
    condition: str
    note: str


class EquipmentReportOut(Schema):
    counted: int
    uncounted: list[int] = Field(..., description="Ids of lines not counted yet.")
    missing_units: int
    missing_value: int = Field(..., description="At the standard items' unit costs (Rp).")
    more_units: int
    missing: list[int] = Field(..., description="Ids of lines counted below expected.")
    more: list[int] = Field(..., description="Ids of lines counted above expected.")
    condition_changed: list[int]
    changed_meanwhile: list[int] = Field(
        ..., description="Open stock-take: lines whose inventory row was edited since the start."
    )


class StockTakeOut(Schema):
    id: int
    facility: str
    started_on: datetime.date
    location: str
    note: str
    finished_at: datetime.datetime | None
    counted_by: str | None
    finished_by: str | None
    lines: list[StockTakeLineOut]
    report: EquipmentReportOut


class StockTakeSummary(Schema):
    id: int
    started_on: datetime.date
    location: str
    finished_at: datetime.datetime | None


class StartIn(Schema):
    started_on: datetime.date | None = Field(None, description="Default: today.")
    location: str = Field("", max_length=120, description="Count one location only.")
    note: str = Field("", max_length=4000)


class CountIn(Schema):
    line: int
    counted: int = Field(..., ge=0)
    condition: str = Field("", max_length=8, description="Blank: unchanged.")
    note: str = Field("", max_length=200)


class CountsIn(Schema):
    lines: list[CountIn] = Field(..., min_length=1, max_length=2000)


class FinishIn(Schema):
    note: str = Field("", max_length=4000)


# --- converters -----------------------------------------------------------------------


def item_out(item: EquipmentItem) -> dict:
    return {
        "code": item.code,
        "version": item.version,
        "name_id": item.name_id,
        "name_en": item.name_en,
        "category": item.category,
        "spec": item.spec,
        "clusters": list(item.clusters or []),
        "basis": item.basis,
        "quantity": item.quantity,
        "per_n": item.per_n,
        "room_kind": item.room_kind,
        "unit_cost": None if item.unit_cost is None else int(item.unit_cost),
        "who_apl": item.who_apl,
        "is_active": item.is_active,
    }


def inventory_out(row: InventoryItem) -> dict:
    return {
        "id": row.pk,
        "version": row.version,
        "facility": row.facility.code,
        "item": row.item.code if row.item else None,
        "description": row.description,
        "quantity": row.quantity,
        "condition": row.condition,
        "counts": row.condition in selectors.USABLE,
        "acquired_on": row.acquired_on,
        "funded_by": row.funded_by.public_id if row.funded_by else None,
        "location": row.location,
        "last_counted_on": row.last_counted_on,
    }


def _category_out(c) -> dict:
    return {
        "category": c.category,
        "label": c.label,
        "items": c.items,
        "short": c.short,
        "units": c.units,
        "cost": int(c.cost),
        "uncosted": c.uncosted,
    }


def _user_name(user) -> str | None:
    return user.username if user else None


def stock_take_out(take: StockTake) -> dict:
    report = selectors.stock_take_report(take)

    def ids(lines: list[StockTakeLine]) -> list[int]:
        return [line.pk for line in lines]

    return {
        "id": take.pk,
        "facility": take.facility.code,
        "started_on": take.started_on,
        "location": take.location,
        "note": take.note,
        "finished_at": take.finished_at,
        "counted_by": _user_name(take.counted_by),
        "finished_by": _user_name(take.finished_by),
        "lines": [
            {
                "id": line.pk,
                "inventory_item": line.inventory_item_id,
                "description": line.inventory_item.description,
                "location": line.inventory_item.location,
                "expected": line.expected,
                "expected_condition": line.expected_condition,
                "counted": line.counted,
                "condition": line.condition,
                "note": line.note,
            }
            for line in report.lines
        ],
        "report": {
            "counted": report.counted,
            "uncounted": ids(report.uncounted),
            "missing_units": report.missing_units,
            "missing_value": int(report.missing_value),
            "more_units": report.more_units,
            "missing": ids(report.missing),
            "more": ids(report.more),
            "condition_changed": ids(report.condition_changed),
            "changed_meanwhile": ids(report.changed_meanwhile),
        },
    }


def _jsonable(data: dict) -> dict:
    return {
        k: (str(v) if isinstance(v, UUID | datetime.date | datetime.datetime) else v)
        for k, v in data.items()
    }


# --- the standard list ----------------------------------------------------------------


@router.get(
    f"{PREFIX}/items",
    response={200: list[ItemOut], 403: Problem, 422: Problem},
    summary="The standard equipment list",
)
@requires("standards.view")
def list_items(request, query: Query[ItemQuery]):
    """A draft for the ministry to adopt; unit costs are estimates in rupiah."""
    items = selectors.standard_items(
        cluster=query.cluster,
        category=query.category,
        basis=query.basis,
        query=query.q,
        active=None if query.include_inactive else True,
    )
    return [item_out(item) for item in items]


@router.post(
    f"{PREFIX}/items",
    response={201: ItemOut, 403: Problem, 422: Problem},
    summary="Add an item to the standard list",
)
@requires("standards.manage_catalogue")
def create_item(request, payload: ItemIn):
    item = services.create_item(request.auth, **payload.dict())
    return Status(201, item_out(item))


@router.get(
    f"{PREFIX}/items/{{code}}",
    response={200: ItemOut, 403: Problem, 404: Problem},
    summary="One standard item",
)
@requires("standards.view")
def get_item(request, code: str):
    return item_out(selectors.standard_item(code))


@router.patch(
    f"{PREFIX}/items/{{code}}",
    response={200: ItemOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change a standard item (its code stays)",
)
@requires("standards.manage_catalogue")
def patch_item(request, code: str, payload: ItemPatch):
    item = selectors.standard_item(code)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    try:
        item = services.update_item(request.auth, item, version=version, **changes)
    except Conflict as exc:
        exc.extra = {**exc.extra, "current": item_out(EquipmentItem.objects.get(pk=item.pk))}
        raise
    return item_out(item)


# --- inventory ------------------------------------------------------------------------


@router.get(
    f"{PREFIX}/centres/{{code}}/inventory",
    response={200: InventoryPage, 403: Problem, 404: Problem, 422: Problem},
    summary="A centre's inventory",
)
@requires("standards.view")
def list_inventory(request, code: str, query: Query[EquipmentPageQuery]):
    facility = selectors.facility_for(request.auth, code)
    page = keyset_page(
        InventoryItem.objects.filter(facility=facility).select_related(
            "facility", "item", "funded_by"
        ),
        order=("id",),
        after=query.after,
        limit=query.limit,
    )
    return {"items": [inventory_out(row) for row in page.items], "next": page.next_cursor}


@router.post(
    f"{PREFIX}/centres/{{code}}/inventory",
    response={201: InventoryOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a row to a centre's inventory",
)
@requires("standards.manage_inventory")
def add_inventory(request, code: str, payload: InventoryIn):
    facility = selectors.facility_for(request.auth, code)
    row = services.add_inventory(request.auth, facility, **payload.dict())
    return Status(201, inventory_out(row))


@router.get(
    f"{PREFIX}/inventory/{{pk}}",
    response={200: InventoryOut, 403: Problem, 404: Problem},
    summary="One inventory row",
)
@requires("standards.view")
def get_inventory(request, pk: int):
    return inventory_out(selectors.inventory_item_for(request.auth, pk))


@router.patch(
    f"{PREFIX}/inventory/{{pk}}",
    response={200: InventoryOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change an inventory row",
)
@requires("standards.manage_inventory")
def patch_inventory(request, pk: int, payload: InventoryPatch):
    row = selectors.inventory_item_for(request.auth, pk)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if "item" in changes and not changes["item"]:
        changes["item"] = None
    try:
        row = services.update_inventory(request.auth, row, version=version, **changes)
    except Conflict as exc:
        current = InventoryItem.objects.select_related("facility", "item", "funded_by").get(
            pk=row.pk
        )
        exc.extra = {**exc.extra, "current": _jsonable(inventory_out(current))}
        raise
    return inventory_out(row)


@router.delete(
    f"{PREFIX}/inventory/{{pk}}",
    response={204: None, 403: Problem, 404: Problem, 409: Problem},
    summary="Delete an inventory row entered by mistake",
)
@requires("standards.manage_inventory")
def delete_inventory(request, pk: int, query: Query[EquipmentVersionQuery]):
    """A row a stock-take has counted cannot be deleted (409 `in_use`): set its
    quantity to 0 instead."""
    row = selectors.inventory_item_for(request.auth, pk)
    services.delete_inventory(request.auth, row, version=query.version)
    return Status(204, None)


# --- shortfall ------------------------------------------------------------------------


@router.get(
    f"{PREFIX}/centres/{{code}}/shortfall",
    response={200: ShortfallOut, 403: Problem, 404: Problem},
    summary="A centre's costed shortfall against the standard list",
)
@requires("standards.view")
def shortfall(request, code: str):
    """Required per N residents = ceil(places / N) × quantity (places of the item's
    clusters, else the centre's capacity); per room = rooms of the kind × quantity;
    per centre = quantity. Available = inventory in good or fair condition."""
    facility = selectors.facility_for(request.auth, code)
    table = selectors.facility_shortfall(facility)
    return {
        "facility": facility.code,
        "total_cost": int(table.total_cost),
        "total_units": table.total_units,
        "uncosted": table.uncosted,
        "capacity_unknown": table.capacity_unknown,
        "categories": [_category_out(c) for c in table.categories],
        "lines": [
            {
                "item": line.item.code,
                "name_id": line.item.name_id,
                "name_en": line.item.name_en,
                "category": line.item.category,
                "basis": line.item.basis,
                "required": line.required,
                "available": line.available,
                "unusable": line.unusable,
                "shortfall": line.shortfall,
                "unit_cost": None if line.item.unit_cost is None else int(line.item.unit_cost),
                "cost": None if line.cost is None else int(line.cost),
                "capacity_unknown": line.capacity_unknown,
            }
            for line in table.lines
        ],
    }


@router.get(
    f"{PREFIX}/shortfall",
    response={200: EquipmentNationalOut, 403: Problem},
    summary="The shortfall of every centre in your scope, by centre, category and item",
)
@requires("standards.view")
def national_shortfall(request):
    table = selectors.national_shortfall(request.auth)
    return {
        "total_cost": int(table.total_cost),
        "total_units": table.total_units,
        "centres": [
            {
                "facility": c.facility.code,
                "name": c.facility.name,
                "province": c.facility.province_code,
                "items": c.items,
                "short": c.short,
                "units": c.units,
                "cost": int(c.cost),
                "uncosted": c.uncosted,
                "capacity_unknown": c.capacity_unknown,
            }
            for c in table.centres
        ],
        "categories": [_category_out(c) for c in table.categories],
        "items": [
            {
                "item": t.item.code,
                "centres": t.centres,
                "centres_short": t.centres_short,
                "required": t.required,
                "available": t.available,
                "unusable": t.unusable,
                "units": t.units,
                "cost": None if t.cost is None else int(t.cost),
            }
            for t in table.items
        ],
    }


# --- stock-takes ----------------------------------------------------------------------


@router.get(
    f"{PREFIX}/centres/{{code}}/stock-takes",
    response={200: list[StockTakeSummary], 403: Problem, 404: Problem},
    summary="A centre's stock-takes, newest first (the last 100)",
)
@requires("standards.view")
def list_stock_takes(request, code: str):
    facility = selectors.facility_for(request.auth, code)
    return [
        {
            "id": t.pk,
            "started_on": t.started_on,
            "location": t.location,
            "finished_at": t.finished_at,
        }
        for t in selectors.stock_takes(facility)[:100]
    ]


@router.post(
    f"{PREFIX}/centres/{{code}}/stock-takes",
    response={201: StockTakeOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Start a stock-take (one open per centre)",
)
@requires("standards.manage_inventory")
def start_stock_take(request, code: str, payload: StartIn):
    facility = selectors.facility_for(request.auth, code)
    take = services.start_stock_take(request.auth, facility, **payload.dict())
    return Status(201, stock_take_out(selectors.stock_take_for(request.auth, take.pk)))


@router.get(
    f"{PREFIX}/stock-takes/{{pk}}",
    response={200: StockTakeOut, 403: Problem, 404: Problem},
    summary="A stock-take with its lines and its report",
)
@requires("standards.view")
def get_stock_take(request, pk: int):
    return stock_take_out(selectors.stock_take_for(request.auth, pk))


@router.post(
    f"{PREFIX}/stock-takes/{{pk}}/counts",
    response={200: StockTakeOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Record counts on some lines (all or nothing)",
)
@requires("standards.manage_inventory")
def count(request, pk: int, payload: CountsIn):
    """Errors name the entry: `lines[2].counted`. A finished stock-take answers 409
    `stock_take_finished`."""
    take = selectors.stock_take_for(request.auth, pk)
    services.count_lines(request.auth, take, [entry.dict() for entry in payload.lines])
    return stock_take_out(take)


@router.post(
    f"{PREFIX}/stock-takes/{{pk}}/finish",
    response={200: StockTakeOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Finish: update the inventory from the counts and report what was not found",
)
@requires("standards.manage_inventory")
def finish(request, pk: int, payload: FinishIn):
    """Every line must be counted (422 listing `uncounted` line ids otherwise)."""
    take = selectors.stock_take_for(request.auth, pk)
    services.finish_stock_take(request.auth, take, note=payload.note)
    return stock_take_out(selectors.stock_take_for(request.auth, pk))


@router.delete(
    f"{PREFIX}/stock-takes/{{pk}}",
    response={204: None, 403: Problem, 404: Problem, 409: Problem},
    summary="Cancel an open stock-take (the inventory is not changed)",
)
@requires("standards.manage_inventory")
def cancel(request, pk: int):
    take = selectors.stock_take_for(request.auth, pk)
    services.cancel_stock_take(request.auth, take)
    return Status(204, None)
