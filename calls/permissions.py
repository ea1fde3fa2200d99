"""Who may see and act on which calls (GOV-2). "Not yours" and "does not exist" are the same 404."""

from django.shortcuts import get_object_or_404

from accounts.permissions import is_leadership, is_staff_member
from school.permissions import children_of

from .models import Call


def calls_visible_to(user):
    """Staff see the calls they host, support or booked; the head and deputy see every call."""
    if is_leadership(user):
        return Call.objects.all()
    if is_staff_member(user):
        return Call.objects.with_staff(user)
    return Call.objects.none()


def get_call_for_staff(user, call_id) -> Call:
    # The call page names all three people: one join instead of three lookups.
    return get_object_or_404(calls_visible_to(user).select_related("host", "second_staff", "booked_by"), pk=call_id)


def may_see_meeting_details(user, call) -> bool:
    """The platform link and passcode: only the call's own staff and whoever booked it (COM-4)."""
    return user.pk in call.staff_ids() or user.pk == call.booked_by_id


def may_manage(user, call) -> bool:
    """Change the time, cancel, set the meeting link: the call's staff, its booker, the head or deputy."""
    return may_see_meeting_details(user, call) or is_leadership(user)


def may_tick_checklist(user, call) -> bool:
    """CALL-6: the host and the second member of staff tick the platform settings."""
    return user.pk in call.staff_ids()


def may_start_as_host(user, call) -> bool:
    """CALL-6: the host and the second member of staff open the platform meeting as moderators."""
    return user.pk in call.staff_ids()


def family_calls_for(user):
    """A parent's children's calls (active invitations only)."""
    return Call.objects.for_pupils(children_of(user).values("pk"))


def get_family_call(user, call_id) -> Call:
    return get_object_or_404(family_calls_for(user), pk=call_id)


def approvals_queue_for(user):
    """CALL-4: one-to-ones waiting for the head or deputy; nobody else has a queue."""
    from .choices import CallKind, CallStatus

    if not is_leadership(user):
        return Call.objects.none()
    return Call.objects.filter(kind=CallKind.ONE_TO_ONE, status=CallStatus.AWAITING_APPROVAL)


def get_child_to_put_back(user, pupil_id):
    """Issue 19: a child of the signed-in parent who holds parental responsibility for them (the
    people who decide consent, CON-2), or 404 like any other guess."""
    from school.models import Pupil

    responsible = (
        Pupil.objects.filter(guardianships__guardian__user=user, guardianships__parental_responsibility=True).distinct()
        if user.is_authenticated
        else Pupil.objects.none()
    )
    return get_object_or_404(responsible, pk=pupil_id)


def removed_family_invitation(user, call_id):
    """Issue 19: the invitation of one of the parent's children to this call that was taken away
    (consent withdrawn, left school, left out at booking), or None. Only the parent's own children,
    so another family still gets the ordinary 404."""
    from school.permissions import children_of as _children

    from .models import CallInvitation

    return (
        CallInvitation.objects.filter(call_id=call_id, pupil__in=_children(user), removed_at__isnull=False)
        .select_related("call", "pupil")
        .order_by("-removed_at")
        .first()
    )


def one_to_ones_to_answer(user, now):
    """Issue 19, CALL-4: upcoming one-to-ones waiting for this parent's answer: a child of theirs,
    for whom they hold parental responsibility, is invited."""
    from school.models import Pupil

    from .choices import CallStatus

    responsible = Pupil.objects.filter(guardianships__guardian__user=user, guardianships__parental_responsibility=True)
    return Call.objects.for_pupils(responsible.values("pk")).not_ended(now).filter(status=CallStatus.AWAITING_PARENT)
