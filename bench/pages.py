"""The main pages the benchmark loads and the query-count tests pin, each with the demo account
that opens it. Shared by bench/run.py and tests/perf so both measure the same thing.
"""

import dataclasses
from collections.abc import Callable

from django.utils import timezone

from accounts.models import User
from calls.models import Call
from portal.demo import demo_email
from safeguarding.models import Concern
from school.models import Pupil, SchoolClass


@dataclasses.dataclass
class Targets:
    """Ids of demo records the pages open, and the calendar feed tokens issued for the run."""

    year3_id: int
    call_id: int
    concern_id: int
    parent_child_id: int
    concern_pupil_id: int
    teacher_feed: str
    parent_feed: str

    @classmethod
    def load(cls, now=None) -> "Targets":
        """Read the demo records (seeded first) and issue one feed token each to teacher1 and parent1."""
        from calls.services.calendar_feeds import issue_calendar_feed

        now = now or timezone.now()
        teacher1 = User.objects.get(email=demo_email("teacher1"))
        parent1 = User.objects.get(email=demo_email("parent1"))
        year3 = SchoolClass.objects.get(name="Year 3")
        call = Call.objects.filter(host=teacher1, school_class=year3).order_by("pk").first()
        concern = Concern.objects.filter(reported_by=teacher1).order_by("pk").first()
        return cls(
            year3_id=year3.pk,
            call_id=call.pk,
            concern_id=concern.pk,
            parent_child_id=Pupil.objects.get(mis_id="DEMO-P028").pk,
            concern_pupil_id=concern.concern_pupils.values_list("pupil_id", flat=True).first(),
            teacher_feed=issue_calendar_feed(user=teacher1, now=now),
            parent_feed=issue_calendar_feed(user=parent1, now=now),
        )


@dataclasses.dataclass(frozen=True)
class Page:
    name: str
    account: str | None  # demo account name; None: opened without signing in (calendar feeds)
    path: Callable[[Targets], str]
    # Safeguarding records ask for a recent sign-in (SG-3).
    recent_auth: bool = False


def _fixed(path: str) -> Callable[[Targets], str]:
    return lambda targets: path


PAGES = [
    Page("dashboard (head)", "head", _fixed("/")),
    Page("dashboard (deputy)", "deputy", _fixed("/")),
    Page("dashboard (dsl)", "dsl", _fixed("/")),
    Page("dashboard (teacher)", "teacher1", _fixed("/")),
    Page("dashboard (office)", "office", _fixed("/")),
    Page("dashboard (parent)", "parent1", _fixed("/")),
    Page("call list (teacher)", "teacher1", _fixed("/calls/")),
    Page("call list, past included (head)", "head", _fixed("/calls/?past=on")),
    Page("call page (teacher)", "teacher1", lambda t: f"/calls/{t.call_id}/"),
    Page("booking form (teacher)", "teacher1", _fixed("/calls/book/")),
    Page("class consent (teacher)", "teacher1", lambda t: f"/consent/classes/{t.year3_id}/"),
    Page("children (parent)", "parent1", _fixed("/school/children/")),
    Page("child page (parent)", "parent1", lambda t: f"/school/children/{t.parent_child_id}/"),
    Page("family consent (parent)", "parent1", _fixed("/consent/")),
    Page("family calls (parent)", "parent1", _fixed("/calls/family/")),
    Page("approvals queue (head)", "head", _fixed("/calls/approvals/")),
    Page("DSL dashboard (dsl)", "dsl", _fixed("/safeguarding/"), recent_auth=True),
    Page("concern page (dsl)", "dsl", lambda t: f"/safeguarding/concerns/{t.concern_id}/", recent_auth=True),
    Page("pupil chronology (dsl)", "dsl", lambda t: f"/safeguarding/pupils/{t.concern_pupil_id}/", recent_auth=True),
    Page("session logs (teacher)", "teacher1", _fixed("/logs/")),
    Page("pupil contact history (teacher)", "teacher1", lambda t: f"/logs/pupils/{t.parent_child_id}/"),
    Page("compliance overview (head)", "head", _fixed("/governance/overview/")),
    Page("calendar feed (teacher)", None, lambda t: f"/calls/calendar/{t.teacher_feed}.ics"),
    Page("calendar feed (parent)", None, lambda t: f"/calls/calendar/{t.parent_feed}.ics"),
]


def signed_in_client(account: str | None, *, recent_auth: bool):
    """A Django test Client signed in as a demo account (anonymous for None), as allauth records it."""
    import time

    from django.test import Client

    client = Client()
    if account is None:
        return client
    user = User.objects.get(email=demo_email(account))
    client.force_login(user)
    if recent_auth:
        # What allauth records at sign-in; SG-3's re-authentication check reads it.
        session = client.session
        session["account_authentication_methods"] = [{"method": "password", "at": time.time()}]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client


def count_queries(pages, targets) -> dict:
    """{page name: {"queries", "ms", "sql_ms", "kb"}} for one warm request per page (after a warm-up
    that fills the caches), served in-process: where a page's time goes, without the network.

    Cached pages are switched off here: this is the cost of drawing each page (what would grow with
    the data, if anything did), not of serving it already drawn (bench/run.py measures that)."""
    from django.test.utils import override_settings

    with override_settings(PORTAL_CACHE_PAGES=False):
        return _count_queries(pages, targets)


def _count_queries(pages, targets) -> dict:
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    found, clients = {}, {}
    for page in pages:
        key = (page.account, page.recent_auth)
        client = clients.setdefault(key, signed_in_client(page.account, recent_auth=page.recent_auth))
        client.raise_request_exception = False  # a page that fails shows as "HTTP 500" in the table
        client.get(page.path(targets))
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path(targets))
        found[page.name] = {
            "queries": len(queries) if response.status_code == 200 else f"HTTP {response.status_code}",
            "ms": (time.perf_counter() - started) * 1000,
            "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
            "kb": len(response.content) / 1024,
        }
    return found
