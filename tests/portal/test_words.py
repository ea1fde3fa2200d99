"""The portal speaks the school's words: no rule codes such as "(LOG-4)" on any screen, and
"Sign in" (never "Sign In" or "Log in") everywhere.

Each demo role signs in and follows the links it is shown from its dashboard (one URL per
resolved url_name), as a person would; the visible text of every page is checked. Signed-out
pages (sign-in, the public policy) are checked too.
"""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from accounts.models import User
from portal.demo import seed_demo_school

pytestmark = pytest.mark.django_db

RULE_CODE = re.compile(r"\b(CON|COM|CALL|LOG|SG|GOV)-\d+\b")
NOT_OUR_WORDS = re.compile(r"\bSign In\b|\b[Ll]og ?[Ii]n\b")
ROLES = ("head", "deputy", "dsl", "ddsl", "teacher1", "office", "parent1")
SKIP_PREFIXES = ("/accounts/logout/", "/django-admin/", "/static/", "/media/")
MAX_PAGES = 80


class _Page(HTMLParser):
    """The text a person sees (no script, style or head) and the links they can follow."""

    HIDDEN = {"script", "style", "head", "template"}

    def __init__(self):
        super().__init__()
        self.text, self.links, self._hidden = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def _read(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def _visible_text(page: _Page) -> str:
    return re.sub(r"\s+", " ", " ".join(page.text))


def _crawl(client, start: str) -> dict[str, str]:
    """{url_name: visible text} for every HTML page reachable by links from start."""
    seen, found, queue = set(), {}, deque([start])
    while queue and len(found) < MAX_PAGES:
        path = urlsplit(urldefrag(queue.popleft()).url)
        if path.netloc and path.netloc != "testserver":
            continue
        url = path.path + (f"?{path.query}" if path.query else "")
        if not path.path.startswith("/") or path.path.startswith(SKIP_PREFIXES):
            continue
        try:
            name = resolve(path.path).view_name
        except Resolver404:
            continue
        if name in seen:
            continue
        seen.add(name)
        response = client.get(url, follow=True)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = _read(response)
        found[name] = _visible_text(page)
        queue.extend(page.links)
    return found


@pytest.fixture
def demo_school(settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())


def _pages_of_every_role(client) -> dict[tuple[str, str], str]:
    pages = {}
    for role in ROLES:
        client.force_login(User.objects.get(email=f"{role}@demo.egps.test"))
        for name, text in _crawl(client, reverse("home")).items():
            pages[(role, name)] = text
        client.logout()
    for path in (reverse("account_login"), reverse("governance:policy"), reverse("account_reset_password")):
        for name, text in _crawl(client, path).items():
            pages[("signed out", name)] = text
    return pages


def test_no_screen_shows_a_rule_code_or_says_sign_in_any_other_way(client, demo_school):
    pages = _pages_of_every_role(client)

    codes = {where: sorted(set(m.group(0) for m in RULE_CODE.finditer(text))) for where, text in pages.items()}
    words = {where: sorted(set(m.group(0) for m in NOT_OUR_WORDS.finditer(text))) for where, text in pages.items()}
    assert {where: found for where, found in codes.items() if found} == {}
    assert {where: found for where, found in words.items() if found} == {}
    # The crawl reached the pages where codes used to be.
    reached = {name for _, name in pages}
    assert {"calls:detail", "calls:approvals", "sessionlogs:index", "school:settings", "governance:policy"} <= reached
    assert len(pages) >= 60


def test_the_checks_would_catch_a_rule_code_and_the_wrong_words():
    """The patterns are not vacuous: a screen saying these would fail the test above."""
    page = _Page()
    page.feed("<p>Logs are due in 48 hours (LOG-4).</p><script>var x='SG-3'</script><button>Sign In</button>")
    text = _visible_text(page)

    assert RULE_CODE.findall(text) == ["LOG"]
    assert NOT_OUR_WORDS.findall(text) == ["Sign In"]


def test_the_public_policy_page_has_headings_a_summary_for_parents_and_no_staff_warning(client, head, parent_a):
    """The seeded policy's review date (September 2021) is long past: staff are warned, parents are not."""
    policy_url = reverse("governance:policy")
    seen = {}
    for who in (None, parent_a, head):
        client.logout()
        if who is not None:
            client.force_login(who)
        seen[who] = client.get(policy_url).content.decode()

    for page in (seen[None], seen[parent_a]):
        assert "review overdue" not in page
        assert 'data-testid="policy-summary"' in page
        assert "In short, for parents and carers" in page
    assert "review overdue" in seen[head]
    # The policy's own sections ("Intent:", "One to One Video calls:") are headings a reader can jump to.
    headings = re.findall(r"<h3[^>]*>([^<]+)</h3>", seen[None])
    assert {"Intent", "Implementation", "One to One Video calls", "Impact"} <= set(headings)
