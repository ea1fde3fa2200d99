"""Who may see and change which consent records (GOV-2). "Not yours" and "does not exist" are
the same 404, so nobody learns that a pupil or question exists by guessing ids."""

from django.shortcuts import get_object_or_404

from accounts.choices import Role
from accounts.permissions import has_any_role
from school.models import Pupil
from school.permissions import children_of, classes_visible_to, guardian_of

from .models import FamilyQuestion

# Record a decision a parent gave by phone, paper or blog (CON-4): the office and leadership
# for any pupil, a teacher for the pupils of their own classes.
RECORDERS_FOR_ANY_PUPIL = frozenset({Role.OFFICE, Role.HEAD, Role.DEPUTY})
# Read and answer parents' questions (COM-7).
QUESTION_QUEUE_ROLES = frozenset({Role.OFFICE, Role.HEAD})
# Send consent requests to a class or the whole school.
REQUEST_SENDERS = frozenset({Role.OFFICE, Role.HEAD})
# See who has not acknowledged the acceptable-use guidance (CON-7).
ACKNOWLEDGEMENT_OVERSEERS = frozenset({Role.OFFICE, Role.HEAD, Role.DEPUTY})


def pupils_recordable_by(user):
    """Pupils for whom `user` may enter a parent's decision given by phone, paper or blog."""
    if not user.is_authenticated:
        return Pupil.objects.none()
    if has_any_role(user, RECORDERS_FOR_ANY_PUPIL):
        return Pupil.objects.on_roll()
    if has_any_role(user, {Role.TEACHER}):
        return Pupil.objects.on_roll().filter(school_class__teachers=user).distinct()
    return Pupil.objects.none()


def get_pupil_for_recording(user, pupil_id) -> Pupil:
    """A pupil `user` may enter a decision for (CON-4), or 404."""
    return get_object_or_404(pupils_recordable_by(user), pk=pupil_id)


def may_record_for_others(user) -> bool:
    """Whether to offer the "record a decision" link at all (the pupil is still checked)."""
    return has_any_role(user, RECORDERS_FOR_ANY_PUPIL | {Role.TEACHER})


def may_record_for_class(user, school_class) -> bool:
    """Whether the pupils of this class page link to "record a decision": only if this person may
    open those pages (the DSL team sees every class but records only for classes they teach)."""
    return pupils_recordable_by(user).filter(school_class=school_class).exists()


def consent_classes_for(user):
    """Classes whose consent view `user` may open: their own as a teacher, all for whole-school roles."""
    return classes_visible_to(user)


def get_child(user, pupil_id) -> Pupil:
    """One of the signed-in parent's own children, or 404 (the family pages)."""
    return get_object_or_404(children_of(user), pk=pupil_id)


def own_questions(user):
    """Only the questions this person asked as a guardian, whatever roles they also hold."""
    guardian = guardian_of(user)
    if guardian is None:
        return FamilyQuestion.objects.none()
    return FamilyQuestion.objects.filter(guardian=guardian)


def get_own_question(user, question_id) -> FamilyQuestion:
    """One of the signed-in guardian's own questions, or 404 (COM-7)."""
    return get_object_or_404(own_questions(user), pk=question_id)


def get_queue_question(user, question_id) -> FamilyQuestion:
    """Any question, for the office and head who answer them; 404 for everyone else."""
    queue = FamilyQuestion.objects.all() if has_any_role(user, QUESTION_QUEUE_ROLES) else FamilyQuestion.objects.none()
    return get_object_or_404(queue.select_related("guardian"), pk=question_id)


# Whole-school consent counts on the dashboard: leadership, the DSL team and the office.
COUNTS_ROLES = frozenset({Role.HEAD, Role.DEPUTY, Role.DSL, Role.DEPUTY_DSL, Role.OFFICE})


def may_remind_school(user) -> bool:
    """Issue 19: remind every family that never answered (the office and head, who send requests)."""
    return has_any_role(user, REQUEST_SENDERS)
