"""Booking a call, moving it, cancelling it, marking it held; its meeting details and the host's
platform checklist (CALL-1..CALL-6, CON-1, CON-6, COM-1, COM-2)."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from accounts.permissions import is_staff_member
from consent.choices import Scope
from consent.selectors import consenting_pupil_ids
from notifications.services import notify
from school.models import Pupil, SchoolSettings, school_calendar

from .. import emails, meetings, policy
from ..choices import CallKind, CallStatus
from ..models import Call, CallInvitation, HostChecklistTick, JoinLink
from ..platform_settings import ITEM_KEYS
from . import BookingRefused, CallError
from .common import consenting_families, locked_call, revoke_join_links
from .join_details import send_join_details_if_due
from .one_to_ones import ask_for_agreement, void_decisions

LEFT_OUT = "Left out: no consent for video calls when the call was booked."


@dataclass(frozen=True)
class Invitees:
    """Who was asked for, and who may take part (CON-1) and be recorded (CON-6)."""

    pupils: list
    consenting_ids: set[int]
    recording_ids: set[int]

    @classmethod
    def load(cls, pupil_ids) -> "Invitees":
        pupils = list(Pupil.objects.on_roll().filter(pk__in=list(pupil_ids)).order_by("last_name", "first_name"))
        ids = [p.pk for p in pupils]
        return cls(pupils, consenting_pupil_ids(ids, Scope.VIDEO_CALLS), consenting_pupil_ids(ids, Scope.RECORDING))

    @property
    def included(self) -> list:
        return [p for p in self.pupils if p.pk in self.consenting_ids]

    @property
    def left_out(self) -> list:
        """CON-1: pupils without video-call consent are not invited."""
        return [p for p in self.pupils if p.pk not in self.consenting_ids]

    def without_recording_permission(self) -> list[str]:
        return [p.full_name for p in self.included if p.pk not in self.recording_ids]


def busy_people(*, starts_at, ends_at, staff_ids, pupil_ids, exclude_call_id=None) -> list[str]:
    """Staff and pupils already in a live call overlapping this time, grouped by the call they are
    in ("Tara Teacher (in “Year 5 maths”, 10:00 to 10:30)"), so the booker knows what to move."""
    staff_ids = {pk for pk in staff_ids if pk}
    pupil_ids = set(pupil_ids)
    clashing = (
        Call.objects.live()
        .overlapping(starts_at, ends_at)
        .exclude(pk=exclude_call_id)
        .filter(
            Q(host__in=staff_ids)
            | Q(second_staff__in=staff_ids)
            | Q(invitations__pupil__in=pupil_ids, invitations__removed_at__isnull=True)
        )
        .distinct()
        .select_related("host", "second_staff")
        .order_by("starts_at")
    )
    busy = []
    for call in clashing:
        starts, ends = call.starts_at.astimezone(policy.LONDON), call.ends_at.astimezone(policy.LONDON)
        people = [str(u) for u in (call.host, call.second_staff) if u is not None and u.pk in staff_ids]
        invited = call.invitations.filter(removed_at__isnull=True, pupil__in=pupil_ids).select_related("pupil")
        people += sorted(i.pupil.full_name for i in invited)
        names = ", ".join(people[:3]) + (f" and {len(people) - 3} more" if len(people) > 3 else "")
        busy.append(f"{names} (in “{call.title}”, {starts:%H:%M} to {ends:%H:%M})")
    return busy


def booking_problems(
    *,
    now,
    kind,
    starts_at,
    duration_minutes,
    host,
    second_staff,
    single_staff_reason,
    record,
    invitees: Invitees,
    exclude_call_id=None,
) -> dict[str, str]:
    """Every rule a booking must meet, as {form field: problem}. Empty when the booking may go ahead.

    All of them at once (issue 19: a person who made several mistakes sees every one in one pass).
    The booking form also asks before its own fields are all valid: then `kind` or `host` may be
    None, and the rules that need them wait until they are given."""
    out_of_bounds = policy.booking_bounds_problem(starts_at=starts_at, duration_minutes=duration_minutes, now=now)
    if out_of_bounds:  # before ends_at is computed: 9999-12-31 23:00 plus 180 minutes overflows
        return out_of_bounds
    ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
    settings_row = SchoolSettings.load()
    second_id = second_staff.pk if second_staff else None
    checks = {
        "starts_at": policy.notice_problem(starts_at=starts_at, now=now, min_notice_hours=settings_row.min_booking_notice_hours)
        or policy.school_hours_problem(starts_at=starts_at, ends_at=ends_at, calendar=school_calendar()),
        "duration_minutes": policy.duration_problem(duration=ends_at - starts_at),
        "second_staff": kind
        and host
        and policy.staffing_problem(
            kind=kind, host_id=host.pk, second_staff_id=second_id, single_staff_reason=single_staff_reason
        ),
        "pupils": kind
        and policy.invitees_problem(kind=kind, invited_count=len(invitees.pupils), consenting_count=len(invitees.consenting_ids)),
        "record": policy.recording_problem(record=record, pupil_names_without_permission=invitees.without_recording_permission()),
    }
    # Who is busy is worth asking only about a time that is itself allowed.
    if not checks["starts_at"] and not checks["duration_minutes"]:
        checks["starts_at"] = policy.double_booking_problem(
            busy_people=busy_people(
                starts_at=starts_at,
                ends_at=ends_at,
                staff_ids={host.pk if host else None, second_id},
                pupil_ids=invitees.consenting_ids,
                exclude_call_id=exclude_call_id,
            )
        )
    return {field: problem for field, problem in checks.items() if problem}


def _check_staff(*, booked_by, host, second_staff):
    for person, what in ((booked_by, "The person booking"), (host, "The host"), (second_staff, "The second member of staff")):
        if person is not None and not is_staff_member(person):
            raise CallError(f"{what} must be a member of staff.")


def _lock_staff(staff_ids):
    """Serialise bookings for the same staff so two overlapping bookings cannot both pass the check."""
    list(User.objects.select_for_update().filter(pk__in=[pk for pk in staff_ids if pk]).values_list("pk", flat=True))


@transaction.atomic
def book_call(
    *,
    booked_by,
    now,
    kind,
    title,
    activity,
    platform,
    starts_at,
    duration_minutes,
    host,
    second_staff=None,
    single_staff_reason="",
    record=False,
    pupil_ids=(),
    school_class=None,
    meeting_url="",
    passcode="",
) -> Call:
    """Book a group lesson or a one-to-one (CALL-1..CALL-4, CON-1, CON-6, COM-1).

    Pupils without video-call consent are left out. A group call is scheduled at once and
    families get a notice; a one-to-one waits for a parent's agreement and then approval.
    """
    _check_staff(booked_by=booked_by, host=host, second_staff=second_staff)
    _lock_staff({host.pk, second_staff.pk if second_staff else None})
    invitees = Invitees.load(pupil_ids)
    problems = booking_problems(
        now=now,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        host=host,
        second_staff=second_staff,
        single_staff_reason=single_staff_reason,
        record=record,
        invitees=invitees,
    )
    if problems:
        raise BookingRefused(problems)
    one_to_one = kind == CallKind.ONE_TO_ONE
    call = Call.objects.create(
        kind=kind,
        title=title,
        activity=activity,
        platform=platform,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        ends_at=starts_at + dt.timedelta(minutes=duration_minutes),
        host=host,
        second_staff=second_staff,
        single_staff_reason="" if second_staff else single_staff_reason.strip(),
        record=record,
        status=CallStatus.AWAITING_PARENT if one_to_one else CallStatus.SCHEDULED,
        school_class=school_class,
        booked_by=booked_by,
        booked_at=now,
        changed_at=now,
        meeting_url=meeting_url,
        passcode=passcode,
    )
    for pupil in invitees.included:
        CallInvitation.objects.create(call=call, pupil=pupil, invited_at=now)
    for pupil in invitees.left_out:
        # CON-1: not invited, but kept on record so the host sees who was left out and why.
        CallInvitation.objects.create(call=call, pupil=pupil, invited_at=now, removed_at=now, removed_reason=LEFT_OUT)
    meetings.book_platform_meeting(call)  # Teams, Meet, Zoom with credentials: made by a task after commit
    if one_to_one:
        ask_for_agreement(call)
    else:
        _send_notices(call)
        send_join_details_if_due(call, now)
    return call


def _send_notices(call) -> None:
    """COM-1, COM-8: what, when, where and with whom, plus reporting routes, to each family."""
    for guardian, pupils in consenting_families(call).items():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-notice",
            context=emails.family_context(call, guardian, pupils),
            dedupe_key=f"call-notice:{call.pk}:v{call.version}:{guardian.pk}",
        )


@transaction.atomic
def change_call_time(*, call, changed_by, now, starts_at, duration_minutes) -> Call:
    """CALL-5, COM-2: move a call. Join links are cancelled and sent again for the new time;
    for a one-to-one the parent's agreement and the approval are void and asked for again."""
    call = locked_call(call)
    if call.status in (CallStatus.CANCELLED, CallStatus.HELD):
        raise CallError("A cancelled or held call cannot be moved.")
    _lock_staff(call.staff_ids())
    active = CallInvitation.objects.filter(call=call, removed_at__isnull=True).values_list("pupil_id", flat=True)
    invitees = Invitees.load(active)
    problems = booking_problems(
        now=now,
        kind=call.kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        host=call.host,
        second_staff=call.second_staff,
        single_staff_reason=call.single_staff_reason,
        record=call.record,
        invitees=invitees,
        exclude_call_id=call.pk,
    )
    problems.pop("pupils", None)  # who is invited is not changing; consent is checked again at sending
    if problems:
        raise BookingRefused(problems)
    call.starts_at, call.duration_minutes = starts_at, duration_minutes
    call.ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
    call.version += 1
    call.changed_at = now
    call.join_details_sent_at = None
    revoke_join_links(JoinLink.objects.active().filter(call=call), now=now, reason="The call's time changed.")
    if call.is_one_to_one:
        void_decisions(call, now)
        call.status = CallStatus.AWAITING_PARENT
        call.save()
        ask_for_agreement(call)
        return call
    call.save()
    meetings.book_platform_meeting(call)  # the new time goes into the meeting's spec (applied by the drift check)
    for guardian, pupils in consenting_families(call).items():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-changed",
            context=emails.family_context(call, guardian, pupils),
            dedupe_key=f"call-changed:{call.pk}:v{call.version}:{guardian.pk}",
        )
    send_join_details_if_due(call, now)
    return call


