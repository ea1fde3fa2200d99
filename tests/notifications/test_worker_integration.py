"""Reliability against real processes: a redis-server of our own, a local SMTP sink (aiosmtpd)
counting messages by Message-ID, and `celery worker --pool prefork -c 2` on the pytest test
database. Needs PostgreSQL (rows are committed and read by another process).

In each test every message arrives, and any repeat is counted and shares its Message-ID.
"""

import contextlib
import os
import shutil
import time

import pytest
from django.db import connection, transaction

from notifications.models import OutboxMessage, OutboxState
from notifications.services import notify

from .harness import CeleryWorker, RedisServer, SmtpSink, database_url, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Small numbers so one test run stays well under two minutes; the lease is short so the sweep
# recovers rows a killed worker held within seconds, not minutes.
WORKER_SETTINGS = {
    "NOTIFICATIONS_BATCH_SIZE": "20",
    "NOTIFICATIONS_LEASE_SECONDS": "4",
    "EMAIL_TIMEOUT": "1",
    "NOTIFICATIONS_SWEEP_SECONDS": "1",
    "NOTIFICATIONS_RETRY_SECONDS": "0.5",
    "NOTIFICATIONS_MAX_ATTEMPTS": "50",
    "DJANGO_LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="module")
def _needs_postgres_and_redis_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        vendor = connection.vendor
    reason = None
    if vendor != "postgresql":
        reason = "the worker reads committed rows from another process: set DATABASE_URL to PostgreSQL"
    elif not shutil.which("redis-server"):
        reason = "redis-server is not installed"
    if reason:
        if os.environ.get("EGPS_REQUIRE_INTEGRATION") == "1":
            pytest.fail(f"EGPS_REQUIRE_INTEGRATION=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_server():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def broker(redis_server):
    """This test process publishes to our redis-server, as the web process does in production."""
    from egps_portal.celery import app

    before = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = redis_server.url, False
    _reset_pools(app)
    yield app
    app.conf.broker_url, app.conf.task_always_eager = before
    _reset_pools(app)


def _reset_pools(app):
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(scope="module")
def worker_env(django_db_setup, django_db_blocker, redis_server, sink):
    """The worker's environment: production settings pointed at the pytest test database."""
    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    return {
        **os.environ,
        **WORKER_SETTINGS,
        "DJANGO_SETTINGS_MODULE": "egps_portal.settings",
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
    }


@pytest.fixture(scope="module")
def shared_worker(_needs_postgres_and_redis_once, broker, worker_env):
    """One worker (no beat) for the tests that do not kill its main process."""
    worker = CeleryWorker(worker_env)
    try:
        yield worker.start()
    finally:
        worker.stop()
        print(f"--- shared worker log ---\n{worker.discard_log()}")  # shown when a test fails


@pytest.fixture
def worker(shared_worker, sink, redis_server):
    if redis_server.process.poll() is not None:
        redis_server.start()
    sink.reset()
    return shared_worker


@pytest.fixture
def start_worker(_needs_postgres_and_redis_once, broker, worker_env, sink):
    """start_worker(beat=False) -> a CeleryWorker of this test's own; each is killed at the end."""
    sink.reset()
    started = []

    def _start(beat=False):
        worker = CeleryWorker(worker_env, beat=beat)
        started.append(worker)
        return worker.start()

    yield _start
    for worker in started:
        worker.stop()
        print(f"--- worker log ---\n{worker.discard_log()}")  # shown when a test fails


def _notify_many(n: int, prefix: str) -> list[OutboxMessage]:
    """n notifications written in one transaction, as a service notifying a whole class would."""
    with transaction.atomic():
        return [
            notify(
                to=f"family{i}@example.test",
                kind="join-example",
                context={"link": f"https://meet.example/{i}"},
                dedupe_key=f"{prefix}:{i}",
            )
            for i in range(n)
        ]


def _all_sent(rows, sink) -> bool:
    expected = {row.message_id for row in rows}
    return expected <= set(sink.counts()) and OutboxMessage.objects.filter(state=OutboxState.SENT).count() == len(rows)


def _wait_all_sent(rows, sink, *, timeout: float, sweep: bool = False):
    """Wait for every row to arrive; with sweep=True, also do beat's job once a second."""
    from notifications.tasks import sweep_outbox

    deadline = time.monotonic() + timeout
    while not _all_sent(rows, sink):
        assert time.monotonic() < deadline, f"only {sink.total} of {len(rows)} messages arrived in {timeout}s"
        if sweep:
            with contextlib.suppress(Exception):  # the broker may still be coming back
                sweep_outbox.apply_async(retry=False)
        time.sleep(1 if sweep else 0.2)


def _assert_every_message_arrived(rows, sink, *, allowed_repeats: int):
    counts = sink.counts()
    assert set(counts) == {row.message_id for row in rows}, "a message is missing, or a stranger arrived"
    repeats = sum(counts.values()) - len(counts)
    # The only possible repeat: a process killed after the sink accepted and before the row was
    # marked. It shares its Message-ID (counted above by Message-ID), so the family can tell.
    assert repeats <= allowed_repeats, f"{repeats} repeats: {[(k, v) for k, v in counts.items() if v > 1]}"


def test_n_notifications_arrive_exactly_once_and_a_repeated_task_sends_nothing(worker, sink):
    from notifications.tasks import deliver_outbox

    rows = _notify_many(100, "exact")
    _wait_all_sent(rows, sink, timeout=30)
    deliver_outbox.delay([row.pk for row in rows])  # the same work again, as a broker redelivery would
    time.sleep(1)

    assert sink.total == 100
    _assert_every_message_arrived(rows, sink, allowed_repeats=0)


def test_killing_pool_processes_mid_batch_loses_nothing(worker, sink):
    sink.handler.delay = 0.01  # slow enough that the kills land inside batches

    rows = _notify_many(200, "pool-kill")
    wait_for(lambda: sink.total >= 40, timeout=30, what="the first batches")
    worker.kill_pool_process()
    wait_for(lambda: sink.total >= 100, timeout=30, what="more batches")
    worker.kill_pool_process()
    _wait_all_sent(rows, sink, timeout=45, sweep=True)

    _assert_every_message_arrived(rows, sink, allowed_repeats=2)


def test_a_refusing_mail_server_delays_but_loses_nothing(worker, sink):
    sink.refuse_for(3)

    rows = _notify_many(60, "refused")
    _wait_all_sent(rows, sink, timeout=45, sweep=True)

    assert sink.handler.refused > 0
    assert OutboxMessage.objects.filter(attempts__gt=1).exists()
    _assert_every_message_arrived(rows, sink, allowed_repeats=0)


def test_redis_down_when_notifying_then_back_empty_the_sweep_delivers_everything(worker, redis_server, sink):
    redis_server.shutdown_nosave()

    started = time.monotonic()
    rows = _notify_many(60, "redis-down")
    notify_seconds = time.monotonic() - started
    redis_server.start()  # back, and empty: every queued task is gone
    _wait_all_sent(rows, sink, timeout=60, sweep=True)

    assert notify_seconds < 5, "the web request waited on the broker"
    _assert_every_message_arrived(rows, sink, allowed_repeats=0)


def test_killing_the_main_worker_process_and_restarting_loses_nothing(start_worker, sink):
    """The restarted worker runs beat (-B): the outbox sweep entry itself recovers the rows."""
    sink.handler.delay = 0.01
    worker = start_worker()

    rows = _notify_many(200, "main-kill")
    wait_for(lambda: sink.total >= 50, timeout=30, what="the first batches")
    worker.kill_main_process()
    start_worker(beat=True)  # systemd (or docker) restarts the worker
    _wait_all_sent(rows, sink, timeout=45)

    # Each of the two pool processes may have been inside the accept-then-mark window.
    _assert_every_message_arrived(rows, sink, allowed_repeats=2)
