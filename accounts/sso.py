"""Staff sign-in with the school's Microsoft 365 or Google Workspace account (django-allauth).

Who gets in: only an existing, active account holding a school staff role, found by an address
the school's directory already holds for it (User.email or its allauth EmailAddress rows, which
only the school's records fill: /accounts/email/ is read-only), and only when the identity
provider vouches that the address belongs to the school's own tenant or Workspace domain. Nothing
is ever created from a provider's answer and parents are refused: their way in stays email and
password. Everyone else sees one plain refusal page and nothing is written.

Settings and set-up: accounts/sso_config.py, egps_portal/settings/base.py ("Staff sign-in with
Microsoft or Google"), docs/platforms.md ("Staff sign-in").
"""

import logging
import time

import jwt
from allauth.account.signals import user_logged_in
from allauth.account.utils import filter_users_by_email
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.stages import AuthenticateStage as AllauthAuthenticateStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.microsoft.views import MicrosoftGraphOAuth2Adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import render

from .choices import PARENT

logger = logging.getLogger(__name__)

# Where the checked claims of Microsoft's ID token are kept, next to Graph's profile, in the
# social account's extra_data (no secret: ids, the sign-in name and how the user signed in).
ID_TOKEN_CLAIMS = "portal_id_token"  # noqa: S105  (a key name, not a secret)
# sociallogin.state flag: this sign-in's multi-factor check was done by the identity provider.
STATE_IDP_MFA = "portal_idp_mfa"
# Session record of the same, read by accounts.middleware.StaffMFAMiddleware.
SESSION_IDP_MFA = "portal_sso_idp_mfa"

REFUSED_TEMPLATE = "account/sso_refused.html"


def refuse(request, provider_name: str, reason: str, detail: str = "") -> None:
    """Stop the sign-in with one plain page (403); nothing has been written at this point."""
    logger.warning("Staff sign-in with %s refused: %s %s", provider_name, reason, detail)
    response = render(request, REFUSED_TEMPLATE, {"provider_name": provider_name, "reason": reason}, status=403)
    raise ImmediateHttpResponse(response)


# --- Microsoft -------------------------------------------------------------------------------


class PortalMicrosoftAdapter(MicrosoftGraphOAuth2Adapter):
    """allauth's Microsoft provider, plus the ID token it asks for and does not read.

    allauth's own Microsoft adapter builds the account from Graph's /me alone, which says
    neither which tenant the person signed in to nor how. The portal also asks for `openid`
    and checks the ID token that comes back with the access token: signature against the
    tenant's published keys (found by OIDC discovery on the tenant endpoint), audience (our
    client ID), expiry, and that issuer and `tid` are the school's tenant. Its `oid` must be
    the Graph user's id, so both answers are about the same person.
    """

    def complete_login(self, request, app, token, **kwargs):
        login = super().complete_login(request, app, token, **kwargs)
        id_token = (kwargs.get("response") or {}).get("id_token")
        if not id_token:
            raise OAuth2Error("Microsoft returned no ID token (is 'openid' in the scope?)")
        discovery = self._discovery()
        # jwtkit is allauth's own key lookup (its Google provider uses it): internal, so
        # tests/accounts/test_sso.py pins it, including a token signed with another key.
        try:
            alg, key = jwtkit.fetch_key(id_token, discovery["jwks_uri"], jwtkit.lookup_kid_jwk)
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=[alg],
                audience=app.client_id,
                options={"require": ["exp", "iat", "iss", "aud", "tid", "oid"], "verify_iss": False},
            )
        except (jwt.PyJWTError, KeyError) as exc:
            raise OAuth2Error("Invalid ID token from Microsoft") from exc
        tenant = app.settings.get("tenant")
        if claims["tid"] != tenant or claims["iss"] != discovery["issuer"]:
            refuse(request, "Microsoft", "This Microsoft account does not belong to the school.", f"tid={claims['tid']}")
        if claims["oid"] != login.account.extra_data.get("id"):
            raise OAuth2Error("Microsoft's ID token and profile are about different users")
        login.account.extra_data[ID_TOKEN_CLAIMS] = {
            name: claims.get(name) for name in ("tid", "oid", "preferred_username", "amr", "iss")
        }
        return login

    def _discovery(self) -> dict:
        url = self._build_tenant_url("/v2.0/.well-known/openid-configuration")
        with get_social_adapter().get_requests_session() as session:
            response = session.get(url)
            response.raise_for_status()
            data = response.json()
        if not data.get("issuer") or not data.get("jwks_uri"):
            raise OAuth2Error("Microsoft's OpenID configuration has no issuer or keys")
        return data


