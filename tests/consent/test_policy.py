"""The consent rules as pure functions: no database, `now` passed in."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from consent import policy
from consent.choices import Audience, ConsentState, Decision, Method, Scope

LONDON = ZoneInfo("Europe/London")


@pytest.mark.policy("CON-1")
@pytest.mark.parametrize(
    ("latest", "takes_part"),
    [(Decision.GIVEN, True), (Decision.WITHDRAWN, False), (None, False)],
)
def test_only_a_pupil_with_consent_in_force_takes_part(latest, takes_part):
    assert policy.may_take_part(latest) is takes_part


@pytest.mark.policy("CON-5")
@pytest.mark.parametrize(
    ("latest", "state"),
    [(Decision.GIVEN, ConsentState.GIVEN), (Decision.WITHDRAWN, ConsentState.WITHDRAWN), (None, ConsentState.NEVER_ANSWERED)],
)
def test_current_state_is_the_latest_decision(latest, state):
    assert policy.current_state(latest) == state


@pytest.mark.policy("CON-5")
@pytest.mark.parametrize(("responsible", "allowed"), [(True, True), (False, False)])
def test_only_parental_responsibility_decides(responsible, allowed):
    assert policy.may_decide_consent(has_parental_responsibility=responsible).allowed is allowed


@pytest.mark.policy("CON-4")
@pytest.mark.parametrize(
    ("by_guardian", "method", "allowed"),
    [
        (True, Method.ONLINE, True),
        (True, Method.PHONE, False),
        (False, Method.PHONE, True),
        (False, Method.PAPER, True),
        (False, Method.BLOG, True),
        (False, Method.ONLINE, False),
    ],
)
def test_staff_entries_say_how_the_decision_reached_the_school(by_guardian, method, allowed):
    verdict = policy.entry_method_allowed(entered_by_guardian=by_guardian, method=method)

    assert verdict.allowed is allowed
    assert bool(verdict.reason) is not allowed


@pytest.mark.policy("CON-6")
@pytest.mark.parametrize(
    ("decisions", "allowed"),
    [
        ([Decision.GIVEN, Decision.GIVEN], True),
        ([Decision.GIVEN, None], False),
        ([Decision.GIVEN, Decision.WITHDRAWN], False),
        ([None], False),
        ([], True),
    ],
)
def test_recording_needs_every_pupils_permission(decisions, allowed):
    assert policy.recording_allowed(decisions) is allowed


@pytest.mark.policy("COM-3")
@pytest.mark.parametrize(
    ("scope", "decision", "gave_before", "due"),
    [
        (Scope.VIDEO_CALLS, Decision.GIVEN, False, True),
        (Scope.VIDEO_CALLS, Decision.GIVEN, True, False),
        (Scope.VIDEO_CALLS, Decision.WITHDRAWN, False, False),
        (Scope.RECORDING, Decision.GIVEN, False, False),
    ],
)
def test_guidance_goes_out_when_video_consent_is_first_given(scope, decision, gave_before, due):
    assert policy.guidance_due(scope=scope, decision=decision, guardian_gave_before=gave_before) is due


@pytest.mark.parametrize(
    ("last_sent", "now", "due"),
    [
        (None, dt.datetime(2026, 10, 1, 9, tzinfo=LONDON), True),
        (dt.datetime(2026, 10, 1, 9, tzinfo=LONDON), dt.datetime(2026, 10, 7, 9, tzinfo=LONDON), False),
        (dt.datetime(2026, 10, 1, 9, tzinfo=LONDON), dt.datetime(2026, 10, 8, 9, tzinfo=LONDON), True),
        # Across the October clock change a week is still 7 x 24 hours, not a calendar week.
        (dt.datetime(2026, 10, 22, 9, tzinfo=LONDON), dt.datetime(2026, 10, 29, 8, 30, tzinfo=LONDON), False),
        (dt.datetime(2026, 10, 22, 9, tzinfo=LONDON), dt.datetime(2026, 10, 29, 9, tzinfo=LONDON), True),
    ],
)
def test_reminders_at_most_once_a_week(last_sent, now, due):
    assert policy.reminder_due(last_sent_at=last_sent, now=now) is due


@pytest.mark.policy("CON-5")
def test_a_decision_needs_the_versions_shown_to_still_be_current():
    same = policy.versions_still_current(shown_policy_id=1, current_policy_id=1, shown_guidance_id=2, current_guidance_id=2)
    changed = policy.versions_still_current(shown_policy_id=1, current_policy_id=3, shown_guidance_id=2, current_guidance_id=2)

    assert same.allowed
    assert not changed.allowed
    assert "updated" in changed.reason


@pytest.mark.policy("CON-7")
@pytest.mark.parametrize(
    ("audience", "current", "for_child", "guardian_of_child", "parent", "staff", "allowed"),
    [
        (Audience.PARENTS, True, False, False, True, False, True),
        (Audience.PARENTS, True, False, False, False, True, False),
        (Audience.PARENTS, False, False, False, True, False, False),
        (Audience.PUPILS, True, True, True, True, False, True),
        (Audience.PUPILS, True, True, False, True, False, False),
        (Audience.PUPILS, True, False, False, True, False, False),
        (Audience.STAFF, True, False, False, False, True, True),
        (Audience.STAFF, True, False, False, True, False, False),
        (Audience.STAFF, True, True, True, True, True, False),
    ],
)
def test_who_acknowledges_which_guidance(audience, current, for_child, guardian_of_child, parent, staff, allowed):
    verdict = policy.acknowledgement_allowed(
        audience=audience,
        is_current=current,
        for_child=for_child,
        is_guardian_of_child=guardian_of_child,
        is_parent=parent,
        is_staff=staff,
    )

    assert verdict.allowed is allowed
