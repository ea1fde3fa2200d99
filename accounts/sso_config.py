"""Staff sign-in with Microsoft or Google: the allauth provider settings built from the environment.

Pure (no Django imports) so settings can call it and tests can build the same settings for their
fake identity providers. Client secrets come from environment variables or NAME_FILE secret
files (egps_portal/envfiles.py), never from allauth's SocialApp table, so no secret sits in the
database in clear and a database dump gives nobody the portal's sign-in apps.
"""

import uuid


class SSOConfigError(ValueError):
    """A half-configured provider: settings turn this into ImproperlyConfigured at start-up."""


def microsoft_provider(*, client_id, secret, tenant, domains, login_url=None, graph_url=None):
    """allauth's `microsoft` provider, restricted to one Entra ID tenant.

    The tenant must be the tenant ID (a GUID), not `common`/`organizations`/a domain name: the
    sign-in then goes to the school's own tenant endpoint, where accounts of other organisations
    and personal Microsoft accounts cannot sign in, and the `tid` claim of the ID token can be
    compared with it exactly.
    """
    if not (client_id and secret and tenant and domains):
        raise SSOConfigError(
            "Microsoft sign-in needs PORTAL_MICROSOFT_CLIENT_ID, PORTAL_MICROSOFT_CLIENT_SECRET, "
            "PORTAL_MICROSOFT_TENANT and PORTAL_MICROSOFT_DOMAINS."
        )
    try:
        tenant = str(uuid.UUID(tenant))
    except ValueError:
        raise SSOConfigError(
            "PORTAL_MICROSOFT_TENANT must be the tenant ID (a GUID from Entra ID, Overview), "
            "not 'common', 'organizations' or a domain name."
        ) from None
    app_settings = {"tenant": tenant, "domains": sorted({d.strip().lower() for d in domains if d.strip()})}
    if login_url:
        app_settings["login_url"] = login_url.rstrip("/")
    if graph_url:
        app_settings["graph_url"] = graph_url.rstrip("/")
    return {
        "APPS": [{"client_id": client_id, "secret": secret, "settings": app_settings}],
        # openid: Entra ID then returns an ID token next to the Graph access token, with the `tid`,
        # `oid` and `amr` claims the portal checks (accounts.sso).
        "SCOPE": ["openid", "profile", "email", "User.Read"],
        "OAUTH_PKCE_ENABLED": True,
    }


def google_provider(*, client_id, secret, workspace_domain):
    """allauth's `google` provider, restricted to one Google Workspace domain."""
    if not (client_id and secret and workspace_domain):
        raise SSOConfigError(
            "Google sign-in needs PORTAL_GOOGLE_CLIENT_ID, PORTAL_GOOGLE_CLIENT_SECRET and PORTAL_GOOGLE_WORKSPACE_DOMAIN."
        )
    domain = workspace_domain.strip().lower()
    return {
        "APPS": [{"client_id": client_id, "secret": secret, "settings": {"workspace_domain": domain}}],
        "SCOPE": ["openid", "profile", "email"],
        # `hd` only tells Google's account chooser which accounts to offer; the portal checks the
        # `hd` claim of the ID token itself (accounts.sso), since anyone can edit this parameter.
        "AUTH_PARAMS": {"hd": domain, "prompt": "select_account"},
        "OAUTH_PKCE_ENABLED": True,
    }


def authorize_origins(providers: dict) -> list[str]:
    """Where the "Sign in with ..." forms send the browser: the Content-Security-Policy's
    form-action must allow these origins, since browsers apply it to the redirect after a form
    is posted (the portal answers the POST with a redirect to the provider's sign-in page)."""
    origins = []
    if "microsoft" in providers:
        login_url = providers["microsoft"]["APPS"][0]["settings"].get("login_url", "https://login.microsoftonline.com")
        origins.append(_origin(login_url))
    if "google" in providers:
        origins.append("https://accounts.google.com")
    return origins


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
