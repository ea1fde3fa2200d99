"""The benchmark, one command: `python bench/run.py --scale 20` (docs/performance.md).

On PostgreSQL (DATABASE_URL's server, in a database of its own, egps_bench by default) and a
private redis-server on loopback, it seeds the demo, counts each main page's queries, seeds to the
chosen scale, counts again, then serves the portal and R0 with gunicorn (gthread, one worker,
pinned to core 0) and loads them with wrk (pinned to core 1): saturation, then half that rate.
Then the whole-school consent gate, and the timetable fan-out through the outbox and a real
Celery worker into a local SMTP sink against one plain connection sending the same messages.
Prints one markdown table and writes it, with the machine, to bench/results/scale-N.md.
"""

import argparse
import datetime as dt
import http.client
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import processes  # noqa: E402

BENCH_SECRET = "bench-only-secret-key-not-for-any-real-deployment-0123456789"  # noqa: S105
BENCH_FIELD_KEY = "bench-only-field-key"  # encrypts the seeded concerns of the bench database only


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each wrk run")
    parser.add_argument("--database", default="egps_bench", help="database name on DATABASE_URL's server")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn gthread threads")
    parser.add_argument("--keep-database", action="store_true", help="reuse an already seeded bench database")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    if args.database in ("test", "postgres", "template0", "template1") or not re.fullmatch(r"[a-z0-9_]+", args.database):
        parser.error(f"refusing to use the database {args.database!r}: pick a name of the bench's own")
    return args


def database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/egps_bench")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://user@127.0.0.1:5432/anything")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_env(db_url: str, redis_url: str, smtp_port: int) -> dict:
    env = os.environ.copy()
    env.update(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=BENCH_SECRET,
        PORTAL_FIELD_ENCRYPTION_KEY=BENCH_FIELD_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_CONN_MAX_AGE="600",
        DJANGO_LOG_LEVEL="WARNING",
        PORTAL_ENFORCE_STAFF_MFA="0",
        PORTAL_REAUTH_SECONDS="7200",
        PYTHONPATH=str(ROOT),
    )
    return env


def recreate_database(db_url: str):
    import psycopg2

    parts = urlsplit(db_url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def step(message: str, started: float):
    print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)


# --- signing in over HTTP, as a browser would ---------------------------------------------------


