"""`python manage.py demo [addr:port] [--no-serve] [--reset]`: migrate, seed the demo school, serve it.

The demo behaves as production does without a worker: the periodic sweeps Celery beat runs
(join emails falling due, concerns escalating, logs being chased, the outbox being sent) run
in a thread of the demo server at the same intervals, emails go to files in EMAIL_FILE_PATH
(one line says where), and links in emails and calendar feeds use the address it serves on.
"""

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, DOMAIN, seed_demo_school

ACCOUNTS = ("head", "deputy", "dsl", "ddsl", "teacher1", "teacher2", "teacher3", "office", "parent1", "parent2", "parent3")
# Sweeps with a schedule longer than this (nightly retention, Friday timetables) are left to beat.
LONGEST_SWEEP_SECONDS = 3600
TICK_SECONDS = 30


def base_url_for(addrport: str) -> str:
    """The address runserver will answer on, as a browser would type it."""
    addr, _, port = addrport.rpartition(":") if ":" in addrport else ("", "", addrport)
    addr = addr.strip("[]") or "127.0.0.1"
    if addr in ("0.0.0.0", "::"):  # noqa: S104  # nosec B104 - naming runserver's "every interface", not binding to it
        addr = "localhost"
    return f"http://{addr}:{port or 8000}"


def periodic_sweeps() -> list[tuple[str, float]]:
    """(task name, interval in seconds) for each short periodic sweep of the Celery beat schedule."""
    # The project's Celery app (egps_portal.celery, loaded with the project package): apps never
    # import the project package itself.
    from celery import current_app as app

    app.loader.import_default_modules()
    sweeps = [
        (entry["task"], float(entry["schedule"]))
        for entry in app.conf.beat_schedule.values()
        if isinstance(entry["schedule"], (int, float)) and entry["schedule"] <= LONGEST_SWEEP_SECONDS
    ]
    return [*sweeps, ("notifications.tasks.sweep_outbox", float(settings.NOTIFICATIONS_SWEEP_SECONDS))]


def run_sweeps_once(sweeps, last_run, now_seconds, tasks=None) -> list[str]:
    """Run each sweep that is due, in this process (as an eager Celery task); returns the names run."""
    if tasks is None:
        from celery import current_app

        tasks = current_app.tasks
    ran = []
    for name, every in sweeps:
        if now_seconds - last_run.get(name, float("-inf")) >= every:
            last_run[name] = now_seconds
            tasks[name].apply()
            ran.append(name)
    return ran


def _sweep_forever(sweeps):
    last_run = {}
    while True:
        run_sweeps_once(sweeps, last_run, time.monotonic())
        time.sleep(TICK_SECONDS)


class Command(BaseCommand):
    help = "Migrate, seed the demo school (idempotent) and run the development server."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Seed only; do not start the server.")
        parser.add_argument("--reset", action="store_true", help="Empty the database and the demo's emails, then seed afresh.")

    def handle(self, *args, addrport, no_serve, reset, **options):
        self._demo_settings(addrport)
        (settings.BASE_DIR / "var").mkdir(exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if reset:
            call_command("flush", interactive=False, verbosity=0)
            shutil.rmtree(settings.EMAIL_FILE_PATH, ignore_errors=True)
            self.stdout.write("Started afresh: the database and the demo's emails were emptied.")
        seed_demo_school(timezone.now())
        sweeps = periodic_sweeps()
        last_run = {}
        run_sweeps_once(sweeps, last_run, time.monotonic())  # join emails due now go out before anyone looks
        self._say_hello()
        if not no_serve:
            threading.Thread(target=_sweep_forever, args=(sweeps,), name="demo-sweeps", daemon=True).start()
            # No autoreloader: it would run this command (seed, sweeps, this text) twice.
            call_command("runserver", addrport, use_reloader=False)

    def _demo_settings(self, addrport):
        # The demo accounts have no authenticator: switch staff MFA off and say so in a banner.
        os.environ["PORTAL_ENFORCE_STAFF_MFA"] = "0"
        os.environ["PORTAL_DEMO_MODE"] = "1"
        settings.PORTAL_ENFORCE_STAFF_MFA = False
        settings.PORTAL_DEMO_MODE = True
        if not os.environ.get("PORTAL_BASE_URL"):  # an address set on purpose (a proxy in front) is kept
            settings.PORTAL_BASE_URL = os.environ["PORTAL_BASE_URL"] = base_url_for(addrport)
            settings.CSRF_TRUSTED_ORIGINS = [*settings.CSRF_TRUSTED_ORIGINS, settings.PORTAL_BASE_URL]
        # Short console output: not a line per task run or per demo booking the rules refused.
        for name in ("celery", "calls.demo", "sessionlogs.demo", "consent.demo", "safeguarding.demo", "notifications.demo"):
            logging.getLogger(name).setLevel(logging.ERROR)
        if not os.environ.get("EMAIL_URL"):
            settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
            Path(settings.EMAIL_FILE_PATH).mkdir(parents=True, exist_ok=True)

    def _say_hello(self):
        self.stdout.write(self.style.SUCCESS(f"Demo school ready at {settings.PORTAL_BASE_URL}/"))
        self.stdout.write(f"Sign in as any of *@{DOMAIN} with password {DEMO_PASSWORD}: {', '.join(ACCOUNTS)}.")
        if not os.environ.get("EMAIL_URL"):
            self.stdout.write(f"Emails are written to files in {settings.EMAIL_FILE_PATH}/ (open them with any text editor).")
        self.stdout.write("The periodic sweeps (join emails, escalation, chasing logs) run every minute or so while it serves.")
