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
  opens): a page is at most a minute behind the clock, except for requests that arrive while
  another request is drawing the page for the new minute: they are served its latest drawing for
  the same data version (never more than STALE_MINUTES old) instead of all drawing it at once;
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
from django.utils.html import format_html

from . import versions

# Long enough for the repeat visits of a lesson morning; a new version or a new minute misses anyway.
TIMEOUT_SECONDS = 120
# A page's latest drawing, served only to requests in flight while one of them draws it again.
LATEST_SECONDS = 600
STALE_MINUTES = 5
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


def key_for(request, name: str, *, any_minute: bool = False) -> str | None:
    """The cache key of page `name` on this request, or None when it must be drawn anew.
    `any_minute`: the key of the page's latest drawing for this data version, whatever the minute."""
    if not settings.PORTAL_CACHE_PAGES or request.method != "GET" or _messages_waiting(request):
        return None
    if not hasattr(request, "session"):
        return None
    version = versions.remembered()
    if version is None:
        return None
    request._summary_version = version
    minute = "any" if any_minute else _minute()
    who = request.session.session_key or "-"
    parts = f"{name}|{who}|{request.get_full_path()}|{version}|{minute}|{_generation[0]}"
    return "summary:" + hashlib.sha256(parts.encode()).hexdigest()


def _minute() -> int:
    return int(timezone.now().timestamp() // 60)


def _may_keep(request) -> bool:
    """Nothing written since the key's version was read (a page drawn after this request's own
    write, uncommitted and perhaps rolled back later, must not stand for that version)."""
    return versions.unchanged_since(getattr(request, "_summary_version", None))


def _decrypted(found) -> bytes | None:
    if found is None:
        return None
    try:
        return _box().decrypt(found)
    except InvalidToken:  # the keys were rotated since: draw it again
        return None


def _keep(request, name: str, key: str, content: bytes) -> None:
    sealed = _box().encrypt(content)
    cache.set(key, sealed, TIMEOUT_SECONDS)
    cache.set(key_for(request, name, any_minute=True), (_minute(), sealed), LATEST_SECONDS)


def _served(request, name: str, fresh: bool) -> tuple[str | None, bytes | None]:
    """(this minute's key, what to serve from the cache, or None to draw the page).

    When the minute has turned since the page was last drawn, one request draws it again while the
    others in flight are served its latest drawing for the same data version (by the clock at most
    STALE_MINUTES older): a page is drawn once, not once per request waiting at the turn.
    """
    key = None if fresh else key_for(request, name)
    if key is None:
        return None, None
    content = _decrypted(cache.get(key))
    if content is None and not cache.add(f"{key}:drawing", 1, 10):
        latest = cache.get(key_for(request, name, any_minute=True))
        if latest is not None and latest[0] >= _minute() - STALE_MINUTES:
            content = _decrypted(latest[1])
    return key, content


def cached_bytes(request, name: str, build: Callable[[], bytes], *, fresh: bool = False) -> bytes:
    """`build()`'s bytes (a calendar feed), kept under the same key as a page would be."""
    key, content = _served(request, name, fresh)
    if content is None:
        content = build()
        if key is not None and _may_keep(request):
            _keep(request, name, key, content)
    return content


def live_part(name: str) -> str:
    """Where a part drawn on every request goes in a kept page (`live` of render())."""
    # A fixed marker: the page's own text is escaped ("<" as "&lt;"), so it can never forge one.
    return format_html("<!--live:{}-->", name)


def render(request, template_name: str, context: Callable[[], dict], *, name: str, fresh: bool = False, live=None):
    """Like django.shortcuts.render, with the context worked out only when the page is drawn.

    `live` ({name: callable returning HTML}) are parts drawn on every request, kept page or not
    (the concern page's access record, which each reading adds to); the context puts
    `live_part(name)` where each goes."""
    key, content = _served(request, name, fresh)
    if content is None:
        response = draw(request, template_name, context())
        if key is not None and response.status_code == 200 and _may_keep(request):
            _keep(request, name, key, response.content)
        if not live or response.status_code != 200:
            return response
        content = response.content
    for part, draw_part in (live or {}).items():
        content = content.replace(live_part(part).encode(), str(draw_part()).encode(), 1)
    return HttpResponse(content)
