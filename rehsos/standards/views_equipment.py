"""Pages of the equipment part: the standard list, a centre's inventory (with its
XLSX export), the costed shortfall of a centre and of every centre in scope, and
stock-takes (start, quick entry of counts, finish, report)."""

import io
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.forms import add_domain_errors
from rehsos.core.permissions import can, requires
from rehsos.facilities.models import RoomKind
from rehsos.standards import selectors_equipment as selectors
from rehsos.standards import services_equipment as services
from rehsos.standards.forms_equipment import (
    CountLineForm,
    FinishStockTakeForm,
    InventoryFilterForm,
    InventoryForm,
    StandardFilterForm,
    StandardItemForm,
    StartStockTakeForm,
)
from rehsos.standards.models import EquipmentItem, InventoryItem, StockTake

CHART_WIDTH = 480


def basis_text(item: EquipmentItem) -> str:
    """How the item's quantity is counted, in words."""
    if item.basis == EquipmentItem.Basis.PER_RESIDENTS:
        return ngettext(
            "%(quantity)d per resident", "%(quantity)d per %(n)d residents", item.per_n or 0
        ) % {"quantity": item.quantity, "n": item.per_n}
    if item.basis == EquipmentItem.Basis.PER_ROOM:
        return _("%(quantity)d per room: %(room)s") % {
            "quantity": item.quantity,
            "room": item.get_room_kind_display(),
        }
    return _("%(quantity)d per centre") % {"quantity": item.quantity}


def _facility_choices(user) -> list[tuple[str, str]]:
    return list(selectors.facilities_in_scope(user).values_list("code", "name"))


# --- the standard list ----------------------------------------------------------------


@requires("standards.view")
def standard_list(request):
    form = StandardFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    items = selectors.standard_items(
        cluster=filters.get("cluster", ""),
        category=filters.get("category", ""),
        basis=filters.get("basis", ""),
        query=filters.get("q", ""),
        active=None if filters.get("inactive") else True,
    )
    rows = [(item, basis_text(item)) for item in items]
    return render(
        request,
        "standards/equipment/standard_list.html",
        {
            "form": form,
            "rows": rows,
            "can_edit": can(request.user, "standards.manage_catalogue"),
        },
    )


def _item_data(data: dict) -> dict:
    data = dict(data)
    data.pop("version", None)
    return data


@requires("standards.manage_catalogue")
def standard_new(request):
    form = StandardItemForm(request.POST or None, initial={"quantity": 1, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            item = services.create_item(request.user, **_item_data(form.cleaned_data))
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("%(item)s is on the standard list.") % {"item": item})
            return redirect(reverse("standards:equipment_standard") + f"#item-{item.code}")
    return render(
        request,
        "standards/equipment/standard_form.html",
        {"form": form, "item": None},
        status=422 if form.errors else 200,
    )


@requires("standards.manage_catalogue")
def standard_edit(request, code):
    item = selectors.standard_item(code)
    initial = {name: getattr(item, name) for name in services.ITEM_FIELDS}
    initial["version"] = item.version
    form = StandardItemForm(request.POST or None, initial=initial, editing=True)
    conflict, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.update_item(
                request.user, item, version=data.get("version"), **_item_data(data)
            )
        except Conflict:
            item.refresh_from_db()
            conflict, status = _item_conflict(item, data), 409
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("%(item)s is saved.") % {"item": item})
            return redirect(reverse("standards:equipment_standard") + f"#item-{item.code}")
    if form.errors:
        status = 422
    return render(
        request,
        "standards/equipment/standard_form.html",
        {"form": form, "item": item, "conflict": conflict},
        status=status,
    )


def _item_conflict(item: EquipmentItem, data: dict) -> dict:
    rows = []
    for name in ("name_id", "name_en", "basis", "quantity", "per_n", "room_kind", "unit_cost"):
        theirs, mine = getattr(item, name), data.get(name)
        if str(theirs or "") != str(mine or ""):
            rows.append((EquipmentItem._meta.get_field(name).verbose_name, theirs, mine))
    return {"version": item.version, "rows": rows}


# --- inventory ------------------------------------------------------------------------


