"""What the school directory announces to the apps above it. Receivers connect in their
AppConfig.ready() (docs/architecture.md); each signal is sent inside the sender's transaction, so a
receiver that fails rolls the change back."""

from django.dispatch import Signal

# Sent by the guardian import (imports.link_guardians) after it links a guardian to a pupil or
# changes their parental responsibility: pupil_ids. Whose decisions count for those children may
# have changed (CON-5): the consent app recomputes the decision in force.
guardianships_changed = Signal()

# Sent by the directory sync (sync.apply) for each pupil the MIS says has left: pupil, left_on, by,
# now. The governance app runs the school's leaver process (governance.reactions); when that process
# refuses, the receiver raises LeaverRefused, and the sync lists the pupil as failed.
pupil_left_in_mis = Signal()

# Sent by the directory sync to ask whether any of `pupil_ids` has a call coming up (after `now`):
# a changed address for such a family is put before the office (issue 20). The calls app answers
# (calls.reactions.any_upcoming_calls); the sync reads the receivers' answers.
upcoming_calls_asked = Signal()


class LeaverRefused(Exception):  # noqa: N818 -- the school's word for it
    """The leaver process refused this pupil; the text is safe to show the office."""
