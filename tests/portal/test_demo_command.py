"""`manage.py demo` for a newcomer: links at the address it serves on, history to explore (held
calls with logs, join emails sent), the periodic sweeps run without a worker, short console
output with the emails in files, and `--reset` to start afresh. The contract stays: the demo
accounts, `--no-serve`, the address argument."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from calls.models import Call
from notifications.models import OutboxMessage
from portal.demo import demo_email
from portal.management.commands import demo
from sessionlogs.models import SessionLog

ADDRESS = "127.0.0.1:8123"


@pytest.mark.parametrize(
    ("addrport", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("8080", "http://127.0.0.1:8080"),
        ("0.0.0.0:9000", "http://localhost:9000"),
        ("[::1]:8001", "http://::1:8001"),
        ("portal.local:8000", "http://portal.local:8000"),
    ],
)
def test_the_demo_address_is_the_one_a_browser_types(addrport, url):
    assert demo.base_url_for(addrport) == url


def test_each_sweep_runs_when_due_and_not_before():
    ran = []

    class Task:
        def __init__(self, name):
            self.name = name

        def apply(self):
            ran.append(self.name)

    tasks = {"a": Task("a"), "b": Task("b")}
    sweeps, last = [("a", 60.0), ("b", 600.0)], {}
    assert demo.run_sweeps_once(sweeps, last, 1000.0, tasks) == ["a", "b"]
    assert demo.run_sweeps_once(sweeps, last, 1030.0, tasks) == []
    assert demo.run_sweeps_once(sweeps, last, 1060.0, tasks) == ["a"]
    assert ran == ["a", "b", "a"]


def test_the_demo_runs_the_production_sweeps():
    names = {name for name, _ in demo.periodic_sweeps()}
    assert {
        "calls.tasks.send_due_join_details",
        "safeguarding.tasks.escalate_overdue_concerns",
        "sessionlogs.tasks.chase_missing_logs",
        "notifications.tasks.sweep_outbox",
    } <= names
    assert "governance.tasks.retention_sweep" not in names  # nightly: left to beat


@pytest.fixture
def demo_env(monkeypatch, tmp_path):
    """The command changes settings and the environment for the server it starts; put them back."""
    for name in ("PORTAL_BASE_URL", "PORTAL_DEMO_MODE", "PORTAL_ENFORCE_STAFF_MFA", "EMAIL_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_DEMO_MODE", "0")
    for name in ("PORTAL_BASE_URL", "PORTAL_DEMO_MODE", "PORTAL_ENFORCE_STAFF_MFA", "EMAIL_BACKEND", "CSRF_TRUSTED_ORIGINS"):
        monkeypatch.setattr(django_settings, name, getattr(django_settings, name))
    monkeypatch.setattr(django_settings, "EMAIL_FILE_PATH", str(tmp_path / "mail"))
    yield tmp_path / "mail"
    os.environ.pop("PORTAL_BASE_URL", None)


# Transactional (emails leave on commit); the rows the migrations wrote (policy text...) are put back after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_demo_has_history_sends_to_files_at_its_address_and_resets(demo_env, capsys):
    call_command("demo", ADDRESS, "--no-serve")
    out = capsys.readouterr().out

    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) <= 6, out
    assert f"http://{ADDRESS}/" in out
    assert str(demo_env) in out
    # History: calls already held, their logs written (one left to write), their join emails sent.
    past = Call.objects.filter(ends_at__lt=timezone.now())
    assert past.count() >= 2
    assert SessionLog.objects.filter(call__in=past).exists()
    assert past.filter(session_log__isnull=True).exists()
    assert OutboxMessage.objects.filter(kind="call-join", state="sent").exists()
    # The emails are files; their links use the address the demo serves on.
    files = sorted(Path(demo_env).iterdir())
    assert files
    links = []
    for path in files:
        with path.open("rb") as handle:
            body = handle.read().decode(errors="replace")
        links += re.findall(r"(\S*)/calls/join/", body)
    assert links
    assert {link.removeprefix('href="') for link in links} == {f"http://{ADDRESS}"}

    User.objects.create(email="someone-added@demo.egps.test")
    call_command("demo", ADDRESS, "--no-serve", "--reset")

    assert not User.objects.filter(email="someone-added@demo.egps.test").exists()
    assert User.objects.filter(email=demo_email("head")).exists()
    assert "Started afresh" in capsys.readouterr().out
