"""The escalation sweep is scheduled; the demo concern seeds once; the DSL panel is cheap."""

import pytest
from django.test import RequestFactory
from django.utils import timezone

from egps_portal.celery import app
from portal.demo import seed_demo_school
from safeguarding import dashboard
from safeguarding.choices import EntryKind
from safeguarding.models import Concern
from school.models import SchoolSettings
from toolkit import versions

pytestmark = pytest.mark.django_db


@pytest.mark.policy("SG-5")
def test_beat_runs_the_escalation_sweep_every_few_minutes():
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "safeguarding.tasks.escalate_overdue_concerns"]

    assert len(entries) == 1
    assert entries[0]["schedule"] <= 5 * 60


def test_demo_seeds_one_open_acknowledged_concern_by_teacher1_once():
    now = timezone.now()
    seed_demo_school(now)
    seed_demo_school(now)

    concern = Concern.objects.get()
    assert concern.reported_by.email == "teacher1@demo.egps.test"
    acknowledgement = concern.entries.get(kind=EntryKind.ACKNOWLEDGED)
    assert acknowledgement.recorded_by.email == "dsl@demo.egps.test"
    assert not concern.entries.filter(kind=EntryKind.CLOSED).exists()


def test_the_dsl_panel_takes_a_constant_number_of_queries(raise_one, dsl, now, django_assert_max_num_queries):
    for _ in range(5):
        raise_one(now=now)
    request = RequestFactory().get("/")
    request.user = dsl
    dsl.roles  # noqa: B018 - read once per request anyway

    SchoolSettings.load()  # the school's settings row (made on first use)
    with versions.remembering():  # as in a request: the data version is read once, at its start
        SchoolSettings.load()  # cached for every page
        with django_assert_max_num_queries(1):
            panels = dashboard.panels(request, now)

    assert panels[0].context["counts"]["new"] == 5
