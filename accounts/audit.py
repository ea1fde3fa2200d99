"""Name the acting person on audit entries (GOV-3) written by a service, in or out of a request."""

import contextlib

from auditlog.context import auditlog_value, set_actor


@contextlib.contextmanager
def acting_as(user):
    """Every auditlog entry written inside this block names `user` as the actor.

    auditlog's set_actor does not restore an outer context when it ends, so inside a request
    (where AuditlogMiddleware set one) we put the request's context back ourselves.
    """
    try:
        previous = auditlog_value.get()
    except LookupError:
        previous = None
    try:
        with set_actor(user):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)
