"""What other apps do when a pupil leaves the school (leavers).

The calls app registers a handler in its AppConfig.ready() that cancels the pupil's future
calls and revokes their families' join links. `mark_pupil_left` runs every handler inside its
own transaction, so the pupil is off every upcoming call in the same commit that marks them
as left. A handler takes keyword arguments (pupil, left_on, by, now).
"""

_pupil_left_handlers = []


def on_pupil_left(handler):
    """Register `handler`; usable as a decorator. Registering twice keeps one copy."""
    if handler not in _pupil_left_handlers:
        _pupil_left_handlers.append(handler)
    return handler


def forget_pupil_left_handler(handler):
    """Unregister `handler` (tests register handlers of their own)."""
    if handler in _pupil_left_handlers:
        _pupil_left_handlers.remove(handler)


def run_pupil_left_handlers(*, pupil, left_on, by, now):
    for handler in list(_pupil_left_handlers):
        handler(pupil=pupil, left_on=left_on, by=by, now=now)
