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


# What withdrawing would change elsewhere, shown on the confirmation page before the second
# click (issue 19): a provider takes (pupil, scope, now) and returns a list of plain sentences.
_withdrawal_previews = []
# What a family may want to undo after consent is given again: a provider takes (pupil, scope,
# now) and returns a URL to offer it (e.g. "put back on the calls they were taken off"), or None.
_regiven_offers = []


def on_withdrawal_preview(provider):
    if provider not in _withdrawal_previews:
        _withdrawal_previews.append(provider)
    return provider


def withdrawal_preview(*, pupil, scope, now) -> list[str]:
    return [line for provider in list(_withdrawal_previews) for line in provider(pupil=pupil, scope=scope, now=now)]


def on_consent_regiven(provider):
    if provider not in _regiven_offers:
        _regiven_offers.append(provider)
    return provider


def regiven_offer(*, pupil, scope, now) -> str | None:
    """The first follow-up another app offers after consent is given again, or None."""
    for provider in list(_regiven_offers):
        url = provider(pupil=pupil, scope=scope, now=now)
        if url:
            return url
    return None
