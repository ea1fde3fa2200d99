"""Governance rules as pure functions (no ORM, no clock): `now`/`today` is always passed in."""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


# --- GOV-1, COM-6: the annual review -------------------------------------------------------

# "Frequency of review: Annually"
REVIEW_INTERVAL_YEARS = 1
# GOV-1: the head is reminded this many days before the review falls due.
REVIEW_REMINDER_DAYS = (30, 7)


def _day(value) -> str:
    """A date as every screen says it, with its year: "Mon 7 Dec 2026" (toolkit/dates.py)."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def next_review_on(*, agreed_on: dt.date | None, set_on: dt.date | None = None, today: dt.date) -> dt.date:
    """GOV-1: the next review is the date the head set, else a year after governors agreed,
    else (nothing agreed yet) a year from today."""
    if set_on is not None:
        return set_on
    return add_years(agreed_on or today, REVIEW_INTERVAL_YEARS)


def review_overdue(*, next_review_on: dt.date, today: dt.date) -> bool:
    """GOV-1: the review date has passed; the head's dashboard turns red."""
    return today > next_review_on


def review_reminder_due(*, next_review_on: dt.date, today: dt.date) -> int | None:
    """GOV-1: which reminder (30 or 7 days before) is due today, or None.

    Each falls due once its day is reached and stays due, so a sweep that missed a day (or a
    version published with less than 30 days to go) still reminds; the outbox's dedupe key
    makes each reminder go once.
    """
    days_left = (next_review_on - today).days
    for lead in sorted(REVIEW_REMINDER_DAYS):
        if days_left <= lead:
            return lead
    return None


def may_publish(*, agreed_on: dt.date | None, already_published: bool, today: dt.date) -> Decision:
    """GOV-1: a version is published once, after the governors have agreed it."""
    if already_published:
        return Decision(False, "This version is already published. Draft a new version to change the policy.")
    if agreed_on is None:
        return Decision(False, "Record the date the governors agreed this version before publishing it.")
    if agreed_on > today:
        return Decision(False, "The governors' agreement date cannot be in the future.")
    return Decision(True)


def may_edit_version(*, already_published: bool) -> Decision:
    """GOV-1: a published version is the public record; changes go into a new draft."""
    if already_published:
        return Decision(False, "A published version cannot be changed. Draft a new version instead.")
    return Decision(True)


# --- Leavers (GOV-4 and COM-4: no join details for a pupil who has left) -------------------


def may_mark_left(*, already_left_on: dt.date | None, left_on: dt.date, today: dt.date) -> Decision:
    """A pupil is marked as left once, on or after the day they leave."""
    if already_left_on is not None:
        return Decision(False, f"This pupil was already marked as left on {_day(already_left_on)}.")
    if left_on > today:
        return Decision(False, "Mark a pupil as left on or after their last day, not in advance.")
    return Decision(True)


def guardian_account_closes(*, children_on_roll: int, holds_staff_role: bool) -> bool:
    """A guardian's sign-in closes when no child of theirs remains on roll. A member of staff
    who is also a parent keeps their account for their work."""
    return children_on_roll == 0 and not holds_staff_role


# --- Retention (GOV-4) ---------------------------------------------------------------------

# Safeguarding records are kept until the pupil's 25th birthday (safeguarding retention rule).
SAFEGUARDING_KEEP_UNTIL_AGE = 25


def retention_cutoff(*, now: dt.datetime, years: int) -> dt.datetime:
    """GOV-4: a record kept for `years` from when it was made has expired when it was made
    before this moment."""
    return add_years(now, -years)


def leaver_cutoff(*, years_after_leaving: int, today: dt.date) -> dt.date:
    """GOV-4: a record kept while the pupil is on roll and `years_after_leaving` after has
    expired when the pupil left on or before this day."""
    return add_years(today, -years_after_leaving)


def safeguarding_cutoff(*, today: dt.date, until_age: int = SAFEGUARDING_KEEP_UNTIL_AGE) -> dt.date:
    """GOV-4, safeguarding retention rule: kept until the pupil's 25th birthday (the school's
    schedule may set another age), so a record has expired once every pupil it names was born
    on or before this day."""
    return add_years(today, -until_age)


# --- CSV exports ---------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
