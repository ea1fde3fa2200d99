from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject

from school.models import SchoolSettings
from toolkit import registry
from toolkit.registry import menus_for, nav_for


def portal(request):
    """The school's name, the menu and the demo banner, for every page."""
    return {
        "school": SimpleLazyObject(SchoolSettings.load),
        "nav_items": SimpleLazyObject(lambda: nav_for(request.user)),
        "menus": SimpleLazyObject(lambda: menus_for(request.user)),
        "shell": shell_links(),
        "demo_mode": getattr(settings, "PORTAL_DEMO_MODE", False),
        "mfa_enforced": settings.PORTAL_ENFORCE_STAFF_MFA,
    }


# The fixed links and static files of templates/base.html, worked out once per process (per urlconf
# and script prefix) instead of a {% url %} or {% static %} per link on every page.
_shell_links: dict[tuple, dict[str, str]] = {}


def shell_links() -> dict[str, str]:
    key = (get_urlconf(), get_script_prefix())
    found = _shell_links.get(key)
    if found is None:
        found = _shell_links[key] = {
            "home": reverse("home"),
            "policy": reverse("governance:policy"),
            "sign_in": reverse("account_login"),
            "sign_out": reverse("account_logout"),
            "raise_concern": reverse("safeguarding:raise"),
            "bootstrap_css": static("vendor/bootstrap/bootstrap.min.css"),
            "portal_css": static("css/portal.css"),
            "bootstrap_js": static("vendor/bootstrap/bootstrap.bundle.min.js"),
        }
    return found


@receiver(setting_changed, dispatch_uid="portal.context_processors.forget_links")
def forget_links(**kwargs):
    """A test that changes the urlconf, static files or apps gets links and menus worked out again."""
    _shell_links.clear()
    registry.forget_menus()
