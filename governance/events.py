"""What the governance app announces to the apps above it. Receivers connect in their
AppConfig.ready() (docs/architecture.md); each signal is sent inside the sender's transaction, so
a receiver that fails rolls the whole change back."""

from django.dispatch import Signal

# Sent by services.mark_pupil_left once the pupil is marked: pupil, left_on, by, now.
# The calls app cancels the pupil's future calls and revokes their families' join links.
pupil_left = Signal()

# Sent by services.publish_policy_version once the version is in force: version, by, now.
# The consent app asks for the acceptable-use guidance again when version.guidance_changed (CON-7).
policy_version_published = Signal()
