"""What the three hosted platforms (Teams, Meet, Zoom) share: how a failed call is classified,
and the access-token cache.

A failure is normal: RetryLater carries the platform's Retry-After so the Celery task waits as
long as the platform asked (429, 5xx), while PlatformError (base) is a refusal no retry mends.
Credentials are settings (the environment, or a mounted file named by NAME_FILE, read once at
start-up by egps_portal.envfiles): never the database. Tokens live in the Django cache, keyed by platform and client id,
until shortly before they expire.
"""

import datetime as dt
import email.utils
import hashlib

from django.core.cache import cache

from .base import PlatformError

DEFAULT_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 15 * 60
# A token is thrown away this long before the platform says it expires (clock skew, slow calls).
TOKEN_MARGIN_SECONDS = 120


class RetryLater(PlatformError):
    """The platform is busy (429) or failing (5xx): try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float = DEFAULT_RETRY_SECONDS, status: int = 0):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 10.2.3). Bounded,
    so a platform cannot park a task for a day; nonsense falls back to the default."""
    if not value:
        return DEFAULT_RETRY_SECONDS
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_SECONDS
        if when is None or when.tzinfo is None:
            return DEFAULT_RETRY_SECONDS
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return float(min(max(seconds, 1), MAX_RETRY_SECONDS))


def classify(status: int, headers, platform_name: str, detail: str = "") -> PlatformError:
    """The exception for an HTTP failure: RetryLater for 429 and 5xx, PlatformError otherwise."""
    suffix = f" ({detail})" if detail else ""
    if status == 429 or status >= 500:
        return RetryLater(
            f"{platform_name} is busy or unavailable (HTTP {status}); the portal will try again.",
            retry_after=retry_after_seconds(headers.get("Retry-After") if headers else None),
            status=status,
        )
    return PlatformError(f"{platform_name} refused the request (HTTP {status}){suffix}.")


def token_cache_key(platform: str, client_id: str) -> str:
    return f"platforms:token:{platform}:{hashlib.sha256(client_id.encode()).hexdigest()[:16]}"


def cached_token(platform: str, client_id: str, fetch) -> str:
    """An access token from the cache, or a new one from `fetch()` -> (token, expires_in seconds)."""
    key = token_cache_key(platform, client_id)
    token = cache.get(key)
    if token:
        return token
    token, expires_in = fetch()
    cache.set(key, token, timeout=max(int(expires_in) - TOKEN_MARGIN_SECONDS, 30))
    return token


def forget_token(platform: str, client_id: str) -> None:
    """A 401 with a cached token: the platform revoked it early, fetch a new one next time."""
    cache.delete(token_cache_key(platform, client_id))
