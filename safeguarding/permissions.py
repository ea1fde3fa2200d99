"""The only way a view loads a concern (SG-3, GOV-2).

Everyone outside the DSL team, the headteacher, a superuser and the reporter included, gets
the same 404 for every concern URL as for a concern that does not exist, so a concern's
existence never leaks. The reporter reaches only their receipt, by its reference.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.reauth import last_authenticated_at, recent_authentication_required  # noqa: F401 - used by views
from school.models import Pupil

from . import policy
from .models import Concern


def is_dsl_team(user) -> bool:
    """SG-3: the DSL or a deputy DSL (by role; Django's superuser flag gives nothing here)."""
    return bool(user.is_authenticated and policy.may_read_concerns(user.roles))


def concerns_visible_to(user):
    """Concerns whose content this user may read: every concern for the DSL team, none otherwise."""
    if is_dsl_team(user):
        return Concern.objects.all()
    return Concern.objects.none()


def get_concern_for(user, concern_id, *, prepare=None) -> Concern:
    """A concern the DSL team may open, or 404 for anyone else and for a missing id.
    prepare: a selector that adds what the page shows (state, reporter) to the same query."""
    concerns = concerns_visible_to(user)
    return get_object_or_404(prepare(concerns) if prepare else concerns, pk=concern_id)


def get_pupil_file_for(user, pupil_id) -> Pupil:
    """A pupil whose safeguarding file this user may read (any pupil, left or on roll), or 404."""
    pupils = Pupil.objects.select_related("school_class") if is_dsl_team(user) else Pupil.objects.none()
    return get_object_or_404(pupils, pk=pupil_id)


def receipts_of(user):
    """The concerns this user raised, for their receipts (reference and time only)."""
    if not user.is_authenticated:
        return Concern.objects.none()
    return Concern.objects.filter(reported_by=user)


def get_receipt_for(user, reference) -> Concern:
    """The reporter's own concern, for its receipt page only; 404 for anyone else."""
    return get_object_or_404(receipts_of(user), reference=reference)


def dsl_team_required(view):
    """View decorator: signed in and in the DSL team; otherwise 404, never 403 (nothing leaks)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_dsl_team(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
