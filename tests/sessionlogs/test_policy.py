"""The session-log and welfare-contact rules as pure functions: no database, `now` passed in."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calls.choices import CallKind, CallStatus
from sessionlogs import policy
from sessionlogs.choices import Attendance, ContactMethod, NumberUsed, UnacceptableUse

LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 11, 10, 10, 0, tzinfo=LONDON)
END = START + dt.timedelta(minutes=30)
CALENDAR = {
    "hours": {d: (dt.time(8, 45), dt.time(15, 30)) for d in range(5)},
    "terms": [(dt.date(2026, 9, 2), dt.date(2026, 12, 18)), (dt.date(2027, 1, 5), dt.date(2027, 3, 26))],
    "closures": [(dt.date(2026, 11, 2), dt.date(2026, 11, 2), "INSET day")],
}


# --- LOG-1: writing a log -------------------------------------------------------------------------


@pytest.mark.policy("LOG-1")
@pytest.mark.parametrize(
    ("status", "now", "has_log", "allowed"),
    [
        (CallStatus.SCHEDULED, END, False, True),
        (CallStatus.SCHEDULED, START + dt.timedelta(minutes=10), False, True),  # ended early: log at once
        (CallStatus.HELD, END, False, True),
        (CallStatus.SCHEDULED, START - dt.timedelta(minutes=1), False, False),
        (CallStatus.SCHEDULED, END, True, False),
        (CallStatus.CANCELLED, END, False, False),
        (CallStatus.AWAITING_APPROVAL, END, False, False),
    ],
)
def test_a_log_is_written_once_for_a_scheduled_call_that_started(status, now, has_log, allowed):
    decision = policy.may_write_log(status=status, starts_at=START, now=now, has_log=has_log)

    assert decision.allowed is allowed
    assert bool(decision.reason) is not allowed


@pytest.mark.policy("LOG-1")
@pytest.mark.parametrize(
    ("started_at", "ended_at", "problem"),
    [
        (START, END, None),
        (START, START, "after the start"),
        (END, START, "after the start"),
        (START, END + dt.timedelta(hours=2), "future"),
        (START, START + dt.timedelta(hours=5), "future"),
        (START - dt.timedelta(hours=11), START - dt.timedelta(hours=9), "same day"),
    ],
)
def test_session_times_give_a_length_on_one_day_and_not_in_the_future(started_at, ended_at, problem):
    now = START + dt.timedelta(hours=2)

    found = policy.session_times_problem(started_at=started_at, ended_at=ended_at, now=now)

    assert (found is None) if problem is None else (problem in found)


@pytest.mark.policy("LOG-1")
def test_a_session_longer_than_four_hours_is_a_typing_slip():
    found = policy.session_times_problem(
        started_at=START - dt.timedelta(hours=1), ended_at=START + dt.timedelta(hours=4), now=START + dt.timedelta(hours=5)
    )

    assert "4 hours" in found


@pytest.mark.policy("LOG-1")
def test_session_times_across_the_october_clock_change_are_judged_on_the_wall_clock():
    # 25 October 2026: clocks go back at 02:00 BST. A session 00:30-01:30 UTC is one London day.
    started_at = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)

    found = policy.session_times_problem(
        started_at=started_at, ended_at=started_at + dt.timedelta(hours=1), now=started_at + dt.timedelta(hours=3)
    )

    assert found is None


@pytest.mark.policy("LOG-1")
@pytest.mark.parametrize(
    ("has_second", "present", "reason", "ok"),
    [
        (False, None, "", True),
        (True, True, "", True),
        (True, False, "Off sick; head joined instead", True),
        (True, False, "  ", False),
        (True, None, "", False),
    ],
)
def test_the_second_member_of_staff_is_confirmed_or_their_absence_explained(has_second, present, reason, ok):
    found = policy.staff_presence_problem(has_second_staff=has_second, second_staff_present=present, absent_reason=reason)

    assert (found is None) is ok


@pytest.mark.policy("LOG-1")
def test_prefill_admits_who_the_gateway_let_through_and_refuses_late_arrivals():
    joins = [
        policy.JoinRecord(pupil_id=1, at=START - dt.timedelta(minutes=3), allowed=True),
        policy.JoinRecord(pupil_id=2, at=START + dt.timedelta(minutes=7), allowed=False),
        policy.JoinRecord(pupil_id=4, at=START - dt.timedelta(minutes=30), allowed=False),  # too early, never came back
        policy.JoinRecord(pupil_id=99, at=START, allowed=True),  # not invited: ignored
    ]

    guess = policy.prefill_attendance(invited_ids=[1, 2, 3, 4], joins=joins, starts_at=START)

    assert guess == {
        1: (Attendance.ADMITTED, START - dt.timedelta(minutes=3)),
        2: (Attendance.REFUSED_LATE, None),
        3: (Attendance.ABSENT, None),
        4: (Attendance.ABSENT, None),
    }


@pytest.mark.policy("LOG-1")
def test_prefill_uses_the_platform_report_for_camera_and_presence():
    joins = [policy.JoinRecord(pupil_id=1, at=START, allowed=True), policy.JoinRecord(pupil_id=1, at=START, allowed=True)]

    guess = policy.prefill_attendance(
        invited_ids=[1, 2, 3], joins=joins, starts_at=START, seen_with_video=[3], seen_without_video=[1]
    )

    assert guess[1] == (Attendance.REFUSED_NO_CAMERA, START)
    assert guess[2] == (Attendance.ABSENT, None)
    assert guess[3] == (Attendance.ADMITTED, None)


@pytest.mark.policy("LOG-1")
@pytest.mark.parametrize(
    ("outcomes", "ok"),
    [
        ({1: Attendance.ADMITTED, 2: Attendance.ABSENT}, True),
        ({1: Attendance.ADMITTED}, False),
        ({1: Attendance.ADMITTED, 2: Attendance.ABSENT, 3: Attendance.ADMITTED}, False),
        ({1: Attendance.ADMITTED, 2: "teleported"}, False),
    ],
)
def test_every_invited_pupil_has_an_attendance_outcome(outcomes, ok):
    assert (policy.attendance_problem(outcomes=outcomes, invited_ids=[1, 2]) is None) is ok


# --- LOG-2: one-to-ones ---------------------------------------------------------------------------------


@pytest.mark.policy("LOG-2")
@pytest.mark.parametrize(
    ("kind", "spoke_first", "stayed", "notes", "ok"),
    [
        (CallKind.ONE_TO_ONE, True, True, "", True),
        (CallKind.ONE_TO_ONE, None, True, "", False),
        (CallKind.ONE_TO_ONE, True, None, "", False),
        (CallKind.ONE_TO_ONE, True, False, "", False),
        (CallKind.ONE_TO_ONE, True, False, "Mum left briefly; we paused until she was back.", True),
        (CallKind.ONE_TO_ONE, False, True, "", False),
        (CallKind.GROUP, None, None, "", True),
    ],
)
def test_a_one_to_one_log_records_the_parent_spoken_to_first_and_staying(kind, spoke_first, stayed, notes, ok):
    found = policy.one_to_one_opening_problem(kind=kind, spoke_to_parent_first=spoke_first, parent_stayed=stayed, notes=notes)

    assert (found is None) is ok


# --- CON-6 in the log --------------------------------------------------------------------------------------


@pytest.mark.policy("CON-6")
@pytest.mark.parametrize(
    ("recorded", "booked", "missing", "ok"),
    [
        (False, False, ["Ben Brown"], True),
        (True, True, [], True),
        (True, True, ["Ben Brown"], False),
        (True, False, [], False),
    ],
)
def test_a_session_is_logged_as_recorded_only_if_booked_so_and_every_admitted_pupil_has_permission(recorded, booked, missing, ok):
    found = policy.recording_problem(recorded=recorded, booked_to_record=booked, admitted_without_permission=missing)

    assert (found is None) is ok
    if missing and not ok:
        assert "Ben Brown" in found


# --- LOG-3: unacceptable use --------------------------------------------------------------------------------


@pytest.mark.policy("LOG-3")
@pytest.mark.parametrize(
    ("items", "details", "ok"),
    [
        ([], "", True),
        ([UnacceptableUse.UPSETTING_MESSAGES], "", True),
        ([UnacceptableUse.OTHER], "", False),
        ([UnacceptableUse.OTHER], "Shared a stranger's video", True),
        (["hacking"], "", False),
    ],
)
def test_unacceptable_use_is_chosen_from_the_policy_list_or_described(items, details, ok):
    assert (policy.unacceptable_use_problem(items=items, details=details) is None) is ok


def test_the_unacceptable_use_list_carries_every_example_from_the_policy():
    labels = " ".join(UnacceptableUse.labels).lower()

    for example in ("upset other people", "username and password", "work", "wasting time", "without checking"):
        assert example in labels


# --- GOV-3: corrections and annotations ---------------------------------------------------------------------


@pytest.mark.policy("GOV-3")
@pytest.mark.parametrize(
    ("user_id", "hours_after", "allowed"),
    [(1, 0, True), (1, 47.9, True), (1, 48, False), (1, 100, False), (2, 1, False)],
)
def test_only_the_author_corrects_and_only_within_the_window(user_id, hours_after, allowed):
    decision = policy.may_correct(
        user_id=user_id, author_id=1, written_at=END, now=END + dt.timedelta(hours=hours_after), window_hours=48
    )

    assert decision.allowed is allowed


@pytest.mark.policy("GOV-3")
@pytest.mark.parametrize(
    ("is_head", "hours_after", "allowed"),
    [(True, 48, True), (True, 72, True), (True, 1, False), (False, 72, False)],
)
def test_after_the_window_only_the_head_adds_a_note(is_head, hours_after, allowed):
    decision = policy.may_annotate(is_head=is_head, written_at=END, now=END + dt.timedelta(hours=hours_after), window_hours=48)

    assert decision.allowed is allowed


# --- LOG-4: chasing -----------------------------------------------------------------------------------------


@pytest.mark.policy("LOG-4")
@pytest.mark.parametrize(
    ("status", "has_log", "now", "chase"),
    [
        (CallStatus.SCHEDULED, False, END - dt.timedelta(minutes=1), policy.Chase.NOT_DUE),
        (CallStatus.SCHEDULED, False, END, policy.Chase.HOST),
        (CallStatus.SCHEDULED, False, END + dt.timedelta(hours=23, minutes=59), policy.Chase.HOST),
        (CallStatus.SCHEDULED, False, END + dt.timedelta(hours=24), policy.Chase.HEAD),
        (CallStatus.HELD, False, END + dt.timedelta(hours=30), policy.Chase.HEAD),
        (CallStatus.HELD, True, END + dt.timedelta(hours=30), policy.Chase.NOT_DUE),
        (CallStatus.CANCELLED, False, END + dt.timedelta(hours=30), policy.Chase.NOT_DUE),
        (CallStatus.AWAITING_APPROVAL, False, END + dt.timedelta(hours=30), policy.Chase.NOT_DUE),
    ],
)
def test_a_call_ended_without_a_log_goes_to_its_host_then_after_the_deadline_to_the_head(status, has_log, now, chase):
    assert policy.missing_log_chase(status=status, ends_at=END, has_log=has_log, now=now, deadline_hours=24) is chase


# --- LOG-5 and CALL-1: welfare contacts -----------------------------------------------------------------------


@pytest.mark.policy("LOG-5")
@pytest.mark.parametrize(
    ("method", "number", "ok"),
    [
        (ContactMethod.PHONE, NumberUsed.SCHOOL, True),
        (ContactMethod.PHONE, NumberUsed.WITHHELD, True),
        (ContactMethod.PHONE, "", False),
        (ContactMethod.HOME_VISIT, "", True),
        (ContactMethod.HOME_VISIT, NumberUsed.SCHOOL, False),
    ],
)
def test_a_phone_call_says_it_came_from_a_school_or_withheld_number(method, number, ok):
    assert (policy.welfare_number_problem(method=method, number_used=number) is None) is ok


@pytest.mark.policy("LOG-5")
@pytest.mark.parametrize(
    ("contacted_at", "minutes", "ok"),
    [(START, 10, True), (START + dt.timedelta(hours=1), 10, False), (START, 0, False)],
)
def test_a_welfare_contact_is_logged_after_it_happens(contacted_at, minutes, ok):
    assert (
        policy.welfare_time_problem(contacted_at=contacted_at, duration_minutes=minutes, now=START + dt.timedelta(minutes=30))
        is None
    ) is ok


@pytest.mark.policy("CALL-1")
@pytest.mark.parametrize(
    ("contacted_at", "minutes", "follow_up", "dsl", "ok"),
    [
        (START, 15, False, False, True),
        (dt.datetime(2026, 11, 10, 15, 20, tzinfo=LONDON), 15, False, False, False),  # runs past 15:30
        (dt.datetime(2026, 11, 10, 18, 0, tzinfo=LONDON), 15, False, False, False),
        (dt.datetime(2026, 11, 10, 18, 0, tzinfo=LONDON), 15, True, True, True),  # DSL safeguarding follow-up
        (dt.datetime(2026, 11, 10, 18, 0, tzinfo=LONDON), 15, True, False, False),  # a teacher cannot mark it
        (START, 15, True, False, False),
        (dt.datetime(2026, 11, 14, 10, 0, tzinfo=LONDON), 15, False, False, False),  # Saturday
        (dt.datetime(2026, 11, 2, 10, 0, tzinfo=LONDON), 15, False, False, False),  # INSET day
        (dt.datetime(2026, 12, 22, 10, 0, tzinfo=LONDON), 15, False, False, False),  # holidays
        (dt.datetime(2027, 3, 29, 8, 0, tzinfo=dt.UTC), 15, False, False, False),  # after term (clock change week)
    ],
)
def test_welfare_contacts_keep_to_school_hours_unless_a_dsl_safeguarding_follow_up(contacted_at, minutes, follow_up, dsl, ok):
    found = policy.welfare_hours_problem(
        contacted_at=contacted_at, duration_minutes=minutes, calendar=CALENDAR, safeguarding_follow_up=follow_up, by_dsl_team=dsl
    )

    assert (found is None) is ok


@pytest.mark.policy("CALL-1")
def test_welfare_hours_are_the_wall_clock_in_summer_time():
    # 09:00 BST is 08:00 UTC: inside school hours although UTC says before opening.
    summer = dt.datetime(2027, 5, 4, 8, 0, tzinfo=dt.UTC)
    calendar = CALENDAR | {"terms": [(dt.date(2027, 4, 12), dt.date(2027, 7, 21))]}

    found = policy.welfare_hours_problem(
        contacted_at=summer, duration_minutes=10, calendar=calendar, safeguarding_follow_up=False, by_dsl_team=False
    )

    assert found is None
