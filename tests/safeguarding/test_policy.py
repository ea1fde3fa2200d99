"""The safeguarding rules as pure functions: no database, `now` passed in."""

import datetime as dt

import pytest

from safeguarding import policy
from safeguarding.choices import AlertReason, ConcernKind, EntryKind

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.mark.policy("SG-1")
@pytest.mark.parametrize(
    ("kind", "pupils", "words", "happened_at", "fields"),
    [
        (ConcernKind.SEEN_OR_HEARD, 1, "", NOW - dt.timedelta(hours=1), set()),
        (ConcernKind.DISCLOSURE, 2, "He hits me", NOW, set()),
        (ConcernKind.DISCLOSURE, 1, "   ", NOW, {"childs_words"}),
        (ConcernKind.OTHER, 0, "", NOW, {"pupils"}),
        (ConcernKind.OTHER, 1, "", NOW + dt.timedelta(minutes=4), set()),  # device clocks differ a little
        (ConcernKind.OTHER, 1, "", NOW + dt.timedelta(hours=1), {"happened_at"}),
    ],
)
def test_report_needs_pupils_a_past_time_and_the_childs_words_for_a_disclosure(kind, pupils, words, happened_at, fields):
    problems = policy.report_refusal(kind=kind, pupil_count=pupils, childs_words=words, happened_at=happened_at, now=NOW)

    assert set(problems) == fields


@pytest.mark.policy("SG-2")
@pytest.mark.parametrize(
    ("unavailable", "expected", "reason"),
    [
        (set(), {1}, AlertReason.NEW),
        ({1}, {2, 3}, AlertReason.DSL_UNAVAILABLE),
        ({1, 2}, {3}, AlertReason.DSL_UNAVAILABLE),
        ({1, 2, 3}, {1, 2, 3}, AlertReason.NOBODY_AVAILABLE),
    ],
)
def test_alert_goes_to_the_dsl_or_the_deputies_when_the_dsl_is_unavailable(unavailable, expected, reason):
    routing = policy.alert_routing(dsl_ids={1}, deputy_ids={2, 3}, unavailable_ids=unavailable, head_ids={9})

    assert routing.recipient_ids == expected
    assert routing.reason == reason


@pytest.mark.policy("SG-2")
def test_a_school_without_a_dsl_team_alerts_the_headteacher():
    routing = policy.alert_routing(dsl_ids=set(), deputy_ids=set(), unavailable_ids=set(), head_ids={9})

    assert routing.recipient_ids == {9}


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize(
    ("roles", "may_read"),
    [
        ({"dsl"}, True),
        ({"deputy_dsl", "teacher"}, True),
        ({"head"}, False),
        ({"deputy"}, False),
        ({"teacher"}, False),
        ({"office"}, False),
        ({"parent"}, False),
        (set(), False),
    ],
)
def test_only_the_dsl_and_deputy_dsls_read_concerns(roles, may_read):
    assert policy.may_read_concerns(roles) is may_read


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize(
    ("last", "needs"),
    [(None, True), (1000.0, False), (1000.0 - 899, False), (1000.0 - 900, True), (1000.0 - 5000, True)],
)
def test_opening_a_concern_needs_a_sign_in_within_the_window(last, needs):
    assert policy.needs_reauthentication(last_authenticated_at=last, now=1000.0, window_seconds=900) is needs


@pytest.mark.policy("SG-4")
@pytest.mark.parametrize(
    ("kind", "acknowledged", "closed", "has_text", "refused"),
    [
        (EntryKind.ACKNOWLEDGED, False, False, False, False),
        (EntryKind.ACKNOWLEDGED, True, False, False, True),
        (EntryKind.NOTE, False, False, True, False),
        (EntryKind.NOTE, False, False, False, True),
        (EntryKind.NOTE, True, True, True, False),  # notes may follow closure
        (EntryKind.ACTION, True, False, False, True),  # an action needs its details
        (EntryKind.ACTION, True, False, True, False),
        (EntryKind.ACTION, True, True, True, True),
        (EntryKind.CLOSED, False, False, True, True),
        (EntryKind.CLOSED, True, False, False, False),
        (EntryKind.CLOSED, True, True, False, True),
        (EntryKind.CORRECTION, True, True, False, True),
        (EntryKind.CORRECTION, True, True, True, False),
        (EntryKind.FURTHER_INFORMATION, False, False, True, False),
    ],
)
def test_chronology_entries_follow_the_concerns_story(kind, acknowledged, closed, has_text, refused):
    refusal = policy.entry_refusal(kind=kind, acknowledged=acknowledged, closed=closed, has_text=has_text)

    assert (refusal is not None) is refused


@pytest.mark.policy("SG-5")
@pytest.mark.parametrize(
    ("minutes_later", "acknowledged", "closed", "overdue"),
    [
        (59, False, False, False),
        (60, False, False, True),
        (600, False, False, True),
        (600, True, False, False),
        (600, False, True, False),
    ],
)
def test_a_concern_unacknowledged_for_the_set_time_is_overdue(minutes_later, acknowledged, closed, overdue):
    now = NOW + dt.timedelta(minutes=minutes_later)

    assert (
        policy.is_acknowledgement_overdue(raised_at=NOW, acknowledged=acknowledged, closed=closed, now=now, ack_minutes=60)
        is overdue
    )


@pytest.mark.policy("SG-5")
def test_overdue_counts_real_minutes_across_the_october_clock_change():
    # 00:30 UTC on 25 October 2026 is 01:30 BST; the clocks go back at 01:00 UTC.
    raised_at = dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)

    assert not policy.is_acknowledgement_overdue(
        raised_at=raised_at, acknowledged=False, closed=False, now=raised_at + dt.timedelta(minutes=59), ack_minutes=60
    )
    assert policy.is_acknowledgement_overdue(
        raised_at=raised_at, acknowledged=False, closed=False, now=raised_at + dt.timedelta(minutes=60), ack_minutes=60
    )


@pytest.mark.policy("SG-5")
def test_escalation_goes_to_the_deputy_dsls_and_the_headteacher():
    assert policy.escalation_recipient_ids(deputy_ids={2, 3}, head_ids={9}) == {2, 3, 9}


@pytest.mark.parametrize(
    ("minutes", "label"),
    [(0, "0 minutes"), (1, "1 minute"), (59, "59 minutes"), (60, "1 hour"), (47 * 60, "47 hours"), (72 * 60, "3 days")],
)
def test_ages_read_at_a_glance(minutes, label):
    assert policy.age_label(since=NOW, now=NOW + dt.timedelta(minutes=minutes)) == label
