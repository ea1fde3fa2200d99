"""CALL-3 on the hosted platforms: are two members of staff in a one-to-one before the child is
handed the address? Asked only where the platform's API can say who is in the meeting now.

- Zoom: the Dashboard API's live participants (Business plan and a dashboard scope); staff are
  recognised by their school email, which Zoom shows only for members of the school's account.
- Google Meet: the space's active conference record (no end time) and its participants still
  there (no latestEndTime); staff are signed-in Workspace users whose account name is theirs.
- Microsoft Teams: Graph cannot list who is in a scheduled meeting now, so the host's checklist
  and the lobby keep CALL-3 there, as on any platform that cannot tell.

"Cannot tell" (no such API, the plan or scope missing, the platform busy) never refuses a child:
the lobby or waiting room holds them until staff admit them, as before, and the host's checklist
stands. Only a clear "fewer than two staff are in" makes the child wait.
"""

import logging

from . import policy
from .base import PlatformError

logger = logging.getLogger(__name__)
# MeetingSpec.metadata key: [{person: "staff-3", email, name}] of the call's host and second staff.
STAFF_KEY = "staff"


def staff_not_ready(adapter, *, external_id: str, staff: list, host: str, one_to_one: bool) -> str | None:
    """CALL-3: why the child must wait, or None (not a one-to-one, both staff in, or cannot tell)."""
    look = getattr(adapter, "staff_in_meeting", None)
    if not one_to_one or look is None or not staff:
        return None
    try:
        info = look(external_id, staff, host=host)
    except PlatformError as error:
        logger.warning("Could not tell who is in meeting %s: %s", external_id, type(error).__name__)
        return None
    if info is None:
        return None
    return policy.staff_not_ready_reason(info=info, one_to_one=True)
