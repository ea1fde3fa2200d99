"""Time the main pages in-process on a seeded bench database, without gunicorn or wrk: the quick
loop for working on one page before rerunning the whole benchmark.

    python bench/measure.py --database egps_bench [--only dashboard] [--repeat 5] [--queries]

Prints, per page: queries, the median of --repeat warm requests in ms and the SQL part of it,
and the size. --queries lists each query of the last request with its time, slowest first.
Seed the database first with `python bench/run.py --scale 20` (it leaves it seeded).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import processes, run  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="egps_bench")
    parser.add_argument("--only", default="", help="pages whose name contains this text")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--queries", action="store_true", help="list each query of the last request")
    args = parser.parse_args(argv)
    redis, redis_url = processes.redis_server()
    try:
        env = run.bench_env(run.database_url(args.database), redis_url, processes.free_port())
        os.environ.update(env)
        run.manage(env, "collectstatic", "--noinput", "-v0")  # the manifest the pages' {% static %} reads
        import django

        django.setup()
        measure(args)
    finally:
        redis.stop()


def measure(args):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.pages import PAGES, Page, Targets, signed_in_client

    targets = Targets.load()
    pages = [Page("R2: reference page", "teacher1", lambda t: "/bench/r2/"), *PAGES]
    print(f"| page | queries | ms (median of {args.repeat}) | SQL ms | KB |")
    print("|---|---:|---:|---:|---:|")
    for page in pages:
        if args.only not in page.name:
            continue
        client = signed_in_client(page.account, recent_auth=page.recent_auth)
        client.raise_request_exception = False
        path = page.path(targets)
        client.get(path)
        took, sql = [], []
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            took.append((time.perf_counter() - started) * 1000)
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        status = len(queries) if response.status_code == 200 else f"HTTP {response.status_code}"
        print(
            f"| {page.name} | {status} | {statistics.median(took):.1f} | {statistics.median(sql):.1f} "
            f"| {len(response.content) / 1024:.0f} |"
        )
        if args.queries:
            for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"])):
                print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")


if __name__ == "__main__":
    main()