def _pick_facility(request):
    code = request.GET.get("facility", "")
    facility = (
        selectors.facility_for(request.user, code)
        if code
        else selectors.default_facility(request.user)
    )
    if facility is None:
        raise NotFound(_("No centre in your scope."))
    return facility


@requires("standards.view")
def inventory_home(request):
    return redirect("standards:equipment_inventory", code=_pick_facility(request).code)


@requires("standards.view")
def inventory_page(request, code):
    user = request.user
    facility = selectors.facility_for(user, code)
    places = selectors.locations(facility)
    form = InventoryFilterForm(request.GET or None, locations=places)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = list(
        selectors.inventory(
            facility,
            condition=filters.get("condition", ""),
            category=filters.get("category", ""),
            location=filters.get("location", ""),
            query=filters.get("q", ""),
        )
    )
    usable = sum(r.quantity for r in rows if r.condition in selectors.USABLE)
    return render(
        request,
        "standards/equipment/inventory.html",
        {
            "facility": facility,
            "facilities": _facility_choices(user),
            "form": form,
            "rows": rows,
            "units": sum(r.quantity for r in rows),
            "usable": usable,
            "can_manage": can(user, "standards.manage_inventory"),
            "open_take": StockTake.objects.filter(
                facility=facility, finished_at__isnull=True
            ).first(),
        },
    )


def _inventory_data(data: dict) -> dict:
    data = dict(data)
    data.pop("version", None)
    return data


@requires("standards.manage_inventory")
def inventory_new(request, code):
    facility = selectors.facility_for(request.user, code)
    initial = {"quantity": 1, "condition": InventoryItem.Condition.GOOD}
    if request.GET.get("item"):
        initial["item"] = EquipmentItem.objects.filter(code=request.GET["item"]).first()
    form = InventoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.add_inventory(
                request.user, facility, **_inventory_data(form.cleaned_data)
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("%(item)s is in the inventory.") % {"item": row})
            if request.POST.get("another"):
                return redirect("standards:equipment_inventory_new", code=facility.code)
            return redirect("standards:equipment_inventory", code=facility.code)
    return render(
        request,
        "standards/equipment/inventory_form.html",
        {"form": form, "facility": facility, "row": None},
        status=422 if form.errors else 200,
    )


