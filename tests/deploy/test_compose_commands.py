"""The compose file's own commands, run as the containers would run them: production settings
from the services' environment (DJANGO_DEBUG=0, the real host name, the HTTPS redirect on,
secrets from files), on a fresh database.

- `migrate` brings an empty database up to date, and `check --deploy` passes with these settings;
- `web` (the image's gunicorn command) answers, and the web health check command, exactly as
  written in docker-compose.yml (only its port adapted), exits 0 against it; it exits non-zero
  when the database is down, and the old check (no Host header) fails against the same server;
- without DJANGO_BEHIND_PROXY a plain-HTTP request carrying X-Forwarded-Proto: https is not
  treated as secure (redirected to HTTPS); with it, it is;
- `worker` answers its health check (`celery inspect ping`), and `beat` starts and keeps time;
- each stops cleanly on SIGTERM, as `docker stop` sends.
"""

import contextlib
import http.client
import os
import re
import shutil
import subprocess
import tempfile
import time
from urllib.parse import urlsplit

import psycopg2
import pytest

from tests.notifications.harness import RedisServer, free_port, wait_for

from .conftest import DOCKERFILE, REPO, dockerfile_cmd, local_database_url, service_env, service_env_base, stop

DOMAIN = "portal.school.example"


class Process:
    """A command from the compose file, run from the project folder (the image's WORKDIR)."""

    def __init__(self, command: list[str], env: dict):
        self.command, self.env = command, env
        self.log_path = tempfile.mkstemp(prefix="egps-deploy-", suffix=".log")[1]
        self.process = None

    def start(self):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        return self

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def alive(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"{' '.join(self.command[:4])} exited with {self.process.returncode}:\n{self.log()[-3000:]}")
        return True

    def stop(self) -> int:
        return stop(self.process, timeout=60)


