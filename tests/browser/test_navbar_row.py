"""The menu row fits on one line at every width where it is drawn expanded (issue 19).

At 1,200 to 1,400 px the staff menu of a person holding several roles (the head who is also the
DSL holds every group of links) wrapped onto a second row: readable, but the page looked broken and
"Sign out" moved under the school name. Below the width where the whole row fits, the menu folds
behind its "Show menu" button instead. Measured for every demo role and a head who is also DSL, at
the laptop widths where the wrap happened: the navigation bar is one row high (its height no more
than one row of links, however it is drawn), and no page is wider than the viewport.
"""

from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts.choices import Role
from accounts.models import StaffRole, User
from portal.demo import DEMO_PASSWORD, demo_email, seed_demo_school

from .conftest import BrowserPortal

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1200, 1280, 1366, 1400, 1440, 1920)
ROLES = ("head", "deputy", "dsl", "ddsl", "teacher1", "office", "parent1", "head+dsl")
# One row of the bar: the brand or a link row is about 40 px high, plus the bar's padding.
ONE_ROW_PX = 72

NAV_JS = """() => {
  const nav = document.querySelector('header nav.navbar');
  const collapse = document.querySelector('#main-nav');
  const items = Array.from(nav.querySelectorAll('.navbar-brand, #main-nav > ul > li, .navbar-toggler'))
    .filter(el => el.getBoundingClientRect().height > 0);
  const tops = items.map(el => Math.round(el.getBoundingClientRect().top));
  return {
    height: nav.getBoundingClientRect().height,
    expanded: getComputedStyle(collapse).display !== 'none',
    rows: new Set(tops.map(t => Math.round(t / 20))).size,
    tops: tops,
  };
}"""


def _sign_in_as(chromium, live_server, email):
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15000)
    portal = BrowserPortal(page, live_server.url)
    portal.sign_in(email, DEMO_PASSWORD)
    assert urlsplit(page.url).path == "/", f"{email} did not land on the dashboard: {page.url}"
    return context, page


def _problems_at(page, who, width) -> list[str]:
    page.set_viewport_size({"width": width, "height": 900})
    found = []
    nav = page.evaluate(NAV_JS)
    if nav["height"] > ONE_ROW_PX:
        how = "expanded" if nav["expanded"] else "folded"
        found.append(f"{who} at {width} px: the menu bar ({how}) is {nav['height']:.0f} px high, tops {nav['tops']}")
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > inner:
        found.append(f"{who} at {width} px: the page is {scroll} px wide in {inner}")
    return found


def test_the_menu_is_one_row_at_laptop_widths_for_every_role(chromium, live_server, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    problems = []

    for who in ROLES:
        if who == "head+dsl":
            head = User.objects.get(email=demo_email("head"))
            StaffRole.objects.get_or_create(user=head, role=Role.DSL)
            email = head.email
        else:
            email = demo_email(who)
        context, page = _sign_in_as(chromium, live_server, email)
        try:
            for width in WIDTHS:
                problems += _problems_at(page, who, width)
        finally:
            context.close()

    assert not problems, "The menu bar wraps, or pages are wider than the screen:\n" + "\n".join(problems)
