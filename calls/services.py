"""Every write about calls. Each is atomic, checks calls.policy, and leaves an audit entry."""


class CallError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


def handle_consent_withdrawal(*, pupil, scope, decided_by, now):
    """CON-3: filled in below; registered with consent.hooks in CallsConfig.ready()."""
