"""Reads for other apps: the session-log app pre-fills a log from these (LOG-1)."""

from .models import MeetingReport


def report_for_meeting(meeting_id: str) -> MeetingReport | None:
    return MeetingReport.objects.filter(meeting_id=meeting_id).first()


def reports_for_call(call_id) -> list[MeetingReport]:
    """Every platform meeting held for a call (a call re-opened after an early end has two)."""
    return list(MeetingReport.objects.filter(call_ref=str(call_id)).order_by("started_at", "pk"))
