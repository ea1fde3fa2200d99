"""Consent rules as pure functions (no ORM, no clock): `now` and loaded values come in."""

import datetime as dt
from dataclasses import dataclass

from .choices import Audience, ConsentState, Method, Scope
from .choices import Decision as Choice


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def may_decide_consent(*, has_parental_responsibility: bool) -> Decision:
    """CON-5: only a guardian with parental responsibility decides consent for a child."""
    if not has_parental_responsibility:
        return Decision(False, "Only a parent or carer with parental responsibility can decide consent for this child.")
    return Decision(True)


# CON-4: the ways a decision reaches the school other than the parent clicking online.
STAFF_ENTRY_METHODS = frozenset({Method.PHONE, Method.PAPER, Method.BLOG})


def entry_method_allowed(*, entered_by_guardian: bool, method: str) -> Decision:
    """CON-4: a guardian's own decision is "online"; staff entering one for a guardian say how it
    reached them (phone, paper, blog), so the record never passes staff entries off as the parent's."""
    if entered_by_guardian and method != Method.ONLINE:
        return Decision(False, "A decision you make yourself is recorded as made online.")
    if not entered_by_guardian and method not in STAFF_ENTRY_METHODS:
        return Decision(False, "Say how the parent or carer told the school: by phone, on paper or via the blog.")
    return Decision(True)


def current_state(latest_decision: str | None) -> str:
    """CON-5: the state shown for one pupil and scope, from the latest decision by a guardian
    with parental responsibility (None when nobody has ever answered)."""
    if latest_decision == Choice.GIVEN:
        return ConsentState.GIVEN
    if latest_decision == Choice.WITHDRAWN:
        return ConsentState.WITHDRAWN
    return ConsentState.NEVER_ANSWERED


def may_take_part(latest_decision: str | None) -> bool:
    """CON-1: a pupil takes part in a video call only while consent is in force."""
    return latest_decision == Choice.GIVEN


def recording_allowed(latest_recording_decisions: list[str | None]) -> bool:
    """CON-6: a lesson is recorded only if every pupil in it has recording consent in force.
    A lesson without pupils needs nobody's permission."""
    return all(decision == Choice.GIVEN for decision in latest_recording_decisions)


def guidance_due(*, scope: str, decision: str, guardian_gave_before: bool) -> bool:
    """COM-3: the guidance goes to a guardian when they first give video-call consent for a child,
    so it reaches them before the child's first lesson (and once, not on every change of mind)."""
    return scope == Scope.VIDEO_CALLS and decision == Choice.GIVEN and not guardian_gave_before


# A guardian who has never answered hears from the school at most once a week.
REMINDER_INTERVAL = dt.timedelta(days=7)


def reminder_due(*, last_sent_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Staff view: may a reminder go to a guardian who has never answered? Not more than one a week."""
    return last_sent_at is None or now - last_sent_at >= REMINDER_INTERVAL


def versions_still_current(*, shown_policy_id, current_policy_id, shown_guidance_id, current_guidance_id) -> Decision:
    """CON-5: a decision records the policy and guidance versions the person was shown; if either
    changed while the page was open, they must read the new one before deciding."""
    if shown_policy_id != current_policy_id or shown_guidance_id != current_guidance_id:
        return Decision(False, "The policy or guidance was updated while this page was open. Please read it again and confirm.")
    return Decision(True)


def acknowledgement_allowed(
    *, audience: str, is_current: bool, for_child: bool, is_guardian_of_child: bool, is_parent: bool, is_staff: bool
) -> Decision:
    """CON-7: parents acknowledge the parents' guidance for themselves and the pupils' guidance on
    behalf of their own children; staff acknowledge the staff guidance. Only the version in force."""
    if not is_current:
        return Decision(False, "This version has been replaced. Please read the current version.")
    if audience == Audience.PUPILS:
        allowed = for_child and is_guardian_of_child
    elif audience == Audience.PARENTS:
        allowed = not for_child and is_parent
    else:
        allowed = not for_child and is_staff
    if not allowed:
        return Decision(False, "You cannot acknowledge this guidance.")
    return Decision(True)
