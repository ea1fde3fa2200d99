"""Merging what the platform shows now into what it showed before (pure, no ORM, no clock)."""

import datetime as dt

from .base import Attendee


def merge_attendees(previous: list[dict], seen: list[Attendee], now: dt.datetime) -> list[dict]:
    """Everyone ever seen in the meeting, keyed by user id. Video counts if it was ever on;
    people who left stay in the list (a log records who was present, not who stayed).
    Nothing changes while nobody new arrives, so a minute's poll leaves no audit entry."""
    merged = {entry["user_id"]: dict(entry) for entry in previous}
    stamp = now.isoformat()
    for attendee in seen:
        entry = merged.setdefault(
            attendee.user_id,
            {
                "user_id": attendee.user_id,
                "full_name": attendee.full_name,
                "role": attendee.role,
                "has_video": False,
                "first_seen_at": stamp,
            },
        )
        entry["has_video"] = bool(entry["has_video"] or attendee.has_video)
    return sorted(merged.values(), key=lambda entry: (entry["role"] != "MODERATOR", entry["full_name"], entry["user_id"]))
