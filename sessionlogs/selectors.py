"""Reading session logs: what is missing (LOG-4), what a new log starts from (LOG-1), and a
pupil's contact history. Each reader asks the database a fixed number of questions."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from calls.choices import CallStatus
from calls.gateway import platform_applies_settings
from calls.models import Call, CallInvitation, HostChecklistTick, JoinAttempt
from calls.platform_settings import ITEM_KEYS

from . import policy
from .choices import Attendance
from .models import SessionLogPupil, WelfareContact


def calls_missing_log(now):
    """LOG-4: calls that were scheduled (or marked held) and have ended, with no log yet."""
    return Call.objects.filter(status__in=policy.LOGGABLE_STATUSES, ends_at__lte=now, session_log__isnull=True)


def logs_to_write_for(user, now):
    """The host's (and second staff member's) own calls still waiting for a log."""
    return calls_missing_log(now).filter(Q(host=user) | Q(second_staff=user))


def missing_past_deadline(now, deadline_hours: int):
    """LOG-4: calls whose log is past the school's deadline (the headteacher's list)."""
    return calls_missing_log(now).filter(ends_at__lte=now - dt.timedelta(hours=deadline_hours))


def invited_pupils(call) -> list:
    """The pupils a log asks about: still invited when the call took place (CON-3 removals are not)."""
    invitations = CallInvitation.objects.filter(call=call, removed_at__isnull=True).select_related("pupil")
    return sorted((i.pupil for i in invitations), key=lambda p: (p.last_name, p.first_name))


def _platform_reports(call) -> list:
    """Seam to the platforms app: what BigBlueButton reported about this call's meetings, if anything."""
    try:
        from platforms.selectors import reports_for_call
    except ImportError:  # a portal without the platforms app: the join gateway is the only source
        return []
    return reports_for_call(call.pk)


@dataclass
class Prefill:
    """A new log's starting point: the booked (or platform-reported) times and who joined."""

    started_at: dt.datetime
    ended_at: dt.datetime
    attendance: dict = field(default_factory=dict)
    checklist_items: list = field(default_factory=list)
    from_platform: bool = False


def prefill_for(call, pupils) -> Prefill:
    """LOG-1: pre-fill from the join gateway's records, the host's checklist ticks and the platform's report."""
    joins = [
        policy.JoinRecord(pupil_id=a.link.pupil_id, at=a.at, allowed=a.allowed)
        for a in JoinAttempt.objects.filter(call=call).select_related("link").only("at", "allowed", "link__pupil_id")
    ]
    reports = [r for r in _platform_reports(call) if r.started_at]
    with_video = {pk for r in reports for pk in set(r.pupil_ids()) - set(r.pupils_without_video())}
    without_video = {pk for r in reports for pk in r.pupils_without_video()}
    attendance = policy.prefill_attendance(
        invited_ids=[p.pk for p in pupils], joins=joins, starts_at=call.starts_at,
        seen_with_video=with_video, seen_without_video=without_video,
    )
    if platform_applies_settings(call):
        # CALL-6 on a platform that applies the settings itself (BigBlueButton): nothing to tick by hand.
        ticks = sorted(ITEM_KEYS)
    else:
        ticks = list(HostChecklistTick.objects.filter(call=call).values_list("item", flat=True))
    if reports:
        ended = [r.ended_at for r in reports if r.ended_at]
        return Prefill(reports[0].started_at, max(ended) if ended else call.ends_at, attendance, ticks, from_platform=True)
    return Prefill(call.starts_at, call.ends_at, attendance, ticks)


# --- a pupil's contact history -------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    kind: str
    title: str
    staff: str
    outcome: str
    details: str = ""
    minutes: int | None = None
    call_id: int | None = None


def _staff_names(*people) -> str:
    return ", ".join(str(p) for p in people if p)


def _call_entries(pupil, now) -> list[HistoryEntry]:
    invitations = (
        CallInvitation.objects.filter(pupil=pupil, call__starts_at__lte=now)
        .exclude(call__status=CallStatus.CANCELLED)
        .select_related("call__host", "call__second_staff", "call__session_log")
    )
    attended = dict(SessionLogPupil.objects.filter(pupil=pupil).values_list("log_id", "outcome"))
    entries = []
    for invitation in invitations:
        call = invitation.call
        log = getattr(call, "session_log", None)
        if log is None:
            outcome = "No session log yet" if invitation.removed_at is None else f"Removed: {invitation.removed_reason}"
        else:
            outcome = Attendance(attended[log.pk]).label if log.pk in attended else "Not invited when held"
        entries.append(
            HistoryEntry(
                at=log.started_at if log else call.starts_at, kind=f"Video call ({call.get_kind_display().lower()})",
                title=call.title, staff=_staff_names(call.host, call.second_staff), outcome=outcome,
                details=log.notes if log else "", minutes=log.length_minutes if log else None, call_id=call.pk,
            )
        )
    return entries


def _welfare_details(contact) -> str:
    follow_up = "Safeguarding follow-up" if contact.safeguarding_follow_up else ""
    return " · ".join(part for part in (contact.get_number_used_display(), follow_up) if part)


def _welfare_entries(pupil) -> list[HistoryEntry]:
    contacts = WelfareContact.objects.for_pupil(pupil).select_related("staff", "guardian")
    return [
        HistoryEntry(
            at=c.contacted_at, kind=c.get_method_display(),
            title=f"With {c.guardian.full_name}" if c.guardian else "Nobody reached",
            staff=str(c.staff), outcome=c.outcome, minutes=c.duration_minutes,
            details=_welfare_details(c),
        )
        for c in contacts
    ]


def contact_history(pupil, now) -> list[HistoryEntry]:
    """Calls the pupil was invited to that have started, with attendance from the log, and
    welfare contacts, oldest first. Three queries whatever the length of the history."""
    return sorted(_call_entries(pupil, now) + _welfare_entries(pupil), key=lambda e: e.at)
