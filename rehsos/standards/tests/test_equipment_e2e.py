"""End to end in a real browser: the head of a centre counts a stock-take on a tablet.

Each line saves on its own through HTMX (Enter, or "=" for "found as expected"): the
row comes back in place with "Saved." and the count of lines still to do updates,
without the page reloading. Then the finish updates the inventory and the page shows
the read-only report (screenshots: test-artifacts/e2e-stock-take-counting.png and
e2e-stock-take.png).

Driven like rehsos/core/tests/test_e2e.py: the machine's Chromium through Playwright,
skipped with one line when there is no ``chromium`` on PATH; the regions flushed by
the transactional database are loaded before and put back after."""

import pytest

from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, MARKS, TIMEOUT_MS
from rehsos.core.tests.factories import TEST_PASSWORD, FacilityFactory, UserFactory
from rehsos.regions.loader import load_regions
from rehsos.standards import services_equipment as services
from rehsos.standards.models import InventoryItem

pytestmark = MARKS


@pytest.fixture(scope="module", autouse=True)
def regions_back_afterwards(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        load_regions()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server):
    load_regions()
    centre = FacilityFactory(
        code="brsampk-handayani", name="Sentra Handayani", region_id="31.75.03.1001"
    )
    head = UserFactory(
        username="kepala.e2e.equipment",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=centre,
        language="en",
    )
    chairs = InventoryItem.objects.create(
        facility=centre, description="Kursi belajar", quantity=20, location="Kelas 1"
    )
    InventoryItem.objects.create(
        facility=centre, description="Lemari pakaian", quantity=8, location="Asrama"
    )
    take = services.start_stock_take(head, centre)
    lines = {line.inventory_item.description: line.pk for line in take.lines.all()}
    return live_server, head, take, lines, chairs


def test_a_stock_take_is_counted_line_by_line_and_finished(site, browser):
    live_server, head, take, lines, chairs = site  # database work before Playwright's loop
    page = browser.new_page(viewport={"width": 1024, "height": 768})  # a tablet
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", head.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    page.goto(f"{live_server.url}/standards/equipment/stock-takes/{take.pk}/")
    assert page.locator("#uncounted-hint").get_attribute("data-uncounted") == "2"
    page.evaluate("window.notReloaded = true")

    chairs_row = page.locator(f"#line-{lines['Kursi belajar']}")
    chairs_row.locator("input[name=counted]").fill("17")
    chairs_row.locator("input[name=note]").fill("3 dipinjam kelas lain")
    chairs_row.locator("input[name=counted]").press("Enter")
    page.locator(f"#line-{lines['Kursi belajar']} [data-saved]").wait_for()

    page.locator(f"#line-{lines['Lemari pakaian']} button[value=as_expected]").click()
    page.locator(f"#line-{lines['Lemari pakaian']} [data-saved]").wait_for()
    assert page.locator("#uncounted-hint").get_attribute("data-uncounted") == "0"
    assert page.locator("[data-missing-units]").inner_text() == "3"  # the summary follows
    assert page.evaluate("window.notReloaded") is True  # saved in place, no reload
    assert page.locator(f"#line-{lines['Lemari pakaian']} input[name=counted]").input_value() == "8"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e-stock-take-counting.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="Finish and update the inventory").click()
    assert page.locator("[data-read-only]").is_visible()
    assert page.locator("[data-missing-units]").inner_text() == "3"
    assert "3 dipinjam kelas lain" in page.locator("[data-not-found]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "e2e-stock-take.png"), full_page=True)

    page.goto(f"{live_server.url}/standards/equipment/centres/brsampk-handayani/inventory/")
    assert "17" in page.locator(f"[data-row='{chairs.pk}']").inner_text()
    page.close()
