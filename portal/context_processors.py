from django.conf import settings
from django.utils.functional import SimpleLazyObject

from school.models import SchoolSettings

from .registry import nav_for


def portal(request):
    """The school's name, the menu and the demo banner, for every page."""
    return {
        "school": SimpleLazyObject(SchoolSettings.load),
        "nav_items": SimpleLazyObject(lambda: nav_for(request.user)),
        "demo_mode": getattr(settings, "PORTAL_DEMO_MODE", False),
        "mfa_enforced": settings.PORTAL_ENFORCE_STAFF_MFA,
    }
