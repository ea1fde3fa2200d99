"""`python manage.py seed_demo --scale N`: N times the demo school's data, for the benchmark."""

import time

from django.core.management.base import BaseCommand, CommandError

from bench.seed import seed, seeded_units


class Command(BaseCommand):
    help = "Seed the demo school and N-1 more units of bench data (bulk inserts; idempotent per unit)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="How many demo schools' worth of data (1 = the demo).")

    def handle(self, *args, scale, **options):
        if scale < 1:
            raise CommandError("--scale must be at least 1.")
        started = time.monotonic()
        added = seed(scale, log=lambda line: self.stdout.write(line))
        if not added:
            self.stdout.write(f"Already seeded at scale {max(seeded_units() or {1})} (asked for {scale}): nothing to add.")
            return
        self.stdout.write(
            self.style.SUCCESS(f"Seeded scale {scale} ({len(added)} units added) in {time.monotonic() - started:.1f}s.")
        )
