"""Equipment pages, the XLSX export, the centre-page panel and the API."""

import io
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from rehsos.core.models import ApiToken
from rehsos.core.tests.logins import verified_client
from rehsos.facilities import panels
from rehsos.facilities.models import FacilityCapacity, FacilityRoom
from rehsos.standards.models import EquipmentItem, InventoryItem, StockTake


def item(code, **extra):
    values = {
        "name_id": f"Barang {code}",
        "name_en": f"Item {code}",
        "category": EquipmentItem.Category.SAFETY,
        "basis": "facility",
        "quantity": 2,
        "unit_cost": Decimal(750_000),
        **extra,
    }
    return EquipmentItem.objects.create(code=code, **values)


@pytest.fixture
def centre(handayani):
    """Handayani with 20 places for children, 4 bedrooms, and a short inventory."""
    handayani.capacity = 20
    handayani.save()
    FacilityCapacity.objects.create(facility=handayani, cluster="ANAK", places=20)
    FacilityRoom.objects.create(facility=handayani, kind="bedroom", count=4)
    desk = item(
        "study-desk",
        category="furniture",
        basis="residents",
        per_n=1,
        quantity=1,
        clusters=["ANAK"],
        unit_cost=Decimal(1_500_000),
    )
    item(
        "smoke-detector", basis="room", room_kind="bedroom", quantity=1, unit_cost=Decimal(450_000)
    )
    item("care-bed", category="furniture", clusters=["LU"])  # not for a children's centre
    InventoryItem.objects.create(
        facility=handayani, item=desk, description="Meja belajar", quantity=15, location="Asrama"
    )
    InventoryItem.objects.create(
        facility=handayani, item=desk, description="Meja rusak", quantity=3, condition="broken"
    )
    return handayani


@pytest.fixture
def head(client, facility_head):
    client.force_login(facility_head)
    return client


# --- pages ----------------------------------------------------------------------------


def test_standard_list_reads_for_all_and_edits_for_the_ministry(client, analyst, national_admin):
    item("exit-sign", who_apl="")
    client.force_login(analyst)
    page = client.get(reverse("standards:equipment_standard"))
    assert page.status_code == 200
    assert b"exit-sign" in page.content
    assert reverse("standards:equipment_item_edit", args=["exit-sign"]).encode() not in page.content
    assert (
        client.get(reverse("standards:equipment_item_edit", args=["exit-sign"])).status_code == 403
    )

    admin = verified_client(national_admin)
    url = reverse("standards:equipment_item_edit", args=["exit-sign"])
    bad = admin.post(
        url,
        {
            "name_id": "Tanda",
            "name_en": "Sign",
            "category": "safety",
            "basis": "residents",
            "quantity": 1,
            "version": 1,
        },
    )
    assert bad.status_code == 422
    assert b'data-field-error="per_n"' in bad.content
    done = admin.post(
        url,
        {
            "name_id": "Tanda keluar",
            "name_en": "Exit sign",
            "category": "safety",
            "basis": "facility",
            "quantity": 12,
            "is_active": "on",
            "version": 1,
        },
    )
    assert done.status_code == 302
    saved = EquipmentItem.objects.get(code="exit-sign")
    assert (saved.quantity, saved.version, saved.name_id) == (12, 2, "Tanda keluar")
    stale = admin.post(
        url,
        {
            "name_id": "Lama",
            "name_en": "Old",
            "category": "safety",
            "basis": "facility",
            "quantity": 1,
            "version": 1,
        },
    )
    assert stale.status_code == 409
    assert b"data-conflict" in stale.content


def test_inventory_page_add_form_and_scope(
    head, centre, galih_pakuan, django_assert_max_num_queries
):
    url = reverse("standards:equipment_inventory", args=[centre.code])
    with django_assert_max_num_queries(12):
        page = head.get(url)
    assert page.status_code == 200
    assert page.content.count(b"data-row=") == 2
    assert (
        head.get(reverse("standards:equipment_inventory", args=[galih_pakuan.code])).status_code
        == 404
    )
    assert head.get(reverse("standards:equipment_inventory_home")).url == url

    new = reverse("standards:equipment_inventory_new", args=[centre.code])
    bad = head.post(new, {"quantity": "0", "condition": "good", "acquired_on": "2999-01-01"})
    assert bad.status_code == 422
    assert b'data-field-error="acquired_on"' in bad.content
    assert b'data-field-error="description"' in bad.content
    assert InventoryItem.objects.count() == 2
    ok = head.post(new, {"description": "Kipas angin", "quantity": "2", "condition": "fair"})
    assert ok.status_code == 302
    row = InventoryItem.objects.get(description="Kipas angin")
    edit = reverse("standards:equipment_inventory_edit", args=[row.pk])
    assert (
        head.post(
            edit,
            {
                "description": "Kipas angin",
                "quantity": "1",
                "condition": "poor",
                "version": row.version,
            },
        ).status_code
        == 302
    )
    row.refresh_from_db()
    assert (row.quantity, row.condition) == (1, "poor")
    assert head.post(edit, {"action": "delete", "version": row.version}).status_code == 302
    assert not InventoryItem.objects.filter(pk=row.pk).exists()

    theirs = InventoryItem.objects.create(facility=galih_pakuan, description="Kursi", quantity=1)
    assert (
        head.get(reverse("standards:equipment_inventory_edit", args=[theirs.pk])).status_code == 404
    )


