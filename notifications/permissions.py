"""Who may see which emails (GOV-2). "Not yours" and "does not exist" are the same 404."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import get_object_or_404

from accounts.choices import LEADERSHIP, Role
from accounts.permissions import has_any_role
from school.permissions import WHOLE_SCHOOL

from .models import OutboxMessage, StaffMessage

# Who watches delivery and retries failed email: the headteacher and the office (who keep the
# directory, so they can correct a wrong address).
OUTBOX_KEEPERS = frozenset({Role.HEAD, Role.OFFICE})


def can_manage_outbox(user) -> bool:
    return has_any_role(user, OUTBOX_KEEPERS)


def messages_sent_to(user):
    """The emails the portal sent this person's account, and nothing else (never matched by address)."""
    if not user.is_authenticated:
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.sent_to(user)


def get_message_for(user, message_id) -> OutboxMessage:
    """One email the portal sent this person, or 404."""
    return get_object_or_404(messages_sent_to(user), pk=message_id)


def outbox_visible_to(user):
    """Emails not yet delivered (waiting, sending, failed), for the outbox keepers only."""
    if not can_manage_outbox(user):
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.needing_attention()


def get_outbox_message_for(user, message_id) -> OutboxMessage:
    return get_object_or_404(outbox_visible_to(user), pk=message_id)


def relevant_staff(pupil):
    """Staff who work with this pupil: whole-school roles and the pupil's class teachers.

    The same people school.permissions.pupils_visible_to() lets see the pupil; COM-5 asks for
    one of them (not the author) to be copied into mail to a pupil's own address.
    """
    condition = Q(staff_roles__role__in=WHOLE_SCHOOL)
    if pupil.school_class_id:
        condition |= Q(staff_roles__role=Role.TEACHER, classes_taught=pupil.school_class_id)
    return get_user_model().objects.filter(condition, is_active=True).distinct()


def staff_messages_visible_to(user):
    """Staff messages the user wrote or was copied into; leadership sees them all (COM-5 oversight)."""
    if has_any_role(user, LEADERSHIP):
        return StaffMessage.objects.all()
    if not user.is_authenticated:
        return StaffMessage.objects.none()
    return StaffMessage.objects.filter(Q(author=user) | Q(cc_staff=user)).distinct()


def get_staff_message_for(user, message_id) -> StaffMessage:
    return get_object_or_404(staff_messages_visible_to(user), pk=message_id)
