"""Every write about session logs and welfare contacts. Each is atomic, checks sessionlogs.policy,
leaves an audit entry (django-auditlog on the models, same transaction) and queues email through
notifications.notify inside the same transaction.
"""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db import IntegrityError, transaction

from accounts.choices import Role
from accounts.models import User
from accounts.permissions import is_dsl_team, is_staff_member
from calls.choices import CallStatus
from calls.models import Call
from calls.platform_settings import ITEM_KEYS
from calls.services import booking
from consent.choices import Scope
from consent.selectors import consenting_pupil_ids
from notifications.services import notify
from school.models import Guardian, SchoolSettings, school_calendar
from toolkit.urls import portal_url

from . import permissions, policy, selectors
from .choices import Attendance
from .models import (
    ContactPreference,
    MissingLogChase,
    SessionLog,
    SessionLogAnnotation,
    SessionLogPupil,
    SessionLogVersion,
    WelfareContact,
)


class LogError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


class LogRefused(LogError):
    """The log breaks one or more rules: {form field name: problem} for the form to show."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(" ".join(problems.values()))


def _check(decision: policy.Decision) -> None:
    if not decision.allowed:
        raise LogError(decision.reason)


# --- session logs (LOG-1..LOG-3, GOV-3) --------------------------------------------------------------


@dataclass(frozen=True)
class LogInput:
    """What a member of staff says about a session. `attendance` is {pupil id: Attendance value}."""

    started_at: dt.datetime
    ended_at: dt.datetime
    attendance: dict[int, str]
    second_staff_present: bool | None = None
    second_staff_absent_reason: str = ""
    spoke_to_parent_first: bool | None = None
    parent_stayed: bool | None = None
    recorded: bool = False
    checklist_items: list[str] = field(default_factory=list)
    unacceptable_use: list[str] = field(default_factory=list)
    unacceptable_use_details: str = ""
    notes: str = ""

    def content_fields(self) -> dict:
        values = asdict(self)
        values.pop("attendance")
        values["checklist_items"] = sorted(set(self.checklist_items))
        values["unacceptable_use"] = sorted(set(self.unacceptable_use))
        return values


def _recording_problem(call, content: LogInput, pupils_by_id) -> str | None:
    """CON-6, checked against the pupils actually admitted."""
    admitted = [pk for pk, outcome in content.attendance.items() if outcome == Attendance.ADMITTED]
    allowed = consenting_pupil_ids(admitted, Scope.RECORDING) if content.recorded else set(admitted)
    return policy.recording_problem(
        recorded=content.recorded,
        booked_to_record=call.record,
        admitted_without_permission=[pupils_by_id[pk].full_name for pk in admitted if pk not in allowed],
    )


def log_problems(*, call, content: LogInput, now, pupils) -> dict[str, str]:
    """Every rule a log must meet (LOG-1..LOG-3, CON-6), as {form field: problem}."""
    pupils_by_id = {p.pk: p for p in pupils}
    found = {
        "ended_at": policy.session_times_problem(started_at=content.started_at, ended_at=content.ended_at, now=now),
        "second_staff_present": policy.staff_presence_problem(
            has_second_staff=call.second_staff_id is not None,
            second_staff_present=content.second_staff_present,
            absent_reason=content.second_staff_absent_reason,
        ),
        "spoke_to_parent_first": policy.one_to_one_opening_problem(
            kind=call.kind,
            spoke_to_parent_first=content.spoke_to_parent_first,
            parent_stayed=content.parent_stayed,
            notes=content.notes,
        ),
        "__all__": policy.attendance_problem(outcomes=content.attendance, invited_ids=pupils_by_id),
        "unacceptable_use": policy.unacceptable_use_problem(
            items=content.unacceptable_use, details=content.unacceptable_use_details
        ),
        "checklist_items": None if set(content.checklist_items) <= ITEM_KEYS else "Choose from the platform settings listed.",
    }
    if not found["__all__"]:
        found["recorded"] = _recording_problem(call, content, pupils_by_id)
    return {name: problem for name, problem in found.items() if problem}


def _snapshot(log, pupils_by_id) -> list[dict]:
    return [
        {
            "pupil_id": row.pupil_id,
            "name": pupils_by_id[row.pupil_id].full_name,
            "outcome": row.outcome,
            "joined_at": row.joined_at.isoformat() if row.joined_at else None,
        }
        for row in log.pupils.order_by("pupil__last_name", "pupil__first_name")
    ]


def _add_version(log, *, written_by, now, reason, pupils_by_id) -> SessionLogVersion:
    """GOV-3: the log's content as it now stands, kept whole as a new row."""
    content = {name: getattr(log, name) for name in LogInput.__dataclass_fields__ if name != "attendance"}
    return SessionLogVersion.objects.create(
        log=log,
        number=log.version,
        attendance=_snapshot(log, pupils_by_id),
        written_by=written_by,
        written_at=now,
        reason=reason,
        **content,
    )


