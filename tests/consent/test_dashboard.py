"""Dashboard panels and navigation: the right panel for each role, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent import dashboard
from tests.factories import PupilFactory, parent_of

pytestmark = pytest.mark.django_db


def _panels(user, now):
    request = RequestFactory().get("/")
    request.user = user
    return dashboard.panels(request, now)


@pytest.mark.policy("GOV-2")
def test_a_parent_sees_only_their_own_childrens_consent(parent_a, child_a, child_b, give, guardian_a, now):
    give(child_a, guardian_a)

    (panel,) = _panels(parent_a, now)

    assert [row["child"] for row in panel.context["rows"]] == [child_a]
    assert panel.context["rows"][0]["video_calls"].decision == "given"
    assert panel.context["guidance_url"] == reverse("consent:guidance")


def test_a_teacher_sees_their_classes_with_pupils_lacking_consent(teacher, class_a, child_a, child_b, now):
    (panel,) = _panels(teacher, now)

    assert [(r["school_class"], r["lacking"]) for r in panel.context["rows"]] == [(class_a, 1)]
    assert panel.attention


def test_the_office_sees_school_counts_and_the_question_queue(office, child_a, child_b, guardian_a, give, now):
    give(child_a, guardian_a)

    (panel,) = _panels(office, now)

    assert (panel.context["given"], panel.context["never_answered"], panel.context["questions_waiting"]) == (1, 1, 0)


def test_school_panel_costs_the_same_for_a_bigger_school(head, class_a, give, now):
    def count():
        with CaptureQueriesContext(connection) as context:
            _panels(head, now)
        return len(context.captured_queries)

    count()
    before = count()
    for _ in range(30):
        pupil = PupilFactory(school_class=class_a)
        give(pupil, parent_of(pupil))

    assert count() == before


def test_nav_items_follow_roles(parent_a, teacher, office, head):
    labels = {user: [i.label for i in dashboard.nav_items(user)] for user in (parent_a, teacher, office, head)}

    assert labels[parent_a] == ["Consent", "Questions"]
    assert labels[teacher] == ["Class consent"]
    assert labels[office] == ["Class consent", "Parents' questions"]


def test_the_home_page_renders_the_consent_panel(client, parent_a, child_a):
    client.force_login(parent_a)

    page = client.get(reverse("home")).content.decode()

    assert "Consent for video calls" in page
    assert child_a.first_name in page
