"""Demo data for governance: the school's 2020 policy is published (as a fresh install's
migration does), so the head's dashboard shows its overdue review. Idempotent."""

import datetime as dt
from pathlib import Path

from .models import PolicyVersion

SEED = Path(__file__).resolve().parent / "data" / "video-conferencing-policy.txt"


def seed(now) -> None:
    # A test database flushed between browser tests loses the migration's row: put it back.
    if PolicyVersion.objects.filter(version="2020-09").exists():
        return
    PolicyVersion.objects.create(
        version="2020-09",
        text=SEED.read_text(encoding="utf-8").strip(),
        created_on=dt.date(2020, 9, 1),
        agreed_on=None,  # the seed leaves "Agreed by Governors" blank
        shared_with_staff_on=dt.date(2020, 10, 1),
        next_review_on=dt.date(2021, 9, 1),
        published_at=dt.datetime(2020, 10, 1, 9, 0, tzinfo=dt.UTC),
    )