@transaction.atomic
def write_session_log(*, call, written_by, now, content: LogInput) -> SessionLog:
    """LOG-1..LOG-3: the record of a session held. Marks the call as held (calls.services).

    Attendance times come from the join gateway, never from the form: they are what the
    portal saw, not what anyone remembers.
    """
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not permissions.may_write_log(written_by, call):
        raise LogError("Only the call's staff, the headteacher or the deputy can write its session log.")
    _check(policy.may_write_log(status=call.status, starts_at=call.starts_at, now=now, has_log=_has_log(call)))
    pupils = selectors.invited_pupils(call)
    problems = log_problems(call=call, content=content, now=now, pupils=pupils)
    if problems:
        raise LogRefused(problems)
    joined = selectors.prefill_for(call, pupils).attendance
    try:
        with transaction.atomic():
            log = SessionLog.objects.create(call=call, author=written_by, written_at=now, **content.content_fields())
    except IntegrityError as error:  # two members of staff saving at once: the first log stands
        raise LogError("This call already has a session log. Correct it instead.") from error
    for pupil in pupils:
        outcome = content.attendance[pupil.pk]
        SessionLogPupil.objects.create(
            log=log, pupil=pupil, outcome=outcome, joined_at=joined[pupil.pk][1] if outcome == Attendance.ADMITTED else None
        )
    _add_version(log, written_by=written_by, now=now, reason="", pupils_by_id={p.pk: p for p in pupils})
    if call.status == CallStatus.SCHEDULED:
        booking.mark_call_held(call=call, by=written_by, now=now)
    return log


def _has_log(call) -> bool:
    return SessionLog.objects.filter(call=call).exists()


@transaction.atomic
def correct_session_log(*, log, corrected_by, now, content: LogInput, reason: str) -> SessionLog:
    """GOV-3: the author corrects the log within the school's window; the earlier version stays."""
    log = SessionLog.objects.select_for_update().select_related("call").get(pk=log.pk)
    window = SchoolSettings.load().log_correction_window_hours
    _check(
        policy.may_correct(
            user_id=corrected_by.pk, author_id=log.author_id, written_at=log.written_at, now=now, window_hours=window
        )
    )
    if not reason.strip():
        raise LogRefused({"reason": "Say what you corrected and why."})
    rows = {row.pupil_id: row for row in log.pupils.select_related("pupil")}
    pupils = [row.pupil for row in rows.values()]
    problems = log_problems(call=log.call, content=content, now=now, pupils=pupils)
    if problems:
        raise LogRefused(problems)
    for name, value in content.content_fields().items():
        setattr(log, name, value)
    log.version += 1
    log.corrected_at = now
    log.save()
    for pupil_id, row in rows.items():
        if row.outcome != content.attendance[pupil_id]:
            row.outcome = content.attendance[pupil_id]
            row.save(update_fields=["outcome"])
    _add_version(log, written_by=corrected_by, now=now, reason=reason.strip(), pupils_by_id={p.pk: p for p in pupils})
    return log


@transaction.atomic
def annotate_session_log(*, log, annotated_by, now, text: str) -> SessionLogAnnotation:
    """GOV-3: after the correction window, the headteacher adds a note; the log itself is unchanged."""
    window = SchoolSettings.load().log_correction_window_hours
    is_head = permissions.is_head(annotated_by)
    _check(policy.may_annotate(is_head=is_head, written_at=log.written_at, now=now, window_hours=window))
    if not text.strip():
        raise LogRefused({"text": "Write the note to add."})
    return SessionLogAnnotation.objects.create(log=log, text=text.strip(), written_by=annotated_by, written_at=now)


# --- chasing missing logs (LOG-4) ---------------------------------------------------------------------


def _heads() -> list[User]:
    """Who is told about overdue logs: the headteacher(s); the deputy only if no head is set up."""
    for role in (Role.HEAD, Role.DEPUTY):
        found = list(User.objects.filter(staff_roles__role=role, is_active=True).distinct())
        if found:
            return found
    return []


def _tell(user, kind, call, dedupe_key, deadline_hours) -> None:
    context = {
        "call": call,
        "name": user.get_full_name() or user.email,
        "log_url": portal_url("sessionlogs:call_log", call.pk),
        "deadline_hours": deadline_hours,
    }
    notify(to=user.email, kind=kind, context=context, dedupe_key=dedupe_key, user=user)


