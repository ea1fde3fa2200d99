"""The calls app on BigBlueButton, against the fake server: the family join gateway builds each
child's link at the moment of joining, after the portal's own checks; staff start the meeting as
moderators from the call page; switching a school from manual to BigBlueButton is settings only.

Times: calls are on Tuesday 10 November 2026 at 10:00 in London (GMT, so 10:00 UTC).
"""

import dataclasses
import datetime as dt
import urllib.parse

import pytest
import time_machine
from django.urls import reverse

from calls import gateway
from calls.choices import CallKind, CallStatus, Platform
from calls.models import JoinAttempt
from calls.services import booking, one_to_ones
from consent.choices import Scope
from consent.services import refresh_current_consent
from platforms.base import get_adapter
from platforms.meetings import SETTINGS_NEED_CHECKING, meeting_id_for_call, spec_for_call
from platforms.policy import STAFF_NOT_READY
from school.models import Guardianship
from tests.calls.conftest import TUESDAY_10, consent, join_token, outbox
from tests.factories import family_holder
from tests.platforms.test_adapter import _open

pytestmark = pytest.mark.django_db

BOOKED_AT = TUESDAY_10 - dt.timedelta(hours=2)  # inside the join-email lead time: links go out at booking
JOIN_AT = TUESDAY_10 - dt.timedelta(minutes=2)  # inside the join window, before the 5-minute lock
FALLBACK_LINK = "https://bbb.example.test/rooms/tara-abc-123"


@pytest.fixture(autouse=True)
def _platforms_urls():
    """These tests go through the calls pages, so the project's own URLs stay (the platforms
    conftest narrows them for the platforms-only tests)."""


@pytest.fixture
def start():
    """The fake server's clock: the moment families and staff press their buttons."""
    return JOIN_AT


@pytest.fixture
def book(teacher, dsl, school_week):
    def _book(**changes):
        facts = dict(
            booked_by=teacher,
            now=BOOKED_AT,
            kind=CallKind.GROUP,
            title="Year 3 phonics",
            activity="Sounds and letters.",
            platform=Platform.BIGBLUEBUTTON,
            starts_at=TUESDAY_10,
            duration_minutes=30,
            host=teacher,
            second_staff=dsl,
            record=False,
            pupil_ids=[],
            meeting_url=FALLBACK_LINK,
        )
        return booking.book_call(**{**facts, **changes})

    return _book


@pytest.fixture
def group_call(book, child_a, guardian_a):
    consent(child_a, guardian_a)
    return book(pupil_ids=[child_a.pk])


@pytest.fixture
def one_to_one(book, child_a, guardian_a, parent_a, head):
    consent(child_a, guardian_a)
    call = book(kind=CallKind.ONE_TO_ONE, title="Reading one-to-one", pupil_ids=[child_a.pk])
    one_to_ones.record_parent_agreement(call=call, guardian=guardian_a, decided_by=parent_a, now=BOOKED_AT, agree=True)
    one_to_ones.approve_call(call=call, approver=head, now=BOOKED_AT)
    call.refresh_from_db()
    assert call.status == CallStatus.SCHEDULED
    return call


def token_for(guardian):
    return join_token(outbox("call-join", to=guardian.email)[-1])


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def staff_enter(client, user, call) -> str:
    """A member of staff presses "Start / join as host" and follows the link into the meeting."""
    client.force_login(user)
    with time_machine.travel(JOIN_AT, tick=False):
        response = client.post(reverse("calls:start_as_host", args=[call.pk]))
    assert response.status_code == 302
    assert _open(response["Location"])[0] == 302
    return response["Location"]


# --- the family join gateway -----------------------------------------------------------------


