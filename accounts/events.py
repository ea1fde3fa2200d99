"""What the accounts app announces to the apps above it. Receivers connect in their AppConfig.ready()
(docs/architecture.md); each signal is sent inside the sender's transaction, so a receiver that
fails rolls the change back."""

from django.dispatch import Signal

# Sent by services.send_invitation: user, invited_by, now, resend (True when the office asked again).
# The notifications app queues the invitation email (notifications.reactions.send_account_invitation).
invitation_requested = Signal()