@transaction.atomic
def chase_missing_log(*, call, now, deadline_hours: int) -> policy.Chase:
    """LOG-4 for one call: remind the host once; past the deadline, tell the headteacher once."""
    chase, _ = MissingLogChase.objects.select_for_update().get_or_create(call=call)
    stage = policy.missing_log_chase(
        status=call.status, ends_at=call.ends_at, has_log=_has_log(call), now=now, deadline_hours=deadline_hours
    )
    if stage is policy.Chase.NOT_DUE:
        return stage
    if chase.host_reminded_at is None:
        _tell(call.host, "log-reminder", call, f"log-reminder:{call.pk}", deadline_hours)
        chase.host_reminded_at = now
    if stage is policy.Chase.HEAD and chase.head_told_at is None:
        for head in _heads():
            _tell(head, "log-overdue", call, f"log-overdue:{call.pk}:{head.pk}", deadline_hours)
        chase.head_told_at = now
    chase.save()
    return stage


def chase_missing_logs(*, now) -> int:
    """LOG-4: the beat sweep. Calls already reported to the head are skipped, so it stays cheap."""
    deadline_hours = SchoolSettings.load().session_log_deadline_hours
    calls = (
        selectors.calls_missing_log(now).exclude(log_chase__head_told_at__isnull=False).select_related("host").order_by("ends_at")
    )
    return sum(chase_missing_log(call=call, now=now, deadline_hours=deadline_hours) is not policy.Chase.NOT_DUE for call in calls)


# --- welfare contacts (LOG-5, CALL-1) ----------------------------------------------------------------


def welfare_problems(
    *, pupil, recorded_by, now, guardian, method, contacted_at, duration_minutes, staff, number_used, safeguarding_follow_up
) -> dict[str, str]:
    found = {
        "number_used": policy.welfare_number_problem(method=method, number_used=number_used),
        "contacted_at": policy.welfare_time_problem(contacted_at=contacted_at, duration_minutes=duration_minutes, now=now)
        or policy.welfare_hours_problem(
            contacted_at=contacted_at,
            duration_minutes=duration_minutes,
            calendar=school_calendar(),
            safeguarding_follow_up=safeguarding_follow_up,
            by_dsl_team=is_dsl_team(recorded_by),
        ),
        "guardian": None
        if guardian is None or guardian.guardianships.filter(pupil=pupil).exists()
        else "Choose one of this pupil's parents or carers.",
        "staff": None if is_staff_member(staff) else "Choose the member of staff who made the contact.",
    }
    return {name: problem for name, problem in found.items() if problem}


@transaction.atomic
def record_welfare_contact(
    *,
    pupil,
    recorded_by,
    now,
    method,
    contacted_at,
    duration_minutes,
    outcome,
    staff=None,
    guardian: Guardian | None = None,
    number_used="",
    safeguarding_follow_up=False,
) -> WelfareContact:
    """LOG-5: log a phone call or home visit. CALL-1: refused outside school hours unless the
    DSL team marks it as a safeguarding follow-up."""
    staff = staff or recorded_by
    problems = welfare_problems(
        pupil=pupil,
        recorded_by=recorded_by,
        now=now,
        guardian=guardian,
        method=method,
        contacted_at=contacted_at,
        duration_minutes=duration_minutes,
        staff=staff,
        number_used=number_used,
        safeguarding_follow_up=safeguarding_follow_up,
    )
    if not outcome.strip():
        problems["outcome"] = "Write the outcome of the contact."
    if problems:
        raise LogRefused(problems)
    return WelfareContact.objects.create(
        pupil=pupil,
        guardian=guardian,
        method=method,
        contacted_at=contacted_at,
        duration_minutes=duration_minutes,
        staff=staff,
        number_used=number_used,
        outcome=outcome.strip(),
        safeguarding_follow_up=safeguarding_follow_up,
        recorded_by=recorded_by,
        recorded_at=now,
    )


@transaction.atomic
def set_contact_preference(*, pupil, set_by, now, method, notes="") -> ContactPreference:
    """Note which way of checking in suits this child. Each change is in the audit history (GOV-3)."""
    preference, _ = ContactPreference.objects.select_for_update().get_or_create(
        pupil=pupil, defaults={"method": method, "notes": notes.strip(), "updated_by": set_by, "updated_at": now}
    )
    preference.method, preference.notes, preference.updated_by, preference.updated_at = method, notes.strip(), set_by, now
    preference.save()
    return preference