@pytest.mark.policy("CALL-6")
def test_a_family_join_on_a_group_call_gets_the_childs_own_guest_link(bbb_settings, fake_bbb, group_call, child_a, guardian_a):
    outcome = gateway.open_join_link(token=token_for(guardian_a), now=JOIN_AT, holder=family_holder(token_for(guardian_a)))

    meeting = fake_bbb.meetings[meeting_id_for_call(group_call.pk)]
    join = query_of(outcome.platform_url)
    assert outcome.allowed is True
    assert outcome.platform_url.startswith(f"{fake_bbb.api_url}/join?")
    assert join["role"] == "VIEWER"
    assert join["guest"] == "true"
    assert join["fullName"] == "Amelia Adams" == child_a.full_name
    assert join["userID"] == f"pupil-{child_a.pk}"
    assert join["createTime"] == str(meeting.create_time)
    assert join["userdata-bbb_auto_share_webcam"] == "true"
    assert fake_bbb.last("create")["guestPolicy"] == "ASK_MODERATOR"
    assert JoinAttempt.objects.get().allowed is True


@pytest.mark.policy("CALL-6")
def test_the_childs_link_puts_them_in_the_waiting_room_under_their_real_name(bbb_settings, fake_bbb, group_call, guardian_a):
    outcome = gateway.open_join_link(token=token_for(guardian_a), now=JOIN_AT, holder=family_holder(token_for(guardian_a)))

    status, _ = _open(outcome.platform_url)

    waiting = fake_bbb.meetings[meeting_id_for_call(group_call.pk)].waiting
    assert status == 302
    assert [guest["full_name"] for guest in waiting] == ["Amelia Adams"]


@pytest.mark.policy("CALL-6")
def test_the_page_hands_over_the_bigbluebutton_link_with_the_real_name(client, bbb_settings, fake_bbb, group_call, guardian_a):
    client.force_login(guardian_a.user)
    with time_machine.travel(JOIN_AT, tick=False):
        response = client.post(reverse("calls:join", args=[token_for(guardian_a)]))

    page = response.content.decode()
    assert f'href="{fake_bbb.api_url}/join?' in page
    assert "Open BigBlueButton" in page
    assert FALLBACK_LINK not in page


@pytest.mark.policy("CALL-3")
def test_a_one_to_one_refuses_until_two_different_staff_are_in_the_meeting(
    client, bbb_settings, fake_bbb, one_to_one, teacher, dsl, guardian_a
):
    token = token_for(guardian_a)

    nobody = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))
    staff_enter(client, teacher, one_to_one)
    one = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))
    staff_enter(client, teacher, one_to_one)  # the host again, on a second device: still one adult
    same_person = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))
    staff_enter(client, dsl, one_to_one)
    two = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))

    for refused in (nobody, one, same_person):
        assert refused.allowed is False
        assert refused.reason == STAFF_NOT_READY
        assert refused.platform_url == ""
    assert "staff for this call are not ready yet" in STAFF_NOT_READY
    assert two.allowed is True
    assert query_of(two.platform_url)["role"] == "VIEWER"
    attempts = list(JoinAttempt.objects.values_list("allowed", "reason"))
    assert attempts == [(False, STAFF_NOT_READY)] * 3 + [(True, "")]


@pytest.mark.policy("CALL-3")
def test_the_family_sees_plainly_that_staff_are_not_ready(client, bbb_settings, fake_bbb, one_to_one, guardian_a):
    client.force_login(guardian_a.user)
    with time_machine.travel(JOIN_AT, tick=False):
        response = client.post(reverse("calls:join", args=[token_for(guardian_a)]))

    page = response.content.decode()
    assert 'data-testid="join-refused"' in page
    assert "not ready yet" in page
    assert fake_bbb.api_url not in page


