"""Who holds which role: the one place views and querysets ask (GOV-2)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .choices import DIRECTORY_KEEPERS, DSL_TEAM, LEADERSHIP, PARENT, STAFF_ROLES


def has_any_role(user, roles) -> bool:
    """True if the signed-in user holds at least one of `roles`."""
    return bool(user.is_authenticated and user.roles & frozenset(roles))


def is_staff_member(user) -> bool:
    return has_any_role(user, STAFF_ROLES)


def is_leadership(user) -> bool:
    """Headteacher or deputy head: approve one-to-ones, watch compliance."""
    return has_any_role(user, LEADERSHIP)


def is_dsl_team(user) -> bool:
    """DSL or deputy DSL: the only people who read safeguarding concerns (SG-3)."""
    return has_any_role(user, DSL_TEAM)


def is_directory_keeper(user) -> bool:
    """Head or office: keep the school directory and assign staff roles."""
    return has_any_role(user, DIRECTORY_KEEPERS)


def is_parent(user) -> bool:
    return has_any_role(user, {PARENT})


def role_required(*roles):
    """View decorator: signed in, and holding one of `roles`; otherwise 403."""
    wanted = frozenset(roles)

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_any_role(request.user, wanted):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(*STAFF_ROLES)
