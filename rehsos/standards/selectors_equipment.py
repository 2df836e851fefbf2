"""Reads of the equipment part: the standard list, a centre's inventory and
stock-takes, and the costed shortfall of one centre or of every centre in scope.

Required quantity of a standard item at a centre (only items whose functions meet the
centre's functions, or that name no function):

* per N residents: ``ceil(capacity / N) × quantity``, where ``capacity`` is the sum
  of the centre's places (``FacilityCapacity``) in the clusters the item applies to
  (every cluster for an item that names none); a centre without such rows falls back
  to ``Facility.capacity``; no capacity known at all: 0, and the line says so;
* per room: rooms of the item's kind (``FacilityRoom``) × quantity;
* per centre: quantity.

Available: inventory rows linked to the item in good or fair condition. Rows in poor
condition or broken are shown (``unusable``) but do not count: they are the first
to replace. Shortfall: ``max(required − available, 0)``, costed at the item's unit
cost (no unit cost: counted, not costed).

One centre costs four queries (items, capacity, rooms, inventory sums); all centres
in scope cost five, whatever their number (the same grouped queries, joined to the
scoped centres as a subquery).
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound
from rehsos.core.permissions import scoped
from rehsos.facilities.models import Facility, FacilityCapacity, FacilityRoom
from rehsos.standards.models import EquipmentItem, InventoryItem, StockTake, StockTakeLine

# Inventory in these conditions counts towards the standard; the others are listed only.
USABLE = (InventoryItem.Condition.GOOD, InventoryItem.Condition.FAIR)
UNUSABLE = (InventoryItem.Condition.POOR, InventoryItem.Condition.BROKEN)

# --- centres --------------------------------------------------------------------------


def facilities_in_scope(user) -> QuerySet:
    return scoped(user, Facility.objects.filter(is_active=True)).order_by("name")


def facility_for(user, code: str) -> Facility:
    """A centre in the user's scope by its code: NotFound for one that does not exist
    and for one outside the scope alike."""
    facility = facilities_in_scope(user).filter(code=code).first()
    if facility is None:
        raise NotFound(_("No such centre in your scope."))
    return facility


def default_facility(user) -> Facility | None:
    """The user's own centre, else the first centre in scope."""
    if user.facility_id:
        own = facilities_in_scope(user).filter(pk=user.facility_id).first()
        if own is not None:
            return own
    return facilities_in_scope(user).first()


# --- the standard list ----------------------------------------------------------------


def standard_items(
    *,
    cluster: str = "",
    category: str = "",
    basis: str = "",
    active: bool | None = True,
    query: str = "",
) -> QuerySet:
    items = EquipmentItem.objects.all()
    if active is not None:
        items = items.filter(is_active=active)
    if category:
        items = items.filter(category=category)
    if basis:
        items = items.filter(basis=basis)
    if query:
        items = items.filter(
            Q(code__icontains=query)
            | Q(name_id__icontains=query)
            | Q(name_en__icontains=query)
            | Q(who_apl__icontains=query)
        )
    if cluster:
        # The list is small (about a hundred rows): filter the JSON list in Python,
        # the same on SQLite and PostgreSQL.
        keep = [i.pk for i in items if not i.clusters or cluster in i.clusters]
        items = EquipmentItem.objects.filter(pk__in=keep)
    return items.order_by("category", "code")


def standard_item(code: str) -> EquipmentItem:
    item = EquipmentItem.objects.filter(code=code).first()
    if item is None:
        raise NotFound(_("No such standard item."))
    return item


def applies_to(item: EquipmentItem, clusters) -> bool:
    """An item applies to a centre when it names no function or shares one with it."""
    return not item.clusters or bool(set(item.clusters) & set(clusters or ()))


# --- inventory ------------------------------------------------------------------------


