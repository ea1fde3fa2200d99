"""Consent rules as pure functions (no ORM, no clock)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def may_decide_consent(*, has_parental_responsibility: bool) -> Decision:
    """CON-5: only a guardian with parental responsibility decides consent for a child."""
    if not has_parental_responsibility:
        return Decision(False, "Only a parent or carer with parental responsibility can decide consent for this child.")
    return Decision(True)
