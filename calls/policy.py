"""The calls rules as pure functions: plain values in, a plain-English problem (or None) out.

No ORM and no clock: `now` and the school calendar are passed in. Each function cites its rule.
Forms call these for early feedback; calls.services calls them again and is authoritative.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .choices import CallKind, CallStatus

LONDON = ZoneInfo("Europe/London")
# CALL-6: "teachers will wait 5 minutes then the call will be locked".
LATE_LOCK = dt.timedelta(minutes=5)
# CALL-3: "there will always be two members of staff present on the call".
ONE_TO_ONE_STAFF = 2
# The longest call the form offers; anything longer is a typing slip.
MAX_DURATION = dt.timedelta(hours=3)
# How far ahead a call may be booked: term dates are set a year or so ahead; a date beyond this is a
# typing slip (and 9999-12-31 23:00 plus three hours is past the end of the calendar).
BOOKING_HORIZON = dt.timedelta(days=2 * 366)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def _day(value) -> str:
    """A date as every screen says it, with its year: "Mon 7 Dec 2026" (toolkit/dates.py)."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def local(moment: dt.datetime) -> dt.datetime:
    """The school's wall-clock time for an aware datetime (BST or GMT as the date requires)."""
    return moment.astimezone(LONDON)


def _closure_on(day: dt.date, closures) -> str | None:
    for start, end, reason in closures:
        if start <= day <= end:
            return reason
    return None


def school_hours_problem(*, starts_at: dt.datetime, ends_at: dt.datetime, calendar: dict) -> str | None:
    """CALL-1: a call happens within normal school hours, on a school day in term, not on a closure.

    Both ends are converted to Europe/London separately, so a call is judged by the clock on the
    classroom wall on that date (BST in summer, GMT in winter), whatever UTC says.
    """
    start, end = local(starts_at), local(ends_at)
    day = start.date()
    if end.date() != day:
        return "A call must start and end on the same school day."
    hours = calendar["hours"].get(day.weekday())
    if hours is None:
        return f"{start:%A} is not a school day. Calls happen only within normal school hours."
    if not any(term_start <= day <= term_end for term_start, term_end in calendar["terms"]):
        return f"{_day(day)} is outside term dates. Calls happen only in term time."
    closure = _closure_on(day, calendar["closures"])
    if closure:
        return f"The school is closed on {_day(day)} ({closure})."
    opens, closes = hours
    if start.time() < opens or end.time() > closes:
        return (
            f"School hours on {start:%A}s are {opens:%H:%M} to {closes:%H:%M} (UK time); "
            f"this call would run {start:%H:%M} to {end:%H:%M}."
        )
    return None


def notice_problem(*, starts_at: dt.datetime, now: dt.datetime, min_notice_hours: int) -> str | None:
    """Calls are booked at least the school's minimum notice ahead, so families can be told (COM-1)."""
    if starts_at <= now:
        return "The start time has already passed."
    if starts_at - now < dt.timedelta(hours=min_notice_hours):
        return f"Calls must be booked at least {min_notice_hours} hour{'s' if min_notice_hours != 1 else ''} ahead."
    return None


def booking_bounds_problem(*, starts_at: dt.datetime, duration_minutes: int, now: dt.datetime) -> dict[str, str]:
    """CALL-1 (bounded input): a start within BOOKING_HORIZON of now and a length the form offers,
    checked before any date arithmetic. {field: problem}; empty when both are in bounds."""
    problems = {}
    if starts_at - now > BOOKING_HORIZON:
        problems["starts_at"] = "A call can be booked at most two years ahead."
    if not 0 < duration_minutes <= MAX_DURATION / dt.timedelta(minutes=1):
        problems["duration_minutes"] = "A call lasts between 1 minute and 3 hours."
    return problems


def duration_problem(*, duration: dt.timedelta) -> str | None:
    if duration <= dt.timedelta(0):
        return "A call must last at least one minute."
    if duration > MAX_DURATION:
        return "A call can last at most 3 hours."
    return None


def group_staffing_problem(*, host_id: int, second_staff_id: int | None, single_staff_reason: str) -> str | None:
    """CALL-2: a group call has two staff, or a recorded reason why only one is possible."""
    if second_staff_id is not None and second_staff_id == host_id:
        return "The second member of staff must be a different person from the host."
    if second_staff_id is None and not single_staff_reason.strip():
        return "Add a second member of staff, or record why only one member of staff can be present."
    return None


