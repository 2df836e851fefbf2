"""Writes of the equipment part: the standard list (national administrators), a
centre's inventory and its stock-takes (the centre's own staff).

Stock-take rules:

* ``start_stock_take``: one open stock-take per centre (a second would overwrite the
  first at its finish); a line for every inventory row (of one location, when one is
  given) with ``expected`` = the row's quantity and its condition at the start.
* ``count_lines``: the quantity found, the condition, a note; all-or-nothing for a
  batch, and refused once the stock-take is finished (it is read-only then).
* ``finish_stock_take``: every line must be counted; then, in one transaction, each
  inventory row takes the counted quantity, the counted condition (when given) and
  today as ``last_counted_on``. The count is what is on the shelves: a row edited
  while the count was open is overwritten by the count (the open stock-take's page
  and the API warn about such rows before the finish).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.core.errors import Conflict, DomainError, ValidationFailed
from rehsos.core.permissions import require, scoped
from rehsos.facilities.models import Cluster, Facility, RoomKind
from rehsos.partners.models import Agreement
from rehsos.standards.models import EquipmentItem, InventoryItem, StockTake, StockTakeLine
from rehsos.standards.selectors_equipment import StockTakeReport, stock_take_report

MAX_QUANTITY = 100_000
MAX_UNIT_COST = Decimal("99999999999999")  # 14 digits, the column's size
FUNDING_STATUSES = (
    Agreement.Status.SIGNED,
    Agreement.Status.IN_FORCE,
    Agreement.Status.EXPIRED,
    Agreement.Status.TERMINATED,
)


class StockTakeClosed(DomainError):
    """A finished stock-take is read-only."""

    status = 409
    code = "stock_take_finished"
    title = gettext_lazy("This stock-take is finished")


class InUse(DomainError):
    status = 409
    code = "in_use"
    title = gettext_lazy("The record is in use")


def _check_version(row, version: int | None, what: str) -> None:
    if version is not None and row.version != version:
        raise Conflict(
            _("Someone else changed this %(what)s after you opened it.") % {"what": what},
            extra={"current_version": row.version, "your_version": version},
        )


def _quantity(value, field: str, errors: dict, *, minimum: int = 0) -> int | None:
    try:
        number = int(value)
        if isinstance(value, float | Decimal) and number != value:
            raise ValueError
    except (TypeError, ValueError):
        errors[field] = _("Give a whole number.")
        return None
    if number < minimum:
        errors[field] = _("Give a number of at least %(min)d.") % {"min": minimum}
        return None
    if number > MAX_QUANTITY:
        errors[field] = _("Give a number of at most %(max)d.") % {"max": MAX_QUANTITY}
        return None
    return number


def _text(value, field: str, errors: dict, *, max_length: int, required: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        errors[field] = _("Give a text.")
        return ""
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > max_length:
        errors[field] = _("Use at most %(max)d characters.") % {"max": max_length}
    return text


def _past_date(value, field: str, errors: dict) -> datetime.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            errors[field] = _("Give a date as YYYY-MM-DD.")
            return None
    if value > timezone.localdate():
        errors[field] = _("The date cannot be in the future.")
        return None
    return value


# --- the standard list ----------------------------------------------------------------


ITEM_FIELDS = (
    "code",
    "name_id",
    "name_en",
    "category",
    "spec",
    "clusters",
    "basis",
    "quantity",
    "per_n",
    "room_kind",
    "unit_cost",
    "who_apl",
    "is_active",
)


def clean_item(data: dict) -> dict:
    """Check a standard item's fields (from a form, the API or the starter file);
    raise ValidationFailed naming every bad field. Returns the cleaned values."""
    errors: dict = {}
    out: dict = {}
    code = _text(data.get("code"), "code", errors, max_length=40, required=True)
    if code and slugify(code) != code:
        errors["code"] = _("Use lower-case letters, digits and hyphens only.")
    out["code"] = code
    out["name_id"] = _text(data.get("name_id"), "name_id", errors, max_length=200, required=True)
    out["name_en"] = _text(data.get("name_en"), "name_en", errors, max_length=200, required=True)
    out["spec"] = _text(data.get("spec"), "spec", errors, max_length=4000)
    out["who_apl"] = _text(data.get("who_apl"), "who_apl", errors, max_length=100)
    category = data.get("category") or ""
    if category not in EquipmentItem.Category.values:
        errors["category"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(EquipmentItem.Category.values)
        }
    out["category"] = category
    clusters = data.get("clusters") or []
    if isinstance(clusters, str):
        clusters = clusters.replace(",", " ").split()
    unknown = [c for c in clusters if c not in Cluster.values]
    if unknown:
        errors["clusters"] = _("Unknown function: %(codes)s. Use %(choices)s.") % {
            "codes": ", ".join(map(str, unknown)),
            "choices": ", ".join(Cluster.values),
        }
    out["clusters"] = [c for c in Cluster.values if c in clusters]  # canonical order, no repeats
    out["quantity"] = _quantity(data.get("quantity", 1), "quantity", errors, minimum=1)
    basis = data.get("basis") or ""
    out["per_n"], out["room_kind"] = None, ""
    if basis == EquipmentItem.Basis.PER_RESIDENTS:
        if data.get("per_n") in (None, ""):
            errors["per_n"] = _("Say for how many residents the quantity is meant.")
        else:
            out["per_n"] = _quantity(data.get("per_n"), "per_n", errors, minimum=1)
    elif basis == EquipmentItem.Basis.PER_ROOM:
        room = data.get("room_kind") or ""
        if room not in RoomKind.values:
            errors["room_kind"] = _("Choose the kind of room the quantity is counted per.")
        out["room_kind"] = room
    elif basis != EquipmentItem.Basis.PER_FACILITY:
        errors["basis"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(EquipmentItem.Basis.values)
        }
    out["basis"] = basis
    cost = data.get("unit_cost")
    if cost in (None, ""):
        out["unit_cost"] = None
    else:
        try:
            amount = Decimal(str(cost).replace(" ", ""))
            if amount != amount.to_integral_value() or amount < 0 or amount > MAX_UNIT_COST:
                raise InvalidOperation
            out["unit_cost"] = amount.quantize(Decimal(1))
        except (InvalidOperation, ValueError):
            errors["unit_cost"] = _("Give the unit cost in whole rupiah (0 or more).")
    out["is_active"] = bool(data.get("is_active", True))
    if errors:
        raise ValidationFailed(fields=errors)
    return out


def create_item(user, **data) -> EquipmentItem:
    require(user, "standards.manage_catalogue")
    values = clean_item(data)
    try:
        with transaction.atomic():
            return EquipmentItem.objects.create(**values)
    except IntegrityError as exc:
        raise ValidationFailed(
            fields={"code": _("A standard item with this code exists already.")}
        ) from exc


def update_item(user, item: EquipmentItem, *, version: int | None = None, **data) -> EquipmentItem:
    """Change a standard item (its code stays). Deactivating it takes it out of every
    centre's required list; its inventory rows keep their link."""
    require(user, "standards.manage_catalogue")
    with transaction.atomic():
        item = EquipmentItem.objects.select_for_update().get(pk=item.pk)
        _check_version(item, version, _("standard item"))
        current = {name: getattr(item, name) for name in ITEM_FIELDS}
        values = clean_item({**current, **data, "code": item.code})
        for name, value in values.items():
            setattr(item, name, value)
        item.version += 1
        item.save()
    return item


