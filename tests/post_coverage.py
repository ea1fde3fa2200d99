"""Every view that accepts a POST has a test that posts to it (issue 17).

A GET-only suite let "saving an edited policy draft" be a 500 for every user. This plugin lists
every URL pattern whose view accepts POST, records each POST the suite makes through the
middleware stack (the test client's, and Playwright's requests to the live server, which runs in
this process; a view called directly with RequestFactory is not "through the front door" and
does not count), and fails a whole-suite run that leaves a pattern without a POST that saved.

A POST counts when it resolved to the pattern, answered below 400, rendered no form with
errors, queued no error message, and had an effect: a database write (the session table aside)
or a redirect. A refused post, or a form shown again with its errors, proves nothing about saving.
Running a single file or a -k selection never fails on this; only a run of everything does.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

# allauth's own views are the library's, tested upstream; the portal only styles them. Matched
# by the view's module and by the URLconf that declares the pattern: allauth.urls also declares
# Django RedirectViews (its deprecated accounts/social/... paths), allauth's all the same.
EXEMPT_MODULE_PREFIXES = ("allauth.",)
# No namespace is left out: the Django admin's POSTs (its login, the changelists' actions, the
# password change, the old-style object URLs) are posted to by tests/admin/test_admin_posts.py,
# as the superuser who uses the admin as a break-glass tool. Kept as a hook, empty on purpose.
EXEMPT_APP_NAMESPACES: tuple[str, ...] = ()

# What in a function view's source says it takes a POST.
POST_SOURCE_MARKERS = re.compile(r"request\.POST|request\.FILES|require_POST|[\"']POST[\"']")

_lock = threading.Lock()
_posted: set[str] = set()  # pattern keys that received a POST that counted
_posted_from: dict[str, set[str]] = {}  # pattern key -> the test files whose POSTs counted
_write_sql = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Pattern:
    key: str  # the URL name ("calls:book") or, unnamed, the route
    route: str
    view: str


def _unwrap(view):
    """The function under decorators (functools.wraps sets __wrapped__) or the class of a CBV."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return view_class
    return inspect.unwrap(view)


def _decorator_sources(view) -> str:
    """Source of each decorator layer: require_POST leaves no attribute, but it wraps the view,
    so the layers between the URL's callable and the innermost function are looked at too."""
    sources = []
    layer = view
    while layer is not None:
        with contextlib.suppress(OSError, TypeError):  # a builtin or C-level layer has no source
            sources.append(inspect.getsource(layer))
        layer = getattr(layer, "__wrapped__", None)
    return "\n".join(sources)


def accepts_post(view) -> bool:
    target = _unwrap(view)
    if inspect.isclass(target):
        return callable(getattr(target, "post", None))
    if _admin_changelist_without_post_handling(view):
        return False
    return bool(POST_SOURCE_MARKERS.search(_decorator_sources(view)))


class _AnySuperuser:
    """Stands in for a superuser when asking a ModelAdmin what its changelist offers."""

    is_active = is_staff = is_superuser = is_authenticated = True

    def has_perm(self, perm, obj=None):
        return True


def _admin_changelist_without_post_handling(view) -> bool:
    """A Django admin changelist handles a POST only for its actions and its list_editable
    formset. Where the ModelAdmin offers neither even to a superuser (read-only by design: the
    platform's meeting reports, the audit history), a POST there shows the list again and can
    save nothing, so there is no POST to test. Decided per ModelAdmin, not per namespace: an
    admin that gains an action or an editable column is listed again."""
    model_admin = getattr(view, "model_admin", None)  # set by ModelAdmin.get_urls on each view
    if model_admin is None or getattr(_unwrap(view), "__name__", "") != "changelist_view":
        return False
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = _AnySuperuser()
    request.resolver_match = None
    return not model_admin.get_actions(request) and not model_admin.list_editable


def _walk(resolver, prefix="", namespace=""):
    from django.urls import URLPattern, URLResolver

    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.app_name in EXEMPT_APP_NAMESPACES or _declared_in_exempt_module(entry):
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, route, inner)
        elif isinstance(entry, URLPattern):
            yield entry, route, (f"{namespace}{entry.name}" if entry.name else route)


def _declared_in_exempt_module(resolver) -> bool:
    module = getattr(resolver.urlconf_module, "__name__", "")
    return module.startswith(EXEMPT_MODULE_PREFIXES)


def _module_of(view) -> str:
    target = _unwrap(view)
    return getattr(target, "__module__", "") or ""


def post_accepting_patterns() -> list[Pattern]:
    from django.urls import get_resolver

    found = {}
    for entry, route, key in _walk(get_resolver()):
        view = entry.callback
        module = _module_of(view)
        if module.startswith(EXEMPT_MODULE_PREFIXES) or not accepts_post(view):
            continue
        found[key] = Pattern(key=key, route=route, view=f"{module}.{getattr(_unwrap(view), '__qualname__', view)}")
    return sorted(found.values(), key=lambda p: p.key)


def key_for(match) -> str:
    return match.view_name if match.url_name else match.route


