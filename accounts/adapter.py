import hashlib
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.urls import reverse


class PortalAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by the school office, never by public sign-up.

    allauth's own emails (password reset, MFA notices) go through the outbox like every
    other email, so the worker retries them and they leave a record.
    """

    def is_open_for_signup(self, request):
        return False

    def get_login_stages(self):
        """allauth's stages, with the TOTP prompt skipped when a trusted identity provider did MFA."""
        from .sso import login_stages

        return login_stages(super().get_login_stages())

    def send_mail(self, template_prefix, email, context):
        from notifications.services import notify

        from .models import User

        request = allauth_context.request
        message = self.render_mail(
            template_prefix, email, {"request": request, "email": email, "current_site": get_current_site(request), **context}
        )
        html = next((body for body, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
        # The rendered text holds any one-time key: a retried request dedupes, a new request does not.
        digest = hashlib.sha256(f"{template_prefix}|{email}|{message.subject}|{message.body}".encode()).hexdigest()[:32]
        with transaction.atomic():
            notify(
                to=email,
                kind="account-message",
                context={"subject": message.subject, "body_text": message.body, "body_html": html},
                dedupe_key=f"allauth:{template_prefix.rsplit('/', 1)[-1]}:{digest}",
                user=User.objects.filter(email__iexact=email).first(),
            )

    def get_reset_password_from_key_url(self, key):
        """Links in email use the portal's public address, never the request's Host header."""
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return settings.PORTAL_BASE_URL + path.replace("UID-KEY", quote(key))
