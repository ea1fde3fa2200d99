"""What the platforms app announces to the apps above it. Receivers connect in their
AppConfig.ready() (docs/architecture.md)."""

from django.dispatch import Signal

# Sent by hosted.create_meeting once a call's meeting exists on its hosted platform (Teams, Meet,
# Zoom): call_ref (the call's id as the platform app knows it), now. The join emails wait for the
# meeting (COM-4); the calls app sends the ones now due, so families need not wait for the next
# beat sweep (calls.reactions.send_join_details_when_meeting_ready).
meeting_ready = Signal()