def inventory(
    facility: Facility,
    *,
    condition: str = "",
    category: str = "",
    location: str = "",
    query: str = "",
) -> QuerySet:
    rows = InventoryItem.objects.filter(facility=facility).select_related(
        "item", "funded_by", "funded_by__partner"
    )
    if condition:
        rows = rows.filter(condition=condition)
    if category == "free":
        rows = rows.filter(item__isnull=True)
    elif category:
        rows = rows.filter(item__category=category)
    if location:
        rows = rows.filter(location__iexact=location)
    if query:
        rows = rows.filter(
            Q(description__icontains=query)
            | Q(item__code__icontains=query)
            | Q(item__name_id__icontains=query)
            | Q(item__name_en__icontains=query)
        )
    return rows.order_by("location", "description", "pk")


def locations(facility: Facility) -> list[str]:
    return list(
        InventoryItem.objects.filter(facility=facility)
        .exclude(location="")
        .values_list("location", flat=True)
        .distinct()
        .order_by("location")
    )


def inventory_item_for(user, pk: int) -> InventoryItem:
    """An inventory row of a centre in the user's scope (NotFound otherwise)."""
    row = (
        scoped(user, InventoryItem.objects.filter(facility__is_active=True))
        .select_related("facility", "item", "funded_by")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound(_("No such inventory item in your scope."))
    return row


# --- stock-takes ----------------------------------------------------------------------


def stock_takes(facility: Facility) -> QuerySet:
    return (
        StockTake.objects.filter(facility=facility)
        .select_related("counted_by", "finished_by")
        .order_by("-started_on", "-pk")
    )


def stock_take_for(user, pk: int) -> StockTake:
    take = (
        scoped(user, StockTake.objects.filter(facility__is_active=True))
        .select_related("facility", "counted_by", "finished_by")
        .filter(pk=pk)
        .first()
    )
    if take is None:
        raise NotFound(_("No such stock-take in your scope."))
    return take


def stock_take_lines(take: StockTake) -> QuerySet:
    return (
        StockTakeLine.objects.filter(stock_take=take)
        .select_related("inventory_item", "inventory_item__item")
        .order_by("inventory_item__location", "inventory_item__description", "pk")
    )


@dataclass(frozen=True)
class StockTakeReport:
    """What a stock-take found: lines short (counted < expected), lines over, lines
    whose condition changed, lines not counted yet, and (while open) inventory rows
    edited since the count started (their quantity no longer the expected one)."""

    lines: list
    missing: list
    more: list
    condition_changed: list
    uncounted: list
    changed_meanwhile: list
    missing_units: int
    missing_value: Decimal
    more_units: int

    @property
    def counted(self) -> int:
        return len(self.lines) - len(self.uncounted)


def stock_take_report(take: StockTake) -> StockTakeReport:
    lines = list(stock_take_lines(take))
    missing = [line for line in lines if line.counted is not None and line.counted < line.expected]
    more = [line for line in lines if line.counted is not None and line.counted > line.expected]
    changed = [
        line
        for line in lines
        if line.condition and line.expected_condition and line.condition != line.expected_condition
    ]
    # While the count is open, rows edited since it started no longer expect the same.
    meanwhile = (
        []
        if take.is_finished
        else [line for line in lines if line.inventory_item.quantity != line.expected]
    )
    value = Decimal(0)
    for line in missing:
        item = line.inventory_item.item
        if item is not None and item.unit_cost is not None:
            value += item.unit_cost * (line.expected - line.counted)
    return StockTakeReport(
        lines=lines,
        missing=missing,
        more=more,
        condition_changed=changed,
        uncounted=[line for line in lines if line.counted is None],
        changed_meanwhile=meanwhile,
        missing_units=sum(line.expected - line.counted for line in missing),
        missing_value=value,
        more_units=sum(line.counted - line.expected for line in more),
    )


def last_stock_take(facility: Facility) -> StockTake | None:
    return stock_takes(facility).first()


# --- required quantities and the shortfall --------------------------------------------


@dataclass(frozen=True)
class CentreBasis:
    """What the required quantities of one centre are computed from."""

    clusters: tuple[str, ...]
    capacity: int | None  # Facility.capacity
    capacity_by_cluster: dict[str, int]
    rooms: dict[str, int]

    def residents_for(self, item: EquipmentItem) -> int | None:
        """Places of the clusters the item applies to, else the centre's capacity."""
        wanted = item.clusters or list(self.capacity_by_cluster)
        rows = [self.capacity_by_cluster[c] for c in wanted if c in self.capacity_by_cluster]
        if rows:
            return sum(rows)
        return self.capacity


def required_quantity(item: EquipmentItem, basis: CentreBasis) -> int:
    if not applies_to(item, basis.clusters):
        return 0
    if item.basis == EquipmentItem.Basis.PER_RESIDENTS:
        residents = basis.residents_for(item)
        if not residents or not item.per_n:
            return 0
        return math.ceil(residents / item.per_n) * item.quantity
    if item.basis == EquipmentItem.Basis.PER_ROOM:
        return basis.rooms.get(item.room_kind, 0) * item.quantity
    return item.quantity


@dataclass
class ShortfallLine:
    item: EquipmentItem
    required: int
    available: int  # good or fair
    unusable: int  # poor or broken: listed, not counted
    capacity_unknown: bool = False  # a per-residents item at a centre without capacity

    @property
    def shortfall(self) -> int:
        return max(self.required - self.available, 0)

    @property
    def cost(self) -> Decimal | None:
        if self.item.unit_cost is None:
            return None
        return self.item.unit_cost * self.shortfall

    @property
    def met(self) -> bool:
        return self.shortfall == 0


@dataclass
class CategoryTotal:
    category: str
    label: str
    items: int = 0  # standard items that apply
    short: int = 0  # of which short
    units: int = 0  # units missing
    cost: Decimal = Decimal(0)
    uncosted: int = 0  # items short without a unit cost


@dataclass
class Shortfall:
    facility: Facility
    basis: CentreBasis
    lines: list[ShortfallLine]
    categories: list[CategoryTotal]

    @property
    def short_lines(self) -> list[ShortfallLine]:
        return [line for line in self.lines if line.shortfall]

    @property
    def total_cost(self) -> Decimal:
        return sum((c.cost for c in self.categories), Decimal(0))

    @property
    def total_units(self) -> int:
        return sum(c.units for c in self.categories)

    @property
    def uncosted(self) -> int:
        return sum(c.uncosted for c in self.categories)

    @property
    def capacity_unknown(self) -> bool:
        return any(line.capacity_unknown for line in self.lines)


def _active_items() -> list[EquipmentItem]:
    return list(EquipmentItem.objects.filter(is_active=True).order_by("category", "code"))


def _stock(facilities) -> dict[tuple[int, int], tuple[int, int]]:
    """(facility id, item id) → (usable units, unusable units), one grouped query."""
    usable = Sum(
        Case(
            When(condition__in=USABLE, then="quantity"),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    unusable = Sum(
        Case(
            When(condition__in=UNUSABLE, then="quantity"),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    rows = (
        InventoryItem.objects.filter(facility__in=facilities, item__isnull=False)
        .values("facility_id", "item_id")
        .annotate(usable=usable, unusable=unusable)
        .order_by()
    )
    return {(r["facility_id"], r["item_id"]): (r["usable"] or 0, r["unusable"] or 0) for r in rows}


def _bases(facilities: list[Facility], ids) -> dict[int, CentreBasis]:
    caps: dict[int, dict[str, int]] = defaultdict(dict)
    for fid, cluster, places in FacilityCapacity.objects.filter(facility__in=ids).values_list(
        "facility_id", "cluster", "places"
    ):
        caps[fid][cluster] = places
    rooms: dict[int, dict[str, int]] = defaultdict(dict)
    for fid, kind, count in FacilityRoom.objects.filter(facility__in=ids).values_list(
        "facility_id", "kind", "count"
    ):
        rooms[fid][kind] = count
    return {
        f.pk: CentreBasis(
            clusters=tuple(f.clusters or ()),
            capacity=f.capacity,
            capacity_by_cluster=caps.get(f.pk, {}),
            rooms=rooms.get(f.pk, {}),
        )
        for f in facilities
    }


def _lines(items, basis: CentreBasis, stock: dict, facility_id: int) -> list[ShortfallLine]:
    lines = []
    for item in items:
        if not applies_to(item, basis.clusters):
            continue
        usable, unusable = stock.get((facility_id, item.pk), (0, 0))
        unknown = item.basis == EquipmentItem.Basis.PER_RESIDENTS and not basis.residents_for(item)
        lines.append(
            ShortfallLine(
                item=item,
                required=required_quantity(item, basis),
                available=usable,
                unusable=unusable,
                capacity_unknown=unknown,
            )
        )
    return lines


def _categories(lines: list[ShortfallLine]) -> list[CategoryTotal]:
    totals = {
        value: CategoryTotal(value, str(label)) for value, label in EquipmentItem.Category.choices
    }
    for line in lines:
        total = totals[line.item.category]
        total.items += 1
        if line.shortfall:
            total.short += 1
            total.units += line.shortfall
            if line.cost is None:
                total.uncosted += 1
            else:
                total.cost += line.cost
    return [t for t in totals.values() if t.items]


def facility_shortfall(facility: Facility) -> Shortfall:
    """The costed shortfall of one centre: every standard item that applies, with its
    required, available and unusable quantities (four queries)."""
    items = _active_items()
    basis = _bases([facility], [facility.pk])[facility.pk]
    lines = _lines(items, basis, _stock([facility.pk]), facility.pk)
    return Shortfall(facility=facility, basis=basis, lines=lines, categories=_categories(lines))


@dataclass
class CentreTotal:
    facility: Facility
    items: int
    short: int
    units: int
    cost: Decimal
    uncosted: int
    capacity_unknown: bool


@dataclass
class ItemTotal:
    item: EquipmentItem
    centres: int = 0  # centres the item applies to
    centres_short: int = 0
    required: int = 0
    available: int = 0
    unusable: int = 0
    units: int = 0

    @property
    def cost(self) -> Decimal | None:
        return None if self.item.unit_cost is None else self.item.unit_cost * self.units


@dataclass
class NationalShortfall:
    centres: list[CentreTotal]
    categories: list[CategoryTotal]
    items: list[ItemTotal] = field(default_factory=list)

    @property
    def total_cost(self) -> Decimal:
        return sum((c.cost for c in self.centres), Decimal(0))

    @property
    def total_units(self) -> int:
        return sum(c.units for c in self.centres)


def national_shortfall(user, *, facilities: QuerySet | None = None) -> NationalShortfall:
    """The shortfall of every active centre in the user's scope (or of ``facilities``,
    already scoped by the caller): per centre, per category and per item, in five
    grouped queries whatever the number of centres."""
    scope = facilities if facilities is not None else facilities_in_scope(user)
    centres = list(scope.order_by("name"))
    ids = scope.values("pk")
    items = _active_items()
    bases = _bases(centres, ids)
    stock = _stock(ids)
    all_lines: list[ShortfallLine] = []
    per_item = {item.pk: ItemTotal(item) for item in items}
    totals = []
    for centre in centres:
        lines = _lines(items, bases[centre.pk], stock, centre.pk)
        all_lines += lines
        short = [line for line in lines if line.shortfall]
        totals.append(
            CentreTotal(
                facility=centre,
                items=len(lines),
                short=len(short),
                units=sum(line.shortfall for line in short),
                cost=sum((line.cost for line in short if line.cost is not None), Decimal(0)),
                uncosted=sum(1 for line in short if line.cost is None),
                capacity_unknown=any(line.capacity_unknown for line in lines),
            )
        )
        for line in lines:
            total = per_item[line.item.pk]
            total.centres += 1
            total.centres_short += 1 if line.shortfall else 0
            total.required += line.required
            total.available += line.available
            total.unusable += line.unusable
            total.units += line.shortfall
    ranked = sorted(
        (t for t in per_item.values() if t.units),
        key=lambda t: (-(t.cost or 0), -t.units, t.item.code),
    )
    return NationalShortfall(centres=totals, categories=_categories(all_lines), items=ranked)


def last_counts(facility_ids) -> dict[int, object]:
    """Facility id → the date its inventory was last counted (one grouped query)."""
    return dict(
        InventoryItem.objects.filter(facility__in=facility_ids)
        .values("facility_id")
        .annotate(last=Max("last_counted_on"))
        .values_list("facility_id", "last")
    )
