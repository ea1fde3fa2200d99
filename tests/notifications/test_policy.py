"""The rules of notifications.policy, without a database."""

import datetime as dt

import pytest

from notifications import policy

NOW = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # the night the clocks go back


@pytest.mark.policy("COM-4")
@pytest.mark.parametrize(
    ("kind", "to_pupil", "cc_pupil", "has_cc", "allowed"),
    [
        ("join-details", False, False, False, True),  # a parent's own address
        ("join-details", True, False, False, False),  # never a pupil's address
        ("join-details", True, False, True, False),  # not even with staff copied in
        ("join-details", False, True, True, False),  # never a pupil in CC
        ("timetable", True, False, False, False),
        ("staff-message", False, True, True, False),  # a pupil's address is never a copy
    ],
)
def test_family_notices_never_reach_a_pupils_own_address(kind, to_pupil, cc_pupil, has_cc, allowed):
    decision = policy.outbox_address_decision(
        kind=kind, to_is_pupil_address=to_pupil, cc_is_pupil_address=cc_pupil, has_cc=has_cc
    )

    assert decision.allowed is allowed
    assert bool(decision.reason) is not allowed


@pytest.mark.policy("COM-5")
@pytest.mark.parametrize(
    ("has_cc", "allowed"),
    [(False, False), (True, True)],
)
def test_outbox_accepts_a_staff_message_to_a_pupil_only_with_a_copy(has_cc, allowed):
    decision = policy.outbox_address_decision(
        kind="staff-message", to_is_pupil_address=True, cc_is_pupil_address=False, has_cc=has_cc
    )

    assert decision.allowed is allowed


AUTHOR, CLASS_TEACHER, HEAD, STRANGER = 1, 2, 3, 4
RELEVANT = {AUTHOR, CLASS_TEACHER, HEAD}


@pytest.mark.policy("COM-5")
@pytest.mark.parametrize(
    ("to_pupil", "copied", "allowed"),
    [
        (False, [], True),  # to a guardian: sent as is
        (False, [STRANGER], True),
        (True, [], False),  # to a pupil: nobody copied
        (True, [AUTHOR], False),  # copying yourself is not another member of staff
        (True, [STRANGER], False),  # a colleague who does not work with the pupil
        (True, [CLASS_TEACHER], True),
        (True, [AUTHOR, HEAD], True),
    ],
)
def test_staff_message_to_a_pupil_needs_another_relevant_colleague_copied(to_pupil, copied, allowed):
    decision = policy.staff_message_decision(
        to_pupil_address=to_pupil, author_id=AUTHOR, copied_staff_ids=copied, relevant_staff_ids=RELEVANT
    )

    assert decision.allowed is allowed
    if not allowed:
        assert "copy in another member of staff" in decision.reason


@pytest.mark.parametrize(
    ("codes", "permanent"),
    [([550], True), ([550, 553], True), ([450], False), ([550, 451], False), ([], False), ([None], False), ([421], False)],
)
def test_only_5xx_replies_are_permanent(codes, permanent):
    assert policy.is_permanent_smtp_failure(codes) is permanent


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [
        (1, dt.timedelta(minutes=1)),
        (2, dt.timedelta(minutes=2)),
        (4, dt.timedelta(minutes=8)),
        (7, dt.timedelta(hours=1)),
        (500, dt.timedelta(hours=1)),
    ],
)
def test_retries_back_off_doubling_up_to_an_hour(attempts, wait):
    assert policy.next_attempt_at(attempts=attempts, now=NOW, first_wait=dt.timedelta(minutes=1)) == NOW + wait


def test_backoff_is_in_absolute_time_across_the_clock_change():
    local = dt.timezone(dt.timedelta(hours=1))
    before_change = NOW.astimezone(local)

    retry_at = policy.next_attempt_at(attempts=1, now=before_change, first_wait=dt.timedelta(hours=1))

    assert retry_at - before_change == dt.timedelta(hours=1)


@pytest.mark.parametrize(("attempts", "gives_up"), [(1, False), (9, False), (10, True), (11, True)])
def test_gives_up_after_the_last_attempt(attempts, gives_up):
    assert policy.gives_up(attempts=attempts, max_attempts=10) is gives_up
