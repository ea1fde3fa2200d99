"""Staff must use multi-factor sign-in when PORTAL_ENFORCE_STAFF_MFA is on.

allauth's MFA has no per-role switch, so this middleware sends a member of staff who has no
authenticator yet to set one up before any other page. Parents are not asked. Anyone who may
use the Django admin (is_staff or is_superuser) counts as staff here even with no school role:
the admin sees every account (issue 16).
"""

import copy

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from toolkit import versions

from .sso import idp_mfa_satisfied

# Pages a member of staff without MFA may still reach: sign-in and MFA set-up itself,
# sign-out, the public policy, health checks and static files.
ALLOWED_PREFIXES = ("/accounts/", "/policy/", "/healthz", "/static/", "/media/")


class StaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up_mfa(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_set_up_mfa(self, request) -> bool:
        if not settings.PORTAL_ENFORCE_STAFF_MFA:
            return False
        user = request.user
        if not user.is_authenticated or request.path.startswith(ALLOWED_PREFIXES):
            return False
        # Read with the roles, in the same query (accounts.models.User._role_facts).
        if not (user.is_school_staff or user.is_staff or user.is_superuser) or user.has_totp:
            return False
        # Signed in through the school's identity provider, whose multi-factor check the school trusts.
        return not idp_mfa_satisfied(request)


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with the signed-in person (and their roles) kept per data version.

    Loading the person and their roles is two queries on every page. Both only change with a write
    to the portal's tables, which moves the data version (toolkit/versions.py), so they are kept in
    the process under (person, sign-in backend, session's password hash) for that version: the next
    page after any change (a role removed, a password changed, an account deactivated) loads them
    again. Each request gets its own copy, so nothing one request does to it reaches another. A
    person who could not be loaded (signed out, deactivated) is never kept.
    """

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: known_user(request))


_known = versions.PerVersion()


def known_user(request):
    session = request.session
    key = (session.get(SESSION_KEY), session.get(BACKEND_SESSION_KEY), session.get(HASH_SESSION_KEY))
    if key[0] is None:
        return auth.get_user(request)
    return _copy(_known.get(key, lambda: _loaded(request), keep=lambda user: user.is_authenticated))


def _loaded(request):
    user = auth.get_user(request)  # checks the backend, the session's hash and is_active
    if user.is_authenticated:
        user.roles  # noqa: B018 - read the roles now, so the kept person has them
    return user


def _copy(user):
    if not user.is_authenticated:
        return user
    clone = copy.copy(user)
    clone._state = copy.copy(user._state)
    clone._state.fields_cache = {}
    return clone
