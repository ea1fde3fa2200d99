"""Trust, bounded input (issue 16, point 5): hostile values in every query-string parameter and
every path id the portal reads, as every role. No answer is a 500; a GET writes nothing beyond
what the same page writes on a plain visit (a recorded read, the session).

Nothing here is a hand list that can go stale:
- the URLs come from walking the URLconf (tests/trust/test_authorization_matrix.py's walk, which
  already fails when a URL has no way to be built);
- the query-string parameters come from instrumenting request.GET while each role visits each
  page it may see: every key a view, form or middleware asks for is recorded, present or not.
  A page whose form binds only when the query string is non-empty (`request.GET or None`) is
  visited again with a probe parameter, then with every key found so far, until no new key shows;
- the path arguments come from each pattern's converters (int, str, slug).

Run: python -m pytest tests/trust/test_fuzz_urls.py -q
"""

import contextlib
import re
import threading
import time
import urllib.parse

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.urls.converters import IntConverter, SlugConverter, StringConverter
from django.utils.functional import cached_property
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from toolkit.converters import TextConverter

from . import authz_table as table
from .conftest import ROLES, rolled_back
from .test_authorization_matrix import named_urls, resolve_path

pytestmark = pytest.mark.django_db

# --- what an attacker types into a URL ---------------------------------------------------------

HOSTILE = [
    "", " ", "0", "-1", "-0", "+1", "1.5", "1e10", "NaN", "0x10", "²", "١", "١٢", "٣", "𝟙", "Ⅻ",
    "2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "99999999999999999999",
    "-99999999999999999999", "9" * 400,
    "9999-12-31", "0001-01-01", "2026-02-30", "0000-00-00", "2026-13-01", "31/12/2026", "2026-W99", "2026-W53",
    "9999-W52", "0001-W01", "9999-12-31T23:59", "2026-11-10T25:00",
    "\x00", "a\x00b", "%00", "\r\nX-Injected: 1", "\u202e", "\ud7ff\ufeff",
    "'; DROP TABLE school_pupil; --", "' OR '1'='1", "%", "_", "\\", "<script>alert(1)</script>", '"><b>x</b>',
    "../../etc/passwd", "{{ 7*7 }}", "true", "null", "[]",
    "A" * 5000, "𝕏" * 1000,
]  # fmt: skip
# One of each kind for the deterministic sweep (hypothesis draws from all of HOSTILE and beyond).
SWEEP = ["", "-1", "²", "١٢", "1e10", "2147483648", "9223372036854775808", "99999999999999999999", "9" * 400,
         "9999-12-31", "0001-01-01", "2026-02-30", "9999-W52", "a\x00b", "\r\nX-Injected: 1",
         "'; DROP TABLE school_pupil; --", "%", "<script>alert(1)</script>", "A" * 5000, "𝕏" * 1000]  # fmt: skip
TEXT = st.text(max_size=30)
VALUE = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers().map(str),
    st.dates().map(str),
    TEXT,
)
# A repeated key (?page=1&page=x) reaches views that call .get() (the last) and .getlist() (all).
VALUES = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))

# Path arguments: only what the converter lets through reaches a view. The listed values are each
# sent to every argument (test_every_listed_path_value_reaches_every_argument); hypothesis adds more.
INT_PATH = ["0", "00", "2147483648", "9223372036854775807", "9223372036854775808", "99999999999999999999", "9" * 400]
TEXT_PATH = [h for h in HOSTILE if h and "/" not in h]
SLUG_PATH = ["0", "-", "_", "a" * 5000, "9" * 30, "logs-missing-x"]
LISTED = {IntConverter: INT_PATH, StringConverter: TEXT_PATH, TextConverter: TEXT_PATH, SlugConverter: SLUG_PATH}
PATH_VALUES = {
    IntConverter: st.one_of(st.sampled_from(INT_PATH), st.integers(min_value=0).map(str)),
    StringConverter: st.one_of(st.sampled_from(TEXT_PATH), TEXT.filter(lambda s: s and "/" not in s)),
    TextConverter: st.one_of(st.sampled_from(TEXT_PATH), TEXT.filter(lambda s: s and "/" not in s)),
    SlugConverter: st.one_of(st.sampled_from(SLUG_PATH), st.from_regex(r"\A[-a-zA-Z0-9_]{1,40}\Z")),
}

FUZZ = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is stable
    phases=[Phase.explicit, Phase.generate],  # every failure is listed at once; no slow shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- recording what a view reads from the query string --------------------------------------------

_reading = threading.local()


class RecordingQueryDict(QueryDict):
    """request.GET that notes every key asked for (a form field, .get(), .getlist(), `in`)."""

    def _note(self, key):
        keys = getattr(_reading, "keys", None)
        if keys is not None:
            keys.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)


