"""Collects dashboard panels and navigation from each app's dashboard.py.

Each app listed in settings.PORTAL_APPS_WITH_PANELS offers `panels(request, now)` returning
Panel objects and `nav_items(user)` returning NavItem objects, so the home page and menu
grow with the apps without one file that knows them all.
"""

from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings


@dataclass(frozen=True)
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50
    # "attention" panels are drawn with a warning edge: something needs doing.
    attention: bool = False


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    order: int = 50


def _modules():
    for app in settings.PORTAL_APPS_WITH_PANELS:
        yield import_module(f"{app}.dashboard")


def panels_for(request, now) -> list[Panel]:
    found = [p for module in _modules() for p in module.panels(request, now)]
    return sorted(found, key=lambda p: p.order)


def nav_for(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    found = [item for module in _modules() for item in module.nav_items(user)]
    return sorted(found, key=lambda i: i.order)


def child_sections_for(request, pupil, now, *, audience: str) -> list[Panel]:
    """Sections other apps add to a child's page (consent, calls...). Optional per app:
    `child_sections(request, pupil, now, audience)` in <app>/dashboard.py, where audience is
    "family" (a parent's page) or "staff" (the staff pupil page)."""
    found = []
    for module in _modules():
        offer = getattr(module, "child_sections", None)
        if offer is not None:
            found.extend(offer(request, pupil, now, audience))
    return sorted(found, key=lambda p: p.order)
