"""The email fan-out alone (bench/run.py's step 6) on an already seeded bench database: the quick
loop for working on the outbox without rerunning the whole benchmark.

    python bench/fanout.py --database egps_bench [--repeat 1]

Starts a private redis-server and the SMTP sink, then runs `run.fan_out()`: the weekly timetables
through the outbox and a real Celery worker, then the same messages over one plain connection.
Before each run it deletes the coming week's timetable rows a previous run wrote (bench database
only: otherwise their dedupe keys make the service write nothing).
"""

import argparse
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import processes, run  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="egps_bench")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if args.database in ("test", "postgres", "template0", "template1"):
        parser.error(f"refusing to use the database {args.database!r}")
    sink = processes.SmtpSink().start()
    redis, redis_url = processes.redis_server()
    try:
        env = run.bench_env(run.database_url(args.database), redis_url, sink.controller.port)
        os.environ.update(env)
        import django

        django.setup()
        for _ in range(args.repeat):
            forget_timetables()
            report(run.fan_out(env, sink))
    finally:
        redis.stop()
        sink.stop()


def forget_timetables():
    from notifications.models import OutboxMessage

    OutboxMessage.objects.filter(kind="timetable-weekly").delete()


def report(fan: dict):
    batch = int(os.environ.get("NOTIFICATIONS_BATCH_SIZE", "100"))
    print(
        f"{fan['families']} families, {fan['messages']} messages: outbox {fan['outbox_s']:.2f} s in all "
        f"(writing {fan['queued_s']:.2f} s), {fan['connections']} SMTP connections "
        f"(recipients / batch size = {math.ceil(fan['messages'] / batch)}), {fan['duplicates']} duplicates, "
        f"{fan['missing']} missing; redelivery {fan['delivery_s']:.2f} s over {fan['delivery_connections']} connections; "
        f"plain loop {fan['plain_s']:.2f} s; ratio {fan['ratio']:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
