"""Browser harness: Playwright drives Debian's Chromium against Django's live server.

Every page a test reaches is checked with axe-core; a serious or critical violation fails the
test. Tests skip (saying why) only when no Chromium is installed, and EGPS_REQUIRE_BROWSER=1
(set by .ci/run) turns that skip into a failure.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM (used by fixtures
# here while the live server answers from its own thread) must be allowed beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("EGPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("EGPS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"EGPS_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"No Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


class AccessibilityError(AssertionError):
    pass


class BrowserPortal:
    """A person at a browser. Every page it lands on is audited with axe-core once."""

    def __init__(self, page, base_url):
        from axe_playwright_python.sync_playwright import Axe

        self.page = page
        self.base_url = base_url
        self._axe = Axe()
        self._audited = set()
        self.pages_audited = []

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def goto(self, path: str):
        response = self.page.goto(self.url(path))
        self.audit()
        return response

    def sign_in(self, email: str, password: str):
        self.goto("/accounts/login/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign In").click()
        self.audit()

    def open_menu(self, group: str = ""):
        """On a phone the menu is collapsed behind its toggle button; staff links sit in drop-downs
        by task (toolkit.registry.GROUPS), opened by naming the group."""
        toggle = self.page.get_by_role("button", name="Show menu")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
            # Wait for Bootstrap's collapse to finish, or a click inside may land mid-animation.
            self.page.locator("#main-nav.show:not(.collapsing)").wait_for()
        if group:
            drop_down = self.page.locator("#main-nav").get_by_role("button", name=group, exact=True)
            if drop_down.get_attribute("aria-expanded") != "true":
                drop_down.click()

    def sign_out(self):
        self.open_menu()
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign out").click()
        self.audit()

    def click(self, *, role: str = "button", name: str):
        """Click a button or link by its accessible name and audit the page it leads to."""
        self.page.get_by_role(role, name=name).first.click()
        self.page.wait_for_load_state()
        self.audit()

    def audit(self):
        """Run axe on the current page (once per distinct page and content)."""
        key = (self.page.url, self.page.content().__hash__())
        if key in self._audited:
            return
        self._audited.add(key)
        results = self._axe.run(self.page)
        self.pages_audited.append(self.page.url)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        if blocking:
            report = "\n".join(
                f"- {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in blocking
            )
            raise AccessibilityError(f"axe found serious accessibility problems on {self.page.url}:\n{report}")


@pytest.fixture
def portal(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15000)
    browser_portal = BrowserPortal(page, live_server.url)
    yield browser_portal
    try:
        browser_portal.audit()  # the page the test ended on is checked too
    finally:
        context.close()
