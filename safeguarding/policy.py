"""The safeguarding rules as pure functions: plain values in, `now` passed in, no ORM."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from accounts.choices import DSL_TEAM
from accounts.reauth import needs_reauthentication  # noqa: F401 - SG-3 re-authentication window

from .choices import AlertReason, ConcernKind, EntryKind

# SG-1: a report of something that "happened" a little in the future is a clock difference
# between devices, not a mistake worth refusing.
CLOCK_SKEW = dt.timedelta(minutes=5)
DEFAULT_ACK_MINUTES = 60  # SG-5: SchoolSettings.concern_ack_minutes defaults to this


@dataclass(frozen=True)
class Routing:
    recipient_ids: frozenset
    reason: str


def may_read_concerns(roles: Iterable[str]) -> bool:
    """SG-3: only the DSL and deputy DSLs read concerns (not the head, not a superuser, not the reporter)."""
    return bool(frozenset(roles) & DSL_TEAM)


def report_refusal(*, kind: str, pupil_count: int, childs_words: str, happened_at: dt.datetime, now: dt.datetime) -> dict:
    """SG-1: what is missing from a concern report, as {field: message}; empty when it may be raised."""
    problems = {}
    if pupil_count < 1:
        problems["pupils"] = "Choose at least one pupil the concern is about."
    if kind == ConcernKind.DISCLOSURE and not (childs_words or "").strip():
        problems["childs_words"] = "For a disclosure, write down the child's own words, as exactly as you can."
    if happened_at > now + CLOCK_SKEW:
        problems["happened_at"] = "When it happened cannot be in the future."
    return problems


def alert_routing(*, dsl_ids, deputy_ids, unavailable_ids, head_ids=()) -> Routing:
    """SG-2: a new concern goes to the DSL, or to the deputy DSLs when the DSL is unavailable.

    Nobody is ever left out of the loop: with everyone marked unavailable the whole DSL team is
    alerted, and a school with no DSL team at all alerts the headteacher.
    """
    unavailable = frozenset(unavailable_ids)
    available_dsls = frozenset(dsl_ids) - unavailable
    if available_dsls:
        return Routing(available_dsls, AlertReason.NEW)
    available_deputies = frozenset(deputy_ids) - unavailable
    if available_deputies:
        return Routing(available_deputies, AlertReason.DSL_UNAVAILABLE)
    team = frozenset(dsl_ids) | frozenset(deputy_ids)
    return Routing(team or frozenset(head_ids), AlertReason.NOBODY_AVAILABLE)


def acknowledgement_due_at(*, raised_at: dt.datetime, ack_minutes: int) -> dt.datetime:
    return raised_at + dt.timedelta(minutes=ack_minutes)


def is_acknowledgement_overdue(
    *, raised_at: dt.datetime, acknowledged: bool, closed: bool, now: dt.datetime, ack_minutes: int
) -> bool:
    """SG-5: a concern not acknowledged within the school's set time is overdue (and escalates)."""
    if acknowledged or closed:
        return False
    return now >= acknowledgement_due_at(raised_at=raised_at, ack_minutes=ack_minutes)


def escalation_recipient_ids(*, deputy_ids, head_ids) -> frozenset:
    """SG-5: an overdue concern alerts the deputy DSLs and the headteacher."""
    return frozenset(deputy_ids) | frozenset(head_ids)


def entry_refusal(*, kind: str, acknowledged: bool, closed: bool, has_text: bool) -> str | None:
    """SG-4: why this chronology entry may not be added now, or None if it may."""
    if kind in {EntryKind.NOTE, EntryKind.CORRECTION, EntryKind.FURTHER_INFORMATION} and not has_text:
        return "Write what you want to add."
    if kind == EntryKind.ACTION and not has_text:
        # An action with no details tells the next DSL nothing: who was called, what was agreed.
        return "Write the details of the action: who, what was said or agreed."
    if kind == EntryKind.ACKNOWLEDGED and acknowledged:
        return "This concern has already been acknowledged."
    if kind == EntryKind.CLOSED and closed:
        return "This concern is already closed."
    if kind == EntryKind.CLOSED and not acknowledged:
        return "Acknowledge the concern before closing it."
    if kind == EntryKind.ACTION and closed:
        return "This concern is closed. Add a note, or raise a new concern."
    return None


def action_time_refusal(*, happened_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """SG-4: an action may be dated earlier than it was recorded, never later than now."""
    if happened_at and happened_at > now + CLOCK_SKEW:
        return "When it happened cannot be in the future."
    return None


def age_label(*, since: dt.datetime, now: dt.datetime) -> str:
    """How long ago, in words a busy DSL reads at a glance ("45 minutes", "3 hours", "2 days")."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = hours // 24
    return f"{days} days"