def test_a_social_worker_may_not_keep_the_inventory(client, social_worker, centre):
    client.force_login(social_worker)
    url = reverse("standards:equipment_inventory_new", args=[centre.code])
    assert client.post(url, {"description": "Kursi", "quantity": 1}).status_code == 403
    assert InventoryItem.objects.count() == 2


def test_inventory_export_has_the_inventory_and_the_shortfall(head, centre):
    response = head.get(reverse("standards:equipment_inventory_export", args=[centre.code]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Inventory", "Shortfall"]
    inventory = list(book["Inventory"].values)
    assert len(inventory) == 3
    assert {row[1] for row in inventory[1:]} == {"Meja belajar", "Meja rusak"}
    shortfall = {row[0]: row for row in list(book["Shortfall"].values)[1:]}
    assert set(shortfall) == {"study-desk", "smoke-detector"}
    # 20 desks needed, 15 good (3 broken do not count): 5 × Rp 1.5 M
    assert shortfall["study-desk"][4:] == (20, 15, 3, 5, 1_500_000, 7_500_000)


def test_shortfall_pages(head, centre, client, national_admin):
    page = head.get(reverse("standards:equipment_shortfall", args=[centre.code]))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-item="study-desk"' in text
    assert 'data-item="care-bed"' not in text
    # desks 5 × 1,500,000 + smoke detectors 4 × 450,000
    assert "Rp 9,300,000" in text
    assert "data-cost-chart" in text

    national = head.get(reverse("standards:equipment_national_shortfall"))
    assert national.status_code == 200
    assert national.content.count(b"data-centre=") == 1  # the head's own centre only


def test_stock_take_pages_quick_entry_and_finish(head, centre):
    start = head.post(
        reverse("standards:equipment_stock_take_start", args=[centre.code]),
        {"started_on": "2026-01-05", "location": ""},
    )
    take = StockTake.objects.get()
    assert start.url == reverse("standards:equipment_stock_take", args=[take.pk])
    page = head.get(start.url)
    assert page.status_code == 200
    assert page.content.count(b"data-line=") == 2
    count_url = reverse("standards:equipment_stock_take_count", args=[take.pk])
    good, broken = take.lines.order_by("inventory_item__description")
    row = head.post(
        count_url, {"line": good.pk, "counted": "12", "note": "3 hilang"}, HTTP_HX_REQUEST="true"
    )
    assert row.status_code == 200
    assert b"data-saved" in row.content
    assert b"<html" not in row.content  # the row alone, swapped in place
    bad = head.post(count_url, {"line": broken.pk, "counted": "-2"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422
    assert b'data-field-error="counted"' in bad.content
    same = head.post(count_url, {"line": broken.pk, "action": "as_expected"})
    assert same.status_code == 302
    broken.refresh_from_db()
    assert broken.counted == 3

    finish = head.post(reverse("standards:equipment_stock_take_finish", args=[take.pk]), {})
    assert finish.status_code == 302
    report = head.get(start.url).content.decode()
    assert "data-read-only" in report
    assert "3 hilang" in report
    assert "data-not-found" in report
    late = head.post(count_url, {"line": good.pk, "counted": "15"}, HTTP_HX_REQUEST="true")
    assert late.status_code == 409
    good.refresh_from_db()
    assert good.counted == 12
    assert InventoryItem.objects.get(description="Meja belajar").quantity == 12


def test_the_centre_page_panel(rf: RequestFactory, facility_head, centre, galih_pakuan):
    request = rf.get("/")
    request.user = facility_head
    found = [p for p in panels.panels_for(request, centre) if "equipment" in p.template]
    assert len(found) == 1
    assert found[0].context["cost"] == Decimal(9_300_000)
    assert found[0].context["last_take"] is None
    assert not [p for p in panels.panels_for(request, galih_pakuan) if "equipment" in p.template]


# --- API ------------------------------------------------------------------------------


def api_client(client, user):
    _token, raw = ApiToken.issue(user, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


API = "/api/v1/standards/equipment"


def test_api_standard_items(client, national_admin, facility_head):
    api = api_client(client, national_admin)
    made = api.post(
        f"{API}/items",
        {
            "code": "walker",
            "name_id": "Walker",
            "name_en": "Walking frame",
            "category": "assistive",
            "basis": "residents",
            "per_n": 5,
            "clusters": ["LU"],
            "unit_cost": 650000,
            "who_apl": "Walking frames",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    bad = api.post(
        f"{API}/items",
        {"code": "x", "name_id": "X", "name_en": "X", "category": "assistive", "basis": "room"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in bad.json()["errors"]] == ["room_kind"]
    patched = api.patch(
        f"{API}/items/walker", {"version": 1, "quantity": 2}, content_type="application/json"
    )
    assert patched.json()["quantity"] == 2
    stale = api.patch(
        f"{API}/items/walker", {"version": 1, "quantity": 3}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["quantity"] == 2
    assert [i["code"] for i in api.get(f"{API}/items?cluster=LU").json()] == ["walker"]
    assert api.get(f"{API}/items?cluster=ANAK").json() == []

    head = api_client(client.__class__(), facility_head)
    refused = head.patch(
        f"{API}/items/walker", {"version": 2, "quantity": 9}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert EquipmentItem.objects.get(code="walker").quantity == 2


def test_api_inventory_shortfall_and_scope(client, facility_head, centre, galih_pakuan):
    api = api_client(client, facility_head)
    url = f"{API}/centres/{centre.code}/inventory"
    listed = api.get(url).json()
    assert len(listed["items"]) == 2
    made = api.post(url, {"item": "smoke-detector", "quantity": 4}, content_type="application/json")
    assert made.status_code == 201, made.content
    row = made.json()
    assert (row["description"], row["counts"]) == ("Barang smoke-detector", True)
    bad = api.post(
        url,
        {"item": "nope", "quantity": 1, "acquired_on": "2999-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"item", "acquired_on"}
    patched = api.patch(
        f"{API}/inventory/{row['id']}",
        {"version": 1, "condition": "broken"},
        content_type="application/json",
    )
    assert patched.json()["counts"] is False

    shortfall = api.get(f"{API}/centres/{centre.code}/shortfall").json()
    assert shortfall["total_cost"] == 9_300_000  # the new detectors are broken: still short
    lines = {line["item"]: line for line in shortfall["lines"]}
    assert (lines["smoke-detector"]["unusable"], lines["smoke-detector"]["shortfall"]) == (4, 4)
    assert api.get(f"{API}/shortfall").json()["total_cost"] == 9_300_000

    assert api.delete(f"{API}/inventory/{row['id']}?version=2").status_code == 204
    assert api.get(f"{API}/centres/{galih_pakuan.code}/inventory").status_code == 404
    assert (
        api.post(
            f"{API}/centres/{galih_pakuan.code}/inventory",
            {"quantity": 1, "description": "Kursi"},
            content_type="application/json",
        ).status_code
        == 404
    )
    theirs = InventoryItem.objects.create(facility=galih_pakuan, description="Kursi", quantity=1)
    assert api.get(f"{API}/inventory/{theirs.pk}").status_code == 404
    assert (
        api.patch(
            f"{API}/inventory/{theirs.pk}",
            {"version": 1, "quantity": 0},
            content_type="application/json",
        ).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.quantity == 1


def test_api_stock_take(client, facility_head, centre):
    api = api_client(client, facility_head)
    started = api.post(
        f"{API}/centres/{centre.code}/stock-takes", {}, content_type="application/json"
    )
    assert started.status_code == 201, started.content
    take = started.json()
    lines = {line["description"]: line for line in take["lines"]}
    counts = f"{API}/stock-takes/{take['id']}/counts"
    bad = api.post(
        counts, {"lines": [{"line": 999999, "counted": 1}]}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["lines[0].line"]
    early = api.post(f"{API}/stock-takes/{take['id']}/finish", {}, content_type="application/json")
    assert early.status_code == 422
    assert len(early.json()["uncounted"]) == 2
    api.post(
        counts,
        {
            "lines": [
                {"line": lines["Meja belajar"]["id"], "counted": 10},
                {"line": lines["Meja rusak"]["id"], "counted": 3, "condition": "poor"},
            ]
        },
        content_type="application/json",
    )
    done = api.post(
        f"{API}/stock-takes/{take['id']}/finish", {"note": "ok"}, content_type="application/json"
    )
    assert done.status_code == 200
    report = done.json()["report"]
    assert (report["missing_units"], report["missing_value"]) == (5, 7_500_000)
    assert report["missing"] == [lines["Meja belajar"]["id"]]
    assert report["condition_changed"] == [lines["Meja rusak"]["id"]]
    again = api.post(
        counts,
        {"lines": [{"line": lines["Meja belajar"]["id"], "counted": 15}]},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "stock_take_finished"
    assert InventoryItem.objects.get(description="Meja belajar").quantity == 10
    assert api.delete(f"{API}/stock-takes/{take['id']}").status_code == 409
