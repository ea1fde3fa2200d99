"""Calls for session-log tests, written straight to the database (booking rules are the calls app's tests)."""

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from calls.choices import CallKind, CallStatus, Platform
from calls.models import Call, CallInvitation, JoinAttempt, JoinLink

LONDON = ZoneInfo("Europe/London")
# A Tuesday in the autumn term (GMT), inside school_week's hours.
TUESDAY_10AM = dt.datetime(2026, 11, 10, 10, 0, tzinfo=LONDON)


def make_call(
    *,
    host,
    pupils=(),
    second_staff=None,
    kind=CallKind.GROUP,
    starts_at=TUESDAY_10AM,
    minutes=30,
    status=CallStatus.SCHEDULED,
    record=False,
    title="Year 3 phonics",
) -> Call:
    call = Call.objects.create(
        kind=kind,
        title=title,
        activity="Phonics practice",
        platform=Platform.MICROSOFT_TEAMS,
        starts_at=starts_at,
        duration_minutes=minutes,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        host=host,
        second_staff=second_staff,
        single_staff_reason="" if second_staff else "Only one adult free",
        record=record,
        status=status,
        booked_by=host,
        booked_at=starts_at - dt.timedelta(days=2),
    )
    for pupil in pupils:
        CallInvitation.objects.create(call=call, pupil=pupil, invited_at=call.booked_at)
    return call


def join(call, pupil, guardian, *, at, allowed=True, reason="") -> JoinAttempt:
    link = JoinLink.objects.filter(call=call, pupil=pupil, guardian=guardian).first() or JoinLink.objects.create(
        call=call, guardian=guardian, pupil=pupil, token_hash=secrets.token_hex(32), created_at=call.booked_at
    )
    return JoinAttempt.objects.create(link=link, call=call, at=at, allowed=allowed, reason=reason)
