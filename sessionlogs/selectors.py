"""Reading session logs: what is missing (LOG-4), what a new log starts from (LOG-1), and a
pupil's contact history. Each reader asks the database a fixed number of questions."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property

from calls.choices import CallStatus
from calls.meetings import platform_applies_settings
from calls.models import Call, CallInvitation, HostChecklistTick, JoinAttempt
from calls.platform_settings import ITEM_KEYS, applied_by
from platforms.selectors import reports_for_call

from . import policy
from .choices import Attendance
from .models import SessionLog, SessionLogPupil, WelfareContact


def calls_missing_log(now):
    """LOG-4: calls that were scheduled (or marked held), started within the chase window and
    have ended, with no log yet."""
    window_start = policy.chase_window_start(now=now)
    return Call.objects.filter(
        status__in=policy.LOGGABLE_STATUSES,
        starts_at__gte=window_start,
        starts_at__lte=now,
        # Implied by the start (a call ends after it starts), said again so the lists ordered by
        # their end read only the window's range of the ends_at index, not every call ever held.
        ends_at__gte=window_start,
        ends_at__lte=now,
    ).filter(~Exists(SessionLog.objects.filter(call=OuterRef("pk"))))  # an anti-join probing the log's call index


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
    """What BigBlueButton reported about this call's meetings, if anything (platforms sits below)."""
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
        invited_ids=[p.pk for p in pupils],
        joins=joins,
        starts_at=call.starts_at,
        seen_with_video=with_video,
        seen_without_video=without_video,
    )
    ticked = list(HostChecklistTick.objects.filter(call=call).values_list("item", flat=True))
    if platform_applies_settings(call):
        # CALL-6 on a platform that applies the settings itself: what it applies, plus what the host
        # ticked by hand (on BigBlueButton everything is applied; on Teams, Meet, Zoom not all).
        applied = applied_by(call.platform)
        ticks = sorted(key for key in ITEM_KEYS if key in applied or key in ticked)
    else:
        ticks = ticked
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


def _invitations(pupil, now):
    """The pupil's invitations to calls that have started (cancelled calls left out)."""
    return CallInvitation.objects.filter(pupil=pupil, call__starts_at__lte=now).exclude(call__status=CallStatus.CANCELLED)


def _with_outcome(invitations):
    """Each invitation with the pupil's attendance in the call's log (None: no log, or not in it)."""
    attended = SessionLogPupil.objects.filter(log__call=OuterRef("call"), pupil=OuterRef("pupil")).values("outcome")[:1]
    return invitations.select_related("call__host", "call__second_staff", "call__session_log").annotate(
        outcome=Subquery(attended)
    )


def _call_entry(invitation) -> HistoryEntry:
    call = invitation.call
    log = getattr(call, "session_log", None)
    if log is None:
        outcome = "No session log yet" if invitation.removed_at is None else f"Removed: {invitation.removed_reason}"
    else:
        outcome = Attendance(invitation.outcome).label if invitation.outcome else "Not invited when held"
    return HistoryEntry(
        at=log.started_at if log else call.starts_at,
        kind=f"Video call ({call.get_kind_display().lower()})",
        title=call.title,
        staff=_staff_names(call.host, call.second_staff),
        outcome=outcome,
        details=log.notes if log else "",
        minutes=log.length_minutes if log else None,
        call_id=call.pk,
    )


def _welfare_details(contact) -> str:
    follow_up = "Safeguarding follow-up" if contact.safeguarding_follow_up else ""
    return " · ".join(part for part in (contact.get_number_used_display(), follow_up) if part)


def _welfare_entry(c) -> HistoryEntry:
    return HistoryEntry(
        at=c.contacted_at,
        kind=c.get_method_display(),
        title=f"With {c.guardian.full_name}" if c.guardian else "Nobody reached",
        staff=str(c.staff),
        outcome=c.outcome,
        minutes=c.duration_minutes,
        details=_welfare_details(c),
    )


