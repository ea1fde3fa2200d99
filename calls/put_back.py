"""Issue 19: consent changes that are safe and undoable. Before a parent withdraws, what it would do
to the child's calls; after consent is given again, putting the child back on the calls they were
taken off (while the policy still allows it). The consent app asks through consent.events
(withdrawal_previewed, consent_regiven); these receivers answer (connected in CallsConfig.ready())."""

from auditlog.context import set_actor
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from consent.choices import Scope
from consent.selectors import consenting_pupil_ids
from notifications.services import notify
from school.models import Pupil
from toolkit.dates import when

from . import emails, meetings, policy
from .models import Call, CallInvitation
from .reactions import CONSENT_WITHDRAWN
from .services import CallError
from .services.common import lock_pupils
from .services.join_details import send_join_details


def _on_screen(call) -> str:
    """A call's time as every screen says it: "Mon 7 Dec, 14:30 to 15:00"."""
    return f"{when(call.starts_at)} to {timezone.localtime(call.ends_at):%H:%M}"


def withdrawal_preview(*, pupil, scope, now) -> list[str]:
    """Issue 19: what withdrawing `scope` for `pupil` would do to their calls, in sentences for the
    parent's confirmation page (answers consent.events.withdrawal_previewed)."""
    calls = list(Call.objects.upcoming(now).for_pupils([pupil.pk]).order_by("starts_at", "pk"))
    if scope == Scope.RECORDING:
        return [f"{c.title}, {_on_screen(c)}: will no longer be recorded." for c in calls if c.record]
    if scope != Scope.VIDEO_CALLS:
        return []
    lines = []
    for call in calls:
        if call.is_one_to_one:
            lines.append(f"{call.title}, {_on_screen(call)}: this one-to-one will be cancelled.")
        else:
            lines.append(f"{call.title}, {_on_screen(call)}: {pupil.first_name} will be taken off this call.")
    return lines


def calls_to_put_back(*, pupil, now) -> list[Call]:
    """Issue 19: upcoming calls `pupil` was taken off when consent was withdrawn and may rejoin now
    (calls.policy.put_back_refusal), soonest first."""
    return [i.call for i in _offered_invitations(pupil=pupil, now=now)]


def _removed_on_withdrawal(now):
    """Invitations taken off an upcoming call when consent was withdrawn, not yet declined."""
    return (
        CallInvitation.objects.filter(removed_reason=CONSENT_WITHDRAWN.reason, removed_at__isnull=False)
        .filter(call__in=Call.objects.upcoming(now))
        # "No, thank you" answers the removal it was said about, not a later one.
        .exclude(put_back_declined_at__gte=F("removed_at"))
        .select_related("call", "call__host", "call__second_staff")
        .order_by("call__starts_at", "call_id")
    )


def _offered_invitations(*, pupil, now) -> list[CallInvitation]:
    in_force = pupil.pk in consenting_pupil_ids([pupil.pk])
    removed = _removed_on_withdrawal(now).filter(pupil=pupil)
    return [i for i in removed if _put_back_refusal(i.call, pupil, now, in_force) is None]


def put_back_offers(*, user, now) -> list[tuple]:
    """Issue 19: [(child, [calls])] for each child of `user` (with parental responsibility, as the
    put-back page requires) who may be put back on calls now. The offer stays on the family's pages
    until the parent accepts or declines it, or the calls start or are cancelled. One query when
    there is nothing to offer (every family page asks), two when there is."""
    if not user.is_authenticated:
        return []
    children = Pupil.objects.filter(guardianships__guardian__user=user, guardianships__parental_responsibility=True)
    removed = list(_removed_on_withdrawal(now).filter(pupil__in=children).select_related("pupil"))
    if not removed:
        return []
    in_force = consenting_pupil_ids({i.pupil_id for i in removed})
    offers: dict[int, tuple] = {}
    for invitation in removed:
        pupil = invitation.pupil
        if _put_back_refusal(invitation.call, pupil, now, pupil.pk in in_force) is None:
            offers.setdefault(pupil.pk, (pupil, []))[1].append(invitation.call)
    return sorted(offers.values(), key=lambda offer: (offer[0].first_name, offer[0].pk))


