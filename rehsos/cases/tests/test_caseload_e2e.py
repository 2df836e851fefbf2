"""End to end in a real browser: a social worker signs in, opens "My cases" and a case.

Driven like rehsos/core/tests/test_e2e.py: the machine's Chromium through Playwright's
Python package, skipped with one line when there is no ``chromium`` on PATH. The live
server runs on a transactional database whose flush also empties the regions loaded
by the migrations, so they are loaded before and put back after."""

import pytest

from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, MARKS, TIMEOUT_MS
from rehsos.core.tests.factories import (
    TEST_PASSWORD,
    FacilityFactory,
    PersonFactory,
    UserFactory,
)
from rehsos.regions.loader import load_regions

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
    handayani = FacilityFactory(
        code="brsampk-handayani", name="Sentra Handayani", region_id="31.75.03.1001"
    )
    worker = UserFactory(
        username="peksos.e2e.cases",
        first_name="Dewi",
        last_name="Lestari",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
        language="en",
    )
    person = PersonFactory(
        full_name="Ratna Sari Dewi", facility=handayani, village_id="31.75.03.1001"
    )
    case = CaseFactory(
        number="HDY-2026-0001",
        unit=handayani,
        person=person,
        social_worker=worker,
        stage_code="assessment",
        flag_child=True,
    )
    return live_server, worker, case


def test_a_social_worker_opens_the_caseload_and_a_case(site, browser):
    live_server, worker, case = site  # database work before Playwright's event loop
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", worker.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    page.goto(f"{live_server.url}/cases/")
    card = page.locator('[data-case="HDY-2026-0001"]')
    assert "Ratna Sari Dewi" in card.inner_text()
    with page.expect_navigation():
        card.locator("a").first.click()

    assert page.url == f"{live_server.url}/cases/{case.public_id}/"
    assert "HDY-2026-0001" in page.inner_text("h1")
    assert "Ratna Sari Dewi" in page.inner_text("h1")
    assert page.locator("[data-stage]").inner_text().startswith("2.")
    assert page.locator("[data-timeline]").is_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e-case.png"), full_page=True)
    page.close()
