"""What the calls app does when an app below it announces a change (connected in apps.py): consent
withdrawn, a pupil left. Each receiver runs inside the sender's transaction."""

from dataclasses import dataclass

from consent.choices import Scope
from notifications.services import notify

from . import emails, meetings
from .choices import CallStatus
from .models import Call, CallInvitation, JoinLink
from .services.common import lock_pupils, revoke_join_links


def drop_pupil_on_withdrawal(sender, *, pupil, scope, decided_by, now, **kwargs):
    """consent.events.consent_withdrawn (CON-3, CON-6)."""
    handle_consent_withdrawal(pupil=pupil, scope=scope, decided_by=decided_by, now=now)


def drop_pupil_who_left(sender, *, pupil, left_on, by, now, **kwargs):
    """governance.events.pupil_left (GOV-2, COM-4)."""
    handle_pupil_left(pupil=pupil, left_on=left_on, by=by, now=now)


@dataclass(frozen=True)
class Removal:
    """Why a pupil leaves every upcoming call: the words on the invitation, on the revoked links,
    and the email that tells the host."""

    reason: str
    link_reason: str
    notice_kind: str


CONSENT_WITHDRAWN = Removal("Consent for video calls was withdrawn.", "Consent was withdrawn.", "call-pupil-removed")
LEFT_SCHOOL = Removal("Left the school.", "The pupil has left the school.", "call-pupil-left")


def handle_consent_withdrawal(*, pupil, scope, decided_by, now):
    """CON-3, CON-6: runs inside withdraw_consent's transaction (connected in CallsConfig.ready()).

    Video calls: the pupil leaves every upcoming call, the family's join links stop working,
    and the host of each call is told. Recording: upcoming recorded calls with the pupil stop
    being recorded, and the host is told.
    """
    if scope == Scope.VIDEO_CALLS:
        remove_from_upcoming_calls(pupil=pupil, now=now, removal=CONSENT_WITHDRAWN)
    elif scope == Scope.RECORDING:
        _stop_recording_upcoming_calls(pupil, now)


def handle_pupil_left(*, pupil, left_on, by, now):
    """GOV-2: a pupil who has left the school leaves every upcoming call and their family's join
    links stop working, exactly as on consent withdrawal. Runs inside governance's mark_pupil_left
    transaction (governance.events.pupil_left)."""
    remove_from_upcoming_calls(pupil=pupil, now=now, removal=LEFT_SCHOOL)


def remove_from_upcoming_calls(*, pupil, now, removal: Removal) -> None:
    """CON-3: take `pupil` off every upcoming call, revoke their family's join links, cancel a
    one-to-one that was theirs and tell each host. Runs inside the caller's transaction."""
    upcoming = Call.objects.upcoming(now).filter(invitations__pupil=pupil, invitations__removed_at__isnull=True)
    # Calls first, then the pupil (the order send_join_details takes them): once both are
    # held, no link for this pupil is being written elsewhere, and the queries below see
    # every link committed before us.
    list(Call.objects.select_for_update(of=("self",)).filter(pk__in=list(upcoming.values_list("pk", flat=True))).order_by("pk"))
    lock_pupils([pupil.pk])
    invitations = CallInvitation.objects.select_related("call", "call__host").filter(
        pupil=pupil, removed_at__isnull=True, call__in=Call.objects.upcoming(now)
    )
    for invitation in invitations:
        call = invitation.call
        invitation.removed_at, invitation.removed_reason = now, removal.reason
        invitation.save(update_fields=["removed_at", "removed_reason"])
        revoke_join_links(JoinLink.objects.active().filter(call=call, pupil=pupil), now=now, reason=removal.link_reason)
        if call.is_one_to_one:
            # A one-to-one without its pupil cannot happen; nobody should keep time for it.
            call.status, call.cancelled_at, call.cancel_reason = CallStatus.CANCELLED, now, removal.reason
            call.changed_at = now
            call.save(update_fields=["status", "cancelled_at", "cancel_reason", "changed_at"])
            meetings.cancel_platform_meeting(call)  # Teams, Meet, Zoom: the meeting goes too
        else:
            meetings.book_platform_meeting(call)  # Zoom: the child's registrant is cancelled
        notify(
            to=call.host.email,
            user=call.host,
            kind=removal.notice_kind,
            context=emails.staff_context(call, pupil=pupil),
            dedupe_key=f"{removal.notice_kind}:{invitation.pk}:{now.isoformat()}",
        )


def _stop_recording_upcoming_calls(pupil, now) -> None:
    calls = Call.objects.upcoming(now).filter(record=True).for_pupils([pupil.pk]).select_related("host")
    for call in calls:
        call.record = False
        call.save(update_fields=["record"])
        notify(
            to=call.host.email,
            user=call.host,
            kind="call-recording-off",
            context=emails.staff_context(call, pupil=pupil),
            dedupe_key=f"call-recording-off:{call.pk}:{pupil.pk}:{now.isoformat()}",
        )


def any_upcoming_calls(sender, *, pupil_ids, now, **kwargs) -> bool:
    """school.events.upcoming_calls_asked: whether any of these pupils has a call coming up."""
    return Call.objects.upcoming(now).for_pupils(pupil_ids).exists()


def send_join_details_when_meeting_ready(sender, *, call_ref, now, **kwargs) -> int:
    """platforms.events.meeting_ready (COM-4): the join emails that waited for the meeting go now."""
    from .services.join_details import send_join_details_for_ref

    return send_join_details_for_ref(call_ref=call_ref, now=now)


def source_call_time(sender, *, user, call_id, now, **kwargs):
    """safeguarding.events.source_call_time_asked: the call's start, if `user` may see the call and
    it has started; otherwise None (the concern form then defaults to now)."""
    from .permissions import calls_visible_to

    starts_at = calls_visible_to(user).filter(pk=call_id).values_list("starts_at", flat=True).first()
    return starts_at if starts_at and starts_at <= now else None
