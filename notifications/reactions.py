"""What the notifications app does when an app below it announces a change (connected in apps.py)."""

from django.conf import settings

from accounts.services import invitation_link
from school.models import SchoolSettings

from .services import notify


def send_account_invitation(sender, *, user, invited_by, now, resend, **kwargs):
    """accounts.events.invitation_requested: queue the email inviting `user` to choose a password.

    The first invitation has a fixed dedupe key, so creating an account twice sends once;
    a resend asked for by the office is a new message.
    """
    suffix = f"resend:{now.timestamp():.0f}" if resend else "first"
    days = settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)
    return notify(
        to=user.email,
        kind="account-invitation",
        context={
            "user": user,
            "link": invitation_link(user),
            "invited_by": invited_by,
            "valid_days": days,
            "school": SchoolSettings.load(),
        },
        dedupe_key=f"invitation:{user.pk}:{suffix}",
        user=user,
    )


def tell_of_dsl_team_change(sender, *, person, role, added, changed_by, now, change_id, recipients, **kwargs):
    """accounts.events.dsl_team_changed: email everyone it matters to (SG-3), one message each."""
    from accounts.choices import Role

    action = "added" if added else "removed"
    school = SchoolSettings.load()
    for recipient in recipients:
        notify(
            to=recipient.email,
            kind="dsl-team-changed",
            context={
                "name": recipient.get_full_name() or recipient.email,
                "person": person,
                "role": Role(role).label,
                "added": added,
                "changed_by": changed_by,
                "changed_at": now,
                "school": school,
            },
            dedupe_key=f"dsl-team:{action}:{change_id}:{now.timestamp():.0f}:{recipient.pk}",
            user=recipient,
        )
