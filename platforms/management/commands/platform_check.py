"""manage.py platform_check [zoom|teams|meet]: the calls the portal makes, against the real platform.

Creates a test meeting a week ahead with the policy's settings, reads it back for drift, reads
attendance (none expected), then deletes it. Says plainly what passed, what failed, and what
this check cannot verify on the platform. Nothing is written to the portal's database.
"""

import datetime as dt
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from platforms.base import HOSTED_PLATFORMS, MeetingSpec, PlatformError, configured_platforms, hosted_adapter


class Command(BaseCommand):
    help = "Check a hosted platform's credentials and the policy's settings against the real platform."

    def add_arguments(self, parser):
        parser.add_argument("platforms", nargs="*", help="zoom, teams or meet. Default: every configured one.")
        parser.add_argument("--host", default="", help="The host's school email (the account the meeting is made under).")

    def handle(self, *args, **options):
        wanted = options["platforms"] or list(configured_platforms())
        unknown = [key for key in wanted if key not in HOSTED_PLATFORMS]
        if unknown:
            raise CommandError(f"Unknown platform {unknown[0]!r}: choose zoom, teams or meet.")
        if not wanted:
            raise CommandError("No hosted platform has credentials set (see docs/platforms.md).")
        failed = False
        for key in wanted:
            if key not in configured_platforms():
                self.stdout.write(f"{key}: NOT CHECKED: no credentials are set for it.")
                failed = True
                continue
            failed |= not self.check_platform(key, options["host"])
        if failed:
            raise CommandError("Some checks failed; see above.")

    def check_platform(self, key: str, host: str) -> bool:
        adapter = hosted_adapter(key)
        start = timezone.now().replace(microsecond=0, second=0) + dt.timedelta(days=7)
        spec = MeetingSpec(
            meeting_id=f"egps-platform-check-{uuid.uuid4().hex[:8]}",
            name="EGPS Portal platform check",
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            host_email=host,
        )
        ok = True
        try:
            info = adapter.create_meeting(spec)
            self.stdout.write(f"{key}: OK: credentials accepted; meeting created with the policy's settings.")
        except PlatformError as error:
            self.stdout.write(f"{key}: FAILED to create a meeting: {error}")
            return False
        try:
            drifts = adapter.drift(spec, info.external_id)
            if drifts:
                ok = False
                for drift in drifts:
                    self.stdout.write(f"{key}: DRIFT: {drift.setting}: asked {drift.expected}, platform has {drift.actual}")
            else:
                self.stdout.write(f"{key}: OK: read back, every enforceable setting matches the policy.")
            try:
                adapter.attendance(info.external_id)
                self.stdout.write(f"{key}: OK: attendance can be read (the permission is granted).")
            except PlatformError as error:
                ok = False
                self.stdout.write(f"{key}: FAILED to read attendance: {error}")
        except PlatformError as error:
            ok = False
            self.stdout.write(f"{key}: FAILED to read the meeting back: {error}")
        finally:
            try:
                adapter.delete_meeting(info.external_id)
                self.stdout.write(f"{key}: OK: test meeting deleted.")
            except PlatformError as error:
                self.stdout.write(f"{key}: could not delete the test meeting {info.external_id}: {error}")
        for item in getattr(adapter, "NOT_VERIFIABLE", ()):
            self.stdout.write(f"{key}: NOT VERIFIED: {item}")
        return ok
