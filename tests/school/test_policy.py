"""The directory's pure rules (school.policy)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from school import policy

NOW = dt.datetime(2026, 12, 4, 9, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)


@given(on_roll=st.integers(0, 2000), removals=st.integers(0, 2000), share=st.floats(0, 1))
def test_a_run_stops_exactly_when_removals_exceed_the_share(on_roll, removals, share):
    stops = policy.too_many_removals(removals=removals, on_roll=on_roll, max_share=share)
    assert stops == (on_roll > 0 and removals > share * on_roll)


def test_removal_examples():
    assert not policy.too_many_removals(removals=40, on_roll=400, max_share=0.1)
    assert policy.too_many_removals(removals=41, on_roll=400, max_share=0.1)
    assert not policy.too_many_removals(removals=5, on_roll=0, max_share=0.1)  # a first sync into an empty school


def test_stale_after_a_day_without_success():
    assert not policy.sync_is_stale(last_success_at=NOW - DAY, first_run_at=None, now=NOW, stale_after=DAY)
    assert policy.sync_is_stale(last_success_at=NOW - DAY - dt.timedelta(minutes=1), first_run_at=None, now=NOW, stale_after=DAY)
    assert not policy.sync_is_stale(last_success_at=None, first_run_at=NOW - dt.timedelta(hours=2), now=NOW, stale_after=DAY)
    assert policy.sync_is_stale(last_success_at=None, first_run_at=NOW - 2 * DAY, now=NOW, stale_after=DAY)
    assert policy.sync_is_stale(last_success_at=None, first_run_at=None, now=NOW, stale_after=DAY)  # never started
