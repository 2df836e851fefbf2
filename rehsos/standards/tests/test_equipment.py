"""Equipment and furniture: required quantities from a centre's capacity and rooms, the
costed shortfall (one centre and all centres in scope), inventory rules, stock-takes
and the starter list's loader."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.tests.factories import FacilityFactory
from rehsos.facilities.models import FacilityCapacity, FacilityRoom
from rehsos.partners.models import Agreement, Partner
from rehsos.standards import equipment_data
from rehsos.standards import selectors_equipment as selectors
from rehsos.standards import services_equipment as services
from rehsos.standards.models import EquipmentItem, InventoryItem, StockTake, StockTakeLine

TODAY = timezone.localdate()


def make_item(code, *, basis="facility", quantity=1, per_n=None, room_kind="", **extra):
    defaults = {
        "name_id": f"Barang {code}",
        "name_en": f"Item {code}",
        "category": EquipmentItem.Category.FURNITURE,
        "clusters": [],
        "unit_cost": Decimal(1000),
    }
    return EquipmentItem.objects.create(
        code=code,
        basis=basis,
        quantity=quantity,
        per_n=per_n,
        room_kind=room_kind,
        **{**defaults, **extra},
    )


def stock(facility, item, quantity, condition="good", **extra):
    return InventoryItem.objects.create(
        facility=facility,
        item=item,
        description=extra.pop("description", item.name_id if item else "Barang lain"),
        quantity=quantity,
        condition=condition,
        **extra,
    )


def line_of(table, code):
    return next(line for line in table.lines if line.item.code == code)


@pytest.fixture
def elderly_centre(db):
    """A centre for the elderly and persons with disabilities: 41 elderly and 12 PD
    places, 7 bathrooms and 10 bedrooms."""
    centre = FacilityFactory(
        code="sentra-budhi-dharma", region_id="32.01.01.1001", clusters=["LU", "PD"], capacity=80
    )
    FacilityCapacity.objects.create(facility=centre, cluster="LU", places=41)
    FacilityCapacity.objects.create(facility=centre, cluster="PD", places=12)
    FacilityRoom.objects.create(facility=centre, kind="bathroom", count=7)
    FacilityRoom.objects.create(facility=centre, kind="bedroom", count=10)
    return centre


# --- required quantities --------------------------------------------------------------


def test_per_residents_rounds_up_on_the_item_clusters_places(elderly_centre):
    walker = make_item("walker", basis="residents", per_n=5, quantity=2, clusters=["LU"])
    shared = make_item("locker", basis="residents", per_n=1, clusters=[])
    both = make_item("hoist", basis="residents", per_n=20, clusters=["LU", "PD"])
    table = selectors.facility_shortfall(elderly_centre)
    assert line_of(table, walker.code).required == 18  # ceil(41 / 5) = 9, × 2
    assert line_of(table, shared.code).required == 53  # every cluster's places: 41 + 12
    assert line_of(table, both.code).required == 3  # ceil(53 / 20)


def test_per_residents_falls_back_to_the_centres_capacity(elderly_centre):
    FacilityCapacity.objects.filter(facility=elderly_centre).delete()
    item = make_item("bed", basis="residents", per_n=4, clusters=["PD"])
    assert line_of(selectors.facility_shortfall(elderly_centre), "bed").required == 20  # 80 / 4

    elderly_centre.capacity = None
    elderly_centre.save()
    table = selectors.facility_shortfall(elderly_centre)
    assert line_of(table, item.code).required == 0
    assert line_of(table, item.code).capacity_unknown
    assert table.capacity_unknown


def test_per_room_and_per_centre(elderly_centre):
    make_item("grab-bar", basis="room", room_kind="bathroom", quantity=2)
    make_item("exit-sign", basis="facility", quantity=10)
    make_item("projector", basis="room", room_kind="classroom")  # the centre has none
    table = selectors.facility_shortfall(elderly_centre)
    assert line_of(table, "grab-bar").required == 14
    assert line_of(table, "exit-sign").required == 10
    assert line_of(table, "projector").required == 0
    assert not table.capacity_unknown


def test_only_items_of_the_centres_functions_apply(elderly_centre):
    make_item("for-children", clusters=["ANAK"])
    make_item("for-everyone", clusters=[])
    make_item("for-pd-and-kpn", clusters=["PD", "KPN"])
    make_item("retired", clusters=[], is_active=False)
    codes = {line.item.code for line in selectors.facility_shortfall(elderly_centre).lines}
    assert codes == {"for-everyone", "for-pd-and-kpn"}


# --- shortfall ------------------------------------------------------------------------


def test_shortfall_counts_good_and_fair_only_and_is_costed_by_category(elderly_centre):
    bed = make_item(
        "care-bed",
        basis="residents",
        per_n=1,
        clusters=["LU"],
        unit_cost=Decimal(9_500_000),
        category=EquipmentItem.Category.FURNITURE,
    )
    extinguisher = make_item(
        "extinguisher",
        basis="room",
        room_kind="bedroom",
        unit_cost=Decimal(750_000),
        category=EquipmentItem.Category.SAFETY,
    )
    uncosted = make_item("aed", unit_cost=None, quantity=1, category=EquipmentItem.Category.SAFETY)
    stock(elderly_centre, bed, 30, "good")
    stock(elderly_centre, bed, 5, "fair")
    stock(elderly_centre, bed, 4, "poor")
    stock(elderly_centre, bed, 2, "broken")
    stock(elderly_centre, None, 50, "good", description="Kursi plastik")  # not on the list
    stock(elderly_centre, extinguisher, 12, "good")  # more than the 10 bedrooms need

    table = selectors.facility_shortfall(elderly_centre)
    beds = line_of(table, "care-bed")
    assert (beds.required, beds.available, beds.unusable, beds.shortfall) == (41, 35, 6, 6)
    assert beds.cost == Decimal(57_000_000)
    assert line_of(table, "extinguisher").shortfall == 0
    assert line_of(table, "aed").cost is None

    by_category = {c.category: c for c in table.categories}
    assert by_category["furniture"].cost == Decimal(57_000_000)
    assert by_category["safety"].cost == Decimal(0)
    assert (by_category["safety"].items, by_category["safety"].short) == (2, 1)
    assert by_category["safety"].uncosted == 1
    assert table.total_cost == Decimal(57_000_000)
    assert table.total_units == 7
    assert {line.item.code for line in table.short_lines} == {uncosted.code, bed.code}


def test_one_centre_costs_four_queries(elderly_centre, django_assert_num_queries):
    item = make_item("chair", basis="residents", per_n=1)
    stock(elderly_centre, item, 3)
    with django_assert_num_queries(4):
        selectors.facility_shortfall(elderly_centre)


def test_national_shortfall_in_grouped_queries(
    elderly_centre, handayani, galih_pakuan, national_admin, django_assert_num_queries
):
    chair = make_item("chair", basis="residents", per_n=1, unit_cost=Decimal(100))
    kit = make_item("first-aid", quantity=2, unit_cost=Decimal(700))
    for centre, places in ((handayani, 20), (galih_pakuan, 30)):
        centre.capacity = places
        centre.save()
    stock(handayani, chair, 5)
    stock(galih_pakuan, kit, 2)
    with django_assert_num_queries(5):
        table = selectors.national_shortfall(national_admin)
    per_centre = {c.facility.code: c for c in table.centres}
    for centre in (elderly_centre, handayani, galih_pakuan):
        alone = selectors.facility_shortfall(centre)
        assert per_centre[centre.code].cost == alone.total_cost
        assert per_centre[centre.code].units == alone.total_units
    assert table.total_cost == sum(
        selectors.facility_shortfall(c).total_cost
        for c in (elderly_centre, handayani, galih_pakuan)
    )
    chairs = next(t for t in table.items if t.item == chair)
    assert (chairs.centres, chairs.required, chairs.available, chairs.units) == (3, 103, 5, 98)

    # More centres, the same number of queries.
    for n in range(5):
        FacilityFactory(code=f"extra-{n}", capacity=10)
    with django_assert_num_queries(5):
        assert len(selectors.national_shortfall(national_admin).centres) == 8


def test_national_shortfall_is_scoped(provincial_officer, handayani, galih_pakuan):
    make_item("sign")
    codes = {c.facility.code for c in selectors.national_shortfall(provincial_officer).centres}
    assert codes == {handayani.code}  # DKI Jakarta only; Galih Pakuan is in West Java


# --- the standard list ----------------------------------------------------------------


def test_standard_item_validation_names_the_fields(national_admin):
    with pytest.raises(ValidationFailed) as raised:
        services.create_item(
            national_admin,
            code="Bad Code",
            name_id="",
            name_en="Walker",
            category="toys",
            clusters=["LU", "XX"],
            basis="residents",
            quantity=0,
            unit_cost="12.5",
        )
    assert set(raised.value.fields) == {
        "code",
        "name_id",
        "category",
        "clusters",
        "per_n",
        "quantity",
        "unit_cost",
    }
    with pytest.raises(ValidationFailed) as raised:
        services.create_item(
            national_admin, code="x", name_id="x", name_en="x", category="safety", basis="room"
        )
    assert set(raised.value.fields) == {"room_kind"}
    assert not EquipmentItem.objects.exists()


def test_standard_items_are_the_ministrys_to_change(national_admin, facility_head):
    item = services.create_item(
        national_admin,
        code="walker",
        name_id="Walker",
        name_en="Walking frame",
        category="assistive",
        clusters=["PD", "LU", "LU"],
        basis="residents",
        per_n=5,
        unit_cost=650000,
    )
    assert item.clusters == ["LU", "PD"]
    with pytest.raises(ValidationFailed) as raised:
        services.create_item(
            national_admin,
            code="walker",
            name_id="a",
            name_en="b",
            category="other",
            basis="facility",
        )
    assert set(raised.value.fields) == {"code"}
    with pytest.raises(PermissionDenied):
        services.update_item(facility_head, item, version=1, quantity=3)

    item = services.update_item(national_admin, item, version=1, basis="facility", quantity=3)
    assert (item.basis, item.per_n, item.quantity, item.version) == ("facility", None, 3, 2)
    with pytest.raises(Conflict):
        services.update_item(national_admin, item, version=1, quantity=4)
    item.refresh_from_db()
    assert item.quantity == 3


# --- inventory ------------------------------------------------------------------------


@pytest.fixture
def jica_grant(db):
    partner = Partner.objects.create(code="jica", name="JICA", kind=Partner.Kind.BILATERAL)
    return Agreement.objects.create(
        partner=partner, kind=Agreement.Kind.GRANT, title="Model centres", status="in_force"
    )


def test_inventory_validation_names_the_fields(facility_head, handayani, jica_grant):
    draft = Agreement.objects.create(
        partner=jica_grant.partner, kind=Agreement.Kind.MOU, title="Draft", status="draft"
    )
    with pytest.raises(ValidationFailed) as raised:
        services.add_inventory(
            facility_head,
            handayani,
            item="no-such-item",
            quantity=0,
            condition="lost",
            acquired_on=TODAY + datetime.timedelta(days=1),
            funded_by=draft,
        )
    assert set(raised.value.fields) == {
        "item",
        "quantity",
        "condition",
        "acquired_on",
        "funded_by",
    }
    with pytest.raises(ValidationFailed) as raised:
        services.add_inventory(
            facility_head, handayani, description="Kursi", quantity=1, funded_by="not-a-uuid"
        )
    assert set(raised.value.fields) == {"funded_by"}
    assert not InventoryItem.objects.exists()


def test_inventory_add_edit_and_delete(facility_head, handayani, jica_grant):
    bed = make_item("bed")
    row = services.add_inventory(
        facility_head,
        handayani,
        item=bed,
        quantity=4,
        condition="fair",
        funded_by=str(jica_grant.public_id),
        acquired_on=datetime.date(2025, 7, 1),
        location="Asrama A",
    )
    assert row.description == bed.name_id  # the standard item's name by default
    assert row.funded_by == jica_grant

    row = services.update_inventory(facility_head, row, version=1, quantity=0, condition="broken")
    assert (row.quantity, row.condition, row.version, row.location) == (0, "broken", 2, "Asrama A")
    with pytest.raises(Conflict):
        services.update_inventory(facility_head, row, version=1, quantity=9)
    row.refresh_from_db()
    assert row.quantity == 0

    services.delete_inventory(facility_head, row, version=2)
    assert not InventoryItem.objects.exists()


def test_inventory_is_the_centres_own(facility_head, social_worker, handayani, galih_pakuan):
    with pytest.raises(ValidationFailed) as raised:
        services.add_inventory(facility_head, galih_pakuan, description="Kursi", quantity=1)
    assert set(raised.value.fields) == {"facility"}
    with pytest.raises(PermissionDenied):  # social workers do not keep the inventory
        services.add_inventory(social_worker, handayani, description="Kursi", quantity=1)
    theirs = stock(galih_pakuan, None, 2)
    with pytest.raises(Exception, match="No such inventory item"):
        selectors.inventory_item_for(facility_head, theirs.pk)
    assert InventoryItem.objects.count() == 1


# --- stock-takes ----------------------------------------------------------------------


@pytest.fixture
def counted_centre(handayani):
    chairs = stock(handayani, make_item("chair", unit_cost=Decimal(500_000)), 10, location="Kelas")
    beds = stock(handayani, make_item("bed", unit_cost=Decimal(2_000_000)), 4, location="Asrama")
    kettle = stock(handayani, None, 1, "fair", description="Ketel", location="Dapur")
    return handayani, chairs, beds, kettle


def _lines(take):
    return {line.inventory_item_id: line for line in take.lines.all()}


def test_finish_updates_the_inventory_and_reports_what_was_not_found(facility_head, counted_centre):
    centre, chairs, beds, kettle = counted_centre
    take = services.start_stock_take(facility_head, centre, note="Opname semester 1")
    lines = _lines(take)
    assert {pk: line.expected for pk, line in lines.items()} == {
        chairs.pk: 10,
        beds.pk: 4,
        kettle.pk: 1,
    }
    services.count_lines(
        facility_head,
        take,
        [
            {"line": lines[chairs.pk].pk, "counted": 7, "note": "3 hilang"},
            {"line": lines[beds.pk].pk, "counted": 5, "condition": "fair"},
        ],
    )
    with pytest.raises(ValidationFailed) as raised:
        services.finish_stock_take(facility_head, take)
    assert raised.value.extra["uncounted"] == [lines[kettle.pk].pk]
    chairs.refresh_from_db()
    assert (chairs.quantity, chairs.last_counted_on) == (10, None)  # nothing changed yet

    services.count_line(
        facility_head, take, line=lines[kettle.pk].pk, counted=1, condition="broken"
    )
    report = services.finish_stock_take(facility_head, take, note="Selesai")

    assert [line.inventory_item_id for line in report.missing] == [chairs.pk]
    assert report.missing_units == 3
    assert report.missing_value == Decimal(1_500_000)
    assert [line.inventory_item_id for line in report.more] == [beds.pk]
    assert report.more_units == 1
    assert {line.inventory_item_id for line in report.condition_changed} == {beds.pk, kettle.pk}
    for row, quantity, condition in ((chairs, 7, "good"), (beds, 5, "fair"), (kettle, 1, "broken")):
        row.refresh_from_db()
        assert (row.quantity, row.condition, row.last_counted_on, row.version) == (
            quantity,
            condition,
            TODAY,
            2,
        )
    take.refresh_from_db()
    assert take.finished_by == facility_head
    assert take.note == "Opname semester 1\nSelesai"


def test_a_finished_stock_take_is_read_only(facility_head, counted_centre):
    centre, chairs, _beds, _kettle = counted_centre
    take = services.start_stock_take(facility_head, centre)
    services.count_lines(
        facility_head,
        take,
        [{"line": line.pk, "counted": line.expected} for line in take.lines.all()],
    )
    services.finish_stock_take(facility_head, take)
    line = take.lines.get(inventory_item=chairs)
    with pytest.raises(services.StockTakeClosed):
        services.count_line(facility_head, take, line=line.pk, counted=0)
    with pytest.raises(services.StockTakeClosed):
        services.finish_stock_take(facility_head, take)
    with pytest.raises(services.StockTakeClosed):
        services.cancel_stock_take(facility_head, take)
    line.refresh_from_db()
    chairs.refresh_from_db()
    assert (line.counted, chairs.quantity) == (10, 10)
    with pytest.raises(services.InUse):  # counted rows are history
        services.delete_inventory(facility_head, chairs)


def test_one_open_stock_take_per_centre_and_by_location(facility_head, counted_centre):
    centre, chairs, _beds, _kettle = counted_centre
    take = services.start_stock_take(facility_head, centre, location="kelas")
    assert list(take.lines.values_list("inventory_item", flat=True)) == [chairs.pk]
    with pytest.raises(ValidationFailed) as raised:
        services.start_stock_take(facility_head, centre)
    assert set(raised.value.fields) == {"facility"}
    services.cancel_stock_take(facility_head, take)
    assert not StockTake.objects.exists()
    assert not StockTakeLine.objects.exists()
    with pytest.raises(ValidationFailed) as raised:
        services.start_stock_take(facility_head, centre, location="Gudang")
    assert set(raised.value.fields) == {"location"}


def test_count_errors_name_the_entry_and_save_nothing(
    facility_head, national_admin, counted_centre, galih_pakuan
):
    centre, chairs, beds, _kettle = counted_centre
    take = services.start_stock_take(facility_head, centre)
    lines = _lines(take)
    stock(galih_pakuan, None, 1)
    other = services.start_stock_take(national_admin, galih_pakuan)
    with pytest.raises(ValidationFailed) as raised:
        services.count_lines(
            facility_head,
            take,
            [
                {"line": lines[chairs.pk].pk, "counted": 3},
                {"line": lines[beds.pk].pk, "counted": -1, "condition": "lost"},
                {"line": other.lines.get().pk, "counted": 1},
            ],
        )
    assert set(raised.value.fields) == {"lines[1].counted", "lines[1].condition", "lines[2].line"}
    assert not take.lines.filter(counted__isnull=False).exists()


def test_the_report_warns_of_rows_edited_during_the_count(facility_head, counted_centre):
    centre, chairs, _beds, _kettle = counted_centre
    take = services.start_stock_take(facility_head, centre)
    services.update_inventory(facility_head, chairs, quantity=12)
    report = selectors.stock_take_report(take)
    assert [line.inventory_item_id for line in report.changed_meanwhile] == [chairs.pk]


# --- the starter list -----------------------------------------------------------------


def test_the_starter_list_loads_once_and_keeps_the_ministrys_edits(db):
    rows = equipment_data.read()
    assert 60 <= len(rows) <= 90
    assert {"LU", "ANAK", "PD", "KPN"} <= {c for row in rows for c in row["clusters"]}
    assert {row["basis"] for row in rows} == {"residents", "room", "facility"}
    assert any(row["who_apl"] == "Walking frames" for row in rows)

    assert equipment_data.load() == len(rows)
    EquipmentItem.objects.filter(code="walking-frame").update(quantity=3, is_active=False)
    EquipmentItem.objects.filter(code="aed").delete()
    assert equipment_data.load() == 1  # only the deleted one comes back
    assert equipment_data.load() == 0
    walker = EquipmentItem.objects.get(code="walking-frame")
    assert (walker.quantity, walker.is_active) == (3, False)
    assert EquipmentItem.objects.count() == len(rows)


def test_a_bad_starter_file_is_refused_row_by_row(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,category,clusters,basis,quantity,per_n,room_kind,unit_cost,who_apl,name_id,name_en,spec\n"
        "ok,safety,,facility,1,,,100,,Baik,Good,\n"
        "ok,safety,,facility,1,,,100,,Baik,Good,\n"
        "no-n,safety,LU,residents,1,,,100,,A,B,\n",
        encoding="utf-8",
    )
    with pytest.raises(equipment_data.StarterListError) as raised:
        equipment_data.load(bad)
    assert raised.value.problems == [
        "row 3, code: ok is repeated",
        "row 4, per_n: Say for how many residents the quantity is meant.",
    ]
    assert not EquipmentItem.objects.exists()
