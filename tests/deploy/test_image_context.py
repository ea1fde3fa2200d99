"""The image's build context, computed by docker-py's own implementation of .dockerignore
(docker.utils.build: the same PatternMatcher rules as the Docker CLI, and the tar it sends to the
daemon). Secrets and local state never reach an image layer; everything the portal runs on does.
"""

import io
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from docker.utils.build import exclude_paths, tar

from .conftest import DOCKERFILE, REPO


def dockerignore_patterns(root: Path) -> list[str]:
    # As docker-py's APIClient.build reads .dockerignore: stripped lines, blanks and comments out.
    lines = (root / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def build_context(root: Path) -> set[str]:
    """File names in the tar docker-py would send as the build context of `root`."""
    archive = tar(str(root), exclude=dockerignore_patterns(root), dockerfile=("Dockerfile", None), gzip=False)
    with tarfile.open(fileobj=io.BytesIO(archive.read())) as bundle:
        return {member.name for member in bundle.getmembers() if member.isfile()}


def tracked_files() -> list[str]:
    output = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [name for name in output.splitlines() if (REPO / name).is_file()]


@pytest.fixture(scope="module")
def operator_checkout(tmp_path_factory):
    """The repository as it sits on a school's server after a while: the tracked files, plus the
    operator's .env and secrets/, the SQLite file, mail copies and uploads under var/, the git
    directory, byte-code caches and a stray .env inside an app."""
    root = tmp_path_factory.mktemp("checkout")
    for name in tracked_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    planted = {
        ".env": "DJANGO_SECRET_KEY=leaked\nPORTAL_FIELD_ENCRYPTION_KEY=leaked\n",
        "secrets/django_secret_key": "leaked\n",
        "secrets/postgres_password": "leaked\n",
        "var/db.sqlite3": "SQLite format 3",
        "var/mail/20261204-0900-1.eml": "Subject: join details\n",
        "var/media/school/logo.png": "png",
        "var/celerybeat-schedule": "x",
        ".git/config": "[core]\n",
        ".git/objects/ab/cdef": "blob",
        "accounts/__pycache__/models.cpython-311.pyc": "pyc",
        "calls/.env": "PORTAL_BBB_SECRET=leaked\n",
        "db.sqlite3": "SQLite format 3",
        "staticfiles/css/portal.css": "collected",
    }
    for name, text in planted.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root, set(planted)


def test_secrets_local_state_and_git_are_not_in_the_build_context(operator_checkout):
    root, planted = operator_checkout
    context = build_context(root)

    leaked = sorted(name for name in context if name in planted or re.match(r"(\.env|secrets/|var/|\.git/)", name))
    assert leaked == []
    assert not any(name.endswith(".env") or "__pycache__" in name for name in context)
    # docker-py's path-level answer agrees with the tar it builds.
    paths = exclude_paths(str(root), dockerignore_patterns(root), dockerfile="Dockerfile")
    assert {".env", "secrets", "var", ".git"}.isdisjoint(paths)
    assert not any(path.startswith(("var/", ".git/", "secrets/")) for path in paths)


def test_everything_the_image_runs_on_is_in_the_build_context(operator_checkout):
    root, _planted = operator_checkout
    context = build_context(root)
    tracked = tracked_files()

    # The portal's own apps, and the project package the settings, URLs and WSGI entry live in.
    modules = [*settings.INSTALLED_APPS, settings.ROOT_URLCONF, settings.WSGI_APPLICATION]
    local_apps = sorted({name.split(".")[0] for name in modules if (REPO / name.split(".")[0]).is_dir()})
    assert {"accounts", "calls", "safeguarding", "oversight", "egps_portal"} <= set(local_apps)
    needed = ("manage.py", "gunicorn.conf.py", "requirements.txt", "templates/", "static/", *(f"{app}/" for app in local_apps))
    wanted = {name for name in tracked if name.startswith(needed) or name in needed}
    missing = sorted(wanted - context)
    assert missing == [], "add the folder to .dockerignore's allowlist"
    assert {"manage.py", "templates/base.html", "egps_portal/settings/base.py", "egps_portal/wsgi.py"} <= context
    assert any(name.startswith("static/") for name in context)
    # Templates and data files inside apps come along too (governance's seeded policy text).
    assert "governance/data/video-conferencing-policy.txt" in context
    # Tests and benchmarks (and the bench's own Django app) stay out of the production image.
    assert not any(name.startswith(("tests/", "bench/", "benchtools/")) for name in context)


def test_the_real_working_tree_gives_the_same_context_without_local_state():
    # This checkout as it is now (its .git, any var/ left by the demo or the tests).
    context = build_context(REPO)
    assert not any(name.startswith(("var/", ".git", "secrets/", ".env")) for name in context)
    assert "manage.py" in context
    assert "egps_portal/settings/base.py" in context


def test_the_dockerfile_copies_the_context_into_a_pinned_image_run_by_an_unprivileged_user():
    text = DOCKERFILE.read_text()
    base = re.search(r"^FROM (\S+)", text, re.MULTILINE).group(1)
    # An exact version, not a moving tag such as python:3.11-slim or latest.
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base), base
    assert re.search(r"^COPY \. \.$", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users
    assert users[-1] not in ("root", "0")
    assert re.search(r"^STOPSIGNAL SIGTERM$", text, re.MULTILINE)
    # The media folder exists in the image, owned by that user, so the media volume starts writable.
    assert "mkdir -p /app/var/media" in text
    assert "chown -R portal:portal /app/var" in text


def test_the_operators_files_are_ignored_by_git_too():
    # A `git add -A` on the server must not commit the secrets beside docker-compose.yml.
    names = [".env", "secrets/django_secret_key", "secrets/postgres_password", "var/db.sqlite3"]
    result = subprocess.run(["git", "check-ignore", "--no-index", *names], cwd=REPO, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(names)
