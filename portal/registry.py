"""Collects dashboard panels and navigation from each app's dashboard.py.

Each app listed in settings.PORTAL_APPS_WITH_PANELS offers `panels(request, now)` returning
Panel objects and `nav_items(user)` returning NavItem objects, so the home page and menu
grow with the apps without one file that knows them all.

The menu is on every page, so it is built once per set of roles and kept in the process:
`nav_items(user)` is handed a RolesOnly stand-in that has the user's roles and whether they
have children linked, and nothing else, so an app whose menu would depend on more fails loudly.
"""

from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf


@dataclass(frozen=True)
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50
    # "attention" panels are drawn with a warning edge: something needs doing.
    attention: bool = False


@dataclass(frozen=True)
class Task:
    """One line of the dashboard's "Needs you" task list (issue 19, the GOV.UK task-list pattern):
    what needs this person now, how many, and where to do it. `key` names the line for tests
    and screen readers; `action` is an optional one-press form (url, label) such as "Remind";
    `links` are (label, url) pairs shown under the line (e.g. each failed address to fix)."""

    key: str
    label: str
    count: int
    url: str
    order: int = 50
    hint: str = ""
    action: tuple[str, str] | None = None
    links: tuple[tuple[str, str], ...] = ()
    # Drawn larger and first: a new safeguarding concern is never just a "1" in a table.
    urgent: bool = False


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


def tasks_for(request, now) -> list[Task]:
    """The "Needs you" list: optional per app, `needs_you(request, now)` in <app>/dashboard.py
    returning Task objects for the signed-in person's roles (a fixed number of queries each)."""
    found = []
    for module in _modules():
        offer = getattr(module, "needs_you", None)
        if offer is not None:
            found.extend(offer(request, now))
    return sorted(found, key=lambda t: (not t.urgent, t.order))


@dataclass(frozen=True)
class RolesOnly:
    """All that a menu may depend on (accounts.models.User.roles and has_children)."""

    roles: frozenset
    has_children: bool
    is_authenticated = True


# (roles, has_children, urlconf, script prefix) -> the menu; at most a few dozen role sets.
_menus: dict[tuple, tuple[NavItem, ...]] = {}


def forget_menus():
    _menus.clear()


def nav_for(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    who = RolesOnly(roles=user.roles, has_children=user.has_children)
    key = (who.roles, who.has_children, get_urlconf(), get_script_prefix())
    menu = _menus.get(key)
    if menu is None:
        found = [item for module in _modules() for item in module.nav_items(who)]
        menu = _menus[key] = tuple(sorted(found, key=lambda i: i.order))
    return list(menu)


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
