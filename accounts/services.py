"""Every write about accounts and staff roles: atomic, audited; the invitation email is queued by
the notifications app (accounts.events)."""

import datetime as dt

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.db import transaction

from toolkit.urls import portal_url

from . import events, policy
from .audit import acting_as
from .choices import DIRECTORY_KEEPERS, DSL_TEAM, Role
from .models import StaffRole, User


class AccountError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


class FreshSignInNeeded(AccountError):
    """The change is allowed once the person has signed in again (views hand over to allauth)."""


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
def create_staff_account(*, email, first_name, last_name, roles, created_by, now, recently_signed_in=False) -> User:
    """A member of staff with `roles`, invited by email. Each role passes the same rule as the
    roles page (accounts.policy): the office cannot make a new DSL either."""
    if not roles:
        raise AccountError("Choose at least one role for a member of staff.")
    user = create_account(email=email, first_name=first_name, last_name=last_name, created_by=created_by, now=now)
    for role in roles:
        assign_role(user=user, role=role, assigned_by=created_by, now=now, recently_signed_in=recently_signed_in)
    return user


@transaction.atomic
def resend_invitation(*, user: User, invited_by: User, now: dt.datetime):
    """A fresh invitation link for someone who has not yet chosen a password."""
    if user.has_usable_password():
        raise AccountError(f"{user.email} has already chosen a password; they can reset it from the sign-in page.")
    return send_invitation(user=user, invited_by=invited_by, now=now, resend=True)


def _check_role_change(*, user: User, role: str, changed_by: User, recently_signed_in: bool) -> None:
    refusal = policy.role_change_refusal(
        changed_by_id=changed_by.pk,
        changed_by_roles=StaffRole.objects.filter(user=changed_by).values_list("role", flat=True),
        person_id=user.pk,
        role=role,
        recently_signed_in=recently_signed_in,
    )
    if refusal == policy.FRESH_SIGN_IN_NEEDED:
        raise FreshSignInNeeded(refusal)
    if refusal:
        raise AccountError(refusal)


@transaction.atomic
def assign_role(*, user: User, role: str, assigned_by: User, now: dt.datetime, recently_signed_in: bool = False) -> StaffRole:
    """Give `user` a staff role (no change if they hold it already). GOV-2, SG-3: only the head
    gives the leadership and DSL roles, nobody to themselves; the DSL team is told of a new member."""
    # The acting person's roles are read from the table, not their cached `roles`: a role
    # removed a moment ago in another request no longer counts.
    _check_role_change(user=user, role=role, changed_by=assigned_by, recently_signed_in=recently_signed_in)
    with acting_as(assigned_by):
        found, created = StaffRole.objects.get_or_create(user=user, role=role, defaults={"assigned_by": assigned_by})
    if created and policy.tells_the_dsl_team(role):
        _tell_the_dsl_team(person=user, role=role, added=True, changed_by=assigned_by, now=now, change_id=found.pk)
    return found


@transaction.atomic
def remove_role(*, user: User, role: str, removed_by: User, now: dt.datetime, recently_signed_in: bool = False) -> None:
    """Take a staff role from `user`. Someone must always be left to keep the directory; the
    same rule as assign_role says who may; the DSL team is told when one of them leaves it."""
    # Lock the keepers' rows so two people removing each other at once cannot both succeed.
    keepers = list(StaffRole.objects.select_for_update().filter(role__in=DIRECTORY_KEEPERS).values_list("user_id", flat=True))
    _check_role_change(user=user, role=role, changed_by=removed_by, recently_signed_in=recently_signed_in)
    held = StaffRole.objects.filter(user=user, role=role).first()
    if held is None:
        return
    if role in DIRECTORY_KEEPERS and set(keepers) == {user.pk}:
        raise AccountError("Someone must keep the directory: give another person the Headteacher or Office role first.")
    change_id = held.pk
    with acting_as(removed_by):
        held.delete()
    if policy.tells_the_dsl_team(role):
        _tell_the_dsl_team(person=user, role=role, added=False, changed_by=removed_by, now=now, change_id=change_id)


def _dsl_team_and_heads(person: User) -> list[User]:
    """Everyone told of a change to the DSL team: the team as it now stands, the headteachers,
    and the person who joined or left it."""
    told = User.objects.filter(is_active=True, staff_roles__role__in=DSL_TEAM | {Role.HEAD}).distinct()
    return sorted({*told, person}, key=lambda u: u.email)


def _tell_the_dsl_team(*, person, role, added, changed_by, now, change_id) -> None:
    """SG-3: an unexpected member of the DSL team is noticed at once by the people it matters to.
    The outbox publishes after commit, so a refused change tells nobody."""
    events.dsl_team_changed.send(
        sender=StaffRole,
        person=person,
        role=role,
        added=added,
        changed_by=changed_by,
        now=now,
        change_id=change_id,
        recipients=_dsl_team_and_heads(person),
    )


@transaction.atomic
def appoint_first_headteacher(*, email: str, first_name: str, last_name: str, now: dt.datetime) -> User:
    """A new school's first headteacher, from the server (manage.py first_headteacher): the one
    role change outside the roles page, refused once any headteacher exists, because from then on
    only a headteacher gives the role (accounts.policy). An existing account is given the role;
    a new one is created and invited."""
    # Run once by the operator setting the school up; no page reaches it.
    if StaffRole.objects.filter(role=Role.HEAD).exists():
        raise AccountError("The school already has a headteacher: they give roles on the Staff roles page.")
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        user = User.objects.create_user(email=email.strip(), first_name=first_name, last_name=last_name)
        send_invitation(user=user, invited_by=user, now=now)
    StaffRole.objects.create(user=user, role=Role.HEAD)
    return user