# Mounted at allauth's own paths and names (accounts/sso_urls.py, before allauth.urls).
microsoft_login = OAuth2LoginView.adapter_view(PortalMicrosoftAdapter)
microsoft_callback = OAuth2CallbackView.adapter_view(PortalMicrosoftAdapter)


def _microsoft_identity(request, sociallogin) -> tuple[str, bool]:
    app = sociallogin.provider.app
    data = sociallogin.account.extra_data
    claims = data.get(ID_TOKEN_CLAIMS)
    if not claims or claims.get("tid") != app.settings.get("tenant"):
        # Only PortalMicrosoftAdapter sets the checked claims; without them, fail closed.
        refuse(request, "Microsoft", "This Microsoft account does not belong to the school.")
    # The address is the user principal name from the tenant's own directory, not `mail` or the
    # `email` claim: those are editable attributes that Entra ID does not verify (the email claim
    # only counts as verified with `xms_edov`), so an account could carry a staff member's address
    # without owning it. A UPN's domain must be one of the tenant's verified domains, which the
    # school lists in PORTAL_MICROSOFT_DOMAINS. Guests invited from elsewhere have UPNs like
    # someone_gmail.com#EXT#@school.onmicrosoft.com and are refused. (preferred_username in the
    # ID token is documented as display-only, so Graph's value is used.)
    upn = (data.get("userPrincipalName") or "").strip().lower()
    domain = upn.rpartition("@")[2]
    if not upn or "#ext#" in upn or domain not in app.settings.get("domains", []):
        refuse(request, "Microsoft", "This Microsoft account is not a school staff account.", f"upn={upn}")
    return upn, "mfa" in (claims.get("amr") or [])


# --- Google ----------------------------------------------------------------------------------


def _google_identity(request, sociallogin) -> tuple[str, bool]:
    app = sociallogin.provider.app
    data = sociallogin.account.extra_data  # the claims of Google's ID token (allauth checked iss, aud, exp)
    domain = app.settings.get("workspace_domain")
    # `hd` is set only for accounts managed by a Workspace, to its primary domain: a personal
    # Gmail account, or another school's Workspace, has none or another.
    if not domain or (data.get("hd") or "").lower() != domain:
        refuse(request, "Google", "This Google account does not belong to the school's Google Workspace.", f"hd={data.get('hd')}")
    if data.get("email_verified") is not True or not data.get("email"):
        refuse(request, "Google", "Google has not verified this account's email address.")
    # Google's ID token has no claim saying 2-Step Verification was used (no `amr`), so the
    # portal can trust it only when the school states its Workspace enforces 2SV for all staff.
    return data["email"].strip().lower(), bool(settings.PORTAL_GOOGLE_TRUSTS_WORKSPACE_2SV)


IDENTITIES = {"microsoft": _microsoft_identity, "google": _google_identity}


