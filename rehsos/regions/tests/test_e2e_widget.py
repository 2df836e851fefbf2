"""The dependent selects in a real browser: HTMX fills the next select and clears
the ones below it, and the chosen path survives the form's round trip.

Uses the launch settings of the core end-to-end test (Debian's Chromium through
Playwright); skipped with one line on a machine without ``chromium``."""

import pytest
from django.conf import settings
from django.test import Client

from rehsos.core.tests.factories import UserFactory
from rehsos.core.tests.test_e2e import ARTIFACTS, TIMEOUT_MS, browser  # noqa: F401 -- the fixture
from rehsos.regions.loader import load_regions

pytestmark = pytest.mark.e2e


@pytest.fixture
def signed_in(live_server):
    # An earlier transactional test may have flushed the regions the migrations loaded.
    load_regions()
    user = UserFactory(username="peksos.widget")
    client = Client()
    client.force_login(user)
    cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        },
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en"},
    ]
    return live_server.url, [{**c, "url": live_server.url} for c in cookies]


def options(page, select: str) -> list[str]:
    return page.eval_on_selector_all(f"{select} option", "nodes => nodes.map(n => n.value)")


def choose(page, select: str, value: str, then: str, expected_first: str) -> None:
    """Choose ``value`` and wait until HTMX has put the children into ``then``."""
    page.select_option(select, value)
    script = "([sel, code]) => document.querySelector(sel).options[1]?.value.startsWith(code)"
    page.wait_for_function(script, arg=[then, expected_first])


def test_the_selects_depend_on_each_other(signed_in, browser):  # noqa: F811 -- the fixture
    url, cookies = signed_in
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{url}/regions/")
    assert options(page, "#id_region_2") == [""]

    choose(page, "#id_region_1", "32", "#id_region_2", "32.")
    choose(page, "#id_region_2", "32.01", "#id_region_3", "32.01.")
    choose(page, "#id_region_3", "32.01.01", "#id_region_4", "32.01.01.")
    assert len(options(page, "#id_region_4")) == 14
    page.select_option("#id_region_4", "32.01.01.1006")

    # Another province: its regencies arrive, the district and village lists empty out.
    choose(page, "#id_region_1", "31", "#id_region_2", "31.")
    assert options(page, "#id_region_2") == [
        "",
        "31.01",
        "31.73",
        "31.71",
        "31.74",
        "31.75",
        "31.72",
    ]
    page.wait_for_function("document.querySelectorAll('#id_region_4 option').length === 1")
    assert options(page, "#id_region_3") == [""]
    assert options(page, "#id_region_4") == [""]

    choose(page, "#id_region_2", "31.75", "#id_region_3", "31.75.")
    choose(page, "#id_region_3", "31.75.03", "#id_region_4", "31.75.03.")
    page.select_option("#id_region_4", "31.75.03.1001")
    page.click("#find-region button[type=submit]")
    page.wait_for_selector("[data-found-path]")
    assert page.inner_text("[data-found-path] ol").count("\n") == 3
    assert "31.75.03.1001" in page.inner_text("[data-found-path]")
    # The form shown again keeps the chosen path.
    assert page.eval_on_selector("#id_region_4", "s => s.value") == "31.75.03.1001"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e-region-widget.png"), full_page=True)
    context.close()
