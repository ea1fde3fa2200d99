"""What the accounts app announces to the apps above it. Receivers connect in their AppConfig.ready()
(docs/architecture.md); each signal is sent inside the sender's transaction, so a receiver that
fails rolls the change back."""

from django.dispatch import Signal

# Sent by services.send_invitation: user, invited_by, now, resend (True when the office asked again).
# The notifications app queues the invitation email (notifications.reactions.send_account_invitation).
invitation_requested = Signal()

# Sent by services.assign_role / remove_role when someone joins or leaves the DSL team (SG-3):
# person, role, added, changed_by, now, change_id, recipients (the team as it now stands, the
# headteachers and the person). The notifications app emails each recipient
# (notifications.reactions.tell_of_dsl_team_change).
dsl_team_changed = Signal()
