"""Which hosted video platforms (Teams, Meet, Zoom) this deployment holds API credentials for.

Here, in the school app, because the head's choice of platform (SchoolSettings.video_platform) is
validated against it, and the platforms app (a layer above) reads both. Settings only: the
credentials themselves stay in the environment or mounted files (NAME_FILE, read at start-up by
egps_portal.envfiles).
"""

from django.conf import settings

ZOOM, TEAMS, MEET = "zoom", "teams", "meet"


def configured_platforms() -> tuple[str, ...]:
    found = []
    if settings.PORTAL_ZOOM_ACCOUNT_ID and settings.PORTAL_ZOOM_CLIENT_ID and settings.PORTAL_ZOOM_CLIENT_SECRET:
        found.append(ZOOM)
    if settings.PORTAL_TEAMS_TENANT_ID and settings.PORTAL_TEAMS_CLIENT_ID and settings.PORTAL_TEAMS_CLIENT_SECRET:
        found.append(TEAMS)
    if settings.PORTAL_MEET_SERVICE_ACCOUNT_FILE:
        found.append(MEET)
    return tuple(found)
