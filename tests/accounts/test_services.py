"""Accounts: invitations through the outbox, roles assigned and removed with an audit entry."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from auditlog.models import LogEntry
from django.core import mail

from accounts import services
from accounts.choices import Role
from accounts.models import StaffRole, User
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_a_new_staff_account_gets_roles_and_one_invitation_after_commit(
    office, now, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_BASE_URL = "https://portal.example.org"

    with django_capture_on_commit_callbacks(execute=True):
        user = services.create_staff_account(
            email="New@Example.test", first_name="Nia", last_name="New", roles=[Role.TEACHER], created_by=office, now=now
        )

    assert user.email == "new@example.test"
    assert not user.has_usable_password()
    assert user.roles == {Role.TEACHER}
    message = OutboxMessage.objects.get(kind="account-invitation")
    assert message.recipient_user == user
    assert "https://portal.example.org/accounts/password/reset/key/" in message.body_text
    assert [m.to for m in mail.outbox] == [["new@example.test"]]


def test_an_account_for_an_existing_email_is_refused(office, teacher, now):
    with pytest.raises(services.AccountError, match="already an account"):
        services.create_account(email=teacher.email.upper(), first_name="T", last_name="T", created_by=office, now=now)


def test_the_invitation_link_lets_the_person_choose_a_password_once(client, office, now):
    user = services.create_account(email="nia@example.test", first_name="Nia", last_name="New", created_by=office, now=now)
    link = urlsplit(services.invitation_link(user)).path

    step = client.get(link)
    client.post(step["Location"], {"password1": "a-long-new-password-42", "password2": "a-long-new-password-42"})
    again = client.get(link, follow=True)

    user.refresh_from_db()
    assert user.check_password("a-long-new-password-42")
    assert again.context["token_fail"]
    assert "This link no longer works" in again.content.decode()


def test_resending_an_invitation_is_a_new_message_but_not_after_a_password_is_set(office, now):
    user = services.create_account(email="nia@example.test", first_name="Nia", last_name="New", created_by=office, now=now)

    services.resend_invitation(user=user, invited_by=office, now=now + dt.timedelta(minutes=5))
    user.set_password("chosen-password-99")
    user.save()

    assert OutboxMessage.objects.filter(kind="account-invitation").count() == 2
    with pytest.raises(services.AccountError, match="already chosen a password"):
        services.resend_invitation(user=user, invited_by=office, now=now)


@pytest.mark.policy("GOV-3")
def test_assigning_and_removing_a_role_is_audited_with_who_did_it(head, teacher, now):
    held = services.assign_role(user=teacher, role=Role.DSL, assigned_by=head, now=now, recently_signed_in=True)
    services.remove_role(user=teacher, role=Role.DSL, removed_by=head, now=now, recently_signed_in=True)

    entries = LogEntry.objects.get_for_model(StaffRole).filter(object_id=held.pk).order_by("timestamp")
    assert [(e.action, e.actor) for e in entries] == [(LogEntry.Action.CREATE, head), (LogEntry.Action.DELETE, head)]
    assert held.assigned_by == head


def test_assigning_a_role_twice_changes_nothing(head, teacher, now):
    services.assign_role(user=teacher, role=Role.TEACHER, assigned_by=head, now=now)

    assert StaffRole.objects.filter(user=teacher).count() == 1


def test_the_last_directory_keeper_cannot_lose_the_role(office, now):
    # Only another keeper may remove a keeper's role, so the last one always stays.
    with pytest.raises(services.AccountError, match="Nobody changes their own roles"):
        services.remove_role(user=office, role=Role.OFFICE, removed_by=office, now=now)

    assert Role.OFFICE in User.objects.get(pk=office.pk).roles


def test_a_keeper_can_be_removed_while_another_remains(office, head, now):
    services.remove_role(user=office, role=Role.OFFICE, removed_by=head, now=now)

    assert not StaffRole.objects.filter(user=office).exists()


def test_an_unknown_role_is_refused(head, teacher, now):
    with pytest.raises(services.AccountError):
        services.assign_role(user=teacher, role="janitor", assigned_by=head, now=now)