class RecordPostsMiddleware:
    """Test settings only: notes which patterns received a POST that counts (see the module's
    docstring). Runs in the live server's thread as well as the test client's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST":
            return self.get_response(request)
        seen = _Effects()
        with seen.watching():
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and _counts(request, response, seen):
            test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[0]
            with _lock:
                _posted.add(key_for(match))
                _posted_from.setdefault(key_for(match), set()).add(test)
        if os.environ.get("EGPS_POST_COVERAGE_DEBUG"):
            print("POST", request.path, response.status_code, seen.writes[:3], seen.form_errors)  # noqa: T201
        return response


def _counts(request, response, seen) -> bool:
    """Saved, not refused: below 400, no form shown again with errors, no error message queued,
    and an effect: a database write, or a redirect (starting a call writes nothing here, it
    creates the meeting on the platform and sends the host there)."""
    if response.status_code >= 400 or seen.form_errors or _error_message_queued(request):
        return False
    return bool(seen.writes) or 300 <= response.status_code < 400


def _error_message_queued(request) -> bool:
    from django.contrib import messages

    queued = getattr(getattr(request, "_messages", None), "_queued_messages", [])
    return any(message.level >= messages.ERROR for message in queued)


class _Effects:
    """What one request did: the writes it sent to the database (the session table aside) and
    whether a page it rendered showed a form with errors. Only this thread's, so the live
    server's requests and the test's own queries stay apart."""

    def __init__(self):
        self.writes: list[str] = []
        self.form_errors = False
        self.thread = threading.get_ident()

    def _sql(self, execute, sql, params, many, context):
        if _write_sql.match(sql) and "django_session" not in sql:
            self.writes.append(sql[:120])
        return execute(sql, params, many, context)

    def _rendered(self, sender, context=None, **kwargs):
        if threading.get_ident() == self.thread and context is not None and _has_form_errors(context):
            self.form_errors = True

    @contextlib.contextmanager
    def watching(self):
        from django.db import connections
        from django.test.signals import template_rendered

        template_rendered.connect(self._rendered, weak=False)
        try:
            with contextlib.ExitStack() as stack:
                for alias in connections:
                    stack.enter_context(connections[alias].execute_wrapper(self._sql))
                yield
        finally:
            template_rendered.disconnect(self._rendered)


def _has_form_errors(context) -> bool:
    from django.forms import BaseForm

    # type(), not isinstance(): a lazy context value (the school's settings, the user) must not be
    # evaluated here; isinstance would load it, and with Redis down that alone raises.
    for layer in getattr(context, "dicts", [context]):
        for value in layer.values() if type(layer) is dict else ():
            kind = type(value)
            candidates = value.values() if kind is dict else value if kind in (list, tuple) else [value]
            if any(issubclass(type(c), BaseForm) and c.is_bound and c.errors for c in candidates):
                return True
    return False


def posted() -> set[str]:
    with _lock:
        return set(_posted)


# --- pytest hooks (imported into tests/conftest.py) -----------------------------------------

_STATE_KEY = "egps_post_coverage"


def _state(config) -> dict:
    if not hasattr(config, "_egps_post_coverage"):
        config._egps_post_coverage = {"deselected": 0, "failed": [], "judged": 0}
    return config._egps_post_coverage


def _is_whole_suite(config) -> bool:
    """The run collected everything under testpaths: no path or node-id arguments of its own,
    no -k/-m selection, nothing deselected and not stopped at the first failure."""
    testpaths = [str(Path(config.rootpath, p)) for p in config.getini("testpaths")]
    args = [str(Path(config.invocation_params.dir, a.split("::")[0]).resolve()) for a in config.args]
    if "::" in "".join(config.args) or sorted(args) != sorted(str(Path(p).resolve()) for p in testpaths):
        return False
    if config.getoption("keyword", "") or config.getoption("markexpr", ""):
        return False
    if any(config.getoption(name, False) for name in ("collectonly", "setuponly", "setupplan")):
        return False  # nothing ran
    if config.getoption("maxfail", 0) or config.getoption("lf", False):
        return False
    return not _state(config)["deselected"]


def pytest_deselected(items):
    if items:
        _state(items[0].config)["deselected"] += len(items)


def _worker_file(config) -> Path | None:
    folder = getattr(config, "workerinput", {}).get(_STATE_KEY)
    return Path(folder, f"{config.workerinput['workerid']}.json") if folder else None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):  # pytest-xdist's controller: give every worker a shared folder
    node.workerinput[_STATE_KEY] = _state(node.config).setdefault("folder", tempfile.mkdtemp(prefix="egps-posts-"))


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    worker_file = _worker_file(config)
    if worker_file is not None:  # an xdist worker hands its record to the controller
        worker_file.write_text(json.dumps(sorted(posted())))
        return
    report = os.environ.get("EGPS_POST_COVERAGE_REPORT")
    if report:  # which test files' POSTs counted for each view, for a reviewer; on any run
        with _lock:
            Path(report).write_text(json.dumps({k: sorted(v) for k, v in sorted(_posted_from.items())}, indent=1))
    if session.shouldstop or session.shouldfail or not _is_whole_suite(config):
        return
    seen = posted()
    folder = _state(config).get("folder")
    if folder:
        for file in Path(folder).glob("*.json"):
            seen.update(json.loads(file.read_text()))
    patterns = post_accepting_patterns()
    missing = [p for p in patterns if p.key not in seen]
    _state(config).update(failed=missing, judged=len(patterns))
    if missing:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = _state(config)
    missing = state["failed"]
    if state.get("judged") and not missing:
        terminalreporter.write_line(f"POST coverage: all {state['judged']} views that accept POST were posted to.", green=True)
    if not missing:
        return
    terminalreporter.section("POST coverage: views that accept POST but no test posted to", red=True, bold=True)
    for p in missing:
        terminalreporter.line(f"{p.key:45} /{p.route}  ({p.view})", red=True)
    terminalreporter.line(
        "Each needs a test that posts valid data as its role and checks the effect (tests/post_coverage.py).", red=True
    )


__all__ = ["RecordPostsMiddleware", "post_accepting_patterns", "accepts_post", "posted"]
