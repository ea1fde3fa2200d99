"""What other apps do when consent is withdrawn (CON-3).

The calls app registers a handler in its AppConfig.ready(); withdraw_consent calls every
handler inside its own transaction, so the pupil leaves upcoming calls in the same commit.
A handler takes (pupil, scope, decided_by, now).
"""

_withdrawal_handlers = []


def on_withdrawal(handler):
    """Register `handler`; usable as a decorator."""
    if handler not in _withdrawal_handlers:
        _withdrawal_handlers.append(handler)
    return handler


def run_withdrawal_handlers(*, pupil, scope, decided_by, now):
    for handler in list(_withdrawal_handlers):
        handler(pupil=pupil, scope=scope, decided_by=decided_by, now=now)
