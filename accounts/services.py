"""Every write about accounts and staff roles: atomic, audited; the invitation email is queued by
the notifications app (accounts.events)."""

import datetime as dt

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.db import transaction

from toolkit.urls import portal_url

from . import events
from .audit import acting_as
from .choices import DIRECTORY_KEEPERS, Role
from .models import StaffRole, User


class AccountError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


def invitation_link(user: User) -> str:
    """An absolute link where `user` chooses a password. It stops working once they have
    (the token covers the password hash) and after PASSWORD_RESET_TIMEOUT."""
    key = default_token_generator.make_token(user)
    return portal_url("account_reset_password_from_key", uidb36=user_pk_to_url_str(user), key=key)


def send_invitation(*, user: User, invited_by: User, now: dt.datetime, resend: bool = False) -> None:
    """Ask for the email inviting `user` to choose a password. Call inside a transaction.

    The notifications app queues it (accounts.events.invitation_requested): the first
    invitation once however often the account is created, a resend as a new message.
    """
    events.invitation_requested.send(sender=User, user=user, invited_by=invited_by, now=now, resend=resend)


@transaction.atomic
def create_account(*, email: str, first_name: str, last_name: str, created_by: User, now: dt.datetime) -> User:
    """A new account with no usable password, and its invitation email."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(f"There is already an account for {email}.")
    with acting_as(created_by):
        user = User.objects.create_user(email=email, first_name=first_name, last_name=last_name)
        send_invitation(user=user, invited_by=created_by, now=now)
    return user


@transaction.atomic
def create_staff_account(*, email, first_name, last_name, roles, created_by, now) -> User:
    """A member of staff with `roles`, invited by email."""
    if not roles:
        raise AccountError("Choose at least one role for a member of staff.")
    user = create_account(email=email, first_name=first_name, last_name=last_name, created_by=created_by, now=now)
    for role in roles:
        assign_role(user=user, role=role, assigned_by=created_by)
    return user


@transaction.atomic
def resend_invitation(*, user: User, invited_by: User, now: dt.datetime):
    """A fresh invitation link for someone who has not yet chosen a password."""
    if user.has_usable_password():
        raise AccountError(f"{user.email} has already chosen a password; they can reset it from the sign-in page.")
    return send_invitation(user=user, invited_by=invited_by, now=now, resend=True)


@transaction.atomic
def assign_role(*, user: User, role: str, assigned_by: User) -> StaffRole:
    """Give `user` a staff role (no change if they hold it already)."""
    if role not in Role.values:
        raise AccountError("That is not a staff role.")
    with acting_as(assigned_by):
        found, _ = StaffRole.objects.get_or_create(user=user, role=role, defaults={"assigned_by": assigned_by})
    return found


@transaction.atomic
def remove_role(*, user: User, role: str, removed_by: User) -> None:
    """Take a staff role from `user`. Someone must always be left to keep the directory."""
    # Lock the keepers' rows so two people removing each other at once cannot both succeed.
    keepers = list(StaffRole.objects.select_for_update().filter(role__in=DIRECTORY_KEEPERS).values_list("user_id", flat=True))
    held = StaffRole.objects.filter(user=user, role=role).first()
    if held is None:
        return
    if role in DIRECTORY_KEEPERS and set(keepers) == {user.pk}:
        raise AccountError("Someone must keep the directory: give another person the Headteacher or Office role first.")
    with acting_as(removed_by):
        held.delete()
