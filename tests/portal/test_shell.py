"""The shell every page shares (templates/base.html, portal.context_processors, toolkit.registry,
accounts.models.User.roles): built cheaply, and never stale about who may do what."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.choices import PARENT, Role
from accounts.models import User
from school.models import Guardianship
from tests.factories import staff_user
from toolkit import registry
from toolkit.registry import RolesOnly, nav_for

pytestmark = pytest.mark.django_db


def _menu(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_role_given_or_taken_through_the_service_shows_on_the_very_next_request(client, teacher, head):
    client.force_login(teacher)
    approvals = f'href="{reverse("calls:approvals")}"'
    assert approvals not in _menu(client)

    accounts_services.assign_role(user=teacher, role=Role.DEPUTY, assigned_by=head, now=timezone.now())
    assert approvals in _menu(client)

    accounts_services.remove_role(user=teacher, role=Role.DEPUTY, removed_by=head, now=timezone.now())
    assert approvals not in _menu(client)


def test_a_childs_link_removed_takes_the_family_menu_away_on_the_next_request(client, parent_a, guardian_a):
    client.force_login(parent_a)
    children = f'href="{reverse("school:children")}"'
    assert children in _menu(client)

    Guardianship.objects.filter(guardian=guardian_a).delete()
    page = _menu(client)

    assert children not in page
    assert User.objects.get(pk=parent_a.pk).roles == {PARENT}  # still a guardian record, no child


def test_roles_guardian_record_and_children_are_one_query(django_assert_num_queries, parent_a, teacher):
    teacher_again, parent_again = User.objects.get(pk=teacher.pk), User.objects.get(pk=parent_a.pk)

    with django_assert_num_queries(1):
        assert teacher_again.roles == {Role.TEACHER}
        assert teacher_again.has_children is False
        assert teacher_again.has_totp is False
    with django_assert_num_queries(1):
        assert parent_again.roles == {PARENT}
        assert parent_again.has_children is True


def test_the_menu_is_built_once_per_set_of_roles(monkeypatch, teacher, class_a):
    other_teacher = staff_user(Role.TEACHER, email="other-teacher@example.test")
    registry.forget_menus()
    built = []
    real = registry._modules

    def counting_modules():
        built.append(1)
        return real()

    monkeypatch.setattr(registry, "_modules", counting_modules)

    first, second = nav_for(teacher), nav_for(other_teacher)

    assert first == second
    assert len(built) == 1


def test_a_menu_may_depend_on_nothing_but_the_roles(monkeypatch):
    """An app whose nav_items reads more than roles would make the cached menu wrong: it fails loudly."""
    stand_in = RolesOnly(roles=frozenset({Role.TEACHER}), has_children=False)

    with pytest.raises(AttributeError):
        stand_in.email  # noqa: B018


def test_the_shell_links_are_the_urls_and_static_files(client, teacher):
    client.force_login(teacher)
    page = _menu(client)

    assert f'action="{reverse("account_logout")}"' in page
    assert f'href="{reverse("governance:policy")}"' in page
    assert f'href="{reverse("safeguarding:raise")}"' in page  # staff see "Raise a concern"
    assert "bootstrap.min.css" in page
    assert "bootstrap.bundle.min.js" in page


def test_parents_have_no_raise_a_concern_button(client, parent_a):
    client.force_login(parent_a)

    assert reverse("safeguarding:raise") not in _menu(client)


def test_staff_mfa_set_up_or_removed_shows_on_the_very_next_request(client, settings, teacher):
    """accounts.middleware reads the TOTP set-up with the roles, every request: nothing kept between them."""
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    client.force_login(teacher)
    classes = reverse("school:classes")
    assert client.get(classes)["Location"] == reverse("mfa_activate_totp")

    totp = Authenticator.objects.create(user=teacher, type=Authenticator.Type.TOTP, data={"secret": "not-used-here"})
    assert client.get(classes).status_code == 200

    totp.delete()
    assert client.get(classes)["Location"] == reverse("mfa_activate_totp")


def test_menus_drawn_once_per_set_of_roles_carry_nothing_of_the_person_who_drew_them(client, teacher, teacher_b, head):
    """The menu row and account links are drawn once per set of roles (portal/templatetags/shell.py):
    two teachers get the same links, each with their own address and sign-out form; the head's
    links never reach a teacher."""
    pages = {}
    for user in (head, teacher, teacher_b):
        client.force_login(user)
        pages[user.email] = _menu(client)
        client.logout()

    def links(page):
        return page.split('id="main-nav"', 1)[1].split("Signed in as", 1)[0]

    assert links(pages[teacher.email]) == links(pages[teacher_b.email])
    assert links(pages[head.email]) != links(pages[teacher.email])
    assert reverse("calls:approvals") in links(pages[head.email])
    assert reverse("calls:approvals") not in pages[teacher.email]
    assert f"Signed in as {teacher_b.email}" in pages[teacher_b.email]
    assert teacher.email not in pages[teacher_b.email]
