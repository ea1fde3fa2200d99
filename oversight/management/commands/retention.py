"""`python manage.py retention --dry-run` lists exactly what the retention sweep would remove (GOV-4)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from oversight import retention, services


class Command(BaseCommand):
    help = "Remove records past their retention period (GOV-4). --dry-run only lists them."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be removed; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        if dry_run:
            return self._list(now)
        run = services.run_retention(now=now)
        for row in run.report:
            note = f" ({row['note']})" if row["note"] else ""
            self.stdout.write(f"{row['record_type']}: {row['action']} {row['count']}{note}")
        self.stdout.write(self.style.SUCCESS(f"Retention run {run.pk}: {run.total} records removed."))

    def _list(self, now):
        candidates = retention.dry_run(now)
        for c in candidates:
            self.stdout.write(f"{c.record_type}\t{c.model_label}\t{c.pk}\t{retention.as_date(c.dated)}\t{c.description}")
        self.stdout.write(f"# {len(candidates)} records would be removed (dry run: nothing changed).")
