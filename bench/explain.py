"""Which queries of the main pages scan whole tables or run slowly, on a seeded bench database.

    python bench/explain.py --database egps_bench [--slow-ms 2]

Runs every page of bench.pages once (warm), then EXPLAIN ANALYZE on each SELECT it made, and
prints those with a sequential scan of a table over 5,000 rows or taking longer than --slow-ms.
Use it after `python bench/run.py --scale 20` (which leaves the database seeded).
"""

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import processes, run  # noqa: E402

BIG_TABLE_ROWS = 5000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="egps_bench")
    parser.add_argument("--slow-ms", type=float, default=2.0)
    args = parser.parse_args(argv)
    redis, redis_url = processes.redis_server()
    try:
        os.environ.update(run.bench_env(run.database_url(args.database), redis_url, processes.free_port()))
        import django

        django.setup()
        report(args.slow_ms)
    finally:
        redis.stop()


def _row_counts(cursor) -> dict:
    cursor.execute("SELECT relname, n_live_tup FROM pg_stat_user_tables")
    return dict(cursor.fetchall())


def report(slow_ms: float):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.pages import PAGES, Targets, signed_in_client

    targets = Targets.load()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        rows = _row_counts(cursor)
    for page in PAGES:
        client = signed_in_client(page.account, recent_auth=page.recent_auth)
        client.get(page.path(targets))
        with CaptureQueriesContext(connection) as queries:
            client.get(page.path(targets))
        for query in queries.captured_queries:
            _explain(page.name, query["sql"], rows, slow_ms)


def _explain(page_name, sql, rows, slow_ms):
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    took = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
    scans = [t for t in re.findall(r"Seq Scan on (\w+)", plan) if rows.get(t, 0) > BIG_TABLE_ROWS]
    if scans or took > slow_ms:
        print(f"## {page_name}: {took:.1f} ms, seq scans of {', '.join(sorted(set(scans))) or 'none'}")
        print(sql[:600])
        print(plan)
        print()


if __name__ == "__main__":
    main()
