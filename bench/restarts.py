"""Restarts under load (issue 9, point 6): 20 clients give and withdraw consent and approve calls
while PostgreSQL is restarted (`pg_ctl restart -m fast`, then `-m immediate`).

    python bench/restarts.py            # about a minute; exit status 1 if a guarantee fails

It starts everything it needs and removes it afterwards: its own PostgreSQL cluster on a free
port (initdb as the postgres OS user when run as root), its own redis-server (broker and
cache, as in production), the demo school, and gunicorn with persistent database connections
(DJANGO_CONN_MAX_AGE=60, so recovering from a restart relies on CONN_HEALTH_CHECKS).
Guarantees checked afterwards, against the database (bench/restarts_support.py verify):
  - every request answered 2xx/3xx as a success has its rows committed (decision or approval,
    its audit entry, the withdrawal's confirmation email in the outbox);
  - no request that failed (5xx, dropped connection, timeout) or was refused left any row;
  - after each restart a signed-in page answers 200 again within 10 seconds.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "portal-demo-2026"  # noqa: S105 - the published demo password
CONSENT_CLIENTS, APPROVER_CLIENTS = 12, 8
CALLS_PER_APPROVER = 14
MAX_REQUESTS_PER_CLIENT = 400
PACE = {"consent": 0.05, "approve": 0.6}  # seconds between one client's requests
RECOVERY_LIMIT = 10.0
LOAD_TIME_LIMIT = 90.0
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


# --- processes -------------------------------------------------------------------------------


class Cluster:
    """A private PostgreSQL cluster in a temporary directory (trust auth, local only)."""

    def __init__(self, base: Path):
        self.dir, self.port = base / "pg", free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _pg(self, *args, check=True):
        return subprocess.run([*self.as_postgres, *args], check=check, capture_output=True, text=True)  # noqa: S603

    def create(self):
        self.dir.mkdir()
        if self.as_postgres:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        self._pg(str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        self.ctl("start")
        self._pg(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "portal")

    def ctl(self, action, *mode):
        # fsync=off: we restart processes, not the machine. A commit's WAL is in the kernel when the
        # server is killed (-m immediate) and survives it; only a power cut would need the fsync.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        command = [str(PG_BIN / "pg_ctl"), action, "-D", str(self.dir / "data"), "-w", "-t", "30", *mode]
        if action != "stop":
            command += ["-o", options, "-l", str(self.dir / "server.log")]
        self._pg(*command)

    def destroy(self):
        if (self.dir / "data" / "postmaster.pid").exists():
            self._pg(str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.dir / "data"), "-m", "immediate", check=False)

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/portal"


class Child:
    """A child process in its own process group; stop() ends that group only."""

    def __init__(self, command, env, log: Path):
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - fixed commands
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def portal_env(cluster, redis_url, base) -> dict:
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE",):
        env.pop(name, None)
    env.update(
        {
            "DATABASE_URL": cluster.url,
            "REDIS_URL": redis_url,
            "DJANGO_CONN_MAX_AGE": "60",
            "PORTAL_ENFORCE_STAFF_MFA": "0",
            "PORTAL_DEMO_MODE": "1",
            "DJANGO_LOG_LEVEL": "WARNING",
            "EMAIL_FILE_PATH": str(base / "mail"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(env, *args):
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    print(done.stdout.strip())
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")


# --- clients ---------------------------------------------------------------------------------


class Client:
    """One signed-in browser: its own session, and a log of every request it made."""

    def __init__(self, base_url, email):
        self.base, self.email = base_url, email
        self.http = requests.Session()
        self.records = []

    def sign_in(self):
        page = self.http.get(f"{self.base}/accounts/login/", timeout=10)
        token = CSRF.search(page.text).group(1)
        answer = self.http.post(
            f"{self.base}/accounts/login/",
            data={"login": self.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=10,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"{self.email} could not sign in ({answer.status_code})")
        return self

    def post(self, path, data, *, success_path, record):
        """POST with the CSRF cookie; outcome done (redirect to success_path), refused (other 2xx/3xx) or failed."""
        record.update(id=f"{self.email}#{len(self.records)}", t0=time.time())
        try:
            answer = self.http.post(
                f"{self.base}{path}",
                data={**data, "csrfmiddlewaretoken": self.http.cookies.get("csrftoken", "")},
                allow_redirects=False,
                timeout=(5, 30),
                headers={"Referer": f"{self.base}{path}"},
            )
            record["status"] = answer.status_code
            if answer.status_code == 302 and answer.headers.get("Location", "").rstrip("/").endswith(success_path.rstrip("/")):
                record["outcome"] = "done"
            else:
                record["outcome"] = "refused" if answer.status_code < 400 else "failed"
        except requests.RequestException as error:
            record.update(status=type(error).__name__, outcome="failed")
        record["t1"] = time.time()
        self.records.append(record)


def consent_client(client, parent, stop):
    for n in range(MAX_REQUESTS_PER_CLIENT):
        if stop.is_set():
            return
        action = "withdraw" if n % 2 else "give"
        client.post(
            f"/consent/children/{parent['pupil_id']}/video_calls/{action}/",
            {},
            success_path="/consent/",
            record={"kind": "consent", "action": action, "pupil_id": parent["pupil_id"], "user_id": parent["user_id"]},
        )
        time.sleep(PACE["consent"])


def approver_client(client, user_id, call_ids, stop):
    for call_id in call_ids:
        if stop.is_set():
            return
        client.post(
            f"/calls/{call_id}/decide/",
            {"decision": "approve", "reason": ""},
            success_path="/calls/approvals/",
            record={"kind": "approve", "call_id": call_id, "user_id": user_id},
        )
        time.sleep(PACE["approve"])


# --- the run ---------------------------------------------------------------------------------


def recovery_seconds(monitor, issued_at) -> float:
    """Seconds from issuing the restart until a signed-in, database-backed page answers 200."""

    def answers():
        try:
            return monitor.http.get(f"{monitor.base}/consent/", timeout=2, allow_redirects=False).status_code == 200
        except requests.RequestException:
            return False

    wait_for(answers, timeout=60, what="the portal to answer after a restart", interval=0.05)
    return time.monotonic() - issued_at


def restart(cluster, monitor, mode) -> tuple[float, float]:
    """(seconds until the portal answered again, of which PostgreSQL itself took to restart)."""
    issued = time.monotonic()
    cluster.ctl("restart", "-m", mode)
    database = time.monotonic() - issued
    return recovery_seconds(monitor, issued), database


def run_load(base_url, setup, cluster) -> dict:
    parents, calls = setup["parents"], setup["calls"]
    consent = [(Client(base_url, p["email"]).sign_in(), p) for p in parents[:CONSENT_CLIENTS]]
    approvers = []
    for n in range(APPROVER_CLIENTS):
        who = "head" if n % 2 == 0 else "deputy"
        share = calls[n * CALLS_PER_APPROVER : (n + 1) * CALLS_PER_APPROVER]
        approvers.append((Client(base_url, f"{who}@demo.egps.test").sign_in(), setup["approvers"][who], share))
    monitor = Client(base_url, parents[0]["email"]).sign_in()
    stop, started = threading.Event(), time.time()
    threads = [threading.Thread(target=consent_client, args=(c, p, stop)) for c, p in consent]
    threads += [threading.Thread(target=approver_client, args=(c, u, ids, stop)) for c, u, ids in approvers]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        recoveries = {"fast": restart(cluster, monitor, "fast")}
        time.sleep(2)
        recoveries["immediate"] = restart(cluster, monitor, "immediate")
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=LOAD_TIME_LIMIT)
    records = [r for c, _ in consent for r in c.records] + [r for c, _, _ in approvers for r in c.records]
    return {"records": records, "recoveries": recoveries, "load_started": started, "load_seconds": time.time() - started}


def summary(result, verified: bool) -> bool:
    records = result["records"]
    by = {}
    for r in records:
        key = (r["kind"], r["outcome"])
        by[key] = by.get(key, 0) + 1
    print(f"load: {len(records)} requests in {result['load_seconds']:.1f}s from {CONSENT_CLIENTS + APPROVER_CLIENTS} clients")
    for (kind, outcome), count in sorted(by.items()):
        print(f"  {kind:8} {outcome:8} {count}")
    statuses = sorted({str(r["status"]) for r in records if r["outcome"] == "failed"})
    print(f"  failed requests answered: {', '.join(statuses) or 'none'}")
    ok = verified
    for mode, (seconds, database) in result["recoveries"].items():
        fine = seconds <= RECOVERY_LIMIT
        ok &= fine
        verdict = "ok" if fine else f"TOO SLOW, limit {RECOVERY_LIMIT:.0f}s"
        print(
            f"restart -m {mode}: portal answered again {seconds:.2f}s after the restart began "
            f"(PostgreSQL took {database:.2f}s to come back) - {verdict}"
        )
    print("RESULT:", "all guarantees held" if ok else "A GUARANTEE FAILED")
    return ok


def main() -> int:
    began = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="egps-restarts-"))
    cluster, children = Cluster(base), []
    try:
        cluster.create()
        redis_port = free_port()
        children.append(
            Child(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                dict(os.environ),
                base / "redis.log",
            )
        )
        env = portal_env(cluster, f"redis://127.0.0.1:{redis_port}/0", base)
        manage(env, "manage.py", "demo", "--no-serve")
        print(f"demo school seeded at {time.monotonic() - began:.0f}s")
        setup_file = base / "setup.json"
        manage(
            env,
            "bench/restarts_support.py",
            "setup",
            str(setup_file),
            str(CONSENT_CLIENTS),
            str(APPROVER_CLIENTS * CALLS_PER_APPROVER),
        )
        setup = json.loads(setup_file.read_text())
        print(f"set-up done at {time.monotonic() - began:.0f}s")
        port = free_port()
        children.append(
            Child(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "egps_portal.wsgi:application",
                    "-k",
                    "gthread",
                    "--workers",
                    "2",
                    "--threads",
                    "12",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "60",
                    "--log-level",
                    "warning",
                ],
                env,
                base / "gunicorn.log",
            )
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(base_url), timeout=60, what="gunicorn")
        result = run_load(base_url, setup, cluster)
        results_file = base / "results.json"
        results_file.write_text(json.dumps({**result, **setup, "commit_failures": commit_failures(base / "gunicorn.log")}))
        verified = (
            subprocess.run(  # noqa: S603
                [sys.executable, "bench/restarts_support.py", "verify", str(results_file)], cwd=ROOT, env=env, check=False
            ).returncode
            == 0
        )
        ok = summary(result, verified)
        print(f"database errors inside COMMIT in the server log: {commit_failures(base / 'gunicorn.log')}")
        if not ok:
            server_errors(base / "gunicorn.log")
    except Exception as error:  # noqa: BLE001 - report, clean up, fail
        print(f"bench/restarts.py could not run: {error!r}")
        for log in sorted(base.glob("*.log")):
            print(f"--- {log.name} (end)\n{log.read_text(errors='replace')[-2000:]}")
        ok = False
    finally:
        for child in reversed(children):
            child.stop()
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)
    print(f"bench/restarts.py took {time.monotonic() - began:.0f}s")
    return 0 if ok else 1


def _tracebacks(log: Path) -> list[str]:
    return log.read_text(errors="replace").split("Traceback (most recent call last):")[1:]


def commit_failures(log: Path) -> int:
    """Requests whose database error came inside COMMIT (Django's connection.commit): their outcome is unknown."""
    return sum(1 for block in _tracebacks(log) if "in _commit" in block and "transaction.py" in block)


def server_errors(log: Path) -> None:
    """Where the failed requests broke: the last lines of each distinct traceback in the server log."""
    seen = {}
    for block in _tracebacks(log):
        lines = [line for line in block.splitlines() if line.strip()]
        frames = [line.strip().replace(str(ROOT) + "/", "") for line in lines if line.strip().startswith("File ")]
        error = next((line for line in lines if re.match(r"^[\w.]+(Error|Exception)", line)), lines[-1] if lines else "")
        seen.setdefault((tuple(frames[-4:]), error), 0)
        seen[(tuple(frames[-4:]), error)] += 1
    for (frames, error), count in seen.items():
        print(f"server error x{count}: {error}")
        for frame in frames:
            print(f"    {frame}")


def _answers(base_url) -> bool:
    try:
        return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
