"""Real processes for the reliability tests and the benchmark: a private redis-server, a local
SMTP sink (aiosmtpd) that counts messages by Message-ID, and a Celery worker subprocess.

Everything started here is stopped by its owner (fixtures' finalizers, the bench's finally).
Never the shared Redis on 6379: each RedisServer runs on a free port of its own.
"""

import asyncio
import collections
import contextlib
import multiprocessing
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
from urllib.parse import quote

import redis
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError(f"Timed out after {timeout}s waiting for {what}")


class RedisServer:
    """A redis-server of our own on a free port, with no persistence (a restart comes back empty)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="egps-redis-")
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", self.dir, "--loglevel", "warning"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def shutdown_nosave(self):
        """SHUTDOWN NOSAVE: the server goes away and everything queued in it is lost."""
        with contextlib.suppress(redis.RedisError):  # the connection drops as the server exits
            self.client().shutdown(nosave=True)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class CountingHandler:
    """Accepts mail and counts each message by its Message-ID; can refuse (451) for a while."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.refuse_until = 0.0
        self.refused = 0
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if time.monotonic() < self.refuse_until:
            with self.lock:
                self.refused += 1
            return "451 4.3.0 Mail server busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            await asyncio.sleep(self.delay)
        found = MESSAGE_ID.search(envelope.original_content or envelope.content)
        with self.lock:
            self.counts[found.group(1).decode() if found else "<none>"] += 1
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on 127.0.0.1 in a thread of this process."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
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
            self.handler.refused = 0
        self.handler.refuse_until = 0.0
        self.handler.delay = 0.0

    def refuse_for(self, seconds: float):
        self.handler.refuse_until = time.monotonic() + seconds

    @property
    def total(self) -> int:
        with self.handler.lock:
            return sum(self.handler.counts.values())

    def counts(self) -> collections.Counter:
        with self.handler.lock:
            return collections.Counter(self.handler.counts)


class SmtpSinkProcess:
    """The same sink in a process of its own, like a real mail server (the benchmark uses it, so
    the plain loop and the worker both talk to another process)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        context = multiprocessing.get_context("fork")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(target=_serve_sink, args=(self.port, child_end), daemon=True)

    def start(self):
        self._process.start()
        assert self._pipe.recv() == "ready"
        return self

    def _ask(self, command):
        self._pipe.send(command)
        return self._pipe.recv()

    @property
    def total(self) -> int:
        return self._ask("total")

    def counts(self) -> collections.Counter:
        return collections.Counter(self._ask("counts"))

    def reset(self):
        self._ask("reset")

    def stop(self):
        if self._process.is_alive():
            self._ask("stop")
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()


def _serve_sink(port, pipe):
    sink = SmtpSink(port).start()
    pipe.send("ready")
    answers = {"total": lambda: sink.total, "counts": lambda: dict(sink.counts()), "reset": sink.reset}
    while True:
        command = pipe.recv()
        if command == "stop":
            sink.stop()
            pipe.send("stopped")
            return
        pipe.send(answers[command]())


def database_url(settings_dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the pytest test database)."""
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class CeleryWorker:
    """`celery -A egps_portal worker --pool prefork -c 2` in its own process group."""

    def __init__(self, env: dict, *, beat: bool = False, concurrency: int = 2, log_path: str | None = None):
        self.env, self.beat, self.concurrency = env, beat, concurrency
        self.log_path = log_path or tempfile.mkstemp(prefix="egps-worker-", suffix=".log")[1]
        self.process = None
        self.schedule = tempfile.mkdtemp(prefix="egps-beat-")

    def start(self, timeout: float = 60):
        command = [sys.executable, "-m", "celery", "-A", "egps_portal", "worker", "--pool", "prefork"]
        command += ["-c", str(self.concurrency), "--loglevel", "INFO", "-n", f"outbox-{os.getpid()}-{time.monotonic_ns()}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        if self.beat:
            command += ["-B", "-s", os.path.join(self.schedule, "beat-schedule")]
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it for its whole life
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        wait_for(self._ready, timeout=timeout, interval=0.1, what="the Celery worker to be ready")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"Celery worker exited with {self.process.returncode}:\n{self.log()[-3000:]}")
        return " ready." in self.log() and len(self.pool_pids()) >= self.concurrency

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def discard_log(self) -> str:
        """The log's last lines (for a failing test's report); the file itself is removed."""
        tail = self.log()[-4000:]
        Path(self.log_path).unlink(missing_ok=True)
        return tail

    def pool_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_pool_process(self) -> int:
        pid = self.pool_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_main_process(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        """SIGKILL the whole process group: the main process, its pool and any orphans."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        wait_for(lambda: not _living_members(self.process.pid), timeout=10, what="the worker's processes to exit")
        shutil.rmtree(self.schedule, ignore_errors=True)


def _living_members(pgid: int) -> list[int]:
    """Processes of this process group that are not yet dead (zombies nobody reaps do not count)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members
