"""Every write of the platforms app: the meeting reports that pre-fill session logs (LOG-1).

The platform is asked before the transaction opens (a slow server must not hold a row lock);
each write then locks the one report row, so the callback and the poll can arrive together.
"""

import datetime as dt
import logging

from django.db import transaction

from .attendance import merge_attendees
from .base import MeetingInfo, PlatformError, get_adapter
from .models import MeetingReport

logger = logging.getLogger(__name__)
CALL_ID_KEY = "egps-call-id"


def _locked_report(meeting_id: str, info: MeetingInfo | None) -> MeetingReport:
    call_ref = (info.metadata.get(CALL_ID_KEY, "") if info else "")[:64]
    report, _ = MeetingReport.objects.get_or_create(meeting_id=meeting_id, defaults={"call_ref": call_ref})
    return MeetingReport.objects.select_for_update().get(pk=report.pk)


def _apply(report: MeetingReport, info: MeetingInfo, now: dt.datetime) -> None:
    report.started_at = report.started_at or info.start_time
    report.ended_at = report.ended_at or info.end_time
    report.call_ref = report.call_ref or info.metadata.get(CALL_ID_KEY, "")[:64]
    report.attendees = merge_attendees(report.attendees, info.attendees, now)


@transaction.atomic
def record_attendance(*, info: MeetingInfo, now: dt.datetime) -> MeetingReport:
    """LOG-1: add what the platform shows of a running meeting to its report (idempotent)."""
    report = _locked_report(info.meeting_id, info)
    _apply(report, info, now)
    report.last_polled_at = now
    report.save()
    return report


class EndRefused(Exception):
    """The end callback was not taken: the text says why (for the platform's log, not a person)."""


@transaction.atomic
def _store_end(*, meeting_id: str, info: MeetingInfo | None, now: dt.datetime) -> MeetingReport:
    report = _locked_report(meeting_id, info)
    if report.received_at is not None:
        # One end per meeting: a replayed callback (or a second one) must not move the first.
        raise EndRefused("This meeting's end was already recorded.")
    if info is not None:
        _apply(report, info, now)
    report.ended_at = report.ended_at or now
    report.received_at = now
    report.save()
    return report


def record_meeting_end(*, meeting_id: str, now: dt.datetime) -> MeetingReport:
    """LOG-1: the platform says the meeting ended. Read it one last time if it is still there
    (BigBlueButton keeps an ended meeting briefly), then close its report.

    Refused (EndRefused) while the platform says the meeting is still running: the session-log
    pre-fill must never get an end time from anyone but the platform at the real end.
    """
    try:
        info = get_adapter().meeting_info(meeting_id)
    except PlatformError:
        info = None  # the end itself is still worth recording (the address is known only to the server)
    if info is not None and info.running:
        logger.warning("End callback for meeting %s ignored: the platform says it is still running.", meeting_id)
        raise EndRefused("The meeting is still running.")
    return _store_end(meeting_id=meeting_id, info=info, now=now)


@transaction.atomic
def close_vanished_reports(*, listed_ids: set[str], now: dt.datetime) -> int:
    """Reports of meetings the platform no longer lists, whose end callback never came:
    end them at the last time they were seen running. Returns how many were closed."""
    closed = 0
    for report in MeetingReport.objects.select_for_update().filter(ended_at__isnull=True, last_polled_at__isnull=False):
        if report.meeting_id not in listed_ids:
            report.ended_at = report.last_polled_at
            report.save(update_fields=["ended_at"])
            closed += 1
    return closed


def poll_meetings(*, now: dt.datetime) -> int:
    """LOG-1: read this portal's running meetings and fill their reports. Returns how many were seen."""
    adapter = get_adapter()
    if not adapter.applies_settings:
        return 0  # the manual platform has nothing to read: idle costs nothing
    meetings = adapter.running_meetings()
    # A meeting created but not yet joined has nothing to report (and has not "ended").
    held = [info for info in meetings if info.running or info.end_time]
    for info in held:
        record_attendance(info=info, now=now)
    close_vanished_reports(listed_ids={info.meeting_id for info in meetings}, now=now)
    return len(held)
