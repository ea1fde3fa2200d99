"""Staff must use multi-factor sign-in when PORTAL_ENFORCE_STAFF_MFA is on.

allauth's MFA has no per-role switch, so this middleware sends a member of staff who has no
authenticator yet to set one up before any other page. Parents are not asked. Anyone who may
use the Django admin (is_staff or is_superuser) counts as staff here even with no school role:
the admin sees every account (issue 16).
"""

from django.conf import settings
from django.shortcuts import redirect

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
