"""Benchmark (not a test): outbox delivery through a real Celery worker against a plain smtplib loop.

Sends N notifications (default 5,000) through notify() -> Redis -> `celery worker --pool prefork`
-> a local aiosmtpd sink, and, in the same run, the same messages over one connection with a
plain smtplib loop. Prints messages per second for both and the ratio (target: at least 0.3).

Needs PostgreSQL (the worker is another process) and redis-server on PATH. The script starts
its own redis-server on a free port (never the shared one), its own SMTP sink and worker, and
stops them all at the end. It creates the database if it does not exist and migrates it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/notifications_bench python bench/notifications.py
    ... python bench/notifications.py -n 1000 --concurrency 2 --batch 100
"""

import argparse
import os
import smtplib
import sys
import time
import types
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.notifications.harness import CeleryWorker, RedisServer, SmtpSinkProcess, wait_for  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--count", type=int, default=5000, help="notifications to send (default 5000)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes (default 2)")
    parser.add_argument("--batch", type=int, default=100, help="NOTIFICATIONS_BATCH_SIZE (default 100)")
    return parser.parse_args()


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it is missing (psycopg2, through the server's `postgres` database)."""
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        dbname="postgres", user=parts.username, password=parts.password, host=parts.hostname, port=parts.port or 5432
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_django(redis_url: str, sink_port: int, batch: int) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="egps_portal.settings",
        REDIS_URL=redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{sink_port}",
        NOTIFICATIONS_BATCH_SIZE=str(batch),
        DJANGO_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def write_notifications(count: int):
    """count staff-message style notifications, like a newsletter to every family. Not committed yet."""
    from notifications.services import notify

    author = types.SimpleNamespace(get_full_name=lambda: "Tara Evans", email="teacher@bench.test")
    school = types.SimpleNamespace(name="Ernesford Grange Primary School")
    run = time.time_ns()
    rows = []
    for i in range(count):
        guardian = types.SimpleNamespace(full_name=f"Parent {i}")
        message = types.SimpleNamespace(subject=f"Class news {i}", body="Coats and wellies on Friday, please.\n" * 5)
        context = {"message": message, "author": author, "guardian": guardian, "pupil": None, "school": school}
        rows.append(notify(to=f"family{i}@bench.test", kind="staff-message", context=context, dedupe_key=f"bench:{run}:{i}"))
    return rows


def plain_smtplib_rate(rows, sink) -> float:
    """The same messages, built first, sent by one smtplib connection in a loop."""
    from django.conf import settings

    from notifications.delivery import as_email

    prepared = [(row.recipient_email, as_email(row).message().as_bytes(linesep="\r\n")) for row in rows]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for to, data in prepared:
            smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [to], data)
    elapsed = time.perf_counter() - started
    assert sink.total == len(rows), f"the sink counted {sink.total} of {len(rows)}"
    return len(rows) / elapsed


def main():
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/notifications_bench")
    ensure_database(database_url)
    redis_server, sink, worker = RedisServer().start(), SmtpSinkProcess().start(), None
    try:
        setup_django(redis_server.url, sink.port, args.batch)
        from django.db import transaction

        from notifications.models import OutboxMessage, OutboxState

        OutboxMessage.objects.filter(dedupe_key__startswith="bench:").delete()
        worker = CeleryWorker({**os.environ}, concurrency=args.concurrency).start()
        print(f"Writing {args.count} notifications ...", flush=True)
        with transaction.atomic():
            rows = write_notifications(args.count)
            plain = plain_smtplib_rate(rows, sink)
            sink.reset()
            started = time.perf_counter()
        # Committed: notify()'s on-commit callback has published the rows, a task per batch.
        pending = OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).exclude(state=OutboxState.SENT)
        wait_for(lambda: sink.total >= args.count and not pending.exists(), timeout=600, interval=0.1, what="delivery")
        elapsed = time.perf_counter() - started
        cpu = sum(_cpu_seconds(pid) for pid in [worker.process.pid, *worker.pool_pids()])
        print(f"worker CPU: {cpu:.1f} s in total, {cpu / args.count * 1000:.2f} ms a message", flush=True)
        report(args, plain=plain, worker_rate=args.count / elapsed, elapsed=elapsed, sink=sink)
        OutboxMessage.objects.filter(dedupe_key__startswith="bench:").delete()
    finally:
        if worker is not None:
            worker.stop()
            worker.discard_log()
        sink.stop()
        redis_server.stop()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(args, *, plain, worker_rate, elapsed, sink):
    counts = sink.counts()
    repeats = sum(counts.values()) - len(counts)
    print(f"\n{args.count} messages, worker: prefork x{args.concurrency}, batch {args.batch}, one SMTP connection per batch")
    print(f"{'plain smtplib loop (one connection)':<42} {plain:>8.0f} messages/s")
    print(f"{'outbox -> Redis -> Celery worker':<42} {worker_rate:>8.0f} messages/s  ({elapsed:.1f} s, commit to last delivery)")
    print(f"{'ratio (target >= 0.3)':<42} {worker_rate / plain:>8.2f}")
    print(f"distinct Message-IDs at the sink: {len(counts)}, repeats: {repeats}")


if __name__ == "__main__":
    main()
