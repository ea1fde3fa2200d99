"""GOV-2, SG-3: every named URL against every role, checked against the written table
(tests/trust/authz_table.py). A URL missing from the table fails (deny by default); the walk
asserts how many URLs it found, so it cannot silently stop early.

Run: python -m pytest tests/trust/test_authorization_matrix.py -q
"""

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from school.models import Pupil

from . import authz_table as table
from .conftest import CONCERN_MARKER, FOLLOW_UP_MARKER, ROLES, client_for, rolled_back

pytestmark = pytest.mark.django_db

# The number of named URLs in the URLconf: change it (and the table) when a URL is added or removed.
EXPECTED_URL_COUNT = 196  # 192 + issue 19: consent:school_remind, calls:put_back, calls:send_again, calls:family_join
ADMIN_LOGIN_URL = "/django-admin/login/"


def walk(resolver=None, namespace=""):
    """(qualified name, pattern) of every named URL, recursing into included URLconfs."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (entry.namespace or namespace)
            yield from walk(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def named_urls() -> dict:
    found = {}
    for name, pattern in walk():
        found.setdefault(name, pattern)  # reverse() uses the first pattern of a name
    return found


def resolve_path(world, path: str):
    """'child_a.pk' -> world.child_a.pk; '=literal' -> 'literal'."""
    if path.startswith("="):
        return path[1:]
    value = world
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _admin_kwargs(name, params, pattern):
    """Arguments of Django admin URLs: the first stored row of the model the URL is about."""
    if "app_label" in params:
        return {"app_label": "safeguarding"}
    if "content_type_id" in params:
        return {"content_type_id": ContentType.objects.get_for_model(Pupil).pk, "object_id": 1}
    if name == "admin:auth_user_password_change":
        return {"id": User.objects.order_by("pk").values_list("pk", flat=True).first()}
    # A ModelAdmin's URLs carry their ModelAdmin (django.contrib.admin.options.ModelAdmin.get_urls).
    model_admin = getattr(pattern.callback, "model_admin", None)
    assert model_admin is not None, f"No model for admin URL {name}"
    first = model_admin.model.objects.order_by("pk").first()
    return {"object_id": first.pk if first else 0}


def build_url(world, name, pattern) -> str:
    params = list(pattern.pattern.regex.groupindex)
    if name.startswith("admin:") and params:
        return reverse(name, kwargs=_admin_kwargs(name, params, pattern))
    paths = {**table.KWARGS, **table.ARGS.get(name, {})}
    missing = [p for p in params if not paths.get(p)]
    assert not missing, f"authz_table.KWARGS has no way to build {missing} of {name}"
    return reverse(name, kwargs={p: resolve_path(world, paths[p]) for p in params})


def outcome_matches(expected, response) -> bool:
    status = response.status_code
    location = response.get("Location", "") if 300 <= status < 400 else ""
    to_login = location.startswith(settings.LOGIN_URL)
    to_admin_login = location.startswith(ADMIN_LOGIN_URL)
    if expected == table.OK:
        return 200 <= status < 400 and not (to_login or to_admin_login)
    if expected == table.ALLOWED:
        return status < 500 and status not in (403, 404, 405) and not (to_login or to_admin_login)
    if expected == table.LOGIN:
        return status == 302 and to_login
    if expected == table.ADMIN_LOGIN:
        return status == 302 and to_admin_login
    return status == expected


def describe(response) -> str:
    location = response.get("Location", "")
    return f"{response.status_code}{' -> ' + location if location else ''}"


def test_every_named_url_is_in_the_table_and_the_walk_is_complete():
    urls = named_urls()

    missing = sorted(name for name in urls if not table.rows_for(name))
    stale = sorted(name for name in table.TABLE if "*" not in name and name not in urls)

    assert missing == [], f"URLs with no row in tests/trust/authz_table.py (deny by default): {missing}"
    assert stale == [], f"Rows for URLs that no longer exist: {stale}"
    assert len(urls) == EXPECTED_URL_COUNT


def _body(response) -> bytes:
    # Long CSV exports stream; every other answer is a whole response.
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.policy("GOV-2")
@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_each_role_as_the_table_says(world, role):
    client = client_for(world, role)
    urls = named_urls()
    wrong, leaks, checked = [], [], 0

    for name, pattern in sorted(urls.items()):
        url = build_url(world, name, pattern)
        for row in table.rows_for(name):
            data = {k: resolve_path(world, v) for k, v in row["data"].items()}
            with rolled_back():  # a POST that succeeds must not change the world for the next role
                response = client.get(url) if row["method"] == "GET" else client.post(url, data)
            checked += 1
            expected = row["expected"][role]
            if not outcome_matches(expected, response):
                wrong.append(f"{row['method']} {name} {url}: expected {expected}, got {describe(response)}")
            body = _body(response)
            if role not in table.DSL_TEAM and (CONCERN_MARKER.encode() in body or FOLLOW_UP_MARKER.encode() in body):
                leaks.append(f"{row['method']} {name} {url}")

    assert wrong == [], f"{role}: {len(wrong)} answers differ from the table:\n" + "\n".join(wrong)
    assert leaks == [], f"{role} saw concern or safeguarding follow-up content on: {leaks}"
    assert checked >= EXPECTED_URL_COUNT


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("role", ["dsl", "ddsl"])
def test_the_dsl_team_does_read_the_concern(world, role):
    """The leak check above is only worth something if the marker shows where it should."""
    response = client_for(world, role).get(reverse("safeguarding:concern", args=[world.concern.pk]))

    assert response.status_code == 200
    assert CONCERN_MARKER.encode() in response.content


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("role", ["dsl", "ddsl"])
def test_the_dsl_team_does_read_the_safeguarding_follow_up(world, role):
    """The follow-up marker is searched for above only because it shows where it should (issue 16)."""
    client = client_for(world, role)

    page = client.get(reverse("sessionlogs:pupil_history", args=[world.child_a.pk]))
    audit = client.get(reverse("governance:audit"))

    assert FOLLOW_UP_MARKER.encode() in page.content
    assert FOLLOW_UP_MARKER.encode() in audit.content


@pytest.mark.policy("SG-3")
def test_the_django_admin_holds_no_concern_model(world):
    """Not through the Django admin either: no safeguarding model but the DSL absences is registered."""
    from django.contrib import admin

    registered = {model._meta.label for model in admin.site._registry}
    safeguarding = sorted(label for label in registered if label.startswith("safeguarding."))

    assert safeguarding == ["safeguarding.DslAbsence"]


@pytest.mark.policy("SG-3")
def test_a_head_who_also_holds_the_dsl_role_reads_the_concern(world):
    """By role, not by seniority: the head reads concerns only while they hold a DSL role."""
    from accounts.choices import Role
    from accounts.models import StaffRole

    url = reverse("safeguarding:concern", args=[world.concern.pk])
    before = client_for(world, "head").get(url)
    StaffRole.objects.create(user=world.head, role=Role.DSL)
    world.head.__dict__.pop("roles", None)  # cached on the instance

    after = client_for(world, "head").get(url)

    assert before.status_code == 404
    assert after.status_code == 200
    assert CONCERN_MARKER.encode() in after.content
