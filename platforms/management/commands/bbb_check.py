"""Check the school's BigBlueButton settings: the server answers, the secret is right, and a test
meeting carries the policy's settings when read back. Ends the test meeting afterwards.

    python manage.py bbb_check
"""

import contextlib
import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from platforms.base import BIGBLUEBUTTON, MeetingSpec, PlatformError, get_adapter


class Command(BaseCommand):
    help = "Check the BigBlueButton server, shared secret and policy settings (creates and ends a test meeting)."

    def handle(self, *args, **options):
        if settings.PORTAL_PLATFORM != BIGBLUEBUTTON:
            raise CommandError("PORTAL_PLATFORM is not 'bigbluebutton': the portal uses the manual checklist.")
        adapter = get_adapter()
        now = timezone.now()
        spec = MeetingSpec(
            meeting_id=f"egps-settings-check-{int(now.timestamp())}",
            name="EGPS settings check",
            starts_at=now,
            ends_at=now + dt.timedelta(minutes=5),
        )
        try:
            adapter.running_meetings()
            self.stdout.write(f"Server answered and accepted the shared secret: {adapter.api_url}")
            adapter.create_meeting(spec, now=now)
            drifts = adapter.drift(spec)
        except PlatformError as error:
            raise CommandError(str(error)) from error
        finally:
            self._end_quietly(adapter, spec.meeting_id)
        for drift in drifts:
            self.stdout.write(self.style.WARNING(f"{drift.setting}: expected {drift.expected}, server says {drift.actual}"))
        if drifts:
            raise CommandError("The server did not keep every policy setting (see above).")
        self.stdout.write(self.style.SUCCESS("A test meeting was created with the policy's settings and ended."))

    @staticmethod
    def _end_quietly(adapter, meeting_id):
        with contextlib.suppress(PlatformError):
            adapter.end_meeting(meeting_id)
