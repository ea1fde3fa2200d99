"""What the governance app does when an app below it announces a change (connected in apps.py)."""

from school.events import LeaverRefused

from .services import GovernanceError, mark_pupil_left


def run_leaver_process(sender, *, pupil, left_on, by, now, **kwargs):
    """school.events.pupil_left_in_mis: the MIS says the pupil has left; the school's own leaver
    process runs (GOV-2: calls and join links go, guardians with no child left lose sign-in)."""
    try:
        mark_pupil_left(pupil=pupil, left_on=left_on, by=by, now=now)
    except GovernanceError as error:
        raise LeaverRefused(str(error)) from error