# --- inventory ------------------------------------------------------------------------


def funding_agreements():
    """Agreements that can have paid for equipment: signed ones, in force or ended."""
    return (
        Agreement.objects.filter(status__in=FUNDING_STATUSES)
        .select_related("partner")
        .order_by("partner__name", "title")
    )


def _facility_in_scope(user, facility: Facility) -> Facility:
    found = scoped(user, Facility.objects.filter(pk=facility.pk, is_active=True)).first()
    if found is None:
        raise ValidationFailed(fields={"facility": _("Choose an active centre in your scope.")})
    return found


def _inventory_values(data: dict, *, creating: bool) -> dict:
    errors: dict = {}
    out: dict = {}
    item = data.get("item")
    if item is not None and not isinstance(item, EquipmentItem):
        item = EquipmentItem.objects.filter(code=str(item)).first()
        if item is None:
            errors["item"] = _("No standard item has this code.")
    out["item"] = item
    description = _text(data.get("description"), "description", errors, max_length=200)
    if not description and item is not None:
        description = item.name_id
    if not description and "description" not in errors and "item" not in errors:
        errors["description"] = _("Describe the item, or link it to a standard item.")
    out["description"] = description
    out["quantity"] = _quantity(
        data.get("quantity"), "quantity", errors, minimum=1 if creating else 0
    )
    condition = data.get("condition") or InventoryItem.Condition.GOOD
    if condition not in InventoryItem.Condition.values:
        errors["condition"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(InventoryItem.Condition.values)
        }
    out["condition"] = condition
    out["acquired_on"] = _past_date(data.get("acquired_on"), "acquired_on", errors)
    out["last_counted_on"] = _past_date(data.get("last_counted_on"), "last_counted_on", errors)
    if (
        out["acquired_on"]
        and out["last_counted_on"]
        and out["last_counted_on"] < out["acquired_on"]
    ):
        errors["last_counted_on"] = _("The item cannot be counted before it was acquired.")
    funded_by = data.get("funded_by") or None
    if funded_by is not None:
        if not isinstance(funded_by, Agreement):
            try:
                funded_by = funding_agreements().filter(public_id=funded_by).first()
            except DjangoValidationError:  # not a UUID
                funded_by = None
        if funded_by is None or funded_by.status not in FUNDING_STATUSES:
            errors["funded_by"] = _("Choose a signed partner agreement.")
    out["funded_by"] = funded_by
    out["location"] = _text(data.get("location"), "location", errors, max_length=120)
    if errors:
        raise ValidationFailed(fields=errors)
    return out