def one_to_one_staffing_problem(*, host_id: int, second_staff_id: int | None) -> str | None:
    """CALL-3: a one-to-one call always has two different members of staff."""
    if second_staff_id is None:
        return "A one-to-one call always needs a second member of staff."
    if second_staff_id == host_id:
        return "A one-to-one call needs two different members of staff."
    return None


def staffing_problem(*, kind: str, host_id: int, second_staff_id: int | None, single_staff_reason: str) -> str | None:
    """CALL-2 for group calls, CALL-3 for one-to-ones."""
    if kind == CallKind.ONE_TO_ONE:
        return one_to_one_staffing_problem(host_id=host_id, second_staff_id=second_staff_id)
    return group_staffing_problem(host_id=host_id, second_staff_id=second_staff_id, single_staff_reason=single_staff_reason)


def is_single_staffed(*, kind: str, second_staff_id: int | None) -> bool:
    """CALL-2: flag for the head's overview."""
    return kind == CallKind.GROUP and second_staff_id is None


def invitees_problem(*, kind: str, invited_count: int, consenting_count: int) -> str | None:
    """CON-1: only pupils with video-call consent take part; a one-to-one is with exactly one pupil."""
    if invited_count == 0:
        return "Choose a class or at least one pupil."
    if kind == CallKind.ONE_TO_ONE and invited_count != 1:
        return "A one-to-one call is with exactly one pupil."
    if consenting_count == 0:
        if kind == CallKind.ONE_TO_ONE:
            return "This pupil has no consent for video calls in force, so they cannot have a call."
        return "None of these pupils has consent for video calls in force."
    return None


def recording_problem(*, record: bool, pupil_names_without_permission: Iterable[str]) -> str | None:
    """CON-6: a lesson with pupils is recorded only if every pupil in it has recording permission."""
    missing = sorted(pupil_names_without_permission)
    if not record or not missing:
        return None
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return f"This call cannot be recorded: no recording permission for {shown}."


def double_booking_problem(*, busy_people: Iterable[str]) -> str | None:
    """Nobody (staff member or pupil) is in two overlapping calls."""
    names = sorted(set(busy_people))
    if not names:
        return None
    return f"Already in another call at this time: {', '.join(names[:5])}{' and others' if len(names) > 5 else ''}."


def may_decide_approval(*, approver_id: int, approver_is_leadership: bool, booked_by_id: int, staff_ids: set[int]) -> Decision:
    """CALL-4: the headteacher or deputy approves; nobody approves a call they booked or staff."""
    if not approver_is_leadership:
        return Decision(False, "Only the headteacher or deputy head can approve one-to-one calls.")
    if approver_id == booked_by_id:
        return Decision(False, "You booked this call, so someone else must approve it.")
    if approver_id in staff_ids:
        return Decision(False, "You are staffing this call, so someone else must approve it.")
    return Decision(True)


def join_details_may_go_out(*, kind: str, status: str) -> bool:
    """CALL-4: join details go out for a scheduled call; for a one-to-one that status means the
    parent agreed to this date and time and the head or deputy approved it."""
    return status == CallStatus.SCHEDULED


def put_back_refusal(
    *,
    consent_in_force: bool,
    kind: str,
    status: str,
    starts_at: dt.datetime,
    now: dt.datetime,
    call_class_id: int | None,
    pupil_class_id: int | None,
    on_roll: bool,
) -> str | None:
    """CON-1, CON-3 (issue 19): why a child taken off a call when consent was withdrawn may not be
    put back on it after consent is given again, or None if they may. Only a group call that is
    still scheduled and not yet started, for the child's own class if it is a class call; a
    one-to-one was cancelled by the withdrawal and must be booked and agreed afresh (CALL-4)."""
    if not consent_in_force:
        return "Consent for video calls is not in force for this child."
    if not on_roll:
        return "This child is no longer on the school roll."
    if kind != CallKind.GROUP:
        return "A one-to-one that was cancelled must be booked again by the teacher."
    if status != CallStatus.SCHEDULED:
        return "This call is no longer going ahead."
    if starts_at <= now:
        return "This call has already started."
    if call_class_id is not None and call_class_id != pupil_class_id:
        return "This call is for a class your child is no longer in."
    return None


