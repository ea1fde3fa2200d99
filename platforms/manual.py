"""The manual platform: the host pastes a link and ticks the CALL-6 checklist the calls app shows.

Nothing can be applied or read back, so this adapter only hands out the pasted link.
"""

import datetime as dt

from .base import MANUAL, MANUAL_LINK_KEY, Drift, MeetingInfo, MeetingSpec, Participant, PlatformError


class ManualAdapter:
    key = MANUAL
    applies_settings = False

    def create_meeting(self, spec: MeetingSpec, *, now: dt.datetime | None = None) -> MeetingInfo:
        return MeetingInfo(running=False, meeting_id=spec.meeting_id, name=spec.name)

    def join_url(self, spec: MeetingSpec, participant: Participant, create_time: int | None) -> str:
        link = str(spec.metadata.get(MANUAL_LINK_KEY, "")).strip()
        if not link:
            raise PlatformError("The host has not added the meeting link for this call yet.")
        return link

    def meeting_info(self, meeting_id: str) -> MeetingInfo | None:
        return None

    def running_meetings(self) -> list[MeetingInfo]:
        return []

    def end_meeting(self, meeting_id: str) -> None:
        return None

    def drift(self, spec: MeetingSpec) -> list[Drift]:
        # The host's ticked checklist is the record; there is nothing to read back.
        return []
