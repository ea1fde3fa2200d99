"""The one way to build an absolute portal address (email links, calendar feeds, platform callbacks)."""

from django.conf import settings
from django.urls import reverse


def portal_url(viewname: str, *args, query: str = "", **kwargs) -> str:
    """The page `viewname` at the portal's public address, settings.PORTAL_BASE_URL: never the
    request's Host header, which whoever sends the request chooses."""
    path = reverse(viewname, args=args or None, kwargs=kwargs or None)
    return f"{settings.PORTAL_BASE_URL}{path}{'?' + query if query else ''}"