# --- The adapter -----------------------------------------------------------------------------


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    """Match an existing staff account, connect it and sign in; refuse everything else."""

    def is_open_for_signup(self, request, sociallogin):
        return False

    def is_auto_signup_allowed(self, request, sociallogin):
        return False

    def get_provider(self, request, provider, client_id=None):
        """A provider with no client ID set is not there at all: its sign-in URLs answer 404."""
        try:
            return super().get_provider(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404("This way of signing in is not set up.") from None

    def pre_social_login(self, request, sociallogin):
        provider_id = sociallogin.account.provider
        provider_name = sociallogin.provider.name
        identity = IDENTITIES.get(provider_id)
        if identity is None:
            refuse(request, provider_name, "This kind of account cannot be used to sign in.")
        # Connections are made by signing in as the matching staff member, never by a signed-in
        # user adding an account to theirs (that would let a parent attach one).
        if sociallogin.state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
            refuse(request, provider_name, "Accounts are connected by signing in with them, not from this page.")

        address, idp_mfa = identity(request, sociallogin)
        user = self._staff_user_for(request, provider_name, address)
        if sociallogin.is_existing and sociallogin.user.pk != user.pk:
            # Connected before to someone whose directory address has since moved on.
            refuse(request, provider_name, "This account is connected to another portal account.", f"address={address}")

        sociallogin.state[STATE_IDP_MFA] = bool(settings.PORTAL_SSO_TRUSTS_IDP_MFA and idp_mfa)
        if not sociallogin.is_existing:
            # Addresses come from the school's records only: nothing from the provider is added.
            sociallogin.email_addresses = []
            sociallogin.connect(request, user)

    def _staff_user_for(self, request, provider_name, address):
        users = filter_users_by_email(address, is_active=True)
        if len(users) != 1:
            refuse(request, provider_name, f"The school has no staff account with the address {address}.")
        user = users[0]
        if not user.is_school_staff:
            if PARENT in user.roles:
                refuse(request, provider_name, "Parents and carers sign in with their email address and password.")
            refuse(request, provider_name, f"The school has no staff account with the address {address}.")
        # A fresh copy to connect: allauth keeps the user in the session (serialised) while it asks
        # for a TOTP code, and the roles read above are cached on this instance.
        return type(user)._default_manager.get(pk=user.pk)


# --- Multi-factor ----------------------------------------------------------------------------


def _sociallogin_of(login):
    return (getattr(login, "signal_kwargs", None) or {}).get("sociallogin")


class AuthenticateStage(AllauthAuthenticateStage):
    """allauth's "enter your TOTP code" stage, skipped when this very sign-in's MFA was done by the
    school's identity provider and the school trusts it (PORTAL_SSO_TRUSTS_IDP_MFA)."""

    def _should_handle(self, request) -> bool:
        sociallogin = _sociallogin_of(self.login)
        if sociallogin is not None and sociallogin.state.get(STATE_IDP_MFA) and settings.PORTAL_SSO_TRUSTS_IDP_MFA:
            return False
        return super()._should_handle(request)


def login_stages(stages: list[str]) -> list[str]:
    """allauth's login stages with its MFA stage replaced by the one above (account adapter)."""
    return [f"{__name__}.AuthenticateStage" if s == "allauth.mfa.stages.AuthenticateStage" else s for s in stages]


@receiver(user_logged_in, dispatch_uid="accounts.sso.record_idp_mfa")
def record_idp_mfa(sender, request, user, **kwargs):
    """Remember for the session that the identity provider did the second factor (or forget it)."""
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is not None and sociallogin.state.get(STATE_IDP_MFA):
        request.session[SESSION_IDP_MFA] = {"user": str(user.pk), "provider": sociallogin.account.provider, "at": time.time()}
    else:
        request.session.pop(SESSION_IDP_MFA, None)


def keep_sign_in_secrets_out_of_the_admin():
    """Client secrets live in the environment only (accounts/sso_config.py): the Django admin offers
    no "Social applications" form to type one into the database, nor tokens (never stored).
    Connections (SocialAccount) stay in the admin, so a lost or wrong one can be removed."""
    from allauth.socialaccount.models import SocialToken
    from django.contrib import admin

    for model in (SocialApp, SocialToken):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


def idp_mfa_satisfied(request) -> bool:
    """Whether this session's sign-in counts as multi-factor through a trusted identity provider.

    Read on every staff page by accounts.middleware.StaffMFAMiddleware; turning the setting off
    takes effect on the next page.
    """
    if not settings.PORTAL_SSO_TRUSTS_IDP_MFA:
        return False
    record = request.session.get(SESSION_IDP_MFA)
    if not record or record.get("user") != str(request.user.pk):
        return False
    return not (record.get("provider") == "google" and not settings.PORTAL_GOOGLE_TRUSTS_WORKSPACE_2SV)
