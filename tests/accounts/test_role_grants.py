"""Issue 16: the office granted itself the DSL role and read every concern. Only the headteacher
gives or removes the head, deputy, DSL and deputy DSL roles; nobody changes their own roles; a
change to the DSL team needs a recent sign-in and is emailed at once to the team and the head.
Each attack is tried as the attacker would, through the roles page, the new-staff form and the
removal buttons, and the database is checked afterwards."""

import time

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.choices import DSL_TEAM, Role
from accounts.models import StaffRole, User
from notifications.models import OutboxMessage
from tests.factories import staff_user

pytestmark = pytest.mark.django_db

PROTECTED = [Role.HEAD, Role.DEPUTY, Role.DSL, Role.DEPUTY_DSL]
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


def _roles(user) -> set[str]:
    return set(StaffRole.objects.filter(user=user).values_list("role", flat=True))


def _give(client, person, role):
    return client.post(reverse("school:roles"), {"person": person.pk, "role": role})


def _remove(client, person, role):
    return client.post(reverse("school:role_remove", args=[StaffRole.objects.get(user=person, role=role).pk]))


def _stale(client):
    """Signed in longer ago than PORTAL_REAUTH_SECONDS."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60}
    ]
    session.save()


# --- the attack in the issue, and its siblings ----------------------------------------------------------


@pytest.mark.policy("SG-3")
@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("role", PROTECTED)
def test_the_office_cannot_give_itself_a_dsl_or_leadership_role(client, office, head, role):
    client.force_login(office)

    response = _give(client, office, role)

    assert response.status_code == 200  # the form again, with the refusal
    assert _roles(office) == {Role.OFFICE}


@pytest.mark.policy("SG-3")
@pytest.mark.policy("GOV-2")
def test_the_office_that_gave_itself_dsl_would_read_concerns_so_it_cannot_reach_one(client, office, head, child_a, teacher):
    """The whole attack of the issue: office -> DSL -> the concern list. It stops at the first step."""
    from safeguarding.services import raise_concern

    raise_concern(reported_by=teacher, pupils=[child_a], kind="disclosure", happened_at=_now(), what_happened="Bruise-9911",
                  childs_words="It hurts", action_taken="Told the DSL", now=_now())  # fmt: skip
    client.force_login(office)

    _give(client, office, Role.DSL)
    dashboard = client.get(reverse("safeguarding:dashboard"))

    assert dashboard.status_code in (403, 404)
    assert b"Bruise-9911" not in dashboard.content


def _now():
    from django.utils import timezone

    return timezone.now()


@pytest.mark.policy("SG-3")
@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("role", PROTECTED)
def test_the_office_cannot_give_anyone_else_a_dsl_or_leadership_role(client, office, head, teacher, role):
    client.force_login(office)

    response = _give(client, teacher, role)

    assert response.status_code == 200
    assert _roles(teacher) == {Role.TEACHER}
    assert "role" in response.context["form"].errors


@pytest.mark.policy("SG-3")
@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("role", PROTECTED)
def test_the_office_cannot_remove_a_dsl_or_leadership_role(client, office, head, deputy, dsl, ddsl, role):
    holder = {Role.HEAD: head, Role.DEPUTY: deputy, Role.DSL: dsl, Role.DEPUTY_DSL: ddsl}[role]
    client.force_login(office)

    _remove(client, holder, role)

    assert role in _roles(holder)


@pytest.mark.policy("SG-3")
@pytest.mark.policy("GOV-2")
def test_the_office_cannot_create_a_new_member_of_staff_with_a_dsl_role(client, office, head):
    client.force_login(office)

    response = client.post(reverse("school:staff_create"), {
        "first_name": "Mal", "last_name": "Icious", "email": "mal@example.test", "roles": [Role.TEACHER, Role.DSL],
    })  # fmt: skip

    assert response.status_code == 200
    assert not User.objects.filter(email="mal@example.test").exists()
    assert not OutboxMessage.objects.filter(recipient_email="mal@example.test").exists()


@pytest.mark.policy("GOV-2")
def test_the_office_is_not_offered_dsl_or_leadership_roles_nor_itself(client, office, head):
    client.force_login(office)

    roles_page = client.get(reverse("school:roles"))
    new_staff = client.get(reverse("school:staff_create"))

    offered = {value for value, _ in roles_page.context["form"].fields["role"].choices}
    assert offered == {Role.TEACHER, Role.OFFICE}
    assert {value for value, _ in new_staff.context["form"].fields["roles"].choices} == offered
    assert office not in roles_page.context["form"].fields["person"].queryset


@pytest.mark.policy("GOV-2")
def test_the_office_sees_no_remove_button_it_could_not_use(client, office, head, dsl, teacher):
    client.force_login(office)

    page = client.get(reverse("school:roles")).content.decode()

    assert reverse("school:role_remove", args=[StaffRole.objects.get(user=teacher).pk]) in page
    assert reverse("school:role_remove", args=[StaffRole.objects.get(user=dsl, role=Role.DSL).pk]) not in page
    assert reverse("school:role_remove", args=[StaffRole.objects.get(user=head).pk]) not in page
    assert reverse("school:role_remove", args=[StaffRole.objects.get(user=office).pk]) not in page


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("role", [*PROTECTED, Role.TEACHER, Role.OFFICE])
def test_the_deputy_cannot_give_themselves_any_role(client, deputy, head, role):
    client.force_login(deputy)

    response = _give(client, deputy, role)

    assert response.status_code == 403
    assert _roles(deputy) == {Role.DEPUTY}


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("who", ["teacher", "dsl", "ddsl", "deputy", "parent_a"])
def test_nobody_but_the_head_and_office_reaches_the_roles_pages(client, who, request, head):
    person = request.getfixturevalue(who)
    client.force_login(person)

    given = _give(client, person, Role.HEAD)
    removed = _remove(client, head, Role.HEAD)

    assert (given.status_code, removed.status_code) == (403, 403)
    assert Role.HEAD not in _roles(person)
    assert Role.HEAD in _roles(head)


# --- nobody changes their own roles, the head included ------------------------------------------------


@pytest.mark.policy("SG-3")
@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("role", [Role.DSL, Role.DEPUTY_DSL, Role.DEPUTY, Role.TEACHER, Role.OFFICE])
def test_the_head_cannot_give_themselves_a_role(client, head, role):
    client.force_login(head)

    response = _give(client, head, role)

    assert response.status_code == 200
    assert _roles(head) == {Role.HEAD}


@pytest.mark.policy("GOV-2")
def test_the_head_cannot_remove_their_own_head_role(client, head, office):
    client.force_login(head)

    _remove(client, head, Role.HEAD)

    assert _roles(head) == {Role.HEAD}


@pytest.mark.policy("GOV-2")
def test_the_office_cannot_remove_its_own_role(client, office, head):
    client.force_login(office)

    _remove(client, office, Role.OFFICE)

    assert _roles(office) == {Role.OFFICE}


def test_a_head_hands_over_to_a_new_head_who_then_removes_the_old_one(client, head, deputy):
    """The legitimate path the rule leaves: one head gives the role, the other takes it away."""
    client.force_login(head)
    _give(client, deputy, Role.HEAD)
    client.force_login(deputy)

    _remove(client, head, Role.HEAD)

    assert Role.HEAD in _roles(deputy)
    assert _roles(head) == set()


# --- the head changes the DSL team: recent sign-in, and everyone concerned told at once -----------------


@pytest.mark.policy("SG-2")
@pytest.mark.policy("SG-3")
def test_the_head_gives_the_dsl_role_and_the_team_and_head_are_told_at_once(
    client, head, dsl, ddsl, teacher, office, django_capture_on_commit_callbacks
):
    client.force_login(head)

    with django_capture_on_commit_callbacks(execute=True):
        response = _give(client, teacher, Role.DSL)

    assert response.status_code == 302
    assert Role.DSL in _roles(teacher)
    told = sorted(m.recipient_email for m in OutboxMessage.objects.filter(kind="dsl-team-changed"))
    assert told == sorted([head.email, dsl.email, ddsl.email, teacher.email])  # not the office
    assert sorted(to for m in mail.outbox if "Safeguarding team changed" in m.subject for to in m.to) == told
    body = OutboxMessage.objects.filter(kind="dsl-team-changed").first().body_text
    assert str(teacher) in body
    assert "Designated Safeguarding Lead" in body
    assert str(head) in body


@pytest.mark.policy("SG-3")
def test_removing_someone_from_the_dsl_team_tells_them_the_team_and_the_head(
    client, head, dsl, ddsl, django_capture_on_commit_callbacks
):
    client.force_login(head)

    with django_capture_on_commit_callbacks(execute=True):
        _remove(client, ddsl, Role.DEPUTY_DSL)

    assert Role.DEPUTY_DSL not in _roles(ddsl)
    told = sorted(m.recipient_email for m in OutboxMessage.objects.filter(kind="dsl-team-changed"))
    assert told == sorted([head.email, dsl.email, ddsl.email])
    assert "no longer holds" in OutboxMessage.objects.filter(kind="dsl-team-changed").first().body_text


@pytest.mark.policy("SG-3")
def test_a_head_giving_a_teaching_or_office_role_tells_nobody(client, head, dsl, teacher):
    client.force_login(head)

    _give(client, teacher, Role.OFFICE)

    assert Role.OFFICE in _roles(teacher)
    assert not OutboxMessage.objects.filter(kind="dsl-team-changed").exists()


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("change", ["give", "remove"])
def test_a_dsl_team_change_after_the_sign_in_window_asks_for_the_password_first(client, head, dsl, teacher, change):
    client.force_login(head)
    _stale(client)

    response = _give(client, teacher, Role.DSL) if change == "give" else _remove(client, dsl, Role.DSL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert Role.DSL not in _roles(teacher)
    assert Role.DSL in _roles(dsl)
    assert not OutboxMessage.objects.filter(kind="dsl-team-changed").exists()


@pytest.mark.policy("SG-3")
def test_after_entering_the_password_again_the_change_goes_through(client, head, teacher, django_capture_on_commit_callbacks):
    client.force_login(head)
    _stale(client)
    asked = _give(client, teacher, Role.DEPUTY_DSL)

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(asked["Location"], {"password": PASSWORD})

    assert done.status_code == 302
    assert Role.DEPUTY_DSL in _roles(teacher)
    assert OutboxMessage.objects.filter(kind="dsl-team-changed", recipient_email=head.email).exists()


@pytest.mark.policy("SG-3")
def test_a_wrong_password_changes_nothing(client, head, teacher):
    client.force_login(head)
    _stale(client)
    asked = _give(client, teacher, Role.DSL)

    client.post(asked["Location"], {"password": "not-the-password"})

    assert Role.DSL not in _roles(teacher)


def test_a_stale_sign_in_still_lets_the_office_give_a_teaching_role(client, office, head, teacher):
    """Only DSL-team changes ask again: the office's everyday work is not slowed."""
    client.force_login(office)
    _stale(client)

    response = _give(client, teacher, Role.OFFICE)

    assert response.status_code == 302
    assert Role.OFFICE in _roles(teacher)