@transaction.atomic
def cancel_call(*, call, cancelled_by, now, reason) -> Call:
    """COM-2: cancel a call; its join links stop working and every family told of it hears."""
    call = locked_call(call)
    if call.status in (CallStatus.CANCELLED, CallStatus.HELD):
        raise CallError("This call is already cancelled or has been held.")
    if not reason.strip():
        raise CallError("Give a reason: families are told why.")
    families = consenting_families(call)
    call.status, call.cancelled_at, call.cancel_reason = CallStatus.CANCELLED, now, reason.strip()
    call.changed_at = now
    call.save(update_fields=["status", "cancelled_at", "cancel_reason", "changed_at"])
    revoke_join_links(JoinLink.objects.active().filter(call=call), now=now, reason="The call was cancelled.")
    meetings.cancel_platform_meeting(call)  # Teams, Meet, Zoom: the meeting goes too (a task after commit)
    for guardian, pupils in families.items():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-cancelled",
            context=emails.family_context(call, guardian, pupils),
            dedupe_key=f"call-cancelled:{call.pk}:{guardian.pk}",
        )
    return call


@transaction.atomic
def set_meeting_details(*, call, changed_by, meeting_url, passcode) -> Call:
    """The platform link and passcode, staff-only (excluded from audit history; never logged)."""
    call = locked_call(call)
    call.meeting_url, call.passcode = meeting_url, passcode
    call.save(update_fields=["meeting_url", "passcode"])
    return call


@transaction.atomic
def mark_call_held(*, call, by, now) -> Call:
    """The call took place (the session-log app calls this when a log is written)."""
    call = locked_call(call)
    if call.status != CallStatus.SCHEDULED:
        raise CallError("Only a scheduled call can be marked as held.")
    call.status = CallStatus.HELD
    call.changed_at = now  # the feed's description says "Held"
    call.save(update_fields=["status", "changed_at"])
    revoke_join_links(JoinLink.objects.active().filter(call=call), now=now, reason="The call has taken place.")
    return call


@transaction.atomic
def tick_checklist(*, call, item, ticked_by, now, ticked=True) -> None:
    """CALL-6: the host (or second staff member) confirms one platform setting for this call."""
    if item not in ITEM_KEYS:
        raise CallError("That is not one of the required platform settings.")
    if ticked_by.pk not in call.staff_ids():
        raise CallError("Only the call's staff can tick its checklist.")
    if ticked:
        HostChecklistTick.objects.get_or_create(call=call, item=item, defaults={"ticked_by": ticked_by, "ticked_at": now})
    else:
        for tick in HostChecklistTick.objects.filter(call=call, item=item):
            tick.delete()
