"""Profile one main page in-process on the seeded bench database: where its time goes, by function.

    python bench/where_time_goes.py --only "dashboard (head)" [--requests 50] [--sort tottime] [--lines 40]

The same set-up as bench/measure.py (bench settings, a private Redis, signed-in test client);
cProfile over --requests warm requests. docs/performance.md says what this found.
"""

import argparse
import cProfile
import os
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import processes, run  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="egps_bench")
    parser.add_argument("--only", required=True, help="the page's name, as bench/measure.py prints it")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args(argv)
    redis, redis_url = processes.redis_server()
    try:
        env = run.bench_env(run.database_url(args.database), redis_url, processes.free_port())
        os.environ.update(env)
        import django

        django.setup()
        profile(args)
    finally:
        redis.stop()


def profile(args):
    from bench.pages import PAGES, Page, Targets, signed_in_client

    pages = [Page("R2: reference page", "teacher1", lambda t: "/bench/r2/"), *PAGES]
    page = next(p for p in pages if p.name == args.only)
    client = signed_in_client(page.account, recent_auth=page.recent_auth)
    path = page.path(Targets.load())
    for _ in range(3):
        client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        client.get(path)
    profiler.disable()
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