def add_inventory(user, facility: Facility, **data) -> InventoryItem:
    """Record equipment a centre holds: linked to a standard item (it then counts
    towards the standard) or free (described only)."""
    require(user, "standards.manage_inventory")
    facility = _facility_in_scope(user, facility)
    values = _inventory_values(data, creating=True)
    return InventoryItem.objects.create(facility=facility, **values)


def update_inventory(
    user, row: InventoryItem, *, version: int | None = None, **data
) -> InventoryItem:
    require(user, "standards.manage_inventory")
    with transaction.atomic():
        row = InventoryItem.objects.select_for_update().get(pk=row.pk)
        _facility_in_scope(user, row.facility)
        _check_version(row, version, _("inventory item"))
        current = {
            "item": row.item,
            "description": row.description,
            "quantity": row.quantity,
            "condition": row.condition,
            "acquired_on": row.acquired_on,
            "last_counted_on": row.last_counted_on,
            "funded_by": row.funded_by,
            "location": row.location,
        }
        values = _inventory_values({**current, **data}, creating=False)
        for name, value in values.items():
            setattr(row, name, value)
        row.version += 1
        row.save()
    return row


def delete_inventory(user, row: InventoryItem, *, version: int | None = None) -> None:
    """Remove a row entered by mistake. A row that a stock-take has counted is history:
    set its quantity to 0 instead (the stock-takes keep what was found)."""
    require(user, "standards.manage_inventory")
    with transaction.atomic():
        row = InventoryItem.objects.select_for_update().get(pk=row.pk)
        _facility_in_scope(user, row.facility)
        _check_version(row, version, _("inventory item"))
        if StockTakeLine.objects.filter(inventory_item=row).exists():
            raise InUse(
                _(
                    "A stock-take has counted this item, so it cannot be deleted. Set its "
                    "quantity to 0 and say why in its location or a stock-take note."
                )
            )
        row.delete()


# --- stock-takes ----------------------------------------------------------------------


def start_stock_take(
    user,
    facility: Facility,
    *,
    started_on: datetime.date | None = None,
    location: str = "",
    note: str = "",
) -> StockTake:
    require(user, "standards.manage_inventory")
    facility = _facility_in_scope(user, facility)
    errors: dict = {}
    started_on = _past_date(started_on, "started_on", errors) or timezone.localdate()
    location = _text(location, "location", errors, max_length=120)
    note = _text(note, "note", errors, max_length=4000)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        rows = InventoryItem.objects.filter(facility=facility)
        if location:
            rows = rows.filter(location__iexact=location)
        rows = list(rows.order_by("pk").values_list("pk", "quantity", "condition"))
        if not rows:
            field = "location" if location else "facility"
            raise ValidationFailed(fields={field: _("There is no inventory to count here.")})
        try:
            with transaction.atomic():
                take = StockTake.objects.create(
                    facility=facility,
                    started_on=started_on,
                    location=location,
                    note=note,
                    counted_by=user,
                )
        except IntegrityError as exc:
            raise ValidationFailed(
                fields={
                    "facility": _(
                        "A stock-take of this centre is already open: finish or cancel it first."
                    )
                }
            ) from exc
        StockTakeLine.objects.bulk_create(
            StockTakeLine(
                stock_take=take, inventory_item_id=pk, expected=quantity, expected_condition=cond
            )
            for pk, quantity, cond in rows
        )
    return take


