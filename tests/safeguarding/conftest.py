"""Safeguarding fixtures: concerns raised through the service, and a DSL who signed in just now."""

import datetime as dt
import time

import pytest

from safeguarding import services
from safeguarding.choices import ConcernKind

WHAT_HAPPENED = "Heard an adult shouting at Amelia off camera; she said she was scared to go home"
CHILDS_WORDS = "Dad gets really angry and I hide under the bed"
ACTION_TAKEN = "Stayed calm, reassured her, told her I had to pass it on"


def sign_in_recently(client, user, *, seconds_ago=0):
    """force_login plus the sign-in record allauth keeps, as if the password was typed `seconds_ago`."""
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time() - seconds_ago}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


def sign_in_without_record(client, user):
    """A session with no sign-in record at all (older than allauth's records, or tampered with)."""
    client.force_login(user)
    session = client.session
    session.pop("account_authentication_methods", None)
    session.pop("account_authentication_methods_user", None)
    session.save()
    return client


@pytest.fixture
def raise_one(teacher, child_a):
    """Raise a concern (a disclosure about child_a by `teacher` unless told otherwise)."""

    def make(*, now, reported_by=None, pupils=None, **overrides):
        fields = {
            "kind": ConcernKind.DISCLOSURE,
            "happened_at": now - dt.timedelta(minutes=10),
            "what_happened": WHAT_HAPPENED,
            "childs_words": CHILDS_WORDS,
            "action_taken": ACTION_TAKEN,
            **overrides,
        }
        return services.raise_concern(reported_by=reported_by or teacher, pupils=pupils or [child_a], now=now, **fields)

    return make


@pytest.fixture
def concern(raise_one, dsl, ddsl, head, now):
    """A disclosure raised a minute ago, with the DSL team and the head in place."""
    return raise_one(now=now - dt.timedelta(minutes=1))
