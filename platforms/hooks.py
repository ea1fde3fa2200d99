"""What other apps do when a call's meeting is made on a hosted platform (COM-4).

The join emails wait for the meeting (calls.services.send_join_details); the calls app registers
a handler in its AppConfig.ready() that sends the ones now due, so families need not wait for
the next beat sweep. A handler takes (call_ref, now). Platforms never imports calls.
"""

_ready_handlers = []


def on_meeting_ready(handler):
    if handler not in _ready_handlers:
        _ready_handlers.append(handler)
    return handler


def run_meeting_ready_handlers(*, call_ref: str, now) -> None:
    for handler in list(_ready_handlers):
        handler(call_ref=call_ref, now=now)
