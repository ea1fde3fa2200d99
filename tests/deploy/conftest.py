"""What the deployment tests share: docker-compose.yml read as Compose reads it (YAML merge keys,
`${VAR}` interpolation), and the environment its portal services get, pointed at this machine.

Docker cannot run here, so the tests run the compose file's own commands (migrate, gunicorn,
worker, beat, the health checks) as local processes with the services' environment. Only what
cannot be the same outside a container is changed: the database and Redis addresses, the secret
files' paths (/run/secrets/NAME becomes a temporary file), the port and the /app prefix.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
PORTAL_SERVICES = ("migrate", "web", "worker", "beat")

# What an operator puts in .env (docs/deployment.md).
OPERATOR_ENV = {
    "PORTAL_DOMAIN": "portal.school.example",
    "DEFAULT_FROM_EMAIL": "EGPS Portal <portal@school.example>",
}

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


class MissingVariable(Exception):
    pass


def interpolate(text: str, variables: dict) -> str:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$."""

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        value = variables.get(name)
        missing = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":?", "?") and missing:
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and missing:
            return interpolate(arg, variables)
        return value or ""

    return _VARIABLE.sub(replace, text)


def _resolve(node, variables: dict):
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, dict):
        return {key: _resolve(value, variables) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value, variables) for value in node]
    return node


def load_compose(variables: dict | None = None) -> dict:
    """docker-compose.yml as Compose reads it: YAML (merge keys included), then `${...}` in every
    value resolved from `variables` (the operator's .env)."""
    return _resolve(yaml.safe_load(COMPOSE_FILE.read_text()), OPERATOR_ENV if variables is None else variables)


def dockerfile_cmd() -> list[str]:
    """The image's CMD (exec form), which the web service runs."""
    import json

    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD ")]
    assert len(lines) == 1, "the Dockerfile has one CMD in exec (JSON) form"
    return json.loads(lines[0][4:])


def local_database_url(name: str) -> str:
    """A database on this machine's server (DATABASE_URL's), or an SQLite file when it is unset."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        return re.sub(r"/[^/?]*(\?.*)?$", f"/{name}", base)
    return ""


@pytest.fixture(scope="session")
def compose():
    return load_compose()


@pytest.fixture(scope="session")
def secret_files(tmp_path_factory, compose):
    """One file per secret the compose file declares, written the way an operator would (echo adds
    a newline). Returns {secret name: path}."""
    folder = tmp_path_factory.mktemp("secrets")
    values = {
        "django_secret_key": secrets.token_urlsafe(50),
        "field_encryption_key": secrets.token_urlsafe(32),
        "postgres_password": secrets.token_hex(24),
        "email_url": "smtp://127.0.0.1:1025",
        "bbb_secret": "",
    }
    files = {}
    for name in compose["secrets"]:
        path = folder / name
        path.write_text(values[name] + "\n" if values[name] else "")
        files[name] = path
    assert set(files) == set(values), "a new secret in docker-compose.yml needs a value here"
    return files


def service_env(compose, secret_files, service: str, *, database_url: str, redis_url: str, **overrides) -> dict:
    """The environment `service` gets from docker-compose.yml, pointed at this machine."""
    env = {key: str(value) for key, value in compose["services"][service]["environment"].items()}
    for key, value in list(env.items()):
        if value.startswith("/run/secrets/"):
            name = value.removeprefix("/run/secrets/")
            assert name in compose["services"][service]["secrets"], f"{service} reads {value} but does not mount it"
            env[key] = str(secret_files[name])
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    env["DATABASE_URL"] = database_url
    env["REDIS_URL"] = redis_url
    env.update(overrides)
    base = service_env_base()
    return {**base, **{k: v for k, v in env.items() if v is not None}}


def service_env_base() -> dict:
    """A clean process environment, as in the container: nothing of pytest's (its settings module,
    its DATABASE_URL) leaks in. The interpreter's folder first, as the image's PATH has pip's scripts."""
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def stop(process: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM, as `docker stop` sends (the image's STOPSIGNAL), and the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"{process.args[:3]} did not stop within {timeout}s of SIGTERM")
    return process.returncode
