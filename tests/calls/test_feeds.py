"""Calendar feeds (COM-2): the iCalendar text written by calls.ics, the window a feed covers, and
the 'not ended' bound the lists rely on (no call is longer than MAX_DURATION)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from icalendar import Calendar

from calls import ics
from calls.feeds import FEED_AHEAD, FEED_HISTORY, build_calendar, event_uid
from calls.models import Call, CallInvitation
from calls.policy import MAX_DURATION
from tests.calls.conftest import NOW

pytestmark = pytest.mark.django_db


# --- the text format (no database) ---------------------------------------------------------------


def test_text_values_escape_what_rfc_5545_reserves():
    assert ics.text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


@pytest.mark.parametrize("value", ["x" * 200, "é" * 100, "Année scolaire – " * 12, "short"])
def test_long_lines_fold_at_75_octets_without_splitting_a_character(value):
    folded = ics.fold(f"DESCRIPTION:{value}")

    lines = folded.split("\r\n")
    assert all(len(line.encode()) <= ics.LINE_OCTETS for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    assert lines[0] + "".join(line[1:] for line in lines[1:]) == f"DESCRIPTION:{value}"


# --- the feed ------------------------------------------------------------------------------------


def _call(teacher, starts_at, *, title="Maths", activity="Counting"):
    return Call.objects.create(
        title=title,
        activity=activity,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
        host=teacher,
        booked_by=teacher,
        booked_at=NOW,
        status="scheduled",
    )


def test_the_feed_parses_as_icalendar_with_every_awkward_character_kept(teacher, dsl, child_a, parent_a):
    call = _call(teacher, NOW + dt.timedelta(days=1), title="Maths; sums, and más", activity="Line one\nLine two – ✓ " * 6)
    call.second_staff = dsl
    call.save()
    CallInvitation.objects.create(call=call, pupil=child_a, invited_at=NOW)

    for person in (teacher, parent_a):
        events = Calendar.from_ical(build_calendar(person, NOW)).walk("VEVENT")

        assert [str(e["UID"]) for e in events] == [event_uid(call.pk)]
        event = events[0]
        assert str(event["SUMMARY"]) == "Maths; sums, and más (Microsoft Teams)"
        assert str(event["DESCRIPTION"]).startswith("Line one\nLine two – ✓ ")
        assert f"Staff: {teacher}, {dsl}" in str(event["DESCRIPTION"])
        assert event.decoded("DTSTART") == call.starts_at
        assert event.decoded("DTEND") == call.ends_at
        assert str(event["STATUS"]) == "CONFIRMED"


def test_the_feed_covers_thirty_days_back_to_sixteen_weeks_ahead(teacher):
    hour = dt.timedelta(hours=1)
    inside = [_call(teacher, NOW - FEED_HISTORY + hour), _call(teacher, NOW + FEED_AHEAD - hour)]
    _call(teacher, NOW - FEED_HISTORY - hour)
    _call(teacher, NOW + FEED_AHEAD + hour)

    events = Calendar.from_ical(build_calendar(teacher, NOW)).walk("VEVENT")

    assert [str(e["UID"]) for e in events] == [event_uid(c.pk) for c in inside]


def test_a_removed_invitation_takes_the_call_out_of_the_parents_feed(teacher, child_a, parent_a):
    call = _call(teacher, NOW + dt.timedelta(days=1))
    CallInvitation.objects.create(call=call, pupil=child_a, invited_at=NOW, removed_at=NOW, removed_reason="Consent withdrawn")

    assert Calendar.from_ical(build_calendar(parent_a, NOW)).walk("VEVENT") == []


def test_someone_without_a_staff_role_gets_no_staff_calls(teacher):
    _call(teacher, NOW + dt.timedelta(days=1))
    teacher.staff_roles.all().delete()

    assert Calendar.from_ical(build_calendar(teacher, NOW)).walk("VEVENT") == []


# --- the longest call, which 'not ended' relies on ----------------------------------------------


def test_the_database_refuses_a_call_longer_than_the_policy_allows(teacher):
    call = _call(teacher, NOW)
    call.ends_at = call.starts_at + MAX_DURATION + dt.timedelta(minutes=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()


def test_a_call_still_going_on_counts_as_not_ended(teacher):
    running = Call.objects.create(
        title="Long",
        activity="x",
        starts_at=NOW - MAX_DURATION + dt.timedelta(minutes=1),
        ends_at=NOW + dt.timedelta(minutes=1),
        host=teacher,
        booked_by=teacher,
        booked_at=NOW,
    )
    _call(teacher, NOW - dt.timedelta(hours=1))  # ended at 07:30

    assert list(Call.objects.not_ended(NOW)) == [running]
