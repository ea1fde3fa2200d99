"""Who may see which pupils, classes and guardians (GOV-2). Views and querysets both use these.

A parent's querysets only ever hold their own children. "Not yours" and "does not exist"
answer the same 404, so a pupil's existence never leaks.
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from accounts.choices import DIRECTORY_KEEPERS, DSL_TEAM, LEADERSHIP, Role
from accounts.permissions import has_any_role

from .models import Guardian, Pupil, SchoolClass

# Roles that see every pupil on roll: leadership, the DSL team and the office.
WHOLE_SCHOOL = LEADERSHIP | DSL_TEAM | DIRECTORY_KEEPERS


def guardian_of(user) -> Guardian | None:
    """The guardian record of a signed-in parent, or None."""
    if not user.is_authenticated:
        return None
    return Guardian.objects.filter(user=user).first()


def pupils_visible_to(user):
    """Pupils this user may see: the whole school, their classes, or their own children."""
    if not user.is_authenticated:
        return Pupil.objects.none()
    if has_any_role(user, WHOLE_SCHOOL):
        return Pupil.objects.all()
    condition = Q(pk__in=[])
    if has_any_role(user, {Role.TEACHER}):
        condition |= Q(school_class__teachers=user)
    condition |= Q(guardianships__guardian__user=user)
    return Pupil.objects.filter(condition).distinct()


def children_of(user):
    """A parent's own children, whatever other roles they hold (their family pages)."""
    if not user.is_authenticated:
        return Pupil.objects.none()
    return Pupil.objects.filter(guardianships__guardian__user=user).distinct()


def get_child_for_guardian(user, pupil_id) -> Pupil:
    """One of the signed-in parent's own children, or 404."""
    return get_object_or_404(children_of(user), pk=pupil_id)


def get_pupil_for(user, pupil_id) -> Pupil:
    """A pupil this user may see, or 404."""
    return get_object_or_404(pupils_visible_to(user), pk=pupil_id)


def classes_visible_to(user):
    """Classes a member of staff may open: every class for the whole-school roles, else their own."""
    if has_any_role(user, WHOLE_SCHOOL):
        return SchoolClass.objects.all()
    if has_any_role(user, {Role.TEACHER}):
        return SchoolClass.objects.filter(teachers=user)
    return SchoolClass.objects.none()


def get_class_for(user, class_id) -> SchoolClass:
    return get_object_or_404(classes_visible_to(user), pk=class_id)


def keeper_required(view):
    """View decorator: the head or office (directory keepers) only; everyone else 403."""
    from accounts.permissions import role_required

    return role_required(*DIRECTORY_KEEPERS)(view)


def get_term_for(user, term_id):
    from .models import TermDate

    return get_object_or_404(
        TermDate.objects.all() if has_any_role(user, DIRECTORY_KEEPERS) else TermDate.objects.none(), pk=term_id
    )


def get_closure_for(user, closure_id):
    from .models import Closure

    return get_object_or_404(
        Closure.objects.all() if has_any_role(user, DIRECTORY_KEEPERS) else Closure.objects.none(), pk=closure_id
    )
