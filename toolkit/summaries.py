"""Cached pages: a view draws its page once per data version, then serves the same bytes.

    return summaries.render(request, "calls/list.html", lambda: {...}, name="call list")

The view still runs in full up to that line on every request: it loads the person, checks access
through permissions.py and loads the object the page is about (a 404 stays a 404). Only working
out the page's context and drawing the template are kept, under a key made of:

- the data version (toolkit.versions), read before anything the page shows: any write to the
  portal's tables changes it, so a page is never older than the last write;
- the session (the person, their roles, their form tokens: nothing is ever shared between people
  or between two sign-ins of one person);
- the full path with its query string;
- the minute, because some things change with the clock alone (a log falls overdue, a call
  opens): a page is at most a minute behind the clock (two, for requests in flight while the
  minute turns, which are served the previous minute's page while one request draws the new one);
- the page's name, and a generation that tests changing settings move on.

Nothing is served from the cache or kept in it when the request is not a GET, when a message is
waiting to be shown (base.html shows it once), when the page is not a 200, or when the view says
the page depends on something outside the database (`fresh=True`, e.g. a live meeting's settings
read from the platform). With no data version (SQLite), nothing is cached.

What is kept is encrypted (Fernet, with the same keys as the encrypted fields): a page may show a
safeguarding concern, and the cache must not hold in clear what the database holds encrypted.
"""

import base64
import hashlib
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import render as draw
from django.utils import timezone

from . import versions

# Long enough for the repeat visits of a lesson morning; a new version or a new minute misses anyway.
TIMEOUT_SECONDS = 120
_generation = [0]
_fernet: list[MultiFernet] = []


@receiver(setting_changed, dispatch_uid="toolkit.summaries.new_generation")
def _new_generation(**kwargs):
    _generation[0] += 1
    _fernet.clear()


def _box() -> MultiFernet:
    if not _fernet:
        keys = [
            base64.urlsafe_b64encode(hashlib.sha256(f"summaries|{secret}|{salt}".encode()).digest())
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
            for salt in settings.PORTAL_FIELD_ENCRYPTION_KEYS
        ]
        _fernet.append(MultiFernet([Fernet(key) for key in keys]))
    return _fernet[0]


def _messages_waiting(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0  # len() reads without marking them shown


def key_for(request, name: str, *, minutes_ago: int = 0) -> str | None:
    """The cache key of page `name` on this request, or None when it must be drawn anew."""
    if not settings.PORTAL_CACHE_PAGES or request.method != "GET" or _messages_waiting(request):
        return None
    if not hasattr(request, "session"):
        return None
    version = versions.remembered()
    if version is None:
        return None
    request._summary_version = version
    minute = int(timezone.now().timestamp() // 60) - minutes_ago
    who = request.session.session_key or "-"
    parts = f"{name}|{who}|{request.get_full_path()}|{version}|{minute}|{_generation[0]}"
    return "summary:" + hashlib.sha256(parts.encode()).hexdigest()


def _may_keep(request) -> bool:
    """Nothing written since the key's version was read (a page drawn after this request's own
    write, uncommitted and perhaps rolled back later, must not stand for that version)."""
    return versions.unchanged_since(getattr(request, "_summary_version", None))


def _kept(key: str | None) -> bytes | None:
    found = cache.get(key) if key is not None else None
    if found is None:
        return None
    try:
        return _box().decrypt(found)
    except InvalidToken:  # the keys were rotated since: draw it again
        return None


def _keep(key: str | None, content: bytes) -> None:
    if key is not None:
        cache.set(key, _box().encrypt(content), TIMEOUT_SECONDS)


def _served(request, name: str, fresh: bool) -> tuple[str | None, bytes | None]:
    """(this minute's key, what to serve from the cache or None to draw).

    When the minute has just turned, one request draws the page for the new minute while the
    others are served the previous minute's (same data version, at most a minute older by the
    clock): a page is drawn once per minute, not once per request in flight at the turn.
    """
    key = None if fresh else key_for(request, name)
    if key is None:
        return None, None
    content = _kept(key)
    if content is None and not cache.add(f"{key}:drawing", 1, 10):
        content = _kept(key_for(request, name, minutes_ago=1))
    return key, content


def cached_bytes(request, name: str, build: Callable[[], bytes], *, fresh: bool = False) -> bytes:
    """`build()`'s bytes (a calendar feed), kept under the same key as a page would be."""
    key, content = _served(request, name, fresh)
    if content is None:
        content = build()
        if key is not None and _may_keep(request):
            _keep(key, content)
    return content


def render(request, template_name: str, context: Callable[[], dict], *, name: str, fresh: bool = False):
    """Like django.shortcuts.render, with the context worked out only when the page is drawn."""
    key, content = _served(request, name, fresh)
    if content is not None:
        return HttpResponse(content)
    response = draw(request, template_name, context())
    if key is not None and response.status_code == 200 and _may_keep(request):
        _keep(key, response.content)
    return response
