"""The assessment form in a real browser, losing its connection: what only a browser
can show (assess.js's queue in localStorage, the `online` event, the restore when the
form is loaded again).

The head of Handayani rates ACC-1 (saved at once). The tablet goes offline
(Playwright's ``context.set_offline``): she rates SAFE-1, which waits on the device
and is sent by the `online` event when the network is back. Offline again, she rates
ACC-2 and writes a comment ("not saved yet", kept in localStorage) and the tab is
closed. Back online the form is opened again: the unsent answer is restored from
localStorage and sent, and the server holds every answer. A screenshot goes to
test-artifacts/.
"""

import pytest

from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, MARKS, TIMEOUT_MS
from rehsos.core.tests.factories import TEST_PASSWORD, FacilityFactory, UserFactory
from rehsos.regions.loader import load_regions
from rehsos.standards import services_assessments as services
from rehsos.standards.models import Answer
from rehsos.standards.tests.factories import small_catalogue

pytestmark = MARKS


@pytest.fixture(scope="module", autouse=True)
def regions_back_afterwards(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        load_regions()  # a no-op when the table is complete


@pytest.fixture
def site(live_server):
    # Database work before Playwright starts its event loop in this thread.
    load_regions()
    handayani = FacilityFactory(
        code="brsampk-handayani", name="Sentra Handayani", region_id="31.75.03.1001"
    )
    head = UserFactory(
        username="kepala.e2e",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
        language="en",
    )
    version = small_catalogue()
    version.catalogue.clusters = []
    version.catalogue.save()
    assessment = services.start_self_assessment(
        user=head, facility=handayani, catalogue=version.catalogue
    )
    return live_server, head, assessment


def saved(code: str) -> str:
    return f'[data-criterion="{code}"][data-save-state="saved"]'


def test_answers_given_offline_survive_a_reload_and_reach_the_server(site):
    from playwright.sync_api import sync_playwright

    live_server, head, assessment = site
    form = f"{live_server.url}/standards/assessments/{assessment.public_id}/form/"
    api = f"{live_server.url}/api/v1/standards/assessments/{assessment.public_id}"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True
        )
        # A tablet in landscape, touch enabled.
        context = chromium.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", head.username)
        page.fill("input[name=password]", TEST_PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")

        page.goto(form)
        page.click('label[for="c-ACC-1-r2"]')  # "Met"
        page.wait_for_selector(saved("ACC-1"))

        context.set_offline(True)
        page.click('label[for="c-SAFE-1-r3"]')  # "Exceeds"
        page.wait_for_selector('[data-criterion="SAFE-1"][data-save-state="pending"]')
        context.set_offline(False)  # the `online` event sends what waits
        page.wait_for_selector(saved("SAFE-1"))

        context.set_offline(True)
        page.click('label[for="c-ACC-2-r1"]')  # "Partly met"
        page.fill("#c-ACC-2-comment", "Handrail on one side only")
        page.wait_for_selector('[data-criterion="ACC-2"][data-save-state="pending"]')
        page.wait_for_selector('[data-connection]:text("Offline")')
        assert "3 of 6 answered" in page.inner_text("[data-progress]")
        assert "1 not saved yet" in page.inner_text("[data-queue]")
        key = f"rehsos.assess.{head.pk}.{assessment.public_id}.ACC-2"
        page.wait_for_function(
            "key => (JSON.parse(localStorage.getItem(key) || '{}').comment || '')"
            ".startsWith('Handrail')",
            arg=key,
        )
        on_server = page.request.get(api)  # the test's own request, not the tablet's
        assert on_server.ok
        assert [a["criterion"] for a in on_server.json()["answers"]] == ["ACC-1", "SAFE-1"]

        # The tab is closed while offline (a reload cannot load anything without a
        # network), so nothing can send the answer but the restore on the next load.
        page.close()
        context.set_offline(False)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(form)
        # Restored from the device, then sent.
        assert page.is_checked("#c-ACC-2-r1")
        page.wait_for_selector(saved("ACC-2"))
        assert page.input_value("#c-ACC-2-comment") == "Handrail on one side only"
        assert "3 of 6 answered" in page.inner_text("[data-progress]")
        assert page.inner_text('h2 [data-domain-count="ACC"]') == "2/3"
        assert page.inner_text("[data-queue]") == ""
        assert page.evaluate("key => localStorage.getItem(key)", key) is None

        answers = {a["criterion"]: a for a in page.request.get(api).json()["answers"]}
        assert answers["ACC-1"]["rating"] == 2
        assert answers["ACC-2"]["rating"] == 1
        assert answers["ACC-2"]["comment"] == "Handrail on one side only"
        assert answers["SAFE-1"]["rating"] == 3

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "e2e-assessment-offline.png"), full_page=True)
        context.close()
        chromium.close()

    stored = {a.criterion.code: a.rating for a in Answer.objects.select_related("criterion")}
    assert stored == {"ACC-1": 2, "ACC-2": 1, "SAFE-1": 3}
