"""What the safeguarding app asks of the apps above it. Receivers connect in their AppConfig.ready()
(docs/architecture.md)."""

from django.dispatch import Signal

# Sent by the raise-a-concern page when the concern comes from a call: user, call_id, now. The
# calls app answers with the call's start if `user` may see the call and it has started, else None
# (calls.reactions.source_call_time); "when it happened" defaults to it (issue 19).
source_call_time_asked = Signal()
