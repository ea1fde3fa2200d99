"""Every link a person is shown leads somewhere they may go: for each demo account, start at the
dashboard, follow every link on every page reached (through the Django client, as that person),
and fail on any link that answers 404 (or another refusal) for them. Also: every response carries the
Permissions-Policy that keeps camera and microphone off on the portal itself.

A page type (URL name) is read for links a few times, and each kind of link (from one page type
to another) is tried a few times: a wrong link is wrong in a template, so a sample finds it and
the crawl stays well under a minute.
"""

import datetime as dt
import time
from collections import defaultdict, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
from django.urls import Resolver404, resolve
from django.utils import timezone

from accounts.models import User
from portal.demo import demo_email, seed_demo_school
from sessionlogs.models import SessionLog

pytestmark = pytest.mark.django_db

PEOPLE = ("head", "deputy", "dsl", "ddsl", "teacher1", "teacher2", "teacher3", "office", "parent1", "parent2", "parent3")
PAGES_READ_PER_KIND = 3
LINKS_TRIED_PER_KIND = 3
# Not pages a person browses: the admin has its own permission model, static files are not views.
SKIPPED_PREFIXES = ("/django-admin/", "/static/", "/media/", "/accounts/logout/")
BUDGET_SECONDS = 60
# A link answered with one of these is a dead end for the person shown it (404 above all: the
# portal's "not yours"); a 500 fails the test on its own (the test client raises it).
REFUSALS = (403, 404, 405, 410)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(page_url: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        url = urljoin(page_url, href)
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            continue  # another site (the video platform, a help page): not ours to check
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith(SKIPPED_PREFIXES):
            found.append(path)
    return found


def _kind(path: str) -> str:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return f"unresolved:{path}"


def _permissions_policy(response) -> dict[str, str]:
    header = response.get("Permissions-Policy", "")
    return dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)


def crawl(client) -> tuple[list[str], int]:
    """(broken links as 'page -> link (status)', pages fetched) for the signed-in client."""
    queue = deque([("(start)", "/")])
    seen, read = set(), defaultdict(int)
    tried = defaultdict(int)
    broken, fetched = [], 0
    while queue:
        source, path = queue.popleft()
        if path in seen:
            continue
        edge = (_kind(source) if source != "(start)" else "", _kind(path))
        if tried[edge] >= LINKS_TRIED_PER_KIND:
            continue
        tried[edge] += 1
        seen.add(path)
        response = client.get(path)
        fetched += 1
        policy = _permissions_policy(response)
        assert (policy.get("camera"), policy.get("microphone")) == ("()", "()"), path
        if response.status_code in REFUSALS:
            broken.append(f"{source} -> {path} ({response.status_code})")
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append((source, response["Location"]))
            continue
        is_html = response.get("Content-Type", "").startswith("text/html")
        if response.status_code != 200 or not is_html or read[edge[1]] >= PAGES_READ_PER_KIND:
            continue
        read[edge[1]] += 1
        for link in _links(path, response.content.decode()):
            queue.append((path, link))
    return broken, fetched


@pytest.fixture
def demo_school(settings):
    """The demo school as it looks after a fortnight of use: seeded two weeks ago (calls booked
    for the days after, now held and logged, one log still to write) and again today (calls ahead)."""
    settings.PORTAL_ENFORCE_STAFF_MFA = False  # the demo accounts have no authenticator (manage.py demo)
    with time_machine.travel(timezone.now() - dt.timedelta(days=14)):
        seed_demo_school(timezone.now())
    seed_demo_school(timezone.now())
    assert SessionLog.objects.exists()


def test_no_role_is_shown_a_link_that_is_a_404_for_them(client, demo_school):
    started = time.monotonic()
    broken, fetched = {}, {}
    for name in PEOPLE:
        client.force_login(User.objects.get(email=demo_email(name)))
        broken[name], fetched[name] = crawl(client)
        client.logout()

    failures = [f"{name}: {link}" for name, links in broken.items() for link in links]
    assert not failures, "Links that are a 404 for the person shown them:\n" + "\n".join(failures)
    assert all(count > 5 for count in fetched.values()), fetched  # the crawl really went somewhere
    assert time.monotonic() - started < BUDGET_SECONDS
