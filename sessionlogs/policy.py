"""The session-log and welfare-contact rules as pure functions: plain values in, a problem (or None) out.

No ORM and no clock: `now` and the school calendar are passed in. Each function cites its rule.
services.py calls these and is authoritative; forms may call them for early feedback.
"""

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from calls.choices import CallKind, CallStatus
from calls.policy import LATE_LOCK, local, school_hours_problem

from .choices import Attendance, ContactMethod, UnacceptableUse

# A session that ran longer than this is a typing slip (calls may be booked for at most 3 hours).
LONGEST_SESSION = dt.timedelta(hours=4)
# Calls in these states may have been held, so they can have a log.
LOGGABLE_STATUSES = (CallStatus.SCHEDULED, CallStatus.HELD)
# LOG-4: a missing log is chased and listed for about a term after the call started. The sweep
# runs every 10 minutes, so every call is chased long before this; older gaps stay counted and
# listed in the compliance overview for their term. Bounding by the start keeps the dashboards'
# "missing logs" on the calls' (status, starts_at) index instead of every call ever held.
CHASE_WINDOW = dt.timedelta(days=90)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


ALLOWED = Decision(True)


def _names(names: Iterable[str]) -> str:
    shown = sorted(names)
    return ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")


# --- writing a log (LOG-1..LOG-3) ----------------------------------------------------------------


def may_write_log(*, status: str, starts_at: dt.datetime, now: dt.datetime, has_log: bool) -> Decision:
    """LOG-1: a log is written once, for a call that was scheduled and has started."""
    if has_log:
        return Decision(False, "This call already has a session log. Correct it instead.")
    if status not in LOGGABLE_STATUSES:
        return Decision(False, "Only a scheduled call that took place can have a session log.")
    if starts_at > now:
        return Decision(False, "This call has not started yet.")
    return ALLOWED


def session_times_problem(*, started_at: dt.datetime, ended_at: dt.datetime, now: dt.datetime) -> str | None:
    """LOG-1: the actual start and end (the length follows), on one day, not in the future."""
    if ended_at <= started_at:
        return "The end must be after the start."
    if ended_at > now:
        return "The end is in the future. Write the log once the session has finished."
    if local(started_at).date() != local(ended_at).date():
        return "A session starts and ends on the same day."
    if ended_at - started_at > LONGEST_SESSION:
        return "A session can last at most 4 hours. Please check the times."
    return None


def staff_presence_problem(*, has_second_staff: bool, second_staff_present: bool | None, absent_reason: str) -> str | None:
    """LOG-1, CALL-2, CALL-3: the second member of staff is confirmed present, or why they were not."""
    if not has_second_staff:
        return None
    if second_staff_present is None:
        return "Say whether the second member of staff was present."
    if not second_staff_present and not absent_reason.strip():
        return "Say why the second member of staff was not present."
    return None


def one_to_one_opening_problem(
    *, kind: str, spoke_to_parent_first: bool | None, parent_stayed: bool | None, notes: str
) -> str | None:
    """LOG-2: a one-to-one log records that staff spoke first with the parent/carer and that
    the parent/carer stayed in the room. Both answers are required; a "no" needs an explanation."""
    if kind != CallKind.ONE_TO_ONE:
        return None
    if spoke_to_parent_first is None or parent_stayed is None:
        return "For a one-to-one, say whether you spoke first with the parent or carer and whether they stayed in the room."
    if not (spoke_to_parent_first and parent_stayed) and not notes.strip():
        return "Explain in the notes what happened when the parent or carer was not spoken to first or left the room."
    return None


def recording_problem(*, recorded: bool, booked_to_record: bool, admitted_without_permission: Iterable[str]) -> str | None:
    """CON-6: a session with pupils is recorded only if it was booked to be, and every pupil
    admitted has recording permission in force."""
    if not recorded:
        return None
    missing = list(admitted_without_permission)
    if not booked_to_record:
        return (
            "This call was not booked to be recorded. If it was recorded by mistake, "
            "delete the recording and say so in the notes."
        )
    if missing:
        return f"No recording permission for {_names(missing)}. Delete the recording and say so in the notes."
    return None


def unacceptable_use_problem(*, items: Iterable[str], details: str) -> str | None:
    """LOG-3: unacceptable use seen is recorded; "something else" needs a description."""
    chosen = set(items)
    unknown = chosen - set(UnacceptableUse.values)
    if unknown:
        return "Choose from the list of unacceptable use."
    if UnacceptableUse.OTHER in chosen and not details.strip():
        return "Describe the unacceptable use you saw."
    return None


def attendance_problem(*, outcomes: dict[int, str], invited_ids: Iterable[int]) -> str | None:
    """LOG-1: every invited pupil has an outcome, and nobody else does."""
    if set(outcomes) != set(invited_ids):
        return "Say for every invited pupil whether they were admitted, did not join or were refused."
    if any(outcome not in Attendance.values for outcome in outcomes.values()):
        return "Choose what happened to each pupil from the list."
    return None


@dataclass(frozen=True)
class JoinRecord:
    """One opening of a family's join link, as the join gateway recorded it."""

    pupil_id: int
    at: dt.datetime
    allowed: bool


