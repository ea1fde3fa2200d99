"""`python manage.py demo [addr:port]`: migrate, seed the demo school, serve it."""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, DOMAIN, seed_demo_school


class Command(BaseCommand):
    help = "Migrate, seed the demo school (idempotent) and run the development server."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Seed only; do not start the server.")

    def handle(self, *args, addrport, no_serve, **options):
        # The demo accounts have no authenticator: switch staff MFA off and say so in a banner.
        # Environment variables reach the autoreloader's child process too.
        os.environ["PORTAL_ENFORCE_STAFF_MFA"] = "0"
        os.environ["PORTAL_DEMO_MODE"] = "1"
        settings.PORTAL_ENFORCE_STAFF_MFA = False
        settings.PORTAL_DEMO_MODE = True
        (settings.BASE_DIR / "var").mkdir(exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        seed_demo_school(timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Demo school ready. Sign in as any of *@{DOMAIN} with password {DEMO_PASSWORD}:"))
        for name in (
            "head",
            "deputy",
            "dsl",
            "ddsl",
            "teacher1",
            "teacher2",
            "teacher3",
            "office",
            "parent1",
            "parent2",
            "parent3",
        ):
            self.stdout.write(f"  {name}@{DOMAIN}")
        if not no_serve:
            call_command("runserver", addrport)
