"""Recent authentication for the most sensitive pages: safeguarding records and every export.

allauth's own `reauthentication_required` counts only an explicit re-authentication, so a person
who signed in a minute ago would be asked for their password again for nothing. This counts any
sign-in, MFA step or re-authentication within ACCOUNT_REAUTHENTICATION_TIMEOUT, and otherwise
hands over to allauth's re-authentication page.
"""

import time
from functools import wraps

from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings


def needs_reauthentication(*, last_authenticated_at: float | None, now: float, window_seconds: int) -> bool:
    """SG-3 and exports: ask for the password again when the last sign-in (or re-authentication)
    is older than the window, or unknown."""
    if last_authenticated_at is None:
        return True
    return now - last_authenticated_at >= window_seconds


def last_authenticated_at(request) -> float | None:
    """When this session last proved who it is (sign-in, MFA or re-authentication), per allauth."""
    # allauth keeps these records in the session; the module is internal, so
    # tests/safeguarding/test_permissions.py pins the behaviour for upgrades.
    from allauth.account.internal.flows.login import get_authentication_records

    times = [r.get("at") for r in get_authentication_records(request, request.user) if r.get("at")]
    return max(times) if times else None


def recently_authenticated(request) -> bool:
    """Whether this session proved who it is within ACCOUNT_REAUTHENTICATION_TIMEOUT (PORTAL_REAUTH_SECONDS)."""
    return not needs_reauthentication(
        last_authenticated_at=last_authenticated_at(request),
        now=time.time(),
        window_seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT,
    )


def recent_authentication_required(view):
    """View decorator: allauth's re-authentication page first when the last sign-in is too old."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not recently_authenticated(request):
            raise ReauthenticationRequired
        return view(request, *args, **kwargs)

    return wrapped
