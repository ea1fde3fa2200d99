"""Calls fixtures: a school week, consent given, and a helper that books through the service.

Times: "now" is Monday 9 November 2026, 08:00 in London (GMT); calls are on Tuesday 10 November.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calls.choices import CallKind, Platform
from calls.services import booking, one_to_ones
from consent.choices import Scope
from consent.services import give_consent

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 9, 8, 0, tzinfo=LONDON)
TUESDAY_10 = dt.datetime(2026, 11, 10, 10, 0, tzinfo=LONDON)


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def consent(pupil, guardian, *scopes, now=NOW - dt.timedelta(days=1)):
    for scope in scopes or (Scope.VIDEO_CALLS,):
        give_consent(pupil=pupil, guardian=guardian, scope=scope, decided_by=guardian.user, now=now)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def consented(school_week, child_a, guardian_a, child_b, guardian_b):
    """Both test children have video-call consent."""
    consent(child_a, guardian_a)
    consent(child_b, guardian_b)


@pytest.fixture
def book(teacher, dsl):
    """book(**changes) -> Call, booked by `teacher` through the service with sensible defaults."""

    def _book(**changes):
        facts = dict(
            booked_by=teacher,
            now=NOW,
            kind=CallKind.GROUP,
            title="Year 3 maths",
            activity="Counting games together.",
            platform=Platform.MICROSOFT_TEAMS,
            starts_at=TUESDAY_10,
            duration_minutes=30,
            host=teacher,
            second_staff=dsl,
            single_staff_reason="",
            record=False,
            pupil_ids=[],
            meeting_url="https://teams.example.test/meet/abc",
            passcode="s3cret-pass",
        )
        return booking.book_call(**{**facts, **changes})

    return _book


@pytest.fixture
def one_to_one(book, child_a, consented):
    return book(kind=CallKind.ONE_TO_ONE, title="Reading one-to-one", pupil_ids=[child_a.pk])


@pytest.fixture
def scheduled_one_to_one(one_to_one, guardian_a, parent_a, head):
    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)
    one_to_ones.approve_call(call=one_to_one, approver=head, now=NOW)
    one_to_one.refresh_from_db()
    return one_to_one


def outbox(kind=None, to=None):
    from notifications.models import OutboxMessage

    rows = OutboxMessage.objects.order_by("pk")
    if kind:
        rows = rows.filter(kind=kind)
    if to:
        rows = rows.filter(recipient_email=to)
    return list(rows)


def join_token(message) -> str:
    """The raw token from a call-join email (only its hash is stored)."""
    import re

    return re.search(r"/calls/join/([A-Za-z0-9_-]+)/", message.body_text).group(1)