def _cookies(response, jar: dict):
    """Keep the cookies a response sets, and forget those it deletes, as a browser would."""
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        if "max-age=0" in rest.replace(" ", "").lower():
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = rest.split(";", 1)[0]


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through allauth's form once; the session cookie is reused for every request."""
    connection, jar = http.client.HTTPConnection("127.0.0.1", port, timeout=30), {}
    connection.request("GET", "/accounts/login/")
    response = connection.getresponse()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
    _cookies(response, jar)
    form = urlencode({"login": email, "password": password, "csrfmiddlewaretoken": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
    connection.request("POST", "/accounts/login/", body=form, headers=headers)
    response = connection.getresponse()
    response.read()
    _cookies(response, jar)
    if response.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"could not sign in as {email}: HTTP {response.status}")
    # Follow the redirect as a browser does: the page after sign-in shows allauth's "signed in"
    # message and deletes its cookie. wrk replays one fixed Cookie header, so without this every
    # request would carry that message still waiting to be shown.
    connection.request("GET", response.getheader("Location"), headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    response = connection.getresponse()
    response.read()
    _cookies(response, jar)
    if "messages" in jar:
        raise RuntimeError(f"the page after signing in as {email} left a message waiting: {jar['messages']!r}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


# --- load ------------------------------------------------------------------------------------------


def load_targets(pages, targets, ports, cookies) -> list[dict]:
    rows = [
        {"name": "R0: bare HttpResponse, no middleware", "url": f"http://127.0.0.1:{ports['r0']}/r0/", "cookie": None},
        {"name": "R2: reference page", "url": f"http://127.0.0.1:{ports['portal']}/bench/r2/", "cookie": cookies["teacher1"]},
    ]
    for page in pages:
        url = f"http://127.0.0.1:{ports['portal']}{page.path(targets)}"
        rows.append({"name": page.name, "url": url, "cookie": cookies.get(page.account), "page": page})
    return rows


def saturate(rows, seconds, core):
    """Two interleaved passes (the second in reverse order): every target's mean requests/s."""
    results = {row["name"]: [] for row in rows}
    for order in (rows, list(reversed(rows))):
        for row in order:
            processes.wrk(row["url"], seconds=1, connections=8, cookie=row["cookie"], core=core)  # warm-up
            run = processes.wrk(row["url"], seconds=seconds, connections=8, cookie=row["cookie"], core=core)
            results[row["name"]].append(run)
            print(f"  saturation {row['name']}: {run['rps']:.0f} req/s (non-2xx: {run['bad']})", flush=True)
    for row in rows:
        runs = results[row["name"]]
        row["rps"] = statistics.mean(r["rps"] for r in runs)
        row["bad"] = sum(r["bad"] for r in runs)


def half_load(rows, seconds, core):
    """Each target at half its saturation rate: connections paced by wrk's delay() hook."""
    for row in rows:
        rate = max(row["rps"] / 2, 1)
        connections = max(2, math.ceil(rate * 10 / 1000))  # at least 10 ms between a connection's requests
        delay_ms = connections * 1000 / rate
        # A warm-up at the same pace, as before each saturation run: the page was last loaded
        # minutes ago, in the saturation passes, so its first request draws it again for the new
        # minute. A turn of the minute during the run itself stays in the measurement.
        processes.wrk(row["url"], seconds=1, connections=connections, cookie=row["cookie"], core=core, delay_ms=delay_ms)
        # Slow pages run longer (up to 8 s) so their p99 rests on some 30 requests.
        run = processes.wrk(
            row["url"],
            seconds=min(8.0, max(seconds, 30 / rate)),
            connections=connections,
            cookie=row["cookie"],
            core=core,
            delay_ms=delay_ms,
        )
        row.update(p50=run["p50"], p99=run["p99"], half_rps=run["rps"])
        row["bad"] += run["bad"]
        print(f"  half load {row['name']}: {run['rps']:.0f} req/s, p50 {run['p50']:.1f} ms, p99 {run['p99']:.1f} ms", flush=True)


# --- the consent gate and the fan-out --------------------------------------------------------------


def consent_gate() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from consent.choices import Scope
    from consent.selectors import consenting_pupil_ids
    from school.models import Pupil

    ids = list(Pupil.objects.on_roll().order_by("pk").values_list("pk", flat=True)[:600])
    with CaptureQueriesContext(connection) as queries:
        allowed = consenting_pupil_ids(ids, Scope.VIDEO_CALLS)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        consenting_pupil_ids(ids, Scope.VIDEO_CALLS)
        times.append((time.perf_counter() - started) * 1000)
    return {"invitees": len(ids), "allowed": len(allowed), "queries": len(queries), "ms": statistics.median(times)}


def fan_out(env, sink) -> dict:
    """Timetable notices to every family with a call next week: outbox + Celery worker, then a plain loop."""
    from django.core.mail import get_connection
    from django.utils import timezone

    from calls.timetables import send_weekly_timetables
    from notifications.delivery import as_email
    from notifications.models import OutboxMessage, OutboxState

    # Bench database only: mail the demo seeding queued is out of the way, so the worker sends timetables alone.
    OutboxMessage.objects.exclude(state=OutboxState.SENT).update(state=OutboxState.SENT)
    last = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    worker = processes.celery_worker(env, concurrency=2)
    try:
        sink.reset()
        started = time.monotonic()
        families = send_weekly_timetables(now=timezone.now())
        queued = time.monotonic() - started
        ids = list(OutboxMessage.objects.filter(pk__gt=last, kind="timetable-weekly").order_by("pk").values_list("pk", flat=True))
        message_ids = list(OutboxMessage.objects.filter(pk__in=ids).order_by("pk").values_list("message_id", flat=True))
        processes.wait_for(
            lambda: sink.delivered(message_ids) == len(message_ids), timeout=900, what="every timetable", interval=0.1
        )
        outbox_seconds = time.monotonic() - started
        counts, connections = sink.snapshot()
        delivery = _delivery_only(ids, message_ids, sink)
    finally:
        worker.stop()
    rows = list(OutboxMessage.objects.filter(pk__in=ids).order_by("pk"))
    sink.reset()
    started = time.monotonic()
    with get_connection() as connection:
        connection.send_messages([as_email(row) for row in rows])
    plain_seconds = time.monotonic() - started
    plain_counts, plain_connections = sink.snapshot()
    return {
        **delivery,
        "families": families,
        "messages": len(ids),
        "queued_s": queued,
        "outbox_s": outbox_seconds,
        "plain_s": plain_seconds,
        "ratio": plain_seconds / outbox_seconds if outbox_seconds else 0,
        "connections": connections,
        "plain_connections": plain_connections,
        "duplicates": sum(1 for m in message_ids if counts[m] > 1),
        "missing": sum(1 for m in message_ids if not counts[m]),
        "plain_delivered": sum(1 for m in message_ids if plain_counts[m] == 1),
    }


def _delivery_only(ids, message_ids, sink) -> dict:
    """The same rows made due again and published at once: the outbox and worker alone, without
    the service writing and rendering them (bench database only)."""
    from django.utils import timezone

    from notifications.models import OutboxMessage, OutboxState
    from notifications.services import publish

    rows = OutboxMessage.objects.filter(pk__in=ids)
    rows.update(state=OutboxState.PENDING, sent_at=None, lease_until=None, next_attempt_at=timezone.now())
    sink.reset()
    started = time.monotonic()
    publish(ids)
    processes.wait_for(lambda: sink.delivered(message_ids) == len(message_ids), timeout=900, what="redelivery", interval=0.05)
    _counts, connections = sink.snapshot()
    return {"delivery_s": time.monotonic() - started, "delivery_connections": connections}


# --- report ----------------------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]  # noqa: S607
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()  # noqa: S607
    import django
    import gunicorn

    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "postgres": postgres,
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "wrk": wrk_version.strip(),
        "redis": redis_version,
        "kernel": platform.release(),
        "pinned": bool(processes.pinned(["x"], 0) != ["x"]),
    }


def _fmt(value, spec=".1f"):
    return "–" if value is None else (format(value, spec) if isinstance(value, float) else str(value))


def report(args, rows, counts_small, counts_big, gate, fan, info, started_at, elapsed) -> str:
    r0 = next(r for r in rows if r["name"].startswith("R0"))
    r2 = next(r for r in rows if r["name"].startswith("R2"))
    lines = [
        f"# Benchmark at scale {args.scale}",
        "",
        f"Run {started_at:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} minutes in all (`python bench/run.py --scale {args.scale}`).",
        "",
        f"| page | req/s | ratio to R0 | ratio to R2 | p50 ms | p99 ms | p99/p50 | queries at scale 1 "
        f"| queries at scale {args.scale} | drawing it in-process at scale {args.scale}: ms (of which SQL) | KB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = row["name"]
        p50, p99 = row.get("p50"), row.get("p99")
        tail = p99 / p50 if p50 and p99 else None
        flag = f" ({row['bad']} non-2xx)" if row["bad"] else ""
        small, big = counts_small.get(name, {}), counts_big.get(name, {})
        inproc = f"{big['ms']:.0f} ({big['sql_ms']:.0f})" if big else "–"
        ratios = f"{row['rps']:.0f} | {row['rps'] / r0['rps']:.3f} | {row['rps'] / r2['rps']:.2f}"
        lines.append(
            f"| {name}{flag} | {ratios} | {_fmt(p50)} | {_fmt(p99)} | {_fmt(tail, '.1f')} "
            f"| {small.get('queries', '–')} | {big.get('queries', '–')} | {inproc} | {big['kb']:.0f} |"
            if big
            else f"| {name}{flag} | {ratios} | {_fmt(p50)} | {_fmt(p99)} | {_fmt(tail, '.1f')} | – | – | – | – |"
        )
    page_rows = [r for r in rows if "page" in r]
    same = [
        r["name"]
        for r in page_rows
        if counts_small[r["name"]]["queries"] != counts_big[r["name"]]["queries"]
        or isinstance(counts_big[r["name"]]["queries"], str)
    ]
    slow = [r["name"] for r in page_rows if r["rps"] < 0.5 * r2["rps"]]
    dashboards = [r for r in page_rows if r["name"].startswith("dashboard (")]
    slow_dashboards = [r["name"] for r in dashboards if r["rps"] < 0.04 * r0["rps"]]
    lowest = min(r["rps"] / r0["rps"] for r in dashboards)
    # The tail target is the portal's: R2 and the main pages. R0's sub-millisecond latencies are
    # the machine's scheduling noise, shown for reference only.
    measured_tails = [r for r in rows if not r["name"].startswith("R0") and r.get("p50") and r.get("p99")]
    tails = [r["name"] for r in measured_tails if r["p99"] > 4 * r["p50"]]
    lines += [
        "",
        "## Targets",
        "",
        f"- Queries identical at scale 1 and {args.scale} everywhere: **{'met' if not same else 'not met: ' + ', '.join(same)}**",
        f"- Every role's dashboard >= 0.04 x R0: lowest {lowest:.3f}: "
        f"**{'met' if not slow_dashboards else 'not met: ' + ', '.join(slow_dashboards)}**",
        f"- R2 >= 0.08 x R0: R2/R0 = {r2['rps'] / r0['rps']:.3f}: **{'met' if r2['rps'] >= 0.08 * r0['rps'] else 'not met'}**",
        f"- Every page >= 0.5 x R2: **{'met' if not slow else 'not met: ' + ', '.join(slow)}**",
        f"- p99 <= 4 x p50 at half load (R2 and every page): **{'met' if not tails else 'not met: ' + ', '.join(tails)}**",
    ]
    if fan and fan["messages"]:
        lines.append(f"- Fan-out >= 0.5 of the plain loop: {fan['ratio']:.2f}: **{'met' if fan['ratio'] >= 0.5 else 'not met'}**")
    lines += [
        f"- Consent gate for {gate['invitees']} invitees <= 5 queries: {gate['queries']} "
        f"({gate['ms']:.1f} ms, {gate['allowed']} may join): **{'met' if gate['queries'] <= 5 else 'not met'}**",
        "",
    ]
    if fan:
        batch = int(os.environ.get("NOTIFICATIONS_BATCH_SIZE", "100"))
        lines += [
            "## Email fan-out",
            "",
            f"Weekly timetables for {fan['families']} families ({fan['messages']} messages):",
            f"- outbox + Celery worker (prefork, 2 processes): {fan['outbox_s']:.1f} s in all, of which "
            f"{fan['queued_s']:.1f} s writing and rendering the outbox rows; {fan['connections']} SMTP connections "
            f"(recipients / batch size = {math.ceil(fan['messages'] / batch)}); {fan['duplicates']} delivered twice, "
            f"{fan['missing']} missing",
            f"- the same rows made due again and published at once (outbox and worker alone): {fan['delivery_s']:.1f} s, "
            f"{fan['delivery_connections']} SMTP connections: {fan['plain_s'] / fan['delivery_s']:.2f} of the plain loop",
            f"- plain `send_messages` over one connection, same messages: {fan['plain_s']:.1f} s "
            f"({fan['plain_delivered']} delivered, {fan['plain_connections']} connection)",
            "",
        ]
    lines += [
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in info.items()),
        f"- gunicorn: gthread, 1 worker, {args.threads} threads, pinned to core 0; wrk pinned to core 1; "
        "PostgreSQL, Redis and the Celery worker unpinned",
        f"- each wrk run {args.seconds:.0f} s; saturation with 8 connections, mean of two interleaved passes; "
        "half load paced with wrk's delay() hook",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    started, started_at, load_before = time.monotonic(), dt.datetime.now(dt.UTC), os.getloadavg()
    db_url = database_url(args.database)
    owned = []
    sink = processes.SmtpSink().start()
    try:
        redis, redis_url = processes.redis_server()
        owned.append(redis)
        env = bench_env(db_url, redis_url, sink.controller.port)
        os.environ.update(env)
        if not args.keep_database:
            recreate_database(db_url)
        step(f"database {args.database} ready; migrating", started)
        manage(env, "migrate", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")

        import django

        django.setup()
        from bench.pages import PAGES, Page, Targets, count_queries
        from bench.seed import seed
        from portal.demo import DEMO_PASSWORD, demo_email

        step("seeding the demo (scale 1)", started)
        seed(1)
        targets = Targets.load()
        measured = [Page("R2: reference page", "teacher1", lambda t: "/bench/r2/"), *PAGES]
        counts_small = count_queries(measured, targets)
        step(f"seeding to scale {args.scale}", started)
        seed(args.scale, log=lambda line: step(line, started))
        counts_big = count_queries(measured, targets)
        gate = consent_gate()
        step(f"consent gate: {gate}", started)

        portal, portal_port = processes.gunicorn("portal", env, core=0, threads=args.threads)
        owned.append(portal)
        r0, r0_port = processes.gunicorn(
            "r0", {**env, "DJANGO_SETTINGS_MODULE": "bench.settings_r0"}, core=0, threads=args.threads
        )
        owned.append(r0)
        accounts = {p.account for p in PAGES if p.account} | {"teacher1"}
        cookies = {a: sign_in(portal_port, demo_email(a), DEMO_PASSWORD) for a in sorted(accounts)}
        rows = load_targets(PAGES, targets, {"portal": portal_port, "r0": r0_port}, cookies)
        load_core = 1 if (os.cpu_count() or 1) > 1 else None
        step("saturation", started)
        saturate(rows, args.seconds, load_core)
        step("half load", started)
        half_load(rows, args.seconds, load_core)
        for server in (portal, r0):
            server.stop()
        step("email fan-out", started)
        fan = fan_out(env, sink)
        step(f"fan-out: {fan}", started)
        info = machine()
        # Other work on the machine moves absolute numbers (ratios less): say how busy it was.
        info["load average (1, 5, 15 min) at start"] = ", ".join(f"{x:.1f}" for x in load_before)
        info["load average at end"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        text = report(args, rows, counts_small, counts_big, gate, fan, info, started_at, time.monotonic() - started)
    finally:
        for process in reversed(owned):
            process.stop()
        sink.stop()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"scale-{args.scale}.md").write_text(text)
    print(text)
    step(f"written to {out / f'scale-{args.scale}.md'}", started)


if __name__ == "__main__":
    main()