def run(command: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A new, empty database for the compose stack: on the PostgreSQL server of DATABASE_URL when
    it is set (dropped afterwards), else an SQLite file."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path_factory.mktemp('compose-db') / 'portal.sqlite3'}"
        return
    name = f"{urlsplit(base).path.lstrip('/') or 'egps'}_compose"
    admin = psycopg2.connect(local_database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield local_database_url(name)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def redis_url():
    # A redis-server of our own: the worker's queue and beat's sends touch nobody else's.
    server = RedisServer().start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """The image's build step: collectstatic with the Dockerfile's placeholder settings (no real
    secret at build time), into a folder of our own instead of /app/staticfiles."""
    text = DOCKERFILE.read_text()
    step = re.search(r"^RUN ((?:\w+=\S+ )+)\\\n\s+(python manage.py collectstatic --noinput)", text, re.MULTILINE)
    assert step, "the Dockerfile collects static files at build time"
    root = tmp_path_factory.mktemp("staticfiles")
    env = dict(re.findall(r"(\w+)=(\S+)", step.group(1)), DJANGO_STATIC_ROOT=str(root))
    env |= {key: value for key, value in service_env_base().items() if key not in env}
    result = run(step.group(2).split(), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "staticfiles.json").is_file()
    return root


@pytest.fixture(scope="module")
def env_for(compose, secret_files, database_url, redis_url, static_root):
    def env_for(service, **overrides):
        env = service_env(compose, secret_files, service, database_url=database_url, redis_url=redis_url)
        return {**env, "DJANGO_STATIC_ROOT": str(static_root), **overrides}

    return env_for


@pytest.fixture(scope="module")
def migrated(compose, env_for):
    """The `migrate` service's command on the empty database."""
    command = compose["services"]["migrate"]["command"]
    result = run(command, env_for("migrate"), timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def start_gunicorn(env: dict) -> tuple[Process, int]:
    """The image's CMD (the web service's command), on a free port of this machine."""
    command = dockerfile_cmd()
    bind = command.index("--bind") + 1
    assert command[bind] == "0.0.0.0:8000"
    port = free_port()
    command[bind] = f"127.0.0.1:{port}"
    server = Process(command, env).start()
    wait_for(lambda: server.alive() and _answers(port), timeout=60, what="gunicorn to listen")
    return server, port


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError):
        get(port, "/healthz", {"Host": DOMAIN})
        return True
    return False


def get(port: int, path: str, headers: dict) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def healthcheck_command(compose, service: str, port: int | None = None) -> list[str]:
    test = compose["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD", "exec form: no shell, no curl needed in the image"
    command = list(test[1:])
    if port is not None:
        script = command[-1]
        assert script.count("8000") == 1
        command[-1] = script.replace("8000", str(port))
    return command


@pytest.fixture(scope="module")
def web(migrated, env_for):
    server, port = start_gunicorn(env_for("web"))
    yield server, port
    server.stop()


def test_migrate_brings_an_empty_database_up_to_date(migrated, env_for):
    assert "Applying accounts.0001_initial... OK" in migrated.stdout
    check = run(["python", "manage.py", "migrate", "--check"], env_for("migrate"))
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_compose_settings_pass_djangos_deployment_checks(migrated, env_for):
    result = run(["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env_for("web"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_web_health_check_passes_against_gunicorn_with_production_settings(compose, web, env_for):
    server, port = web
    env = env_for("web")
    assert env["DJANGO_DEBUG"] == "0"
    assert env["DJANGO_ALLOWED_HOSTS"] == DOMAIN
    assert "DJANGO_SECURE_SSL_REDIRECT" not in env  # on by default with debug off

    logged = len(server.log())
    result = run(healthcheck_command(compose, "web", port), env, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    # It reached the portal's health view, which found the database: 200, not a redirect or a 400.
    wait_for(lambda: '"GET /healthz HTTP/1.1" 200' in server.log()[logged:], timeout=5, what="the access log line")


def test_the_old_health_check_failed_against_the_same_server(web, env_for):
    # docker-compose.yml before issue 17: urlopen without a Host header (400 DisallowedHost).
    _server, port = web
    url = f"http://127.0.0.1:{port}/healthz"
    old = f"import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('{url}').status == 200 else 1)"
    assert run(["python", "-c", old], env_for("web"), timeout=30).returncode != 0


def test_the_web_health_check_fails_when_the_database_is_down(compose, migrated, env_for, database_url, tmp_path):
    if database_url.startswith("sqlite"):
        unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'portal.sqlite3'}"
    else:
        unreachable = local_database_url("egps_no_such_database")
    server, port = start_gunicorn(env_for("web", DATABASE_URL=unreachable))
    try:
        result = run(healthcheck_command(compose, "web", port), env_for("web"), timeout=30)
        assert result.returncode == 1, result.stdout + result.stderr
        assert get(port, "/healthz", {"Host": DOMAIN}).status == 503
    finally:
        server.stop()


def test_without_a_trusted_proxy_a_forged_forwarded_proto_is_not_https(migrated, env_for):
    # gunicorn published directly (DJANGO_BEHIND_PROXY unset): a client's own header proves nothing.
    server, port = start_gunicorn(env_for("web", DJANGO_BEHIND_PROXY="0"))
    try:
        forged = get(port, "/accounts/login/", {"Host": DOMAIN, "X-Forwarded-Proto": "https"})
        assert forged.status == 301
        assert forged.getheader("Location") == f"https://{DOMAIN}/accounts/login/"
        assert forged.getheader("Strict-Transport-Security") is None
    finally:
        server.stop()


def test_behind_the_proxy_its_forwarded_proto_is_https(web):
    _server, port = web  # the compose environment: DJANGO_BEHIND_PROXY=1, as behind Caddy
    proxied = get(port, "/accounts/login/", {"Host": DOMAIN, "X-Forwarded-Proto": "https"})
    assert proxied.status == 200
    assert "max-age=31536000" in proxied.getheader("Strict-Transport-Security")
    plain = get(port, "/accounts/login/", {"Host": DOMAIN, "X-Forwarded-Proto": "http"})
    assert plain.status == 301
    assert plain.getheader("Location") == f"https://{DOMAIN}/accounts/login/"
    # A host name the portal does not serve is refused, health check path or not.
    assert get(port, "/healthz", {"Host": "attacker.example"}).status == 400


def test_gunicorn_stops_gracefully_on_sigterm(migrated, env_for):
    server, _port = start_gunicorn(env_for("web"))
    assert server.stop() == 0
    assert "Handling signal: term" in server.log()


def test_the_worker_answers_its_health_check_and_stops_warm(compose, migrated, env_for):
    command = compose["services"]["worker"]["command"]
    worker = Process(command, env_for("worker")).start()
    try:
        wait_for(lambda: worker.alive() and " ready." in worker.log(), timeout=90, what="the worker to be ready")
        result = run(healthcheck_command(compose, "worker"), env_for("worker"), timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "pong" in result.stdout
    finally:
        code = worker.stop()
    assert code == 0, worker.log()[-3000:]
    assert "warm shutdown" in worker.log().lower()


def test_beat_starts_with_production_settings_and_stops_cleanly(compose, migrated, env_for, tmp_path):
    command = list(compose["services"]["beat"]["command"])
    schedule = command.index("--schedule") + 1
    assert command[schedule] == "/app/var/celerybeat-schedule"  # in the image's var/, owned by its user
    command[schedule] = str(tmp_path / "celerybeat-schedule")
    beat = Process(command, env_for("beat")).start()
    try:
        wait_for(lambda: beat.alive() and "beat: Starting..." in beat.log(), timeout=60, what="beat to start")
        wait_for(lambda: any(tmp_path.glob("celerybeat-schedule*")), timeout=30, what="beat's schedule file")
        time.sleep(2)
        assert beat.alive()
    finally:
        code = beat.stop()
    assert code == 0, beat.log()[-3000:]
    assert "Traceback" not in beat.log()


def test_through_caddy_a_client_cannot_forge_https_and_uploads_are_served(web, tmp_path):
    """The real Caddyfile in front of the compose web service, over plain HTTP (no certificate can
    be had here): only the site address, the upstream's address and the media folder are local."""
    if not shutil.which("caddy"):
        if os.environ.get("EGPS_REQUIRE_CADDY") == "1":
            pytest.fail("EGPS_REQUIRE_CADDY=1 but caddy is not installed (apt-get install caddy)")
        pytest.skip("caddy is not installed (apt-get install caddy)")
    _server, web_port = web
    caddy_port = free_port()
    media = tmp_path / "media"
    (media / "school").mkdir(parents=True)
    (media / "school" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n logo")
    text = (REPO / "Caddyfile").read_text()
    for real, local in (
        ("{$PORTAL_DOMAIN} {", f"http://{DOMAIN}:{caddy_port} {{"),
        ("reverse_proxy web:8000", f"reverse_proxy 127.0.0.1:{web_port}"),
        ("root * /srv/media", f"root * {media}"),
    ):
        assert text.count(real) == 1, real
        text = text.replace(real, local)
    config = tmp_path / "Caddyfile"
    config.write_text(f"{{\n\tadmin off\n\tstorage file_system {tmp_path / 'caddy-data'}\n}}\n\n{text}")
    caddy = Process(["caddy", "run", "--config", str(config), "--adapter", "caddyfile"], service_env_base()).start()
    try:
        wait_for(lambda: caddy.alive() and _answers(caddy_port), timeout=30, what="caddy to listen")
        host = {"Host": f"{DOMAIN}:{caddy_port}"}
        # A plain-HTTP client claiming HTTPS: Caddy replaces the header, the portal redirects.
        forged = get(caddy_port, "/accounts/login/", {**host, "X-Forwarded-Proto": "https"})
        assert forged.status == 301
        assert forged.getheader("Location") == f"https://{DOMAIN}:{caddy_port}/accounts/login/"
        assert get(caddy_port, "/healthz", host).status == 200
        logo = get(caddy_port, "/media/school/logo.png", host)
        assert logo.status == 200
        assert logo.getheader("Content-Type") == "image/png"
        assert logo.getheader("X-Content-Type-Options") == "nosniff"
        # Nothing beside the media folder can be reached through it.
        (tmp_path / "beside-media.txt").write_text("not public")
        for path in ("/media/../beside-media.txt", "/media/%2e%2e/beside-media.txt", "/media/..%2fbeside-media.txt"):
            assert get(caddy_port, path, host).status != 200, path
    finally:
        caddy.stop()
