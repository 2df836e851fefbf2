"""End to end in a real browser: Debian's Chromium driven by Playwright's Python package.

A social worker logs in through the login form, switches the interface to English
and back to Indonesian, and reads the home page; a screenshot is saved as
test-artifacts/e2e-home.png. Skipped, with one line saying why, on a machine
without a ``chromium`` on PATH (``.ci/run`` installs it with apt).

Playwright never downloads a browser here: it launches the machine's Chromium
through ``executable_path`` with the flags in browser.py (DEVELOPERS.md explains them).

The live server needs a transactional database, and pytest-django empties every
table after such a test — the region table that migrations filled included. So
``site`` loads the regions if an earlier transactional test emptied them, and
``regions_back_afterwards`` (module-scoped, so it ends after pytest-django's
flush) loads them again for the tests that run after this module.
"""

import pytest
from django.utils import translation
from django.utils.translation import gettext

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
        load_regions()  # a no-op when the table is complete


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
    # An earlier transactional test may have flushed the regions the migrations loaded.
    load_regions()
    handayani = FacilityFactory(
        code="brsampk-handayani", name="Sentra Handayani", region_id="31.75.03.1001"
    )
    worker = UserFactory(
        username="peksos.e2e",
        first_name="Dewi",
        last_name="Lestari",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
        language="id",
    )
    for _ in range(3):
        PersonFactory(facility=handayani, village_id="31.75.03.1001")
    return live_server, worker


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def switch_language(page, code: str) -> None:
    """Use the language buttons in the navigation bar, opening the collapsed menu first
    on a narrow (tablet) screen, as a user would."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#main-nav.show")
    with page.expect_navigation():
        page.click(f"#language-form button[value={code}]")
    page.wait_for_selector(f"html[lang={code}]")


def test_log_in_switch_language_and_open_home(site, browser):
    # ``site`` first: its database work must happen before Playwright starts its event
    # loop in this thread (Django refuses ORM calls from inside a running loop).
    live_server, worker = site
    home_in_indonesian = translated("id", "Home")
    role_in_indonesian = translated("id", "Social worker")
    # A tablet in landscape: the navigation bar is collapsed behind its toggler.
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.set_default_timeout(TIMEOUT_MS)

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", worker.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == f"{live_server.url}/"
    assert page.get_attribute("html", "lang") == "id"
    assert page.inner_text("h1") == home_in_indonesian

    switch_language(page, "en")
    assert page.inner_text("h1") == "Home"
    assert "Social worker" in page.inner_text("[data-home=scope]")
    page.goto(f"{live_server.url}/")
    assert page.get_attribute("html", "lang") == "en"  # the choice is remembered

    switch_language(page, "id")
    assert page.inner_text("h1") == home_in_indonesian
    assert role_in_indonesian in page.inner_text("[data-home=scope]")

    page.goto(f"{live_server.url}/")
    assert page.get_attribute("html", "lang") == "id"
    scope_line = page.inner_text("[data-home=scope]")
    assert "Dewi Lestari" in scope_line
    assert "Sentra Handayani" in scope_line
    assert page.inner_text("[data-figure=persons]") == "3"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e-home.png"), full_page=True)
    assert (ARTIFACTS / "e2e-home.png").stat().st_size > 0
    page.close()