@contextlib.contextmanager
def recording_query_reads():
    """Patch WSGIRequest.GET for the block; yields the set of keys read."""
    original = WSGIRequest.__dict__["GET"]

    def get(self):
        return RecordingQueryDict(self.environ.get("QUERY_STRING", ""), encoding=self._encoding)

    patched = cached_property(get)
    patched.__set_name__(WSGIRequest, "GET")
    WSGIRequest.GET = patched
    _reading.keys = set()
    try:
        yield _reading.keys
    finally:
        WSGIRequest.GET = original
        _reading.keys = None


WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# Written by the framework on any visit (a session touched, a sign-in remembered), not by the page.
FRAMEWORK_TABLES = {"django_session"}


def tables_written(queries) -> set[str]:
    return {m.group(1) for q in queries if (m := WRITE.match(q["sql"]))} - FRAMEWORK_TABLES


def visit(client, method, url, params=None):
    """(status or the exception's text, tables written), the request rolled back."""
    with rolled_back(), CaptureQueriesContext(connection) as queries:
        try:
            response = client.get(url, params or {}) if method == "GET" else client.post(url, params or {})
        except Exception as error:  # noqa: BLE001 - a view that raised is exactly what we look for
            return f"{type(error).__name__}: {str(error)[:200]}", set()
    return response.status_code, tables_written(queries)


def client_for(world, role) -> Client:
    """Signed in just now, as tests/conftest.py's force_login records it (that fixture is
    function-scoped, and discovery runs once per module)."""
    client = Client()
    if role != "anonymous":
        user = world.people[role]
        client.force_login(user)
        session = client.session
        session["account_authentication_methods"] = [{"method": "password", "at": time.time()}]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client


# --- discovery --------------------------------------------------------------------------------


def _portal_urls():
    """(name, pattern, method) of every named portal URL; the Django admin is Django's own code."""
    for name, pattern in sorted(named_urls().items()):
        if name.startswith("admin:"):
            continue
        for method in sorted({row["method"] for row in table.rows_for(name)}):
            yield name, pattern, method


def url_kwargs(world, name, pattern) -> dict:
    paths = {**table.KWARGS, **table.ARGS.get(name, {})}
    return {p: resolve_path(world, paths[p]) for p in pattern.pattern.regex.groupindex}


def _keys_read(client, url) -> tuple[set, object, set]:
    """Keys the page reads, its plain answer, the tables a plain visit writes."""
    with recording_query_reads() as keys:
        status, written = visit(client, "GET", url)
    found = set(keys)
    if status != 200:
        return found, status, written  # refused or sent elsewhere: nothing more to learn
    # A form bound only to a non-empty query string, then keys read only when others are given.
    asked = {"_probe": "1"}
    for _ in range(3):
        with recording_query_reads() as keys:
            _, tables = visit(client, "GET", url, asked)
        written |= tables
        new = keys - {"_probe"} - found
        found |= new
        if not found or (not new and "_probe" not in asked):
            break
        asked = dict.fromkeys(found, "1")
    return found, status, written


@pytest.fixture(scope="module")
def discovered(world):
    """{role: [(name, url, keys, plain status, tables a plain visit writes)]} for every GET page."""
    pages = {}
    for role in ROLES:
        client = client_for(world, role)
        pages[role] = []
        for name, pattern, method in _portal_urls():
            if method != "GET":
                continue
            url = reverse(name, kwargs=url_kwargs(world, name, pattern))
            keys, status, written = _keys_read(client, url)
            pages[role].append((name, url, keys, status, written))
        cache.clear()
    return pages


# --- the tests ----------------------------------------------------------------------------------

# Query-string parameters the walk must find (so a broken instrument cannot pass silently).
MUST_FIND = {
    ("school:pupils", "class"), ("school:pupils", "page"), ("governance:audit", "date_to"),
    ("governance:audit", "object_id"), ("calls:list", "page"), ("governance:overview", "term"),
}  # fmt: skip


def test_the_walk_finds_the_pages_and_the_parameters_they_read(discovered):
    found = {(name, key) for pages in discovered.values() for name, _, keys, _, _ in pages for key in keys}
    plain_500s = [(role, name, status) for role, pages in discovered.items() for name, _, _, status, _ in pages
                  if not isinstance(status, int) or status >= 500]  # fmt: skip

    assert found >= MUST_FIND, sorted(MUST_FIND - found)
    assert len({key for _, key in found}) >= 15, sorted(found)
    assert plain_500s == []


