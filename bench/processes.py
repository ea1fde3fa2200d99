"""The processes one bench run starts and stops: a private redis-server, an SMTP sink, gunicorn
servers, a Celery worker and wrk. Each is stopped by bench/run.py's finally, by its own id.
"""

import collections
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

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def pinned(command: list[str], core: int | None) -> list[str]:
    """Prefix `taskset -c core` where the machine has it and more than one core."""
    if core is None or not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
        return command
    return ["taskset", "-c", str(core), *command]


class Process:
    """A child in its own process group, logging to a file; stop() kills that group only."""

    def __init__(self, name: str, command: list[str], env: dict):
        self.name, self.command, self.env = name, command, env
        self.log_path = tempfile.mkstemp(prefix=f"egps-bench-{name}-", suffix=".log")[1]
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own fixed commands
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def check_alive(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log()[-3000:]}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


def _answers_http(port: int, path: str) -> bool:
    import http.client

    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        return connection.getresponse().status < 500
    except OSError:
        return False


def gunicorn(name: str, env: dict, *, core: int | None, threads: int) -> tuple[Process, int]:
    """gunicorn gthread, one worker process, pinned to `core`."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "egps_portal.wsgi:application", "-k", "gthread", "--workers", "1"]
    command += ["--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048"]
    server = Process(name, pinned(command, core), env).start()
    wait_for(lambda: server.check_alive() or _answers_http(port, "/healthz"), timeout=60, what=f"{name} to answer")
    return server, port


def redis_server() -> tuple[Process, str]:
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = Process("redis", command, os.environ.copy()).start()

    def answers():
        server.check_alive()
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_for(answers, timeout=10, what="redis-server")
    return server, f"redis://127.0.0.1:{port}/0"


def celery_worker(env: dict, *, concurrency: int) -> Process:
    command = [sys.executable, "-m", "celery", "-A", "egps_portal", "worker", "--pool", "prefork", "-c", str(concurrency)]
    command += [
        "--loglevel",
        "INFO",
        "-n",
        f"bench-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    worker = Process("celery", command, env).start()
    wait_for(lambda: worker.check_alive() or " ready." in worker.log(), timeout=60, what="the Celery worker")
    return worker


class CountingHandler:
    """Accepts every message; counts them by Message-ID and counts SMTP sessions that sent mail."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        found = MESSAGE_ID.search(envelope.original_content or envelope.content)
        with self.lock:
            self.counts[found.group(1).decode() if found else "<none>"] += 1
            self.sessions.add(id(session))
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on 127.0.0.1, in a thread of the bench process."""

    def __init__(self):
        self.port = free_port()
        self.handler = CountingHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def reset(self):
        with self.handler.lock:
            self.handler.counts.clear()
            self.handler.sessions.clear()

    def delivered(self, message_ids) -> int:
        with self.handler.lock:
            return sum(1 for m in message_ids if self.handler.counts[m])

    def snapshot(self) -> tuple[collections.Counter, int]:
        with self.handler.lock:
            return collections.Counter(self.handler.counts), len(self.handler.sessions)


WRK_DELAY_SCRIPT = """
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
function delay()
  return pause
end
"""


def wrk(url: str, *, seconds: float, connections: int, cookie: str | None, core: int | None, delay_ms: float = 0) -> dict:
    """One wrk run: requests/s, p50 and p99 in ms, and how many answers were not 2xx/3xx."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    env = os.environ.copy()
    script = None
    if delay_ms:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write(WRK_DELAY_SCRIPT)
        script.close()
        command += ["-s", script.name]
        env["WRK_DELAY_MS"] = str(int(delay_ms))
    command.append(url)
    try:
        out = subprocess.run(pinned(command, core), capture_output=True, text=True, env=env, check=True).stdout  # noqa: S603
    finally:
        if script:
            os.unlink(script.name)
    return parse_wrk(out)


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50": _ms(p50.group(1)) if p50 else None,
        "p99": _ms(p99.group(1)) if p99 else None,
        "bad": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }
