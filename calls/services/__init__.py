"""Every write about calls, one module per subject. Each write is atomic, checks calls.policy,
leaves an audit entry (django-auditlog on the models) and queues email through
notifications.notify inside the same transaction.

- booking: booking, moving and cancelling a call; its meeting details and checklist
- one_to_ones: a parent's agreement to a one-to-one's time and the head's approval (CALL-4)
- join_details: the personal join links sent to families (COM-4)
- calendar_feeds: each person's private calendar address
- common: what those share (locks, who hears about a call, revoking links)

The meeting link and passcode never leave these functions towards families: families get a
personal JoinLink to the portal, checked when it is opened by the join gateway (calls.gateway).

The refusals below are shared by every module, so a view catches one CallError whichever it called.
"""


class CallError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


class BookingRefused(CallError):
    """The booking breaks one or more rules: {field name: problem} for the form to show."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(" ".join(problems.values()))
