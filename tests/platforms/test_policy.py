"""The platform rules as pure functions: no database, no clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from platforms.attendance import merge_attendees
from platforms.base import Attendee, MeetingInfo
from platforms.policy import (
    DISABLED_FEATURES,
    STAFF_NOT_READY,
    join_policy_settings,
    meeting_duration_minutes,
    meeting_policy_settings,
    staff_not_ready_reason,
    two_moderators_present,
)

LONDON = ZoneInfo("Europe/London")


def _info(*attendees, running=True):
    return MeetingInfo(running=running, attendees=[Attendee(*a) for a in attendees])


@pytest.mark.policy("CALL-6")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("guestPolicy", "ASK_MODERATOR"),
        ("muteOnStart", "true"),
        ("lockSettingsDisablePrivateChat", "true"),
        ("lockSettingsLockOnJoin", "true"),
        ("breakoutRoomsPrivateChatEnabled", "false"),
        ("endWhenNoModerator", "true"),
    ],
)
def test_every_meeting_carries_the_policy_settings(name, value):
    assert meeting_policy_settings(record=False, webcams_only_for_moderator=True)[name] == value


@pytest.mark.policy("CALL-6")
@pytest.mark.parametrize(
    "feature",
    [
        "privateChat",
        "downloadPresentationWithAnnotations",
        "downloadPresentationOriginalFile",
        "downloadPresentationConvertedToPdf",
        "snapshotOfCurrentSlide",
        "importPresentationWithAnnotationsFromBreakoutRooms",
    ],
)
def test_private_chat_and_file_transfer_are_disabled_features(feature):
    sent = meeting_policy_settings(record=False, webcams_only_for_moderator=True)["disabledFeatures"].split(",")

    assert feature in sent
    assert feature in DISABLED_FEATURES


@pytest.mark.policy("CALL-6")
@pytest.mark.parametrize("choice", [True, False])
def test_webcams_only_for_moderator_is_the_schools_choice(choice):
    expected = "true" if choice else "false"

    assert meeting_policy_settings(record=False, webcams_only_for_moderator=choice)["webcamsOnlyForModerator"] == expected


@pytest.mark.policy("CON-6")
@pytest.mark.parametrize(("record", "expected"), [(False, "false"), (True, "true")])
def test_recording_follows_the_consent_decision(record, expected):
    sent = meeting_policy_settings(record=record, webcams_only_for_moderator=True)

    assert sent["record"] == expected
    assert sent["allowStartStopRecording"] == expected
    assert sent["autoStartRecording"] == "false"


@pytest.mark.policy("CALL-6")
def test_staff_join_as_moderators_without_the_guest_flag():
    assert join_policy_settings(is_staff=True) == {"role": "MODERATOR"}


@pytest.mark.policy("CALL-6")
def test_children_join_as_guest_viewers_with_camera_on():
    assert join_policy_settings(is_staff=False) == {
        "role": "VIEWER",
        "guest": "true",
        "userdata-bbb_auto_share_webcam": "true",
    }


@pytest.mark.parametrize(
    ("now", "ends_at", "minutes"),
    [
        (dt.datetime(2026, 11, 30, 9, 50, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 10, 30, tzinfo=dt.UTC), 40),
        (dt.datetime(2026, 11, 30, 10, 29, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 10, 30, tzinfo=dt.UTC), 1),
        (dt.datetime(2026, 11, 30, 10, 31, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 10, 30, tzinfo=dt.UTC), 1),
        # The October clock change: 00:30 BST to 01:30 GMT is two real hours, not one.
        (dt.datetime(2026, 10, 25, 0, 30, tzinfo=LONDON), dt.datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON), 120),
        # The March clock change: 00:30 GMT to 02:30 BST is one real hour.
        (dt.datetime(2027, 3, 28, 0, 30, tzinfo=LONDON), dt.datetime(2027, 3, 28, 2, 30, tzinfo=LONDON), 60),
    ],
)
def test_duration_runs_to_the_booked_end(now, ends_at, minutes):
    assert meeting_duration_minutes(ends_at=ends_at, now=now) == minutes


@pytest.mark.policy("CALL-3")
@pytest.mark.parametrize(
    ("info", "present"),
    [
        (None, False),
        (_info(), False),
        (_info(("staff-1", "Tara Teacher", "MODERATOR", True)), False),
        # One member of staff on two devices is still one adult.
        (_info(("staff-1", "Tara Teacher", "MODERATOR", True), ("staff-1", "Tara Teacher", "MODERATOR", False)), False),
        (_info(("staff-1", "Tara Teacher", "MODERATOR", True), ("pupil-7", "Amelia Adams", "VIEWER", True)), False),
        (_info(("staff-1", "Tara Teacher", "MODERATOR", True), ("staff-2", "Helen Head", "MODERATOR", True)), True),
        (_info(("staff-1", "T", "MODERATOR", True), ("staff-2", "H", "MODERATOR", True), running=False), False),
    ],
)
def test_two_different_moderators_must_be_present(info, present):
    assert two_moderators_present(info) is present


@pytest.mark.policy("CALL-3")
def test_a_child_waits_for_two_staff_only_on_a_one_to_one():
    one_moderator = _info(("staff-1", "Tara Teacher", "MODERATOR", True))

    assert staff_not_ready_reason(info=one_moderator, one_to_one=True) == STAFF_NOT_READY
    assert staff_not_ready_reason(info=one_moderator, one_to_one=False) is None


def test_merge_keeps_everyone_seen_and_video_if_ever_on():
    first = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    later = first + dt.timedelta(minutes=1)
    before = merge_attendees([], [Attendee("pupil-7", "Amelia Adams", "VIEWER", True)], first)
    seen = [Attendee("pupil-7", "Amelia Adams", "VIEWER", False), Attendee("staff-1", "Tara Teacher", "MODERATOR", False)]

    after = merge_attendees(before, seen, later)

    assert [entry["user_id"] for entry in after] == ["staff-1", "pupil-7"]
    amelia = after[1]
    assert amelia["has_video"] is True
    assert amelia["first_seen_at"] == first.isoformat()
    assert after[0]["first_seen_at"] == later.isoformat()
