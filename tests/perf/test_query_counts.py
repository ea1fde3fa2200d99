"""Every main page runs the same number of queries with the demo school and with more rows along
every dimension that could fan out (bench.seed adds them; tests/perf/conftest.py measures).

A page whose count grows has a per-row query: fix it with select_related/prefetch_related, an
annotation or a bulk write. The counts are compared with each other, not pinned to numbers, so
a page may gain a panel without touching this file; docs/performance.md lists them.
"""

import pytest

from bench.pages import PAGES

# Marked so pytest-django sets up the test database the session fixture seeds (in a rolled-back transaction).
pytestmark = pytest.mark.django_db

# Pages with a known fan-out awaiting a fix in their app (see docs/performance.md). strict:
# once the app is fixed the test passes, the xfail turns into a failure and this entry goes.
# Pages whose queries grow with the data, each with its cause and fix (strict: an XPASS fails).
KNOWN_FANOUT: dict[str, str] = {}


def _params():
    for page in PAGES:
        marks = []
        if page.name in KNOWN_FANOUT:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FANOUT[page.name]))
        yield pytest.param(page.name, id=page.name, marks=marks)


def _explain(small, grown) -> str:
    extra = [sql for sql in grown["sql"] if sql not in small["sql"]]
    return "\n".join(extra[:15])


@pytest.mark.parametrize("name", list(_params()))
def test_page_queries_do_not_grow_with_the_data(page_counts, name):
    small, grown = page_counts[name]["small"], page_counts[name]["grown"]
    assert small["error"] is None, small["error"]
    assert grown["error"] is None, f"at the larger scale: {grown['error']}"
    assert (small["status"], grown["status"]) == (200, 200)
    assert grown["queries"] == small["queries"], (
        f"{name}: {small['queries']} queries with the demo, {grown['queries']} with more rows. New queries:\n"
        + _explain(small, grown)
    )


def test_zeal_is_watching(page_counts, django_assert_num_queries):
    """The harness itself: an N+1 inside zeal_context raises, so the page tests would see one."""
    from zeal import NPlusOneError, zeal_context

    from tests.factories import PupilFactory

    PupilFactory.create_batch(2)
    from school.models import Pupil

    with pytest.raises(NPlusOneError), zeal_context():
        [p.school_class for p in Pupil.objects.all()]  # noqa: B018 - the N+1 under test