def prefill_attendance(
    *,
    invited_ids: Iterable[int],
    joins: Iterable[JoinRecord],
    starts_at: dt.datetime,
    seen_with_video: Iterable[int] = (),
    seen_without_video: Iterable[int] = (),
) -> dict[int, tuple[str, dt.datetime | None]]:
    """LOG-1: a first guess at each pupil's attendance, for staff to confirm.

    Let through by the join gateway: admitted (with the time). Turned away after the lock
    (CALL-6): refused, late. Seen by the platform only with the camera off: refused, no camera.
    Nothing recorded: did not join.
    """
    lock_at = starts_at + LATE_LOCK
    guess: dict[int, tuple[str, dt.datetime | None]] = {pk: (Attendance.ABSENT, None) for pk in invited_ids}
    for join in sorted(joins, key=lambda j: j.at):
        if join.pupil_id not in guess:
            continue
        outcome, joined_at = guess[join.pupil_id]
        if join.allowed and outcome != Attendance.ADMITTED:
            guess[join.pupil_id] = (Attendance.ADMITTED, join.at)
        elif not join.allowed and outcome == Attendance.ABSENT and join.at >= lock_at:
            guess[join.pupil_id] = (Attendance.REFUSED_LATE, None)
    with_video = set(seen_with_video)
    for pk in set(seen_without_video) - with_video:
        if pk in guess:
            guess[pk] = (Attendance.REFUSED_NO_CAMERA, guess[pk][1])
    for pk in with_video:
        if pk in guess and guess[pk][0] != Attendance.ADMITTED:
            guess[pk] = (Attendance.ADMITTED, guess[pk][1])
    return guess


# --- corrections (GOV-3) -----------------------------------------------------------------------------


def correction_closes_at(*, written_at: dt.datetime, window_hours: int) -> dt.datetime:
    return written_at + dt.timedelta(hours=window_hours)


def may_correct(*, user_id: int, author_id: int, written_at: dt.datetime, now: dt.datetime, window_hours: int) -> Decision:
    """GOV-3: the author corrects a log within the school's window; each correction is a new version."""
    if user_id != author_id:
        return Decision(False, "Only the member of staff who wrote this log can correct it.")
    if now >= correction_closes_at(written_at=written_at, window_hours=window_hours):
        return Decision(False, f"Logs can be corrected for {window_hours} hours after writing. The headteacher can add a note.")
    return ALLOWED


def may_annotate(*, is_head: bool, written_at: dt.datetime, now: dt.datetime, window_hours: int) -> Decision:
    """GOV-3: once the correction window has closed, only the headteacher adds to a log, as a note."""
    if not is_head:
        return Decision(False, "Only the headteacher can add a note to a session log.")
    if now < correction_closes_at(written_at=written_at, window_hours=window_hours):
        return Decision(False, "The author can still correct this log. Notes can be added once the correction window closes.")
    return ALLOWED


# --- chasing missing logs (LOG-4) --------------------------------------------------------------------


class Chase(enum.Enum):
    NOT_DUE = "not_due"
    HOST = "host"
    HEAD = "head"


def head_deadline(*, ends_at: dt.datetime, deadline_hours: int) -> dt.datetime:
    return ends_at + dt.timedelta(hours=deadline_hours)


def chase_window_start(*, now: dt.datetime) -> dt.datetime:
    """LOG-4: calls that started before this are no longer chased or listed as missing a log."""
    return now - CHASE_WINDOW


def missing_log_chase(*, status: str, ends_at: dt.datetime, has_log: bool, now: dt.datetime, deadline_hours: int) -> Chase:
    """LOG-4: a call whose end has passed without a log is flagged to its host, and after the
    school's deadline to the headteacher."""
    if has_log or status not in LOGGABLE_STATUSES or now < ends_at:
        return Chase.NOT_DUE
    if now >= head_deadline(ends_at=ends_at, deadline_hours=deadline_hours):
        return Chase.HEAD
    return Chase.HOST


# --- welfare contacts (LOG-5, CALL-1) ----------------------------------------------------------------


def welfare_number_problem(*, method: str, number_used: str) -> str | None:
    """LOG-5: a phone call says it came from a school telephone or a withheld number."""
    if method == ContactMethod.PHONE and not number_used:
        return "Say which number you called from: a school telephone, or a phone with the number withheld."
    if method == ContactMethod.HOME_VISIT and number_used:
        return "A home visit does not use a phone number."
    return None


def welfare_time_problem(*, contacted_at: dt.datetime, duration_minutes: int, now: dt.datetime) -> str | None:
    if duration_minutes < 1:
        return "A contact lasts at least one minute."
    if contacted_at > now:
        return "Welfare contacts are logged after they happen."
    return None


def welfare_hours_problem(
    *, contacted_at: dt.datetime, duration_minutes: int, calendar: dict, safeguarding_follow_up: bool, by_dsl_team: bool
) -> str | None:
    """CALL-1: contact with children happens within normal school hours, unless it is a
    safeguarding follow-up marked by the DSL or a deputy DSL."""
    if safeguarding_follow_up and not by_dsl_team:
        return "Only the DSL or a deputy DSL can mark a contact as a safeguarding follow-up."
    ends_at = contacted_at + dt.timedelta(minutes=duration_minutes)
    problem = school_hours_problem(starts_at=contacted_at, ends_at=ends_at, calendar=calendar)
    if problem is None or safeguarding_follow_up:
        return None
    # The calls wording ("this call would run ...") is kept: the same hours apply to both.
    return f"{problem} Welfare contacts keep to the same hours; only a DSL-team safeguarding follow-up may fall outside them."
