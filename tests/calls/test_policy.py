"""calls.policy without a database: tables of awkward times, one block per rule."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calls import policy
from calls.choices import CallKind, CallStatus

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
CALENDAR = {
    "hours": {d: (dt.time(8, 45), dt.time(15, 30)) for d in range(5)},
    "terms": [
        (dt.date(2026, 9, 2), dt.date(2026, 12, 18)),
        (dt.date(2027, 1, 5), dt.date(2027, 3, 26)),
        (dt.date(2027, 4, 12), dt.date(2027, 7, 21)),
    ],
    "closures": [(dt.date(2026, 11, 2), dt.date(2026, 11, 2), "INSET day")],
}


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def hours_problem(start, minutes=30):
    return policy.school_hours_problem(starts_at=start, ends_at=start + dt.timedelta(minutes=minutes), calendar=CALENDAR)


# --- CALL-1 --------------------------------------------------------------------------------


@pytest.mark.policy("CALL-1")
@pytest.mark.parametrize(
    ("start", "allowed"),
    [
        (utc(2026, 10, 23, 8, 0), True),  # Friday before the change: 09:00 BST
        (utc(2026, 10, 23, 7, 50), True),  # 08:50 BST
        (utc(2026, 10, 23, 7, 40), False),  # 08:40 BST: before school opens
        (utc(2026, 10, 26, 8, 0), False),  # Monday after the change: 08:00 GMT, before school opens
        (utc(2026, 10, 26, 8, 50), True),  # 08:50 GMT
        (utc(2026, 10, 26, 15, 0), True),  # 15:00-15:30 GMT
        (utc(2026, 10, 23, 14, 10), False),  # Friday 15:10-15:40 BST: runs past closing
        (utc(2026, 10, 25, 1, 0), False),  # Sunday 25 Oct, the hour the clocks go back
        (utc(2026, 3, 30, 8, 0), False),  # outside every term (Easter holiday in 2026)
        (utc(2027, 3, 29, 8, 0), False),  # Monday after the March change, but after term ends
        (utc(2027, 3, 26, 8, 0), False),  # Friday 26 March 2027, still GMT: 08:00 local
        (utc(2027, 4, 12, 8, 0), True),  # after the March change: 09:00 BST
    ],
)
def test_school_hours_are_judged_on_the_london_clock(start, allowed):
    assert (hours_problem(start) is None) is allowed


@pytest.mark.policy("CALL-1")
def test_a_booking_straddling_the_october_clock_change_is_refused():
    # 00:30 UTC to 01:30 UTC on Sunday 25 October 2026: 01:30 BST to 01:30 GMT.
    problem = policy.school_hours_problem(starts_at=utc(2026, 10, 25, 0, 30), ends_at=utc(2026, 10, 25, 1, 30), calendar=CALENDAR)

    assert problem == "Sunday is not a school day. Calls happen only within normal school hours."


@pytest.mark.policy("CALL-1")
def test_the_monday_after_the_october_change_is_checked_in_local_time():
    nine_local = dt.datetime(2026, 10, 26, 9, 0, tzinfo=LONDON)

    assert nine_local.utcoffset() == dt.timedelta(0)
    assert hours_problem(nine_local) is None
    assert "08:00 to 08:30" in hours_problem(utc(2026, 10, 26, 8, 0))


@pytest.mark.policy("CALL-1")
def test_a_closure_day_is_refused_with_its_reason():
    problem = hours_problem(dt.datetime(2026, 11, 2, 10, 0, tzinfo=LONDON))

    assert problem == "The school is closed on Mon 2 Nov 2026 (INSET day)."


@pytest.mark.policy("CALL-1")
def test_outside_term_dates_is_refused():
    assert "outside term dates" in hours_problem(dt.datetime(2026, 12, 21, 10, 0, tzinfo=LONDON))


@pytest.mark.policy("CALL-1")
def test_a_call_running_past_midnight_is_refused():
    start = dt.datetime(2026, 11, 3, 23, 50, tzinfo=LONDON)

    assert hours_problem(start, minutes=20) == "A call must start and end on the same school day."


# --- notice and duration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours_ahead", "expected"),
    [(-1, "The start time has already passed."), (0.5, "Calls must be booked at least 1 hour ahead."), (1, None), (30, None)],
)
def test_minimum_notice(hours_ahead, expected):
    now = utc(2026, 11, 3, 9, 0)

    assert policy.notice_problem(starts_at=now + dt.timedelta(hours=hours_ahead), now=now, min_notice_hours=1) == expected


def test_minimum_notice_in_plural():
    now = utc(2026, 11, 3, 9, 0)

    assert "24 hours" in policy.notice_problem(starts_at=now + dt.timedelta(hours=2), now=now, min_notice_hours=24)


@pytest.mark.parametrize(("minutes", "ok"), [(0, False), (1, True), (180, True), (181, False)])
def test_duration(minutes, ok):
    assert (policy.duration_problem(duration=dt.timedelta(minutes=minutes)) is None) is ok


# --- CALL-2 and CALL-3 -----------------------------------------------------------------------


@pytest.mark.policy("CALL-2")
@pytest.mark.parametrize(
    ("second", "reason", "ok"),
    [(2, "", True), (None, "", False), (None, "   ", False), (None, "Colleague off sick; short lesson.", True), (1, "", False)],
)
def test_a_group_call_has_two_staff_or_a_recorded_reason(second, reason, ok):
    problem = policy.staffing_problem(kind=CallKind.GROUP, host_id=1, second_staff_id=second, single_staff_reason=reason)

    assert (problem is None) is ok


@pytest.mark.policy("CALL-2")
def test_single_staffed_group_calls_are_flagged():
    assert policy.is_single_staffed(kind=CallKind.GROUP, second_staff_id=None)
    assert not policy.is_single_staffed(kind=CallKind.GROUP, second_staff_id=2)
    assert not policy.is_single_staffed(kind=CallKind.ONE_TO_ONE, second_staff_id=None)


@pytest.mark.policy("CALL-3")
@pytest.mark.parametrize(
    ("second", "reason", "expected"),
    [
        (None, "We could not find anyone", "A one-to-one call always needs a second member of staff."),
        (1, "", "A one-to-one call needs two different members of staff."),
        (2, "", None),
    ],
)
def test_a_one_to_one_always_has_two_different_staff(second, reason, expected):
    problem = policy.staffing_problem(kind=CallKind.ONE_TO_ONE, host_id=1, second_staff_id=second, single_staff_reason=reason)

    assert problem == expected


# --- CON-1 and CON-6 at booking ---------------------------------------------------------------


@pytest.mark.policy("CON-1")
@pytest.mark.parametrize(
    ("kind", "invited", "consenting", "ok"),
    [
        (CallKind.GROUP, 0, 0, False),
        (CallKind.GROUP, 5, 0, False),
        (CallKind.GROUP, 5, 3, True),
        (CallKind.ONE_TO_ONE, 2, 2, False),
        (CallKind.ONE_TO_ONE, 1, 0, False),
        (CallKind.ONE_TO_ONE, 1, 1, True),
    ],
)
def test_only_consenting_pupils_take_part(kind, invited, consenting, ok):
    assert (policy.invitees_problem(kind=kind, invited_count=invited, consenting_count=consenting) is None) is ok


@pytest.mark.policy("CON-6")
def test_recording_needs_permission_for_every_pupil():
    assert policy.recording_problem(record=True, pupil_names_without_permission=[]) is None
    assert policy.recording_problem(record=False, pupil_names_without_permission=["Ben Brown"]) is None
    assert "Ben Brown" in policy.recording_problem(record=True, pupil_names_without_permission=["Ben Brown"])
    many = policy.recording_problem(record=True, pupil_names_without_permission=[f"Pupil {n}" for n in range(7)])
    assert many.endswith("and 2 more.")


# --- overlaps ----------------------------------------------------------------------------------


def test_nobody_is_in_two_overlapping_calls():
    assert policy.double_booking_problem(busy_people=[]) is None
    assert policy.double_booking_problem(busy_people=["Tara Teacher", "Tara Teacher"]) == (
        "Already in another call at this time: Tara Teacher."
    )
    assert policy.double_booking_problem(busy_people=[f"P{n}" for n in range(6)]).endswith("and others.")


# --- CALL-4 ------------------------------------------------------------------------------------


@pytest.mark.policy("CALL-4")
@pytest.mark.parametrize(
    ("approver", "leadership", "allowed"),
    [(9, True, True), (9, False, False), (1, True, False), (2, True, False), (3, True, False)],
)
def test_only_head_or_deputy_approve_and_never_their_own_call(approver, leadership, allowed):
    verdict = policy.may_decide_approval(
        approver_id=approver, approver_is_leadership=leadership, booked_by_id=1, staff_ids={2, 3}
    )

    assert verdict.allowed is allowed
    assert bool(verdict.reason) is not allowed


@pytest.mark.policy("CALL-4")
@pytest.mark.parametrize("status", [s for s in CallStatus.values if s != CallStatus.SCHEDULED])
def test_join_details_go_out_only_for_scheduled_calls(status):
    assert not policy.join_details_may_go_out(kind=CallKind.ONE_TO_ONE, status=status)
    assert policy.join_details_may_go_out(kind=CallKind.ONE_TO_ONE, status=CallStatus.SCHEDULED)


def test_join_details_are_due_from_the_lead_time_until_the_lock():
    start = utc(2026, 11, 3, 10, 0)

    assert not policy.join_details_due(starts_at=start, now=start - dt.timedelta(hours=25), lead_hours=24)
    assert policy.join_details_due(starts_at=start, now=start - dt.timedelta(hours=24), lead_hours=24)
    assert policy.join_details_due(starts_at=start, now=start + dt.timedelta(minutes=4), lead_hours=24)
    assert not policy.join_details_due(starts_at=start, now=start + dt.timedelta(minutes=5), lead_hours=24)


# --- the join gateway: CON-1, CALL-4, CALL-6 ---------------------------------------------------

START = utc(2026, 11, 3, 10, 0)


def refusal(**changes):
    facts = dict(
        now=START,
        starts_at=START,
        window_minutes=15,
        kind=CallKind.GROUP,
        status=CallStatus.SCHEDULED,
        consent_in_force=True,
        still_invited=True,
        link_revoked=False,
    )
    return policy.join_refusal(**{**facts, **changes})


@pytest.mark.policy("CALL-6")
@pytest.mark.parametrize(
    ("now", "ok"),
    [
        (START - dt.timedelta(minutes=16), False),
        (START - dt.timedelta(minutes=15), True),
        (START, True),
        (START + dt.timedelta(minutes=4, seconds=59), True),
        (START + dt.timedelta(minutes=5), False),
    ],
)
def test_join_window_opens_before_the_start_and_locks_five_minutes_after(now, ok):
    assert (refusal(now=now) is None) is ok


@pytest.mark.policy("CALL-6")
def test_join_refusals_say_why_in_plain_english():
    expected = "This call opens at 09:45 on Tue 3 Nov 2026, 15 minutes before it starts."
    assert refusal(now=START - dt.timedelta(hours=1)) == expected
    assert refusal(now=START + policy.LATE_LOCK).startswith("This call was locked 5 minutes after it started")
    assert dt.timedelta(minutes=5) == policy.LATE_LOCK


@pytest.mark.policy("CON-1")
def test_join_refused_without_consent_or_invitation():
    assert refusal(consent_in_force=False) == "Consent for video calls is not in force for this child, so they cannot join."
    assert refusal(still_invited=False) == "This child is no longer invited to this call."
    assert "cancelled" in refusal(link_revoked=True)
    assert "no longer receives join details" in refusal(guardian_entitled=False)


@pytest.mark.policy("CALL-4")
def test_join_refused_for_a_one_to_one_not_yet_agreed_and_approved():
    for status in (CallStatus.AWAITING_PARENT, CallStatus.AWAITING_APPROVAL, CallStatus.DRAFT):
        assert "not yet been agreed" in refusal(kind=CallKind.ONE_TO_ONE, status=status)
    assert refusal(kind=CallKind.GROUP, status=CallStatus.DRAFT) == "This call is not scheduled yet."
    assert refusal(status=CallStatus.CANCELLED) == "This call has been cancelled."
    assert refusal(status=CallStatus.HELD) == "This call has already taken place."


@pytest.mark.policy("COM-2")
@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (dt.date(2026, 10, 23), dt.date(2026, 10, 26)),  # Friday -> the Monday after the clock change
        (dt.date(2026, 10, 25), dt.date(2026, 10, 26)),  # Sunday
        (dt.date(2026, 10, 26), dt.date(2026, 11, 2)),  # a Monday looks to the next week
    ],
)
def test_the_timetable_covers_the_coming_week(day, monday):
    assert policy.week_starting(day) == monday


def test_local_time_follows_british_summer_time():
    assert policy.local(utc(2026, 7, 1, 12, 0)).hour == 13
    assert policy.local(utc(2026, 12, 1, 12, 0)).hour == 12


# --- staff open the platform meeting only inside the booking (CALL-1, CALL-4) ------------------------

START_10 = dt.datetime(2026, 11, 10, 10, 0, tzinfo=LONDON)


def host_start(now, status=CallStatus.SCHEDULED):
    return policy.host_start_refusal(
        now=now, starts_at=START_10, ends_at=START_10 + dt.timedelta(minutes=30), window_minutes=15, status=status
    )


@pytest.mark.policy("CALL-1")
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START_10 - dt.timedelta(minutes=16), "This call can be started from 09:45 on Tue 10 Nov 2026"),
        (START_10 - dt.timedelta(minutes=15), None),
        (START_10 + dt.timedelta(minutes=29), None),
        (START_10 + dt.timedelta(minutes=30), "This call's booked time is over."),
    ],
)
def test_staff_start_the_meeting_only_from_the_window_to_the_booked_end(now, expected):
    refusal = host_start(now)

    assert refusal == expected if expected is None else expected in refusal


@pytest.mark.policy("CALL-4")
@pytest.mark.parametrize(
    "status", [CallStatus.AWAITING_PARENT, CallStatus.AWAITING_APPROVAL, CallStatus.DRAFT, CallStatus.CANCELLED, CallStatus.HELD]
)
def test_only_a_scheduled_call_can_be_started(status):
    assert host_start(START_10, status=status) == "Only a scheduled call can be started."
