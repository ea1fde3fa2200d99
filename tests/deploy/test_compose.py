"""docker-compose.yml against the Compose Specification (check-jsonschema's bundled
vendor.compose-spec schema, as CI runs it) and against what an operator relies on: one image built
once, migrations before anything else starts, secrets as files, pinned images, gunicorn reachable
only through Caddy, uploads on a volume."""

import re
import subprocess
import sys

import pytest
import yaml

from .conftest import COMPOSE_FILE, PORTAL_SERVICES, REPO, MissingVariable, load_compose


def check_compose_schema(path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)


def test_the_compose_file_validates_against_the_compose_specification():
    result = check_compose_schema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda doc: doc["services"]["web"]["healthcheck"].update(interval=30), "a duration must be a string"),
        (lambda doc: doc["services"]["web"].update(depends_on={"migrate": {"condition": "completed"}}), "unknown condition"),
        (lambda doc: doc["services"]["db"].update(enviroment={"POSTGRES_DB": "portal"}), "misspelt key"),
    ],
)
def test_the_schema_check_rejects_a_broken_compose_file(tmp_path, change, why):
    # The same check fails on the mistakes it is there to catch (so the test above can fail).
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    change(document)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document))
    assert check_compose_schema(broken).returncode != 0, why


def test_one_image_is_built_once_and_run_by_migrate_web_worker_and_beat(compose):
    services = compose["services"]
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["migrate"]
    images = {services[name]["image"] for name in PORTAL_SERVICES}
    assert len(images) == 1
    assert services["migrate"]["build"]["context"] == "."


def test_nothing_starts_before_migrations_have_finished(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy", name


def test_gunicorn_is_reached_only_through_caddy_which_serves_https(compose):
    services = compose["services"]
    published = {name: service.get("ports", []) for name, service in services.items() if service.get("ports")}
    assert set(published) <= {"caddy", "mailpit"}
    assert {"80:80", "443:443"} <= set(published["caddy"])
    # The mail catcher is for trials only, and even then only on the server's loopback.
    assert services["mailpit"]["profiles"] == ["mailcatcher"]
    assert all(port.startswith("127.0.0.1:") for port in published.get("mailpit", []))
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
    # Certificates survive a restart (Let's Encrypt rate-limits re-issuing).
    assert any(volume.startswith("caddy_data:/data") for volume in services["caddy"]["volumes"])
    env = services["web"]["environment"]
    assert env["DJANGO_BEHIND_PROXY"] == "1"
    assert env["PORTAL_BASE_URL"] == "https://portal.school.example"
    assert env["DJANGO_ALLOWED_HOSTS"] == "portal.school.example"
    assert "DJANGO_SECURE_SSL_REDIRECT" not in env  # on, the production default


SECRET_VARIABLES = ("DJANGO_SECRET_KEY", "PORTAL_FIELD_ENCRYPTION_KEY", "POSTGRES_PASSWORD", "EMAIL_URL", "PORTAL_BBB_SECRET")


def test_secrets_are_files_never_environment_values(compose):
    secret_names = set(compose["secrets"])
    assert {"django_secret_key", "field_encryption_key", "postgres_password", "email_url", "bbb_secret"} == secret_names
    for name in secret_names:
        assert compose["secrets"][name] == {"file": f"./secrets/{name}"}
    for name in PORTAL_SERVICES:
        env = compose["services"][name]["environment"]
        for variable in SECRET_VARIABLES:
            assert variable not in env, f"{name}: {variable} travels as a plain environment variable"
            assert env[f"{variable}_FILE"].startswith("/run/secrets/"), name
        # The database URL carries no password.
        assert re.fullmatch(r"postgres://portal@db:5432/portal", env["DATABASE_URL"])
        assert set(compose["services"][name]["secrets"]) == secret_names
    db = compose["services"]["db"]
    assert db["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "POSTGRES_PASSWORD" not in db["environment"]
    assert db["secrets"] == ["postgres_password"]


def test_the_operator_must_name_the_domain_and_sender_nothing_secret_defaults():
    text = COMPOSE_FILE.read_text()
    # No silent default password (the old file had ${POSTGRES_PASSWORD:-portal}).
    assert not re.search(r"PASSWORD[A-Z_]*:-", text)
    for missing in ("PORTAL_DOMAIN", "DEFAULT_FROM_EMAIL"):
        variables = {"PORTAL_DOMAIN": "portal.school.example", "DEFAULT_FROM_EMAIL": "x@school.example"}
        del variables[missing]
        with pytest.raises(MissingVariable, match=missing):
            load_compose(variables)


def test_images_are_pinned_to_versions_and_digests(compose):
    for name, service in compose["services"].items():
        if name in PORTAL_SERVICES:
            continue
        image = service["image"]
        # name:MAJOR.MINOR[.PATCH][-variant]; never latest or a bare major version.
        assert re.fullmatch(r"[\w./-]+:v?\d+\.\d+(\.\d+)?(-[\w.]+)?(@sha256:[0-9a-f]{64})?", image), f"{name}: {image}"
        # What runs in production is pinned to the exact image (the trial-only mail catcher by version).
        if name != "mailpit":
            assert re.search(r"@sha256:[0-9a-f]{64}$", image), f"{name}: {image}"


def test_uploads_and_data_live_on_named_volumes(compose):
    services = compose["services"]
    for name in PORTAL_SERVICES:
        assert "media:/app/var/media" in services[name]["volumes"], name
    assert "media:/srv/media:ro" in services["caddy"]["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert {"media", "pgdata", "redisdata", "caddy_data", "caddy_config"} <= set(compose["volumes"])


def test_restart_policies_health_checks_and_graceful_stops(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat", "db", "redis", "caddy"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("web", "worker", "db", "redis"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    # Longer than gunicorn's graceful timeout (30 s on the image's command line).
    assert services["web"]["stop_grace_period"] == "40s"
    # Logs go to docker's json-file driver with rotation, so a busy term cannot fill the disk.
    assert services["web"]["logging"]["options"]["max-size"] == "10m"


def test_the_compose_file_needs_no_variable_beyond_those_documented():
    documented = (REPO / "docs" / "deployment.md").read_text()
    names = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE_FILE.read_text()))
    assert names, "the compose file reads the operator's .env"
    assert sorted(name for name in names if f"`{name}`" not in documented) == []