def _lock_open(user, take: StockTake) -> StockTake:
    take = StockTake.objects.select_for_update().select_related("facility").get(pk=take.pk)
    _facility_in_scope(user, take.facility)
    if take.is_finished:
        raise StockTakeClosed(
            _("This stock-take was finished on %(date)s; it can no longer be changed.")
            % {"date": timezone.localtime(take.finished_at).date().isoformat()}
        )
    return take


def count_lines(user, take: StockTake, entries: list[dict]) -> list[StockTakeLine]:
    """Record what was found on some lines: each entry has ``line`` (its id),
    ``counted`` (0 or more), optionally ``condition`` and ``note``. Field errors are
    named ``lines[<i>].<field>`` after the entry's position."""
    require(user, "standards.manage_inventory")
    if not entries:
        raise ValidationFailed(fields={"lines": _("Give at least one counted line.")})
    with transaction.atomic():
        take = _lock_open(user, take)
        ids = [e.get("line") for e in entries]
        lines = {
            line.pk: line
            for line in StockTakeLine.objects.filter(
                stock_take=take, pk__in=[i for i in ids if isinstance(i, int)]
            )
        }
        errors: dict = {}
        changed: dict[int, StockTakeLine] = {}
        for index, entry in enumerate(entries):
            prefix = f"lines[{index}]."
            line = lines.get(entry.get("line"))
            if line is None:
                errors[prefix + "line"] = _("No such line in this stock-take.")
                continue
            if line.pk in changed:
                errors[prefix + "line"] = _("This line is given twice.")
                continue
            counted = _quantity(entry.get("counted"), prefix + "counted", errors)
            condition = entry.get("condition") or ""
            if condition not in ("", *InventoryItem.Condition.values):
                errors[prefix + "condition"] = _("Choose one of: %(choices)s.") % {
                    "choices": ", ".join(InventoryItem.Condition.values)
                }
            note = _text(entry.get("note"), prefix + "note", errors, max_length=200)
            line.counted, line.condition, line.note = counted, condition, note
            changed[line.pk] = line
        if errors:
            raise ValidationFailed(fields=errors)
        StockTakeLine.objects.bulk_update(changed.values(), ["counted", "condition", "note"])
    return list(changed.values())


def count_line(
    user, take: StockTake, *, line: int, counted, condition: str = "", note: str = ""
) -> StockTakeLine:
    """One line, as the quick-entry page saves it: errors name the plain fields."""
    try:
        return count_lines(
            user, take, [{"line": line, "counted": counted, "condition": condition, "note": note}]
        )[0]
    except ValidationFailed as exc:
        raise ValidationFailed(
            fields={name.split(".", 1)[-1]: message for name, message in exc.fields.items()}
        ) from exc


def finish_stock_take(user, take: StockTake, *, note: str = "") -> StockTakeReport:
    """Close the count and bring the inventory in line with it (see the module's
    docstring). Returns the report of what was missing and what was more."""
    require(user, "standards.manage_inventory")
    errors: dict = {}
    note = _text(note, "note", errors, max_length=4000)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        take = _lock_open(user, take)
        lines = list(StockTakeLine.objects.filter(stock_take=take).order_by("pk"))
        uncounted = [line.pk for line in lines if line.counted is None]
        if uncounted:
            raise ValidationFailed(
                _("%(n)d of %(total)d lines are not counted yet.")
                % {"n": len(uncounted), "total": len(lines)},
                fields={
                    "lines": _("Count every line before finishing (enter 0 for what is gone).")
                },
                extra={"uncounted": uncounted},
            )
        today = timezone.localdate()
        by_row = {line.inventory_item_id: line for line in lines}
        rows = list(
            InventoryItem.objects.select_for_update().filter(pk__in=list(by_row)).order_by("pk")
        )
        for row in rows:
            line = by_row[row.pk]
            row.quantity = line.counted
            if line.condition:
                row.condition = line.condition
            row.last_counted_on = today
            row.version += 1
        InventoryItem.objects.bulk_update(
            rows, ["quantity", "condition", "last_counted_on", "version"]
        )
        take.finished_at = timezone.now()
        take.finished_by = user
        if note:
            take.note = f"{take.note}\n{note}".strip()
        take.save(update_fields=["finished_at", "finished_by", "note"])
    return stock_take_report(take)


def cancel_stock_take(user, take: StockTake) -> None:
    """Discard an open stock-take and its counts (the inventory is not touched)."""
    require(user, "standards.manage_inventory")
    with transaction.atomic():
        take = _lock_open(user, take)
        take.delete()
