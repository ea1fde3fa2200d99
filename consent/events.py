"""What the consent app announces to the apps above it. Receivers connect in their AppConfig.ready()
(docs/architecture.md); each signal is sent inside the sender's transaction, so a receiver that
fails rolls the whole change back."""

from django.dispatch import Signal

# Sent by services.withdraw_consent once the withdrawal is recorded: pupil, scope, decided_by, now.
# The calls app takes the pupil off upcoming calls (video calls) or stops recording them (CON-3, CON-6).
consent_withdrawn = Signal()
