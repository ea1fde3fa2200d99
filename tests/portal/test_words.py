"""The portal speaks the school's words: no rule codes such as "(LOG-4)" on any screen, call
states as the school says them ("Booked", not "Scheduled"), one date and time style
("Mon 7 Dec, 14:30") and "Sign in" (never "Sign In" or "Log in") everywhere.

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
# Call states as the code names them, not as the school says them ("Booked", "Needs a new time").
INTERNAL_STATES = re.compile(r"\bScheduled\b|\bDraft: |\bAwaiting parent/carer agreement\b")
# One date and time style, "Mon 7 Dec, 14:30": no 07/12/2026, no "7 December 2026", no 2:30 pm.
OTHER_DATE_STYLES = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b\d{1,2} (January|February|March|April|June|July|August|September|October|November|December) \d{4}\b"
    r"|\b\d{1,2}(:\d{2})? ?([ap]\.m\.|[AaPp][Mm])(?![\w.])"
)
# Pages that show emails as they were sent (subject lines, bodies): their dates are the email's.
QUOTES_EMAILS = {"notifications:inbox", "notifications:message", "notifications:outbox", "governance:family_data"}
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


def test_no_screen_shows_a_rule_code_an_internal_state_another_date_style_or_another_sign_in(client, demo_school):
    pages = _pages_of_every_role(client)

    codes = {where: sorted(set(m.group(0) for m in RULE_CODE.finditer(text))) for where, text in pages.items()}
    assert {where: found for where, found in codes.items() if found} == {}
    for pattern in (NOT_OUR_WORDS, INTERNAL_STATES, OTHER_DATE_STYLES):
        found = {
            where: sorted(set(m.group(0) for m in pattern.finditer(text)))
            for where, text in pages.items()
            if pattern is not OTHER_DATE_STYLES or where[1] not in QUOTES_EMAILS
        }
        wrong = {where: words for where, words in found.items() if words}
        assert not wrong, "\n".join(f"{role} {name}: {words}" for (role, name), words in sorted(wrong.items()))
    # The crawl reached the pages where codes used to be.
    reached = {name for _, name in pages}
    assert {"calls:detail", "calls:approvals", "sessionlogs:index", "school:settings", "governance:policy"} <= reached
    assert len(pages) >= 60


def test_the_checks_would_catch_a_rule_code_and_the_wrong_words():
    """The patterns are not vacuous: a screen saying these would fail the test above."""
    page = _Page()
    page.feed(
        "<p>Logs are due in 48 hours (LOG-4).</p><script>var x='SG-3'</script><button>Sign In</button>"
        "<span>Scheduled</span> on 07/12/2026, 1 December 2026 at 2:30 pm"
    )
    text = _visible_text(page)

    assert RULE_CODE.findall(text) == ["LOG"]
    assert NOT_OUR_WORDS.findall(text) == ["Sign In"]
    assert INTERNAL_STATES.findall(text) == ["Scheduled"]
    assert [m.group(0) for m in OTHER_DATE_STYLES.finditer(text)] == ["07/12/2026", "1 December 2026", "2:30 pm"]


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


def test_no_template_formats_a_date_its_own_way():
    """Templates use |day, |when and |clock (toolkit/dates.py), never |date:"..." or |time:"..."
    (the benchmark pages in benchtools are not the portal's screens)."""
    from pathlib import Path

    from django.conf import settings

    base = Path(settings.BASE_DIR)
    own_way = re.compile(r"\|\s*(date|time)\b")
    found = [
        f"{path.relative_to(base)}: {line.strip()}"
        for path in [*base.glob("templates/**/*.*"), *base.glob("*/templates/**/*.*")]
        if path.suffix in (".html", ".txt")
        and not path.is_relative_to(base / "benchtools")
        and not path.is_relative_to(base / "tests")
        for line in path.read_text().splitlines()
        if own_way.search(line)
    ]

    assert not found, "Dates formatted outside toolkit/dates.py:\n" + "\n".join(found)
