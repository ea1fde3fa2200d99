"""Production settings read in a fresh process, as a container starts them: secrets from NAME_FILE
(Compose `secrets:`), the database password apart from DATABASE_URL, X-Forwarded-Proto trusted
only behind a proxy, and clear errors for an operator's mistakes."""

import json
import subprocess
import sys

import pytest

from .conftest import REPO, service_env_base

SHOW = """
import json, django
django.setup()
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "SECRET_KEY": s.SECRET_KEY, "SALT_KEY": s.SALT_KEY, "PASSWORD": db.get("PASSWORD"), "USER": db.get("USER"),
    "HOST": db.get("HOST"), "NAME": db.get("NAME"), "EMAIL_HOST": getattr(s, "EMAIL_HOST", None),
    "EMAIL_HOST_USER": getattr(s, "EMAIL_HOST_USER", None), "EMAIL_HOST_PASSWORD": getattr(s, "EMAIL_HOST_PASSWORD", None),
    "EMAIL_PORT": getattr(s, "EMAIL_PORT", None), "PORTAL_BBB_SECRET": s.PORTAL_BBB_SECRET,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER, "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_REDIRECT_EXEMPT": s.SECURE_REDIRECT_EXEMPT, "TRUSTED_PROXY_COUNT": getattr(s, "ALLAUTH_TRUSTED_PROXY_COUNT", 0),
    "PORTAL_ZOOM_CLIENT_SECRET": s.PORTAL_ZOOM_CLIENT_SECRET, "PORTAL_TEAMS_CLIENT_SECRET": s.PORTAL_TEAMS_CLIENT_SECRET,
    "WONDE_TOKEN": s.WONDE_TOKEN,
}))
"""