@pytest.mark.policy("SG-3")
def test_the_head_creating_a_new_dsl_is_told_to_the_team(client, head, dsl, django_capture_on_commit_callbacks):
    client.force_login(head)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("school:staff_create"), {
            "first_name": "Nia", "last_name": "New", "email": "nia@example.test", "roles": [Role.DEPUTY_DSL],
        })  # fmt: skip

    nia = User.objects.get(email="nia@example.test")
    assert _roles(nia) == {Role.DEPUTY_DSL}
    assert {m.recipient_email for m in OutboxMessage.objects.filter(kind="dsl-team-changed")} == {
        head.email,
        dsl.email,
        nia.email,
    }


# --- the service holds the rule for every caller (tasks, shells, future pages) -----------------------


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("role", sorted(DSL_TEAM))
def test_the_service_refuses_the_office_even_when_called_directly(office, head, teacher, now, role):
    with pytest.raises(services.AccountError, match="Only the headteacher"):
        services.assign_role(user=teacher, role=role, assigned_by=office, now=now, recently_signed_in=True)
    with pytest.raises(services.AccountError, match="Nobody changes their own roles"):
        services.assign_role(user=office, role=role, assigned_by=office, now=now, recently_signed_in=True)
    with pytest.raises(services.FreshSignInNeeded):
        services.assign_role(user=teacher, role=role, assigned_by=head, now=now)

    assert _roles(teacher) == {Role.TEACHER}