@pytest.mark.policy("CON-6")
@pytest.mark.parametrize(
    ("asked", "b_keeps_responsibility", "recorded"),
    [(True, True, "true"), (True, False, "false"), (False, True, "false")],
)
def test_recording_is_asked_of_bigbluebutton_only_when_every_invitee_has_permission(
    bbb_settings, fake_bbb, book, child_a, child_b, guardian_a, guardian_b, asked, b_keeps_responsibility, recorded
):
    consent(child_a, guardian_a, Scope.VIDEO_CALLS, Scope.RECORDING)
    consent(child_b, guardian_b, Scope.VIDEO_CALLS, Scope.RECORDING)
    book(pupil_ids=[child_a.pk, child_b.pk], record=asked)
    if not b_keeps_responsibility:
        # Consent stops being in force without a withdrawal (the guardian no longer has parental
        # responsibility), so call.record is still True: the check at the moment of joining decides.
        Guardianship.objects.filter(guardian=guardian_b, pupil=child_b).update(parental_responsibility=False)
        # What the guardian import (the one writer of responsibility) does after such a change.
        refresh_current_consent([child_b.pk])

    outcome = gateway.open_join_link(token=token_for(guardian_a), now=JOIN_AT, holder=family_holder(token_for(guardian_a)))

    assert outcome.allowed is True
    assert fake_bbb.last("create")["record"] == recorded
    assert fake_bbb.last("create")["allowStartStopRecording"] == recorded


@pytest.mark.policy("CALL-6")
def test_settings_drift_keeps_the_child_out_and_is_recorded(bbb_settings, fake_bbb, group_call, guardian_a):
    # Someone created the meeting first with recording on; BigBlueButton keeps the first meeting.
    spec = spec_for_call(group_call, recording_consented_by_all=True)
    get_adapter().create_meeting(dataclasses.replace(spec, record=True), now=JOIN_AT)

    outcome = gateway.open_join_link(token=token_for(guardian_a), now=JOIN_AT, holder=family_holder(token_for(guardian_a)))

    assert outcome.allowed is False
    assert outcome.reason == SETTINGS_NEED_CHECKING
    assert JoinAttempt.objects.get().reason == SETTINGS_NEED_CHECKING


@pytest.mark.policy("COM-4")
@pytest.mark.parametrize(
    ("moment", "reason"),
    [(TUESDAY_10 - dt.timedelta(minutes=20), "This call opens at 09:45"), (TUESDAY_10 + dt.timedelta(minutes=5), "locked")],
)
def test_a_forwarded_email_is_useless_outside_the_window(bbb_settings, fake_bbb, group_call, guardian_a, moment, reason):
    outcome = gateway.open_join_link(token=token_for(guardian_a), now=moment, holder=family_holder(token_for(guardian_a)))

    assert outcome.allowed is False
    assert reason in outcome.reason
    assert outcome.platform_url == ""
    assert fake_bbb.received == []  # the platform was never asked: no meeting, no link exists


@pytest.mark.policy("COM-4")
def test_a_link_from_an_earlier_meeting_is_refused_by_the_server(bbb_settings, fake_bbb, group_call, guardian_a):
    first = gateway.open_join_link(token=token_for(guardian_a), now=JOIN_AT, holder=family_holder(token_for(guardian_a)))
    meeting_id = meeting_id_for_call(group_call.pk)
    fake_bbb.meetings[meeting_id].end_time = 1  # the meeting ended; the next join re-creates it
    gateway.open_join_link(token=token_for(guardian_a), now=JOIN_AT, holder=family_holder(token_for(guardian_a)))

    status, body = _open(first.platform_url)

    assert status == 200
    assert "mismatchCreateTimeParam" in body


# --- staff ------------------------------------------------------------------------------------


@pytest.mark.policy("CALL-6")
def test_the_host_starts_the_meeting_with_a_moderator_link(client, bbb_settings, fake_bbb, group_call, teacher):
    location = staff_enter(client, teacher, group_call)

    join = query_of(location)
    assert join["role"] == "MODERATOR"
    assert join["fullName"] == "Tara Teacher"
    assert join["userID"] == f"staff-{teacher.pk}"
    meeting = fake_bbb.meetings[meeting_id_for_call(group_call.pk)]
    assert [a["role"] for a in meeting.attendees] == ["MODERATOR"]
    assert fake_bbb.last("create")["meta_egps-call-id"] == str(group_call.pk)


