"""Query counts of the main pages at scale 1 (the demo) and after the scale seed adds more rows
along every dimension that could fan out (tests/perf/test_query_counts.py).

The demo is seeded and every page measured ONCE per run, inside a transaction rolled back at
the end, so the twenty-odd pages cost one seeding. django-zeal watches each measured request:
an N+1 fails that page's test even when the counts happen to agree.
"""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.pages import PAGES, Targets, signed_in_client
from bench.seed import Unit, seed

# Two small units are enough to turn any per-row query into a different count: 2 x 40 calls
# (a quarter of them teacher1's Year 3 lessons, with logs), 2 more children for parent1, longer
# consent histories, more concerns, welfare contacts and one-to-ones awaiting approval.
SMALL_UNIT = Unit(
    pupils_per_class=3,
    calls=40,
    decision_rounds=2,
    concerns=3,
    welfare_contacts=2,
    awaiting_approval=2,
    demo_share=0.25,
    demo_history_pairs=1,
    demo_parent_children=1,
)
GROWN_SCALE = 3


def enable_zeal():
    """Patch Django for zeal once, unless the settings install it (egps_portal/settings/test.py)."""
    from django.apps import apps

    if apps.is_installed("zeal") or getattr(enable_zeal, "done", False):
        return
    from zeal.constants import initialize_app_registry
    from zeal.patch import patch

    initialize_app_registry()
    patch()
    enable_zeal.done = True


def measure(client, path) -> dict:
    """One warm-up request (fills the settings and calendar caches), then the counted one under zeal."""
    from zeal import zeal_context

    client.get(path)
    try:
        with zeal_context(), CaptureQueriesContext(connection) as queries:
            response = client.get(path)
    except Exception as error:  # noqa: BLE001 - reported on the page's own test
        return {"error": f"{type(error).__name__}: {error}", "queries": None, "status": None}
    return {"error": None, "queries": len(queries), "status": response.status_code, "sql": [q["sql"] for q in queries]}


@pytest.fixture(scope="session")
def page_counts(django_db_setup, django_db_blocker):
    """{page name: {"small": measurement, "grown": measurement}} for every page of bench.pages."""
    enable_zeal()
    results = {}
    with django_db_blocker.unblock():
        # Never the development database: only the one pytest-django set up for this run.
        assert "test" in connection.settings_dict["NAME"] or "memory" in connection.settings_dict["NAME"]
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            cache.clear()
            now = timezone.now()
            seed(1, now=now)
            targets = Targets.load(now)
            clients = {}
            for page in PAGES:
                key = (page.account, page.recent_auth)
                clients.setdefault(key, signed_in_client(page.account, recent_auth=page.recent_auth))
                results[page.name] = {"small": measure(clients[key], page.path(targets))}
            seed(GROWN_SCALE, now=now, unit=SMALL_UNIT, log=lambda line: None)
            for page in PAGES:
                results[page.name]["grown"] = measure(clients[(page.account, page.recent_auth)], page.path(targets))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()
    return results
