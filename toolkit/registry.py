"""Collects dashboard panels, navigation and demo seeders from the apps that register them.

Each app registers its `dashboard` module in its AppConfig.ready() (`register_dashboard`); the
module offers `panels(request, now)` returning Panel objects and `nav_items(user)` returning
NavItem objects, so the home page and menu grow with the apps without one file that knows them
all. An app with demo data registers its `demo.seed(now)` the same way (`register_demo_seeder`).
Both run in the order the apps are ready (INSTALLED_APPS order).

The menu is on every page, so it is built once per set of roles and kept in the process:
`nav_items(user)` is handed a RolesOnly stand-in that has the user's roles and whether they
have children linked, and nothing else, so an app whose menu would depend on more fails loudly.

Staff hold up to sixteen links, which no single row fits (WCAG 1.4.10, Reflow), so an item may
name a `group`: the menu shows each group as one drop-down, by task, in the order of GROUPS.
A group holding a single item is shown as that plain link. Items in ACCOUNT go to the account
menu at the right; items without a group stand alone (the parents' short menu).
"""

from dataclasses import dataclass, field

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
    group: str = ""


# The staff menu's drop-downs, by task, with where each sits in the row.
CALLS = "Calls"
PUPILS = "Pupils & consent"
SAFEGUARDING = "Safeguarding"
SCHOOL = "School"
OVERSIGHT = "Oversight"
ACCOUNT = "Your account"
GROUPS = {CALLS: 20, PUPILS: 30, SAFEGUARDING: 40, SCHOOL: 70, OVERSIGHT: 80}


@dataclass(frozen=True)
class NavMenu:
    """One entry of the menu row: a drop-down of several items, or a single link."""

    label: str
    items: tuple[NavItem, ...]

    @property
    def single(self) -> NavItem | None:
        return self.items[0] if len(self.items) == 1 else None


@dataclass(frozen=True)
class Menus:
    main: tuple[NavMenu, ...]
    account: tuple[NavItem, ...]


# Filled by each app's AppConfig.ready(), once per process.
_dashboards: list = []
_demo_seeders: list = []


def register_dashboard(module) -> None:
    """An app offers its panels, menu items and child-page sections (its dashboard module)."""
    if module not in _dashboards:
        _dashboards.append(module)


def register_demo_seeder(seed) -> None:
    """An app adds its demo data: `seed(now)`, idempotent, run by `manage.py demo`."""
    if seed not in _demo_seeders:
        _demo_seeders.append(seed)


def demo_seeders() -> list:
    return list(_demo_seeders)


def _modules():
    yield from _dashboards


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
_menus: dict[tuple, tuple[tuple[NavItem, ...], Menus]] = {}
_NO_MENUS = Menus(main=(), account=())


def forget_menus():
    _menus.clear()


def _built_for(user) -> tuple[tuple[NavItem, ...], Menus]:
    who = RolesOnly(roles=user.roles, has_children=user.has_children)
    key = (who.roles, who.has_children, get_urlconf(), get_script_prefix())
    built = _menus.get(key)
    if built is None:
        found = [item for module in _modules() for item in module.nav_items(who)]
        flat = tuple(sorted(found, key=lambda i: i.order))
        built = _menus[key] = (flat, _grouped(flat))
    return built


def _grouped(flat: tuple[NavItem, ...]) -> Menus:
    main: dict[str, list] = {}  # label -> [order, items]
    for item in flat:
        if item.group == ACCOUNT:
            continue
        label = item.group or item.label
        entry = main.setdefault(label, [GROUPS.get(item.group, item.order), []])
        entry[1].append(item)
    ordered = sorted(main.items(), key=lambda pair: pair[1][0])
    return Menus(
        main=tuple(NavMenu(label, tuple(items)) for label, (_, items) in ordered),
        account=tuple(item for item in flat if item.group == ACCOUNT),
    )


def nav_for(user) -> list[NavItem]:
    """Every item of the user's menu, in order, ungrouped."""
    if not user.is_authenticated:
        return []
    return list(_built_for(user)[0])


def menus_for(user) -> Menus:
    """The user's menu as the header shows it: drop-downs by task, and the account menu."""
    if not user.is_authenticated:
        return _NO_MENUS
    return _built_for(user)[1]


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


def call_sections_for(request, call, now) -> list[Panel]:
    """Sections apps above calls add to a call's staff page (the session log link). Optional per
    app: `call_sections(request, call, now)` in <app>/dashboard.py."""
    found = []
    for module in _modules():
        offer = getattr(module, "call_sections", None)
        if offer is not None:
            found.extend(offer(request, call, now))
    return sorted(found, key=lambda p: p.order)


def chronology_sections_for(request, pupil, now) -> list[Panel]:
    """Sections apps above safeguarding add to a pupil's safeguarding chronology (the DSL team's
    follow-up contacts). Optional per app: `chronology_sections(request, pupil, now)` in
    <app>/dashboard.py. The chronology is the DSL team's page, so a section shows only to them."""
    found = []
    for module in _modules():
        offer = getattr(module, "chronology_sections", None)
        if offer is not None:
            found.extend(offer(request, pupil, now))
    return sorted(found, key=lambda p: p.order)
