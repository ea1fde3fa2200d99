"""The calendar feed as a subscribed calendar reads it (fetched over HTTP, parsed with `icalendar`):
a one-to-one is TENTATIVE until agreed and approved (CALL-4), CONFIRMED once scheduled, and
CANCELLED with a higher SEQUENCE when cancelled; DTSTAMP is the call's last change, not the
moment of the fetch; the calendar says how often to fetch it again."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar, vDuration

from calls.choices import CallStatus
from calls.feeds import EVENT_STATUS, event_sequence
from calls.services import booking, one_to_ones
from tests.calls.conftest import NOW, TUESDAY_10

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def feed_of(client):
    """feed_of(user) -> fetch() giving the user's calendar, read through their own feed address."""

    def _feed_of(user):
        client.force_login(user)
        with time_machine.travel(NOW, tick=False):
            url = client.post(reverse("calls:feed_change"), {"action": "issue"}).context["feed_url"]
        client.logout()
        path = urlsplit(url).path

        def fetch(at=NOW + 5 * HOUR):
            with time_machine.travel(at, tick=False):
                response = Client().get(path)
            assert response.status_code == 200
            return Calendar.from_ical(response.content)

        return fetch

    return _feed_of


def _only_event(calendar):
    [event] = calendar.walk("VEVENT")
    return event


def _state(calendar):
    event = _only_event(calendar)
    return str(event["STATUS"]), int(event["SEQUENCE"]), event.decoded("DTSTAMP")


@pytest.mark.policy("CALL-4")
def test_a_one_to_one_is_tentative_until_agreed_and_approved_then_cancelled_with_a_higher_sequence(
    one_to_one, guardian_a, parent_a, head, teacher, feed_of
):
    fetch = feed_of(parent_a)
    booked = _state(fetch())
    assert booked[0] == "TENTATIVE"
    assert booked[2] == NOW

    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW + HOUR, agree=True)
    agreed = _state(fetch())
    assert agreed[0] == "TENTATIVE"  # the head has not approved it yet
    assert agreed[2] == NOW + HOUR

    one_to_ones.approve_call(call=one_to_one, approver=head, now=NOW + 2 * HOUR)
    approved = _state(fetch())
    assert approved[0] == "CONFIRMED"
    assert approved[1] > agreed[1]
    assert approved[2] == NOW + 2 * HOUR

    booking.cancel_call(call=one_to_one, cancelled_by=teacher, now=NOW + 3 * HOUR, reason="Teacher unwell")
    cancelled = _state(fetch())
    assert cancelled[0] == "CANCELLED"
    assert cancelled[1] > approved[1]
    assert cancelled[2] == NOW + 3 * HOUR


def test_a_declined_one_to_one_stays_tentative(one_to_one, guardian_a, parent_a, feed_of):
    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW + HOUR, agree=False)

    assert _state(feed_of(parent_a)())[0] == "TENTATIVE"


def test_a_group_lesson_is_confirmed_and_cancelling_it_raises_its_sequence(book, consented, child_a, parent_a, teacher, feed_of):
    call = book(pupil_ids=[child_a.pk])
    for fetch in (feed_of(parent_a), feed_of(teacher)):
        before = _state(fetch())
        assert before[0] == "CONFIRMED"

    booking.cancel_call(call=call, cancelled_by=teacher, now=NOW + HOUR, reason="Trip")

    for fetch in (feed_of(parent_a), feed_of(teacher)):
        status, sequence, stamp = _state(fetch())
        assert (status, stamp) == ("CANCELLED", NOW + HOUR)
        assert sequence > before[1]


def test_moving_a_call_raises_the_sequence_and_the_stamp(book, consented, child_a, parent_a, teacher, feed_of):
    call = book(pupil_ids=[child_a.pk])
    fetch = feed_of(parent_a)
    before = _state(fetch())

    booking.change_call_time(call=call, changed_by=teacher, now=NOW + HOUR, starts_at=TUESDAY_10 + HOUR, duration_minutes=30)

    event = _only_event(fetch())
    assert event.decoded("DTSTART") == TUESDAY_10 + HOUR
    assert int(event["SEQUENCE"]) > before[1]
    assert event.decoded("DTSTAMP") == NOW + HOUR


def test_the_stamp_is_the_last_change_not_the_time_of_fetching(book, consented, child_a, parent_a, feed_of):
    book(pupil_ids=[child_a.pk])
    fetch = feed_of(parent_a)

    first, later = fetch(at=NOW + HOUR), fetch(at=NOW + 9 * HOUR)

    assert _only_event(first).decoded("DTSTAMP") == _only_event(later).decoded("DTSTAMP") == NOW
    assert _only_event(first).to_ical() == _only_event(later).to_ical()  # unchanged event, identical text


def test_the_calendar_asks_to_be_fetched_again_within_the_hour(book, consented, child_a, parent_a, feed_of):
    book(pupil_ids=[child_a.pk])

    calendar = feed_of(parent_a)()

    refresh = calendar["REFRESH-INTERVAL"]
    assert refresh.params["VALUE"] == "DURATION"
    assert calendar.decoded("REFRESH-INTERVAL") == HOUR
    assert vDuration.from_ical(str(calendar["X-PUBLISHED-TTL"])) == HOUR  # a non-standard name: read as a DURATION


def test_the_event_uid_names_the_portals_own_host(book, consented, child_a, parent_a, feed_of, settings):
    settings.PORTAL_BASE_URL = "https://portal.ernesford.example"
    call = book(pupil_ids=[child_a.pk])

    assert str(_only_event(feed_of(parent_a)())["UID"]) == f"call-{call.pk}@portal.ernesford.example"


# --- the sequence never goes down along any path a call can take (no database) -------------------

# Every status change the services make, and whether it moves the call (raises the version).
STEPS = {
    CallStatus.AWAITING_PARENT: [
        (CallStatus.AWAITING_APPROVAL, 0),
        (CallStatus.DRAFT, 0),
        (CallStatus.CANCELLED, 0),
        (CallStatus.AWAITING_PARENT, 1),
    ],
    CallStatus.AWAITING_APPROVAL: [
        (CallStatus.SCHEDULED, 0),
        (CallStatus.DRAFT, 0),
        (CallStatus.CANCELLED, 0),
        (CallStatus.AWAITING_PARENT, 1),
    ],
    CallStatus.DRAFT: [(CallStatus.AWAITING_PARENT, 1), (CallStatus.CANCELLED, 0)],
    CallStatus.SCHEDULED: [
        (CallStatus.HELD, 0),
        (CallStatus.CANCELLED, 0),
        (CallStatus.AWAITING_PARENT, 1),
        (CallStatus.SCHEDULED, 1),
    ],
}


@pytest.mark.parametrize("status", list(STEPS))
def test_no_status_change_lowers_the_sequence_and_a_published_change_raises_it(status):
    for version in (1, 2, 7):
        for after, moved in STEPS[status]:
            before_seq = event_sequence(version=version, status=status)
            after_seq = event_sequence(version=version + moved, status=after)
            assert after_seq >= before_seq
            if moved or EVENT_STATUS[after] != EVENT_STATUS[status]:
                assert after_seq > before_seq
