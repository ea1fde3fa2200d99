"""Production installs the portal's apps and their libraries only; the bench's tooling is installed
by the bench's own settings (bench/settings.py), and the test tooling by the test settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL_APPS = {
    "accounts", "school", "portal", "governance", "oversight", "notifications", "consent", "calls", "sessionlogs",
    "safeguarding", "platforms",
}  # fmt: skip
TOOLING = {"benchtools", "zeal"}
SHOW = (
    "import django, json; from django.conf import settings; django.setup();"
    " print(json.dumps([settings.INSTALLED_APPS, settings.ROOT_URLCONF]))"
)


def installed(settings_module: str) -> tuple[list[str], str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    environment.update(
        DJANGO_SETTINGS_MODULE=settings_module, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, PORTAL_FIELD_ENCRYPTION_KEY="k"
    )
    result = subprocess.run([sys.executable, "-c", SHOW], env=environment, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_installs_no_bench_or_test_tooling():
    apps, urlconf = installed("egps_portal.settings")

    assert TOOLING.isdisjoint(apps)
    assert set(apps) >= PORTAL_APPS
    assert urlconf == "egps_portal.urls"


def test_the_bench_settings_add_the_bench_tooling_to_production():
    production, _ = installed("egps_portal.settings")
    bench, urlconf = installed("bench.settings")

    assert bench == [*production, "benchtools"]
    assert urlconf == "benchtools.urls"