@requires("standards.manage_inventory")
def inventory_edit(request, pk):
    row = selectors.inventory_item_for(request.user, pk)
    facility = row.facility
    initial = {
        "item": row.item,
        "description": row.description,
        "quantity": row.quantity,
        "condition": row.condition,
        "location": row.location,
        "acquired_on": row.acquired_on,
        "funded_by": row.funded_by,
        "last_counted_on": row.last_counted_on,
        "version": row.version,
    }
    deleting = request.POST.get("action") == "delete"
    form = InventoryForm(None if deleting else (request.POST or None), initial=initial)
    conflict, status = None, 200
    if request.method == "POST" and deleting:
        try:
            services.delete_inventory(request.user, row, version=_int(request.POST.get("version")))
        except Conflict:
            row.refresh_from_db()
            conflict, status = _inventory_conflict(row, {}), 409
        except services.InUse as exc:
            form.add_error(None, str(exc.message))
            status = 409
        else:
            messages.success(request, _("%(item)s is deleted.") % {"item": row})
            return redirect("standards:equipment_inventory", code=facility.code)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = services.update_inventory(
                request.user, row, version=data.get("version"), **_inventory_data(data)
            )
        except Conflict:
            row.refresh_from_db()
            conflict, status = _inventory_conflict(row, data), 409
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("%(item)s is saved.") % {"item": row})
            return redirect("standards:equipment_inventory", code=facility.code)
    if form.errors and status == 200:
        status = 422
    return render(
        request,
        "standards/equipment/inventory_form.html",
        {"form": form, "facility": facility, "row": row, "conflict": conflict},
        status=status,
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _inventory_conflict(row: InventoryItem, data: dict) -> dict:
    fields = ("description", "quantity", "condition", "location", "last_counted_on")
    return {
        "version": row.version,
        "rows": [
            (InventoryItem._meta.get_field(name).verbose_name, getattr(row, name), data.get(name))
            for name in fields
        ],
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(workbook, title: str, header: list[str], rows) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"


@requires("standards.view")
def inventory_export(request, code):
    """The centre's inventory, and its shortfall on a second sheet, as one workbook."""
    facility = selectors.facility_for(request.user, code)
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        _("Inventory"),
        [
            _("Standard item"),
            _("Description"),
            _("Category"),
            _("Quantity"),
            _("Condition"),
            _("Location"),
            _("Acquired on"),
            _("Funded by"),
            _("Last counted on"),
        ],
        (
            [
                row.item.code if row.item else "",
                row.description,
                row.item.get_category_display() if row.item else "",
                row.quantity,
                row.get_condition_display(),
                row.location,
                row.acquired_on,
                f"{row.funded_by.partner}: {row.funded_by.title}" if row.funded_by else "",
                row.last_counted_on,
            ]
            for row in selectors.inventory(facility)
        ),
    )
    table = selectors.facility_shortfall(facility)
    _sheet(
        workbook,
        _("Shortfall"),
        [
            _("Code"),
            _("Item"),
            _("Category"),
            _("Counted"),
            _("Required"),
            _("Available"),
            _("Poor or broken"),
            _("Shortfall"),
            _("Unit cost (Rp, estimate)"),
            _("Cost (Rp)"),
        ],
        (
            [
                line.item.code,
                line.item.name_id,
                line.item.get_category_display(),
                basis_text(line.item),
                line.required,
                line.available,
                line.unusable,
                line.shortfall,
                int(line.item.unit_cost) if line.item.unit_cost is not None else None,
                int(line.cost) if line.cost is not None else None,
            ]
            for line in table.lines
        ),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    name = f"inventory-{facility.code}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- shortfall ------------------------------------------------------------------------


def _chart(categories) -> dict:
    """Geometry of a small horizontal bar chart of the cost per category."""
    label_width, row = 150, 26
    top = max((c.cost for c in categories), default=Decimal(0))
    bars = []
    for i, category in enumerate(categories):
        width = round(float(category.cost / top) * CHART_WIDTH, 1) if top else 0
        bars.append(
            {
                "label": category.label,
                "cost": category.cost,
                "x": label_width,
                "width": width,
                "y": i * row,
                "text_x": label_width + width + 6,
            }
        )
    return {
        "bars": bars,
        "width": label_width + CHART_WIDTH + 130,
        "height": max(len(bars) * row, row),
    }


@requires("standards.view")
def shortfall_page(request, code):
    user = request.user
    facility = selectors.facility_for(user, code)
    table = selectors.facility_shortfall(facility)
    short_only = request.GET.get("all") != "1"
    groups = []
    for category in table.categories:
        lines = [
            (line, basis_text(line.item))
            for line in table.lines
            if line.item.category == category.category and (line.shortfall or not short_only)
        ]
        groups.append((category, lines))
    return render(
        request,
        "standards/equipment/shortfall.html",
        {
            "facility": facility,
            "facilities": _facility_choices(user),
            "table": table,
            "rooms": [
                (RoomKind(kind).label if kind in RoomKind.values else kind, count)
                for kind, count in sorted(table.basis.rooms.items())
            ],
            "groups": groups,
            "short_only": short_only,
            "chart": _chart(table.categories),
            "last_take": selectors.last_stock_take(facility),
        },
    )


@requires("standards.view")
def national_shortfall_page(request):
    user = request.user
    table = selectors.national_shortfall(user)
    counted = selectors.last_counts([c.facility.pk for c in table.centres])
    return render(
        request,
        "standards/equipment/national_shortfall.html",
        {
            "table": table,
            "centres": [
                (centre, counted.get(centre.facility.pk))
                for centre in sorted(table.centres, key=lambda c: (-c.cost, c.facility.name))
            ],
            "items": table.items[:30],
            "chart": _chart(table.categories),
        },
    )


# --- stock-takes ----------------------------------------------------------------------


@requires("standards.view")
def stock_take_list(request, code):
    user = request.user
    facility = selectors.facility_for(user, code)
    form = StartStockTakeForm(
        initial={"started_on": timezone.localdate()}, locations=selectors.locations(facility)
    )
    return render(
        request,
        "standards/equipment/stock_takes.html",
        {
            "facility": facility,
            "facilities": _facility_choices(user),
            "takes": list(selectors.stock_takes(facility)[:100]),
            "form": form,
            "can_manage": can(user, "standards.manage_inventory"),
        },
    )


@requires("standards.manage_inventory")
def stock_take_start(request, code):
    user = request.user
    facility = selectors.facility_for(user, code)
    form = StartStockTakeForm(request.POST or None, locations=selectors.locations(facility))
    if request.method == "POST" and form.is_valid():
        try:
            take = services.start_stock_take(user, facility, **form.cleaned_data)
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The stock-take is open: count every line."))
            return redirect("standards:equipment_stock_take", pk=take.pk)
    if request.method != "POST":
        return redirect("standards:equipment_stock_takes", code=facility.code)
    return render(
        request,
        "standards/equipment/stock_takes.html",
        {
            "facility": facility,
            "facilities": _facility_choices(user),
            "takes": list(selectors.stock_takes(facility)[:100]),
            "form": form,
            "can_manage": True,
        },
        status=422,
    )


@requires("standards.view")
def stock_take_page(request, pk):
    user = request.user
    take = selectors.stock_take_for(user, pk)
    report = selectors.stock_take_report(take)
    may_count = not take.is_finished and can(user, "standards.manage_inventory")
    return render(
        request,
        "standards/equipment/stock_take.html",
        {
            "take": take,
            "facility": take.facility,
            "report": report,
            "may_count": may_count,
            "finish_form": FinishStockTakeForm() if may_count else None,
            "conditions": InventoryItem.Condition.choices,
        },
    )


@requires("standards.manage_inventory")
@require_POST
def stock_take_count(request, pk):
    """Save one line of the quick entry: with HTMX the row comes back in place;
    without JavaScript the page reloads at the line."""
    take = selectors.stock_take_for(request.user, pk)
    return _count_one(request, take)


def _count_one(request, take: StockTake):
    line_id = _int(request.POST.get("line"))
    line = selectors.stock_take_lines(take).filter(pk=line_id).first() if line_id else None
    if line is None:
        raise NotFound(_("No such line in this stock-take."))
    data = request.POST.copy()
    if data.get("action") == "as_expected":  # "found as expected": nothing to type
        data["counted"] = str(line.expected)
    form = CountLineForm(data)
    status = 200
    if form.is_valid():
        values = form.cleaned_data
        try:
            services.count_line(
                request.user,
                take,
                line=line.pk,
                counted=values["counted"],
                condition=values["condition"],
                note=values["note"],
            )
        except services.StockTakeClosed as exc:
            form.add_error(None, str(exc.message))
            status = 409
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
    if form.errors and status == 200:
        status = 422
    line = selectors.stock_take_lines(take).get(pk=line.pk)
    if request.htmx:
        return render(
            request,
            "standards/equipment/_count_row.html",
            {
                "take": take,
                "line": line,
                "errors": form.errors,
                "may_count": True,
                "saved": not form.errors,
                "conditions": InventoryItem.Condition.choices,
                # The page's summary and "lines to count" follow, swapped out of band.
                "oob": True,
                "report": selectors.stock_take_report(take),
            },
            status=status,
        )
    if form.errors:
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{line.inventory_item}: {label} {error}".strip())
    else:
        messages.success(request, _("%(item)s is counted.") % {"item": line.inventory_item})
    return redirect(reverse("standards:equipment_stock_take", args=[take.pk]) + f"#line-{line.pk}")


@requires("standards.manage_inventory")
@require_POST
def stock_take_finish(request, pk):
    user = request.user
    take = selectors.stock_take_for(user, pk)
    form = FinishStockTakeForm(request.POST)
    if form.is_valid():
        try:
            report = services.finish_stock_take(user, take, note=form.cleaned_data["note"])
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "The stock-take is finished and the inventory updated: %(missing)d units "
                    "not found, %(more)d more than expected."
                )
                % {"missing": report.missing_units, "more": report.more_units},
            )
    return redirect("standards:equipment_stock_take", pk=take.pk)


@requires("standards.manage_inventory")
@require_POST
def stock_take_cancel(request, pk):
    user = request.user
    take = selectors.stock_take_for(user, pk)
    code = take.facility.code
    services.cancel_stock_take(user, take)
    messages.success(request, _("The stock-take is cancelled; the inventory is unchanged."))
    return redirect("standards:equipment_stock_takes", code=code)