def production(tmp_path, **variables) -> subprocess.CompletedProcess:
    env = {
        **service_env_base(),
        "DJANGO_SETTINGS_MODULE": "egps_portal.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "portal.school.example",
        **variables,
    }
    return subprocess.run([sys.executable, "-c", SHOW], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def settings_of(tmp_path, **variables) -> dict:
    result = production(tmp_path, **variables)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def error_of(tmp_path, **variables) -> str:
    result = production(tmp_path, **variables)
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


def secret(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def keys(tmp_path):
    # The two secrets production cannot start without, as files an editor saved (final newline).
    return {
        "DJANGO_SECRET_KEY_FILE": secret(tmp_path, "django_secret_key", "k" * 50 + "\n"),
        "PORTAL_FIELD_ENCRYPTION_KEY_FILE": secret(tmp_path, "field_encryption_key", "new-key,old-key\n"),
    }


def test_secret_key_and_encryption_keys_come_from_files_without_the_final_newline(tmp_path, keys):
    found = settings_of(tmp_path, **keys)
    assert found["SECRET_KEY"] == "k" * 50
    assert found["SALT_KEY"] == ["new-key", "old-key"]


def test_without_either_secret_production_refuses_to_start(tmp_path, keys):
    del keys["DJANGO_SECRET_KEY_FILE"]
    assert "DJANGO_SECRET_KEY must be set" in error_of(tmp_path, **keys)


def test_database_password_from_the_postgres_secret_file_with_a_url_that_has_none(tmp_path, keys):
    password = "p/w+with:url@chars"  # would need escaping inside a URL; apart from it, it does not
    found = settings_of(
        tmp_path,
        **keys,
        DATABASE_URL="postgres://portal@db:5432/portal",
        POSTGRES_PASSWORD_FILE=secret(tmp_path, "postgres_password", password + "\n"),
    )
    assert (found["USER"], found["HOST"], found["NAME"], found["PASSWORD"]) == ("portal", "db", "portal", password)


def test_the_whole_database_url_may_be_a_secret_file_too(tmp_path, keys):
    url_file = secret(tmp_path, "database_url", "postgres://portal:s3cret@db.internal:5432/egps\n")
    found = settings_of(tmp_path, **keys, DATABASE_URL_FILE=url_file)
    assert (found["HOST"], found["NAME"], found["PASSWORD"]) == ("db.internal", "egps", "s3cret")


def test_two_different_database_passwords_are_refused(tmp_path, keys):
    message = error_of(
        tmp_path,
        **keys,
        DATABASE_URL="postgres://portal:one@db:5432/portal",
        POSTGRES_PASSWORD_FILE=secret(tmp_path, "postgres_password", "two\n"),
    )
    assert "DATABASE_URL has a password and POSTGRES_PASSWORD is another" in message


def test_an_empty_postgres_password_file_is_refused(tmp_path, keys):
    message = error_of(
        tmp_path, **keys, DATABASE_URL="postgres://portal@db:5432/portal", POSTGRES_PASSWORD_FILE=secret(tmp_path, "pw", "\n")
    )
    assert "POSTGRES_PASSWORD_FILE names an empty file" in message


def test_email_url_with_credentials_and_the_bigbluebutton_secret_from_files(tmp_path, keys):
    found = settings_of(
        tmp_path,
        **keys,
        EMAIL_URL_FILE=secret(tmp_path, "email_url", "smtp+tls://portal%40school.example:app-password@smtp.school.example:587\n"),
        PORTAL_PLATFORM="bigbluebutton",
        PORTAL_BBB_URL="https://bbb.school.example/bigbluebutton/api/",
        PORTAL_BBB_SECRET_FILE=secret(tmp_path, "bbb_secret", "shared-secret\n"),
    )
    assert (found["EMAIL_HOST"], found["EMAIL_PORT"]) == ("smtp.school.example", 587)
    assert (found["EMAIL_HOST_USER"], found["EMAIL_HOST_PASSWORD"]) == ("portal@school.example", "app-password")
    assert found["PORTAL_BBB_SECRET"] == "shared-secret"


def test_an_empty_bigbluebutton_secret_file_is_fine_with_the_manual_platform(tmp_path, keys):
    found = settings_of(tmp_path, **keys, PORTAL_BBB_SECRET_FILE=secret(tmp_path, "bbb_secret", ""))
    assert found["PORTAL_BBB_SECRET"] == ""


def test_platform_and_directory_secrets_come_from_files(tmp_path, keys):
    found = settings_of(
        tmp_path,
        **keys,
        PORTAL_ZOOM_CLIENT_SECRET_FILE=secret(tmp_path, "zoom_secret", "zoom-secret\n"),
        PORTAL_TEAMS_CLIENT_SECRET_FILE=secret(tmp_path, "teams_secret", "teams-secret\n"),
        WONDE_TOKEN_FILE=secret(tmp_path, "wonde_token", "wonde-token\n"),
    )
    assert found["PORTAL_ZOOM_CLIENT_SECRET"] == "zoom-secret"
    assert found["PORTAL_TEAMS_CLIENT_SECRET"] == "teams-secret"
    assert found["WONDE_TOKEN"] == "wonde-token"


@pytest.mark.parametrize("name", ["PORTAL_ZOOM_CLIENT_SECRET_FILE", "PORTAL_TEAMS_CLIENT_SECRET_FILE", "WONDE_TOKEN_FILE"])
def test_a_missing_platform_or_directory_secret_file_stops_start_up(tmp_path, keys, name):
    message = error_of(tmp_path, **keys, **{name: str(tmp_path / "nope")})
    assert f"{name}={tmp_path / 'nope'} cannot be read: No such file or directory." in message


def test_a_value_and_a_file_for_the_same_variable_are_refused(tmp_path, keys):
    message = error_of(tmp_path, **keys, DJANGO_SECRET_KEY="from-the-environment")
    assert "Set DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE, not both." in message


def test_a_missing_secret_file_names_the_variable(tmp_path, keys):
    message = error_of(tmp_path, **{**keys, "PORTAL_FIELD_ENCRYPTION_KEY_FILE": str(tmp_path / "nope")})
    assert f"PORTAL_FIELD_ENCRYPTION_KEY_FILE={tmp_path / 'nope'} cannot be read: No such file or directory." in message


def test_plain_environment_variables_keep_working(tmp_path):
    found = settings_of(tmp_path, DJANGO_SECRET_KEY="plain-" + "k" * 44, PORTAL_FIELD_ENCRYPTION_KEY="plain-key")
    assert found["SECRET_KEY"] == "plain-" + "k" * 44
    assert found["SALT_KEY"] == ["plain-key"]


def test_forwarded_proto_is_trusted_only_behind_a_proxy(tmp_path, keys):
    direct = settings_of(tmp_path, **keys)
    assert direct["SECURE_PROXY_SSL_HEADER"] is None
    assert direct["TRUSTED_PROXY_COUNT"] == 0
    assert direct["SECURE_SSL_REDIRECT"] is True
    assert direct["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]

    proxied = settings_of(tmp_path, **keys, DJANGO_BEHIND_PROXY="1")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # allauth's per-address sign-in limits count the client Caddy saw, not Caddy.
    assert proxied["TRUSTED_PROXY_COUNT"] == 1