def join_details_due(*, starts_at: dt.datetime, now: dt.datetime, lead_hours: int) -> bool:
    """COM-4: join emails go out the school's lead time before the call (at once if booked later),
    and never after the call is locked."""
    return starts_at - dt.timedelta(hours=lead_hours) <= now < starts_at + LATE_LOCK


# Why a join link refuses the person holding it (issue 16: a join link is not a bearer token).
SIGN_IN_TO_JOIN = "This link is for a parent or carer with a portal account: please sign in to the portal, then press Join again."
NOT_YOUR_LINK = (
    "This join link was sent to another parent or carer, so it does not work for the account signed in here. "
    "The call's host has been told."
)
LINK_IN_USE_ELSEWHERE = (
    "This join link has already been used in another browser, and each link works in one browser only. "
    "If it is your link (a new phone or computer, or cookies cleared), please contact the school: "
    "they can send you a new link. "
    "The call's host has been told."
)


def join_holder_refusal(
    *, guardian_user_id: int | None, signed_in_user_id: int | None, held_by: str, this_browser: str
) -> str | None:
    """COM-4, CON-1: who may use a family's join link, or None if the person holding it may.

    A link is one guardian's: where they have an account, only that account, signed in, may
    use it; where they have none, only the first browser it admitted (`held_by` is that
    browser's key, "" until then). Anyone else holding the link is refused.
    """
    if guardian_user_id is not None:
        if signed_in_user_id is None:
            return SIGN_IN_TO_JOIN
        return None if signed_in_user_id == guardian_user_id else NOT_YOUR_LINK
    if held_by and held_by != this_browser:
        return LINK_IN_USE_ELSEWHERE
    return None


def host_told_of_refusal(reason: str | None) -> bool:
    """Whether a refusal means someone other than the family holds their link (the host is told)."""
    return reason in (NOT_YOUR_LINK, LINK_IN_USE_ELSEWHERE)


def join_refusal(
    *,
    now: dt.datetime,
    starts_at: dt.datetime,
    window_minutes: int,
    kind: str,
    status: str,
    consent_in_force: bool,
    still_invited: bool,
    link_revoked: bool,
    guardian_entitled: bool = True,
) -> str | None:
    """CON-1, CALL-4, CALL-6 (and COM-4): why a family's join link may not be used at this moment, or None."""
    if link_revoked:
        return "This join link has been cancelled. Please use the most recent email from the school."
    if not guardian_entitled:
        return "This link was for a parent or carer who no longer receives join details for this child."
    if not consent_in_force:
        return "Consent for video calls is not in force for this child, so they cannot join."
    if not still_invited:
        return "This child is no longer invited to this call."
    if status == CallStatus.CANCELLED:
        return "This call has been cancelled."
    if status == CallStatus.HELD:
        return "This call has already taken place."
    if not join_details_may_go_out(kind=kind, status=status):
        if kind == CallKind.ONE_TO_ONE:
            return "This one-to-one call has not yet been agreed by a parent or carer and approved by the headteacher or deputy."
        return "This call is not scheduled yet."
    opens_at = starts_at - dt.timedelta(minutes=window_minutes)
    if now < opens_at:
        opens = local(opens_at)
        return f"This call opens at {opens:%H:%M} on {_day(opens)}, {window_minutes} minutes before it starts."
    if now >= starts_at + LATE_LOCK:
        return (
            "This call was locked 5 minutes after it started, so nobody else can join. "
            "Please contact the school if your child missed it."
        )
    return None


def host_start_refusal(
    *, now: dt.datetime, starts_at: dt.datetime, ends_at: dt.datetime, window_minutes: int, status: str
) -> str | None:
    """CALL-1, CALL-4: why staff may not open the platform meeting now, or None if they may.

    Staff open it from when the families' join window opens until the booked end, and only for a
    scheduled call (for a one-to-one: agreed and approved), so no meeting runs outside its booking.
    """
    if status != CallStatus.SCHEDULED:
        return "Only a scheduled call can be started."
    opens_at = starts_at - dt.timedelta(minutes=window_minutes)
    if now < opens_at:
        opens = local(opens_at)
        return f"This call can be started from {opens:%H:%M} on {_day(opens)}, {window_minutes} minutes before it starts."
    if now >= ends_at:
        return "This call's booked time is over."
    return None


def week_starting(day: dt.date) -> dt.date:
    """The Monday of the school week after `day` (the coming week a timetable covers, COM-2)."""
    return day + dt.timedelta(days=7 - day.weekday())