def _fuzzed_pages(discovered, role):
    return [page for page in discovered[role] if page[2]]


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("role", ROLES)
@FUZZ
@given(data=st.data())
def test_no_query_string_breaks_a_page_or_changes_anything(world, discovered, role, data):
    client = client_for(world, role)
    broken, wrote = [], []

    for name, url, keys, _, plain_writes in _fuzzed_pages(discovered, role):
        chosen = data.draw(st.sets(st.sampled_from(sorted(keys)), min_size=1), label=f"{name} keys")
        params = {key: data.draw(VALUES, label=f"{name} ?{key}") for key in sorted(chosen)}
        status, tables = visit(client, "GET", url, params)
        if not isinstance(status, int) or status >= 500:
            broken.append(f"{name} {url}?{urllib.parse.urlencode(params, doseq=True)[:300]} -> {status}")
        elif tables - plain_writes:
            wrote.append(f"{name} {url} {params!r:.200}: wrote {sorted(tables - plain_writes)}")
    cache.clear()

    assert broken == [], f"{role}: {len(broken)} pages broke:\n" + "\n".join(broken)
    assert wrote == [], f"{role}: GETs changed the database:\n" + "\n".join(wrote)


def test_every_curated_hostile_value_reaches_every_page(world, discovered):
    """Beyond hypothesis' sample: each SWEEP value in every parameter a page reads (all at once),
    as the first role that reads them there."""
    done, broken = set(), []
    for role, pages in discovered.items():
        client = client_for(world, role)
        for name, url, keys, _, _ in pages:
            if not keys or name in done:
                continue
            done.add(name)
            for value in SWEEP:
                status, _ = visit(client, "GET", url, dict.fromkeys(keys, value))
                if not isinstance(status, int) or status >= 500:
                    broken.append(f"{role} {name} {sorted(keys)}={value[:40]!r} -> {status}")
        cache.clear()

    assert broken == [], f"{len(broken)} answers broke:\n" + "\n".join(broken)


def _path_fuzzable():
    found = []
    for name, pattern, method in _portal_urls():
        converters = pattern.pattern.converters
        if converters:
            found.append((name, pattern, method, converters))
    return found


@pytest.mark.parametrize("role", ROLES)
@settings(FUZZ, max_examples=2)  # each example visits every URL with an argument (about 60)
@given(data=st.data())
def test_no_path_argument_breaks_a_page_or_changes_anything(world, discovered, role, data):
    client = client_for(world, role)
    broken, wrote = [], []
    plain_writes = {name: written for name, _, _, _, written in discovered[role]}

    for name, pattern, method, converters in _path_fuzzable():
        kwargs = url_kwargs(world, name, pattern)
        target = data.draw(st.sampled_from(sorted(converters)), label=f"{name} argument")
        kwargs[target] = data.draw(PATH_VALUES[type(converters[target])], label=f"{name} {target}")
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue  # the converter refuses it: Django answers 404 before any view runs
        status, tables = visit(client, method, url)
        if not isinstance(status, int) or status >= 500:
            broken.append(f"{method} {name} {url[:300]} -> {status}")
        elif method == "GET" and tables - plain_writes[name]:
            wrote.append(f"{name} {url[:200]}: wrote {sorted(tables)}")
    cache.clear()

    assert broken == [], f"{role}: {len(broken)} URLs broke:\n" + "\n".join(broken)
    assert wrote == [], f"{role}: GETs with a made-up argument changed the database:\n" + "\n".join(wrote)


def _first_role_let_in(name, method):
    """The first role the written table lets through this URL (else the superuser)."""
    row = next(r for r in table.rows_for(name) if r["method"] == method)
    return next((role for role in ROLES if row["expected"][role] in (table.OK, table.ALLOWED)), "superuser")


def test_every_listed_path_value_reaches_every_argument(world, discovered):
    """Beyond hypothesis' sample: each listed value in each argument, as a role the URL lets in
    (so the value reaches the view's lookup, not only the permission check)."""
    broken = []
    for name, pattern, method, converters in _path_fuzzable():
        role = _first_role_let_in(name, method)
        client = client_for(world, role)
        plain_writes = {n: w for n, _, _, _, w in discovered[role]}.get(name, set())
        for target, converter in sorted(converters.items()):
            for value in LISTED[type(converter)]:
                try:
                    url = reverse(name, kwargs={**url_kwargs(world, name, pattern), target: value})
                except NoReverseMatch:
                    continue
                status, tables = visit(client, method, url)
                if not isinstance(status, int) or status >= 500:
                    broken.append(f"{role} {method} {name} {target}={value[:40]!r} -> {status}")
                elif method == "GET" and tables - plain_writes:
                    broken.append(f"{role} GET {name} {target}={value[:40]!r} wrote {sorted(tables - plain_writes)}")
        cache.clear()

    assert broken == [], f"{len(broken)} URLs broke:\n" + "\n".join(broken)


def test_every_path_converter_in_use_has_hostile_values():
    used = {type(c) for *_, converters in _path_fuzzable() for c in converters.values()}

    assert used <= set(PATH_VALUES), used - set(PATH_VALUES)
    assert used <= set(LISTED), used - set(LISTED)
    assert len(_path_fuzzable()) >= 50