@pytest.mark.parametrize("who", ["head", "teacher_b"])
def test_only_the_calls_own_staff_can_start_it(request, client, bbb_settings, fake_bbb, group_call, who):
    client.force_login(request.getfixturevalue(who))

    with time_machine.travel(JOIN_AT, tick=False):
        response = client.post(reverse("calls:start_as_host", args=[group_call.pk]))

    assert response.status_code == 404
    assert fake_bbb.received == []


def test_a_manual_call_has_no_start_button_address(client, settings, book, teacher, child_a, guardian_a):
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk], platform=Platform.MICROSOFT_TEAMS)
    client.force_login(teacher)

    with time_machine.travel(JOIN_AT, tick=False):
        response = client.post(reverse("calls:start_as_host", args=[call.pk]))

    assert response.status_code == 404


def test_starting_the_day_before_is_refused_with_the_reason(client, bbb_settings, fake_bbb, group_call, teacher):
    client.force_login(teacher)

    with time_machine.travel(TUESDAY_10 - dt.timedelta(days=1), tick=False):
        response = client.post(reverse("calls:start_as_host", args=[group_call.pk]), follow=True)

    assert "This call can be started from 09:45 on Tue 10 Nov 2026" in response.content.decode()
    assert fake_bbb.received == []


@pytest.mark.policy("CALL-6")
def test_the_call_page_shows_the_settings_as_applied_and_the_start_button(client, bbb_settings, fake_bbb, group_call, teacher):
    client.force_login(teacher)

    with time_machine.travel(JOIN_AT, tick=False):
        page = client.get(reverse("calls:detail", args=[group_call.pk])).content.decode()

    assert "Settings applied by BigBlueButton" in page
    assert 'data-testid="checklist-applied"' in page
    assert "Untick" not in page
    assert ">Tick<" not in page
    assert "Start / join as host" in page
    assert 'data-testid="platform-drift"' not in page


@pytest.mark.policy("CALL-6")
def test_the_call_page_warns_of_drift(client, bbb_settings, fake_bbb, group_call, teacher):
    spec = spec_for_call(group_call, recording_consented_by_all=False)
    get_adapter().create_meeting(dataclasses.replace(spec, record=True), now=JOIN_AT)
    client.force_login(teacher)

    with time_machine.travel(JOIN_AT, tick=False):
        page = client.get(reverse("calls:detail", args=[group_call.pk])).content.decode()

    assert 'data-testid="platform-drift"' in page
    assert "Recording: should be off, is on" in page


def test_the_call_page_asks_nothing_of_the_platform_on_other_days(client, bbb_settings, fake_bbb, group_call, teacher):
    client.force_login(teacher)

    with time_machine.travel(TUESDAY_10 - dt.timedelta(days=1), tick=False):
        page = client.get(reverse("calls:detail", args=[group_call.pk])).content.decode()

    assert "Settings applied by BigBlueButton" in page
    assert fake_bbb.received == []


# --- switching platforms ------------------------------------------------------------------------


def test_switching_from_manual_to_bigbluebutton_is_settings_only(client, bbb_settings, fake_bbb, group_call, guardian_a, teacher):
    token = token_for(guardian_a)
    client.force_login(teacher)
    bbb_settings.PORTAL_PLATFORM = "manual"  # the school before switching: same call, same link

    manual = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))
    with time_machine.travel(JOIN_AT, tick=False):
        manual_page = client.get(reverse("calls:detail", args=[group_call.pk])).content.decode()
    received_while_manual = list(fake_bbb.received)
    bbb_settings.PORTAL_PLATFORM = "bigbluebutton"
    switched = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))
    with time_machine.travel(JOIN_AT, tick=False):
        switched_page = client.get(reverse("calls:detail", args=[group_call.pk])).content.decode()

    assert manual.platform_url == FALLBACK_LINK
    assert received_while_manual == []
    assert "Host checklist: platform settings" in manual_page
    assert switched.platform_url.startswith(f"{fake_bbb.api_url}/join?")
    assert "Settings applied by BigBlueButton" in switched_page
    assert {manual.call.pk, switched.call.pk} == {group_call.pk}
