"""Production serves static files through whitenoise's manifest storage: collectstatic must work
with production settings (a missing file referenced by a vendored asset breaks every deploy)."""

import os
import subprocess
import sys
from pathlib import Path


def test_collectstatic_succeeds_with_production_settings(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "egps_portal.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "collectstatic-check-" + "k" * 40,
        "DJANGO_ALLOWED_HOSTS": "portal.example.org",
        "PORTAL_FIELD_ENCRYPTION_KEY": "collectstatic-check",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    script = (
        "import django; django.setup(); from django.conf import settings; "
        f"settings.STATIC_ROOT = {str(tmp_path)!r}; "
        "from django.core.management import call_command; call_command('collectstatic', '--noinput', verbosity=0)"
    )

    result = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=180)

    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "staticfiles.json").exists()