@transaction.atomic
def decline_put_back(*, pupil, by, now) -> int:
    """Issue 19: the parent says "No, thank you": the calls offered now are no longer offered (the
    invitations keep the answer, with its time, in their audit history). How many were offered."""
    offered = _offered_invitations(pupil=pupil, now=now)
    with set_actor(by):
        for invitation in offered:
            invitation.put_back_declined_at = now
            invitation.save(update_fields=["put_back_declined_at"])
    return len(offered)


def _put_back_refusal(call, pupil, now, in_force) -> str | None:
    return policy.put_back_refusal(
        consent_in_force=in_force,
        kind=call.kind,
        status=call.status,
        starts_at=call.starts_at,
        now=now,
        call_class_id=call.school_class_id,
        pupil_class_id=pupil.school_class_id,
        on_roll=pupil.left_on is None,
    )


def put_back_offer_url(*, pupil, scope, now) -> str | None:
    """After consent is given again (answers consent.events.consent_regiven): the page offering to put the
    child back on the calls they were taken off, if there are any they may rejoin."""
    if scope != Scope.VIDEO_CALLS or not calls_to_put_back(pupil=pupil, now=now):
        return None
    return reverse("calls:put_back", args=[pupil.pk])


@transaction.atomic
def put_back_on_calls(*, pupil, call_ids, by, now) -> list[Call]:
    """Issue 19, CON-1, CON-3: a parent accepts the offer after giving consent again. The child goes
    back on each chosen call the policy still allows (consent in force, call scheduled and not yet
    started, still the child's class), read again under the locks; each host is told, and if the
    call's join details already went out the family gets a fresh personal link at once."""
    wanted = set(call_ids)
    ids = [c.pk for c in calls_to_put_back(pupil=pupil, now=now) if c.pk in wanted]
    # Calls then the pupil, the order every other writer takes them (see remove_from_upcoming_calls).
    locked = list(Call.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    lock_pupils([pupil.pk])
    in_force = pupil.pk in consenting_pupil_ids([pupil.pk])
    restored = []
    for call in locked:
        if _put_back_refusal(call, pupil, now, in_force) is not None:
            continue
        invitation = CallInvitation.objects.get(call=call, pupil=pupil)
        if invitation.removed_reason != CONSENT_WITHDRAWN.reason or invitation.removed_at is None:
            continue
        invitation.removed_at, invitation.removed_reason = None, ""
        invitation.save(update_fields=["removed_at", "removed_reason"])
        call.changed_at = now
        call.save(update_fields=["changed_at"])
        meetings.book_platform_meeting(call)  # Zoom: the child's registrant is approved again
        notify(
            to=call.host.email,
            user=call.host,
            kind="call-pupil-back",
            context=emails.staff_context(call, pupil=pupil),
            dedupe_key=f"call-pupil-back:{invitation.pk}:{now.isoformat()}",
        )
        if call.join_details_sent_at is not None:
            send_join_details(call=call, now=now)  # only this child's family lacks a live link
        restored.append(call)
    if not restored and wanted:
        raise CallError("None of those calls can take your child back now: they may have started or been cancelled.")
    return restored


def answer_withdrawal_preview(sender, *, pupil, scope, now, **kwargs) -> list[str]:
    """consent.events.withdrawal_previewed: what withdrawing would do to the child's calls."""
    return withdrawal_preview(pupil=pupil, scope=scope, now=now)


def answer_consent_regiven(sender, *, pupil, scope, now, **kwargs) -> str | None:
    """consent.events.consent_regiven: the put-back page, if any call may take the child back."""
    return put_back_offer_url(pupil=pupil, scope=scope, now=now)
