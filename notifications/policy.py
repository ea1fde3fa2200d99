"""Who may be written to, and how (COM-4, COM-5). Pure functions: plain values in, a Decision out.

Delivery rules that are not policy rules (retry timing, which SMTP answers are final) live
here too, because they are pure and tested the same way.
"""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


ALLOWED = Decision(True)

# Kinds of email that may go to a pupil's own address. Only a staff message, which has
# passed staff_message_decision() with a colleague copied in (COM-5).
PUPIL_ADDRESS_KINDS = frozenset({"staff-message"})


def outbox_address_decision(*, kind: str, to_is_pupil_address: bool, cc_is_pupil_address: bool, has_cc: bool) -> Decision:
    """COM-4, COM-5: the last check before any email is written to the outbox.

    Join details, notices and alerts never go to a pupil's own address, in To or in CC. Only a
    staff message may, and only with another member of staff copied in.
    """
    if cc_is_pupil_address:
        return Decision(False, "A pupil's own address can never be copied into an email.")
    if not to_is_pupil_address:
        return ALLOWED
    if kind not in PUPIL_ADDRESS_KINDS:
        return Decision(False, "Notices and join details go only to parents' and carers' addresses, never to a pupil's own.")
    if not has_cc:
        return Decision(False, "Email to a pupil's own address must copy in another member of staff.")
    return ALLOWED


def staff_message_decision(*, to_pupil_address: bool, author_id: int, copied_staff_ids, relevant_staff_ids) -> Decision:
    """COM-5: staff write to families through parents' addresses as they are; a message to a
    pupil's personal address is sent only with another relevant member of staff copied in.

    "Relevant" means a colleague who may see this pupil in the portal (the class teacher,
    leadership, the DSL team or the office); the author does not count.
    """
    if not to_pupil_address:
        return ALLOWED
    colleagues = (set(copied_staff_ids) & set(relevant_staff_ids)) - {author_id}
    if not colleagues:
        return Decision(
            False,
            "To write to a pupil's own email address, copy in another member of staff who works with this pupil.",
        )
    return ALLOWED


# SMTP reply codes 5xx are final ("mailbox does not exist"); 4xx and lost connections are not.
PERMANENT_SMTP_CODES = range(500, 600)
MAX_RETRY_WAIT = dt.timedelta(hours=1)


def is_permanent_smtp_failure(codes) -> bool:
    """True when every SMTP reply code given is a permanent (5xx) refusal. No code: temporary."""
    codes = [c for c in codes if c]
    return bool(codes) and all(c in PERMANENT_SMTP_CODES for c in codes)


def next_attempt_at(*, attempts: int, now: dt.datetime, first_wait: dt.timedelta) -> dt.datetime:
    """When to try again after `attempts` failed tries: first_wait, doubling, at most an hour."""
    wait = first_wait * (2 ** min(max(attempts - 1, 0), 16))
    return now + min(wait, MAX_RETRY_WAIT)


def gives_up(*, attempts: int, max_attempts: int) -> bool:
    """After this many temporary failures the row is FAILED for staff to look at."""
    return attempts >= max_attempts
