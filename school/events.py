"""What the school directory announces to the apps above it. Receivers connect in their
AppConfig.ready() (docs/architecture.md); each signal is sent inside the sender's transaction, so a
receiver that fails rolls the change back."""

from django.dispatch import Signal

# Sent by the guardian import (resources.GuardianResource) after it links a guardian to a pupil or
# changes their parental responsibility: pupil_ids. Whose decisions count for those children may
# have changed (CON-5): the consent app recomputes the decision in force.
guardianships_changed = Signal()
