"""Join details (COM-4, CON-1, CALL-4): one personal JoinLink and email per guardian per consented
pupil, sent at the lead time, sent again on request, replaced when a link is held by another browser.
Opening a link is the join gateway's work (calls.gateway)."""

import datetime as dt

from django.db import transaction

from accounts.permissions import is_leadership
from notifications.services import notify
from school.models import SchoolSettings
from toolkit.urls import portal_url

from .. import emails, meetings, policy
from ..choices import CallStatus
from ..models import Call, JoinLink
from . import CallError
from .common import consenting_families, lock_pupils, locked_call, new_token, revoke_join_links


def send_join_details_if_due(call, now) -> int:
    lead = SchoolSettings.load().join_email_lead_hours
    if policy.join_details_due(starts_at=call.starts_at, now=now, lead_hours=lead):
        return send_join_details(call=call, now=now)
    return 0


def send_join_details(*, call, now) -> int:
    """COM-4, CON-1, CALL-4: a personal join link, one email per guardian per consented pupil.

    Consent is read again here, at sending time. Runs inside the caller's transaction; safe to
    run twice (a guardian who already holds an active link for the pupil gets nothing new).
    """
    if not policy.join_details_may_go_out(kind=call.kind, status=call.status):
        return 0
    if not meetings.platform_meeting_ready(call):
        return 0  # the platform's meeting is not made yet: the beat sweep sends once it is
    # Lock order everywhere: calls, then pupils. A withdrawal waits for these locks, so it
    # sees (and revokes) every link written here; a withdrawal that got in first is seen
    # by the consent read in consenting_families below.
    call = locked_call(call)
    lock_pupils(call.invitations.filter(removed_at__isnull=True).values_list("pupil_id", flat=True))
    held = set(JoinLink.objects.active().filter(call=call).values_list("guardian_id", "pupil_id"))
    sent = 0
    for guardian, pupils in consenting_families(call).items():
        for pupil in pupils:
            if (guardian.pk, pupil.pk) in held:
                continue
            token, token_hash = new_token()
            link = JoinLink.objects.create(call=call, guardian=guardian, pupil=pupil, token_hash=token_hash, created_at=now)
            notify(
                to=guardian.email,
                user=guardian.user,
                kind="call-join",
                context={**emails.family_context(call, guardian, [pupil]), "join_url": portal_url("calls:join", token)},
                dedupe_key=f"call-join:{link.pk}",
            )
            sent += 1
    call.join_details_sent_at = now
    call.save(update_fields=["join_details_sent_at"])
    return sent


def send_join_details_for_ref(*, call_ref: str, now) -> int:
    """COM-4: the call's meeting now exists on its platform: send the join details that waited."""
    if not str(call_ref).isdigit():
        return 0
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=int(call_ref), status=CallStatus.SCHEDULED).first()
        if call is None or call.join_details_sent_at is not None:
            return 0
        return send_join_details_if_due(call, now)


def send_due_join_details(*, now) -> int:
    """The beat sweep: join details for every scheduled call now inside the lead time (COM-4)."""
    lead = dt.timedelta(hours=SchoolSettings.load().join_email_lead_hours)
    due = Call.objects.filter(
        status=CallStatus.SCHEDULED,
        join_details_sent_at__isnull=True,
        starts_at__lte=now + lead,
        starts_at__gt=now - policy.LATE_LOCK,
    ).values_list("pk", flat=True)
    sent = 0
    for call_id in list(due):
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if call.join_details_sent_at is None:
                sent += send_join_details(call=call, now=now)
    return sent


@transaction.atomic
def send_new_join_link(*, link: JoinLink, sent_by, now) -> JoinLink:
    """Issue 16: a family whose link is held by another browser (a new phone, cookies cleared) gets
    a fresh one, sent to the school's address for them; the old link stops working at once.

    Only the call's own staff and leadership may do this, and only while join details may still
    go out and the link is in force. The new link is free until a browser joins with it.
    """
    call = locked_call(link.call)
    if sent_by.pk not in call.staff_ids() and not is_leadership(sent_by):
        raise CallError("Only the call's staff or the headteacher and deputy can send a family a new join link.")
    link = JoinLink.objects.select_for_update().select_related("guardian", "pupil").get(pk=link.pk)
    if link.revoked_at is not None or not policy.join_details_may_go_out(kind=call.kind, status=call.status):
        raise CallError("That join link is no longer in force, so no new one can be sent for it.")
    if now >= call.starts_at + policy.LATE_LOCK:
        raise CallError("This call is locked, so nobody else can join it.")
    revoke_join_links(JoinLink.objects.filter(pk=link.pk), now=now, reason="Replaced by a new link sent by the school")
    token, token_hash = new_token()
    fresh = JoinLink.objects.create(call=call, guardian=link.guardian, pupil=link.pupil, token_hash=token_hash, created_at=now)
    guardian = link.guardian
    notify(
        to=guardian.email,
        user=guardian.user,
        kind="call-join",
        context={**emails.family_context(call, guardian, [link.pupil]), "join_url": portal_url("calls:join", token)},
        dedupe_key=f"call-join:{fresh.pk}",
    )
    return fresh


@transaction.atomic
def send_join_details_again(*, call, guardian, now) -> int:
    """Issue 19 (COM-4): a parent who cannot find the join email asks for it again from the call's
    page. Their own links for this call are replaced (a link's token is never stored, so the old
    email cannot be repeated) and the new email goes only to the school's address for them.
    Refused before join details are due, once the call is locked, and for children not on it."""
    call = locked_call(call)
    if not policy.join_details_may_go_out(kind=call.kind, status=call.status) or call.join_details_sent_at is None:
        raise CallError("The join email for this call has not gone out yet: it is sent before the call starts.")
    if now >= call.starts_at + policy.LATE_LOCK:
        raise CallError("This call is locked, so nobody else can join it.")
    families = consenting_families(call)
    pupils = next((p for g, p in families.items() if g.pk == guardian.pk), [])
    if not pupils:
        raise CallError("Join details for this call go to another parent or carer: please ask the school office.")
    lock_pupils([p.pk for p in pupils])
    own = JoinLink.objects.active().filter(call=call, guardian=guardian)
    revoke_join_links(own, now=now, reason="Sent again at the parent's request.")
    for pupil in pupils:
        token, token_hash = new_token()
        link = JoinLink.objects.create(call=call, guardian=guardian, pupil=pupil, token_hash=token_hash, created_at=now)
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-join",
            context={**emails.family_context(call, guardian, [pupil]), "join_url": portal_url("calls:join", token)},
            dedupe_key=f"call-join:{link.pk}",
        )
    return len(pupils)