def test_a_superuser_without_a_school_role_changes_no_roles(superuser, teacher, now):
    with pytest.raises(services.AccountError, match="Only the headteacher and the office"):
        services.assign_role(user=teacher, role=Role.TEACHER, assigned_by=superuser, now=now, recently_signed_in=True)


def test_a_role_taken_from_the_office_a_moment_ago_no_longer_lets_it_act(office, head, teacher, now):
    """The acting person's roles are read from the table, not from an object loaded earlier."""
    other_office = staff_user(Role.OFFICE, email="office2@example.test")
    assert Role.OFFICE in office.roles  # cached on this instance
    services.remove_role(user=office, role=Role.OFFICE, removed_by=other_office, now=now)

    with pytest.raises(services.AccountError):
        services.assign_role(user=teacher, role=Role.OFFICE, assigned_by=office, now=now)


# --- a new school's first headteacher (the one change made from the server) -----------------------------


def test_the_first_headteacher_is_appointed_from_the_server_once(office, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import CommandError, call_command

    with django_capture_on_commit_callbacks(execute=True):
        call_command("first_headteacher", "new.head@example.test", "--first-name", "Nina", stdout=StringIO())
    with pytest.raises(CommandError, match="already has a headteacher"):
        call_command("first_headteacher", office.email, stdout=StringIO())

    head = User.objects.get(email="new.head@example.test")
    assert _roles(head) == {Role.HEAD}
    assert _roles(office) == {Role.OFFICE}
    assert OutboxMessage.objects.filter(kind="account-invitation", recipient_email=head.email).exists()