def _welfare_contacts(pupil, include_follow_ups: bool):
    """SG-3: a safeguarding follow-up is part of the history only for the DSL team
    (sessionlogs.permissions.sees_safeguarding_follow_ups); left out of every row and count otherwise."""
    contacts = WelfareContact.objects.for_pupil(pupil)
    return contacts if include_follow_ups else contacts.without_safeguarding_follow_ups()


def _welfare(pupil, include_follow_ups: bool):
    return _welfare_contacts(pupil, include_follow_ups).select_related("staff", "guardian")


def safeguarding_follow_ups_of(pupil):
    """SG-3: a pupil's safeguarding follow-ups, newest first, for the DSL team's chronology page only
    (the caller has already checked the reader is on the DSL team)."""
    return WelfareContact.objects.for_pupil(pupil).filter(safeguarding_follow_up=True).select_related("staff", "guardian")


def contact_history(pupil, now, *, include_follow_ups: bool = False) -> list[HistoryEntry]:
    """Calls the pupil was invited to that have started, with attendance from the log, and
    welfare contacts, oldest first: the whole history (the CSV). Two queries."""
    calls = [_call_entry(i) for i in _with_outcome(_invitations(pupil, now))]
    return sorted(calls + [_welfare_entry(c) for c in _welfare(pupil, include_follow_ups)], key=lambda e: e.at)


HISTORY_PAGE_SIZE = 20  # as the call lists (and R2's table)
CALL, WELFARE = "call", "welfare"


def _history_keys(pupil, now, *, include_follow_ups, ordered=True):
    """(pk, at, source) of every history entry, newest first, in one UNION the paginator slices;
    unordered, without the time (so without the log), for counting."""
    source = {"output_field": CharField()}
    calls = _invitations(pupil, now).annotate(source=Value(CALL, **source)).order_by()
    welfare = _welfare_contacts(pupil, include_follow_ups).annotate(source=Value(WELFARE, **source)).order_by()
    if not ordered:
        return calls.values_list("pk", "source").union(welfare.values_list("pk", "source"), all=True)
    calls = calls.annotate(at=Coalesce("call__session_log__started_at", "call__starts_at"))
    welfare = welfare.annotate(at=F("contacted_at"))
    keys = calls.values_list("pk", "at", "source").union(welfare.values_list("pk", "at", "source"), all=True)
    return keys.order_by("-at", "-source", "-pk")


class _HistoryPaginator(Paginator):
    """Counts the entries on a lighter UNION than the page's (no log join, no sort)."""

    def __init__(self, pupil, now, per_page, include_follow_ups):
        super().__init__(_history_keys(pupil, now, include_follow_ups=include_follow_ups), per_page)
        self._counted = _history_keys(pupil, now, include_follow_ups=include_follow_ups, ordered=False)

    @cached_property
    def count(self):
        return self._counted.count()


def _by_ids(queryset, ids):
    # [0] matches no row but keeps the query: an empty list would skip it, and the page's number
    # of queries would then depend on its mix of calls and welfare contacts.
    return queryset.filter(pk__in=ids or [0]).order_by()


def contact_history_page(pupil, now, number, per_page=HISTORY_PAGE_SIZE, *, include_follow_ups: bool = False):
    """One page of the history, newest first: (page, entries). Four queries whatever the page or the
    length of the history: the count, the page's keys, then its calls and its welfare contacts."""
    page = _HistoryPaginator(pupil, now, per_page, include_follow_ups).get_page(number)
    keys = list(page.object_list)
    ids = {CALL: [pk for pk, _, source in keys if source == CALL], WELFARE: [pk for pk, _, source in keys if source == WELFARE]}
    found = {(CALL, i.pk): _call_entry(i) for i in _by_ids(_with_outcome(_invitations(pupil, now)), ids[CALL])}
    found |= {(WELFARE, c.pk): _welfare_entry(c) for c in _by_ids(_welfare(pupil, include_follow_ups), ids[WELFARE])}
    return page, [found[(source, pk)] for pk, _, source in keys if (source, pk) in found]
