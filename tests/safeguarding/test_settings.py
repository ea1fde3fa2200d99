"""The encryption key comes from the environment; production refuses to start without it."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

CHECK = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='egps_portal.settings.base'; django.setup()"


def run_settings(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"PORTAL_FIELD_ENCRYPTION_KEY", "DJANGO_SETTINGS_MODULE"}}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", CHECK], env=environment, capture_output=True, text=True, check=False)


@pytest.mark.policy("SG-3")
def test_production_fails_loudly_without_a_field_encryption_key():
    result = run_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "PORTAL_FIELD_ENCRYPTION_KEY must be set" in result.stderr


def test_production_starts_with_a_field_encryption_key():
    result = run_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, PORTAL_FIELD_ENCRYPTION_KEY="new-key,old-key")

    assert result.returncode == 0, result.stderr


def test_the_library_salts_with_the_portal_keys():
    assert settings.SALT_KEY == settings.PORTAL_FIELD_ENCRYPTION_KEYS
    assert settings.SALT_KEY
