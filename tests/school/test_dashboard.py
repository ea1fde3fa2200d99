"""The directory's dashboard panels and menu items."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from school import dashboard
from tests.factories import PupilFactory, parent_of
from toolkit.registry import Panel, child_sections_for

pytestmark = pytest.mark.django_db


def _panels(user, now):
    request = RequestFactory().get("/")
    request.user = user
    return {p.title: p for p in dashboard.panels(request, now)}


def test_parents_see_their_children_with_links(client, parent_a, child_a, child_b):
    client.force_login(parent_a)

    page = client.get("/").content.decode()

    assert "Your children" in page
    assert reverse("school:child", args=[child_a.pk]) in page
    assert reverse("school:child", args=[child_b.pk]) not in page


def test_office_and_head_see_directory_counts(head, office, teacher, child_a, child_b, guardian_a, now):
    for person in (head, office):
        panel = _panels(person, now)["Directory"]

        assert panel.context["pupils"] == 2
        assert panel.context["classes"] == 2
        assert panel.context["guardians"] == 1
        assert panel.context["staff"] == 3


def test_teachers_and_parents_do_not_see_the_directory_panel(teacher, parent_a, now):
    assert "Directory" not in _panels(teacher, now)
    assert set(_panels(parent_a, now)) == {"Your children"}


def test_directory_panel_queries_do_not_grow_with_the_school(office, class_a, now, django_assert_max_num_queries):
    PupilFactory.create_batch(20, school_class=class_a)
    office.roles  # noqa: B018 - warm the per-request role cache as the middleware does

    with django_assert_max_num_queries(2):
        _panels(office, now)


def test_parent_panel_is_one_query_for_many_children(class_a, now, django_assert_max_num_queries):
    parent = parent_of(*PupilFactory.create_batch(4, school_class=class_a)).user
    parent.roles  # noqa: B018 - warm the per-request role cache as the middleware does

    with django_assert_max_num_queries(2):
        panels = _panels(parent, now)

    assert len(panels["Your children"].context["children"]) == 4


def test_menu_items_follow_the_role(office, teacher, parent_a):
    def labels(user):
        return [item.label for item in dashboard.nav_items(user)]

    assert labels(office) == ["Directory", "School settings", "Your sign-in"]
    assert labels(teacher) == ["Classes", "Your sign-in"]
    assert labels(parent_a) == ["Your children", "Your sign-in"]
    assert dashboard.nav_items(teacher)[-1].url == reverse("mfa_index")
    assert dashboard.nav_items(parent_a)[-1].url == reverse("account_change_password")


def test_other_apps_can_add_sections_to_a_childs_page(client, parent_a, child_a, monkeypatch):
    section = Panel("Consent", "school/panels/children.html", {"children": []})
    monkeypatch.setattr(dashboard, "child_sections", lambda request, pupil, now, audience: [section], raising=False)
    client.force_login(parent_a)

    page = client.get(reverse("school:child", args=[child_a.pk])).content.decode()

    assert '<h2 class="h4" id="section-1">Consent</h2>' in page
    assert child_sections_for(None, child_a, None, audience="family") == [section]
