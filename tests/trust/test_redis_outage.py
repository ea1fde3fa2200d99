"""Trust, Redis down (issue 9, point 6): the portal keeps serving pages and accepting bookings and
consent decisions; their emails wait in the outbox (pending) for the sweep once Redis is back.

Redis is the cache and the Celery broker (settings: REDIS_URL). Here both point at a port where
nothing listens (we start nothing, so the shared Redis is never touched), Celery is not eager
(as in production), and every request must still succeed. Delivery once the broker is back is
covered by tests/notifications/test_worker_integration.py (the sweep re-publishes pending rows).
"""

import contextlib
import datetime as dt
import socket

import pytest
import time_machine
from django.urls import reverse

from calls.choices import CallKind, CallStatus, Platform
from calls.models import Call
from consent import selectors
from consent.choices import Scope
from notifications.models import OutboxMessage, OutboxState
from tests.calls.conftest import NOW, TUESDAY_10, consented  # noqa: F401

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A port nobody listens on: bound by the kernel for a moment, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


OUTAGES = [pytest.param("broker", id="broker-down"), pytest.param("broker+cache", id="broker-and-cache-down")]


@pytest.fixture(params=OUTAGES)
def redis_down(request, settings):
    """outage() -> a context in which the broker (and, in the second case, the cache too) is a Redis where
    nothing listens and Celery publishes for real (not eager). Test data is made before it starts."""
    from egps_portal.celery import app

    dead = f"redis://127.0.0.1:{_closed_port()}/0"

    @contextlib.contextmanager
    def outage():
        before = (app.conf.broker_url, app.conf.task_always_eager)
        app.conf.broker_url, app.conf.task_always_eager = dead, False
        _fresh_pool(app)  # no connection made to a live broker earlier is reused
        settings.CELERY_TASK_ALWAYS_EAGER = False
        if "cache" in request.param:
            # The production cache backend (settings.base), pointed at the dead Redis.
            settings.CACHES = {
                "default": {
                    "BACKEND": "egps_portal.cache.ResilientRedisCache",
                    "LOCATION": dead,
                    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
                }
            }
            _assert_redis_is_really_down(dead)
        try:
            yield
        finally:
            app.conf.broker_url, app.conf.task_always_eager = before
            _fresh_pool(app)

    return outage


def _fresh_pool(app):
    """Close the producer pool and let Celery build a new one on next use (a closed pool
    would refuse every later publish in this process: "Acquire on closed pool")."""
    app.pool.force_close_all()
    app._pool = None


def _assert_redis_is_really_down(url):
    import redis

    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()


def test_signed_in_pages_are_served_while_redis_is_down(request, redis_down, client, parent_a, teacher, consented):  # noqa: F811
    with redis_down():
        client.force_login(parent_a)
        for name in ("home", "consent:family", "calls:family"):
            assert client.get(reverse(name)).status_code == 200, name
        client.force_login(teacher)
        assert client.get(reverse("home")).status_code == 200


def _pending(kind) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=kind))


def test_a_consent_decision_is_accepted_and_its_email_waits_while_redis_is_down(
    redis_down,
    client,
    parent_a,
    child_a,
    consented,  # noqa: F811
):
    client.force_login(parent_a)
    with redis_down():
        response = client.post(reverse("consent:change", args=[child_a.pk, Scope.VIDEO_CALLS, "withdraw"]), {})
    assert response.status_code == 302
    assert not selectors.has_consent(child_a, Scope.VIDEO_CALLS)
    waiting = _pending("consent-withdrawn")
    assert [m.recipient_email for m in waiting] == [parent_a.email]
    assert all(m.state == OutboxState.PENDING for m in waiting)


def _booking_form(teacher, dsl, child_a) -> dict:
    return {
        "kind": CallKind.ONE_TO_ONE,
        "title": "Reading one-to-one",
        "activity": "Reading together.",
        "platform": Platform.MICROSOFT_TEAMS,
        "date": TUESDAY_10.date().isoformat(),
        "start_time": "10:00",
        "duration_minutes": 30,
        "host": teacher.pk,
        "second_staff": dsl.pk,
        "single_staff_reason": "",
        "pupils": [child_a.pk],
        "meeting_url": "https://teams.example.test/meet/abc",
        "passcode": "s3cret-pass",
    }


def test_a_booking_is_accepted_and_its_emails_wait_while_redis_is_down(
    request,
    redis_down,
    client,
    teacher,
    dsl,
    child_a,
    consented,  # noqa: F811
):
    client.force_login(teacher)
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False), redis_down():
        response = client.post(reverse("calls:book"), _booking_form(teacher, dsl, child_a))
    assert response.status_code == 302, response.content.decode()[:2000]
    call = Call.objects.get()
    assert call.status == CallStatus.AWAITING_PARENT
    waiting = list(OutboxMessage.objects.all())
    assert waiting, "the booking should ask the family to agree by email"
    assert all(m.state == OutboxState.PENDING for m in waiting)
