"""Sign-in sessions: how long they last, what a locked-out sign-in answers, and a session store
that keeps working while Redis is down.

- Staff sessions end after 30 minutes without a request and 12 hours after sign-in; a parent's
  after 12 hours too. allauth and Django have no idle timeout, and SESSION_COOKIE_AGE alone is
  not an absolute cap (the cookie's expiry moves on whenever the session is saved), so the
  sign-in time and the last request are kept in the session and checked on every request.
- Failed sign-ins are limited by allauth (ACCOUNT_RATE_LIMITS["login_failed"]: 5 per account per
  5 minutes). allauth 65 then shows the sign-in form again with an error and status 200, and
  the right password is refused too; the portal answers 429 instead, so the lock-out is visible
  to monitoring and to scripts, and no password is even checked while it lasts.
- SESSION_ENGINE "accounts.sessions": Django's cached_db store, except that a cache which fails
  (Redis down) is logged and skipped: the database holds every session, so nobody is signed out
  and no page fails because Redis is.
"""

import logging
import time

from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.http import urlencode

logger = logging.getLogger(__name__)

STAFF_IDLE_SECONDS = 30 * 60  # issue 9: "staff sessions end after 30 minutes idle"
ABSOLUTE_SECONDS = 12 * 60 * 60  # "... and 12 hours in all" (parents too)
# The last-seen time is written at most this often, so a page view rarely costs a session write.
SEEN_RESOLUTION_SECONDS = 60
SIGNED_IN_AT = "portal_signed_in_at"
SEEN_AT = "portal_seen_at"
# allauth's sign-in pages, where a locked-out account is answered 429 before any password check.
LOGIN_URL_NAMES = ("account_login", "account_reauthenticate")


class SessionStore(CachedDBStore):
    """cached_db that treats the cache as optional: the database is the record (Redis outage)."""

    def load(self):
        try:
            return super().load()
        except Exception:  # noqa: BLE001 - any cache failure: read the database alone
            logger.warning("Session cache unavailable; reading the session from the database.", exc_info=True)
            session = self._get_session_from_db()
            return self.decode(session.session_data) if session else {}

    def delete(self, session_key=None):
        try:
            super().delete(session_key)
        except Exception:  # noqa: BLE001 - the row is deleted first; a stale cache entry is harmless
            logger.warning("Session cache unavailable; session deleted from the database only.", exc_info=True)

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception:  # noqa: BLE001
            return super(CachedDBStore, self).exists(session_key)


@receiver(user_logged_in, dispatch_uid="accounts.sessions.start_clock")
def start_clock(sender, request, user, **kwargs):
    """Every sign-in starts the 12-hour clock again (Django has already rotated the session key)."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


def session_expired(*, signed_in_at: float, seen_at: float, now: float, is_staff: bool) -> bool:
    """Whether a session must end now: 12 hours after sign-in for everyone, 30 idle minutes for staff."""
    if now - signed_in_at > ABSOLUTE_SECONDS:
        return True
    return is_staff and now - seen_at > STAFF_IDLE_SECONDS


def _is_sign_in_page(request) -> bool:
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return match.view_name in LOGIN_URL_NAMES


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_school_staff", False) or user.is_staff or user.is_superuser)


class SessionSecurityMiddleware:
    """Ends sessions that are too old or idle, and answers 429 to a sign-in while the account is locked out.

    Goes after allauth's AccountMiddleware and before accounts.middleware.StaffMFAMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._locked_out(request):
            return ratelimit.respond_429(request)
        if request.user.is_authenticated and self._expire(request):
            return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _expire(self, request) -> bool:
        """Check and refresh the session's clock; True if it has just been ended."""
        now, session = time.time(), request.session
        signed_in_at = session.get(SIGNED_IN_AT)
        if signed_in_at is None:  # a session from before this middleware (or force_login): start now
            session[SIGNED_IN_AT] = session[SEEN_AT] = now
            return False
        seen_at = session.get(SEEN_AT, signed_in_at)
        if session_expired(signed_in_at=signed_in_at, seen_at=seen_at, now=now, is_staff=_is_staff(request.user)):
            logout(request)
            return True
        if now - seen_at >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_AT] = now
        return False

    def _locked_out(self, request) -> bool:
        """A sign-in POST for an account (or from an address) that has used up its failed attempts."""
        if request.method != "POST" or not _is_sign_in_page(request):
            return False
        from allauth.account.adapter import get_adapter

        email = request.user.email if request.user.is_authenticated else request.POST.get("login", "")
        key = get_adapter(request)._get_login_attempts_cache_key(request, email=email)
        return not ratelimit.consume(request, action="login_failed", key=key, dry_run=True)
