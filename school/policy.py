"""Directory rules as pure functions (house style): no database, no settings, no clock."""

import datetime as dt


def too_many_removals(*, removals: int, on_roll: int, max_share: float) -> bool:
    """A sync run would mark more than `max_share` of the pupils on roll as left: stop and ask the
    office, since that is far more often a broken export or the wrong Wonde school than real leavers."""
    return on_roll > 0 and removals > max_share * on_roll


def sync_is_stale(*, last_success_at, first_run_at, now: dt.datetime, stale_after: dt.timedelta) -> bool:
    """No run has succeeded for `stale_after`: counted from the last success, or from the first
    try when none has succeeded; a sync that has never even started (beat not running) is stale."""
    if last_success_at is not None:
        return now - last_success_at > stale_after
    return first_run_at is None or now - first_run_at > stale_after
