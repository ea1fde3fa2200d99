"""What the calls app does when an app below it announces a change (connected in apps.py). Each
receiver runs inside the sender's transaction."""

from . import services


def drop_pupil_on_withdrawal(sender, *, pupil, scope, decided_by, now, **kwargs):
    """consent.events.consent_withdrawn (CON-3, CON-6)."""
    services.handle_consent_withdrawal(pupil=pupil, scope=scope, decided_by=decided_by, now=now)


def drop_pupil_who_left(sender, *, pupil, left_on, by, now, **kwargs):
    """governance.events.pupil_left (GOV-2, COM-4)."""
    services.handle_pupil_left(pupil=pupil, left_on=left_on, by=by, now=now)
