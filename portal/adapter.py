import hashlib
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.db import transaction

from accounts.models import User
from notifications.services import notify
from toolkit.urls import portal_url


@dataclass(frozen=True)
class PortalSite:
    """What allauth's email templates call `current_site`: the school and the portal's public
    address, never the Host header of the request that caused the email."""

    name: str
    domain: str

    @classmethod
    def current(cls) -> "PortalSite":
        from school.models import SchoolSettings

        return cls(name=SchoolSettings.load().name, domain=urlsplit(settings.PORTAL_BASE_URL).netloc)


def on_portal(url: str) -> str:
    """An absolute link allauth built from the request, moved onto PORTAL_BASE_URL (same path)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return url
    return settings.PORTAL_BASE_URL + parts.path + (f"?{parts.query}" if parts.query else "")


class PortalAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by the school office, never by public sign-up. (The portal shell holds
    this adapter: it joins accounts to the outbox, which sits above accounts.)

    allauth's own emails (password reset, MFA notices) go through the outbox like every
    other email, so the worker retries them and they leave a record.
    """

    def is_open_for_signup(self, request):
        return False

    def get_login_stages(self):
        """allauth's stages, with the TOTP prompt skipped when a trusted identity provider did MFA."""
        from accounts.sso import login_stages

        return login_stages(super().get_login_stages())

    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, self.email_context(email, context))
        html = next((body for body, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
        # The rendered text holds any one-time key: a retried request dedupes, a new request does not.
        digest = hashlib.sha256(f"{template_prefix}|{email}|{message.subject}|{message.body}".encode()).hexdigest()[:32]
        # The account the mail is about, as allauth names it; never found by the address string
        # (issue 16), so a message shows in an inbox only when it was written for that account.
        user = context.get("user")
        with transaction.atomic():
            notify(
                to=email,
                kind="account-message",
                context={"subject": message.subject, "body_text": message.body, "body_html": html},
                dedupe_key=f"allauth:{template_prefix.rsplit('/', 1)[-1]}:{digest}",
                user=user if isinstance(user, User) and user.pk and user.email.lower() == email.lower() else None,
            )

    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        """allauth's security notices name their account, so send_mail files them under it."""
        super().send_notification_mail(template_prefix, user, {**(context or {}), "user": user}, email)

    def can_delete_email(self, email_address):
        """Addresses are the school's records: nobody removes (or, portal.account_views, adds) their own."""
        return False

    def email_context(self, email, context) -> dict:
        """allauth's context for its emails, naming the school and linking to PORTAL_BASE_URL like
        every other email of the portal (templates/account/email/base_message.txt)."""
        from school.models import SchoolSettings

        site = PortalSite.current()
        links = {key: on_portal(value) for key, value in context.items() if key.endswith("_url") and isinstance(value, str)}
        return {
            "request": allauth_context.request,
            "email": email,
            **context,
            **links,
            "current_site": site,
            "site_name": site.name,
            "site_domain": site.domain,
            "portal_url": settings.PORTAL_BASE_URL + "/",
            "school": SchoolSettings.load(),
        }

    def format_email_subject(self, subject):
        """[School name] subject: the school, not the request's host, is who writes."""
        return f"[{PortalSite.current().name}] {subject}"

    def get_email_confirmation_url(self, request, emailconfirmation):
        return portal_url("account_confirm_email", emailconfirmation.key)

    def get_reset_password_from_key_url(self, key):
        """Links in email use the portal's public address, never the request's Host header."""
        return portal_url("account_reset_password_from_key", uidb36="UID", key="KEY").replace("UID-KEY", quote(key))
