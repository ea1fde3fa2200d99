"""WCAG 1.4.10 (Reflow): no page is wider than the screen, for any role, on a phone or a laptop.

axe does not test reflow, so this crawls: each demo role signs in through the real login page and
follows the links it is shown, from its dashboard outwards, through the live server. Every page
reached (one URL per resolved url_name, so a list of forty calls costs one visit) is measured at a
360 px and a 1,366 px viewport: document.documentElement.scrollWidth must not exceed
window.innerWidth. axe audits each page too (the harness in conftest.py). The dashboards are also
measured at 320 and 1,920 px (with the menu open on a phone), and screenshotted at both main widths into var/screenshots/ for a
person to look at.
"""

import time
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings as django_settings
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from portal.demo import DEMO_PASSWORD, seed_demo_school

from .conftest import AccessibilityError, BrowserPortal

pytestmark = pytest.mark.django_db(transaction=True)

PHONE, LAPTOP = 360, 1366
SPOT_WIDTHS = (320, 1920)
ROLES = ("head", "deputy", "dsl", "ddsl", "teacher1", "office", "parent1")
# Enough for every page a role can reach today (about 30 for the head); the cap only keeps a
# runaway crawl (a link per day of a calendar, say) from eating the suite's time.
MAX_PAGES_PER_ROLE = 60
# Not pages to measure: signing out ends the crawl, the admin is Django's own, files are downloads.
SKIP_PREFIXES = ("/accounts/logout/", "/django-admin/", "/static/", "/media/")
SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"

# Why a page overflows: the innermost elements whose right edge is past the viewport.
OFFENDERS_JS = """() => {
  const w = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 0.5) out.push(el);
  }
  const leaves = out.filter(el => !out.some(o => o !== el && el.contains(o)));
  return leaves.slice(0, 4).map(el => {
    const names = typeof el.className === 'string' ? el.className.trim() : '';
    const cls = names ? '.' + names.split(/\\s+/).join('.') : '';
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
    const right = Math.round(el.getBoundingClientRect().right);
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls}> "${text}" right edge ${right}px`;
  });
}"""

LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"


def _overflow(page) -> str:
    """'' if the page fits its viewport, else what sticks out."""
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if sizes[0] <= sizes[1]:
        return ""
    return f"{sizes[0]} px wide in {sizes[1]}: " + "; ".join(page.evaluate(OFFENDERS_JS))


def _measure(page, width: int) -> str:
    page.set_viewport_size({"width": width, "height": 900})
    return _overflow(page)


def _menu_open_overflows(portal: BrowserPortal) -> list[str]:
    """At the narrowest width, the phone menu and each of its drop-downs opened fit too."""
    page = portal.page
    page.set_viewport_size({"width": SPOT_WIDTHS[0], "height": 900})
    portal.open_menu()
    found = []
    toggles = page.locator("#main-nav [data-bs-toggle=dropdown]")
    for index in range(toggles.count()):
        toggles.nth(index).click()
        page.locator("#main-nav .dropdown-menu.show").wait_for()
        wide = _overflow(page)
        if wide:
            found.append(f"{toggles.nth(index).inner_text()} at {SPOT_WIDTHS[0]} px: {wide}")
    return found


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def _crawl(portal: BrowserPortal, role: str, problems: list[str], audited: set[str]) -> list[str]:
    """Visit every page the role can reach by links (one per url_name); return the url_names.

    Reflow is measured for every role (menus and panels differ); axe runs on the first role's
    visit to each page (audited), which keeps the crawl to a few minutes on a busy machine."""
    page = portal.page
    origin = urlsplit(portal.base_url)
    seen_names: set[str] = set()
    queue = deque([page.url])
    visited = []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        path = urlsplit(url).path
        name = _url_name(path)
        if name is None or name in seen_names:
            continue
        seen_names.add(name)
        page.set_viewport_size({"width": LAPTOP, "height": 900})
        try:
            response = page.goto(url)
        except PlaywrightError as error:  # a download (CSV, calendar file) is not a page
            if "Download is starting" in str(error):
                continue
            raise
        if response is not None and response.status >= 500:
            problems.append(f"{role}: {path} ({name}) answered {response.status}")
            continue
        if response is not None and response.status >= 400:
            # A link to a page the role may not see is a dead end to fix, but not a reflow failure.
            print(f"{role}: a link leads to {path} ({name}), which answered {response.status}")
            continue
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        if urlsplit(page.url).path != path and _url_name(urlsplit(page.url).path) in seen_names:
            continue  # redirected somewhere already measured
        visited.append(name)
        for width in (LAPTOP, PHONE):
            wide = _measure(page, width)
            if wide:
                problems.append(f"{role} at {width} px, {path} ({name}): {wide}")
        if name not in audited:  # axe, at phone width (as the other browser tests do), once per page
            audited.add(name)
            try:
                portal.audit()
            except AccessibilityError as error:
                problems.append(f"{role}: {error}")
        for link in page.evaluate(LINKS_JS):
            link = urldefrag(link).url
            parts = urlsplit(link)
            if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                continue
            if parts.path.startswith(SKIP_PREFIXES):
                continue
            queue.append(link)
    return visited


def test_every_page_of_every_role_fits_phone_and_laptop_screens(chromium, live_server, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    reached = {}
    audited: set[str] = set()

    for role in ROLES:
        context = chromium.new_context(viewport={"width": LAPTOP, "height": 900}, locale="en-GB", timezone_id="Europe/London")
        try:
            page = context.new_page()
            page.set_default_timeout(15000)
            portal = BrowserPortal(page, live_server.url)
            portal.sign_in(f"{role}@demo.egps.test", DEMO_PASSWORD)
            assert urlsplit(page.url).path == "/", f"{role} did not land on the dashboard: {page.url}"
            for width in (PHONE, LAPTOP):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=str(SCREENSHOTS / f"{role}-dashboard-{width}.png"), full_page=True)
            for width in SPOT_WIDTHS:
                wide = _measure(page, width)
                if wide:
                    problems.append(f"{role} at {width} px, dashboard: {wide}")
            problems.extend(f"{role}, menu open: {wide}" for wide in _menu_open_overflows(portal))
            started = time.monotonic()
            reached[role] = _crawl(portal, role, problems, audited)
            print(f"{role}: {len(reached[role])} pages in {time.monotonic() - started:.0f} s")
        finally:
            context.close()

    assert not problems, "Pages wider than the screen (WCAG 1.4.10):\n" + "\n".join(problems)
    # The crawl really went somewhere: staff reach their task pages, parents their children's.
    assert {"calls:list", "sessionlogs:index"} <= set(reached["teacher1"])
    assert {"governance:overview", "calls:approvals"} <= set(reached["head"])
    assert "safeguarding:dashboard" in reached["dsl"]
    assert "school:settings" in reached["office"]
    assert {"school:children", "consent:family"} <= set(reached["parent1"])
    assert all(len(names) >= 5 for names in reached.values()), reached
