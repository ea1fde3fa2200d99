"""Who may read and write session logs and welfare contacts (GOV-2).

"Not yours" and "does not exist" are the same 404. Parents never reach any page here, not
even about their own children: a log is a staff record.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.choices import Role
from accounts.permissions import has_any_role, is_dsl_team, is_leadership, is_staff_member
from calls.models import Call
from calls.permissions import calls_visible_to
from school.models import Pupil
from school.permissions import WHOLE_SCHOOL, pupils_visible_to

from .models import SessionLog


def calls_with_logs_visible_to(user):
    """Calls whose log this user may read: the call's host and second staff; every call for the
    whole-school roles (leadership, the DSL team, the office)."""
    if not is_staff_member(user):
        return Call.objects.none()
    if has_any_role(user, WHOLE_SCHOOL):
        return Call.objects.all()
    return Call.objects.filter(Q(host=user) | Q(second_staff=user))


def get_call_for_log(user, call_id) -> Call:
    """A call whose log this user may read, or 404."""
    return get_object_or_404(calls_with_logs_visible_to(user).select_related("host", "second_staff"), pk=call_id)


def may_open_call_page(user, call) -> bool:
    """Whether a log page links to its call's page: the office and the DSL team read every log,
    but the call page is for the call's own staff and leadership (calls.permissions)."""
    return calls_visible_to(user).filter(pk=call.pk).exists()


def logs_visible_to(user):
    return SessionLog.objects.filter(call__in=calls_with_logs_visible_to(user))


def may_write_log(user, call) -> bool:
    """LOG-1: the call's own staff write its log; the headteacher or deputy may write it for them."""
    return is_staff_member(user) and (user.pk in call.staff_ids() or is_leadership(user))


def is_head(user) -> bool:
    """GOV-3: the headteacher (not the deputy) annotates logs once they can no longer be corrected."""
    return has_any_role(user, {Role.HEAD})


def pupils_for_staff(user):
    """Pupils whose contact history and welfare contacts this member of staff may see and log."""
    if not is_staff_member(user):
        return Pupil.objects.none()
    return pupils_visible_to(user)


def get_pupil_for_staff(user, pupil_id) -> Pupil:
    """A pupil this member of staff is entitled to (school.permissions), or 404 (parents too)."""
    return get_object_or_404(pupils_for_staff(user).select_related("school_class"), pk=pupil_id)


def may_mark_safeguarding_follow_up(user) -> bool:
    """CALL-1: only the DSL team marks a welfare contact as a safeguarding follow-up."""
    return is_dsl_team(user)


def sees_safeguarding_follow_ups(user) -> bool:
    """SG-3: a welfare contact marked as a safeguarding follow-up is read only by the DSL team,
    like the concern it follows up (issue 16: its outcome had reached every teacher)."""
    return is_dsl_team(user)


def staff_only(view):
    """View decorator: signed in and a member of staff; parents and others get 404, as if nothing were here."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
