"""Families told in advance (COM-2, COM-8): each guardian's calls for the coming week, by beat."""

import datetime as dt
from operator import itemgetter

from django.conf import settings
from django.db import transaction

from consent.selectors import consenting_pupil_ids
from notifications.recipients import family_recipients_for_pupils
from notifications.services import Notice, notify_many

from . import emails, policy
from .models import Call, CallInvitation


def send_weekly_timetables(*, now) -> int:
    """COM-2, COM-8: each guardian's children's calls for the coming week, with reporting routes.

    Idempotent: the dedupe key names the week and the guardian. Families with no calls that
    week get no email. A fixed number of queries for the reading, and a few per outbox batch.
    """
    monday = policy.week_starting(policy.local(now).date())
    start = dt.datetime.combine(monday, dt.time(0), tzinfo=policy.LONDON)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=policy.LONDON)
    week_calls = Call.objects.live().filter(starts_at__gte=start, starts_at__lt=end)
    invitations = (
        CallInvitation.objects.filter(removed_at__isnull=True, call__in=week_calls)
        .select_related("call", "call__host", "call__second_staff", "pupil")
        .order_by("call__starts_at", "pk")
    )
    by_pupil = emails.timetable_rows_by_pupil(invitations)
    consenting = consenting_pupil_ids(list(by_pupil))

    timetables: dict = {}
    for pupil_id, guardians in family_recipients_for_pupils([pk for pk in by_pupil if pk in consenting]).items():
        for guardian in guardians:
            timetables.setdefault(guardian, []).extend(by_pupil[pupil_id])
    week = emails.timetable_week(monday)
    notices = [
        Notice(
            to=guardian.email,
            user=guardian.user,
            kind="timetable-weekly",
            context=emails.timetable_context(guardian, [row for _, row in sorted(rows, key=itemgetter(0))], week=week),
            dedupe_key=f"timetable:{monday:%Y-%m-%d}:{guardian.pk}",
        )
        for guardian, rows in timetables.items()
    ]
    # One transaction per outbox batch: its rows are published to the worker together after
    # commit, so they go out over one SMTP connection while the next batch is written, and a
    # failure loses at most one batch's writes (the next run writes them; dedupe keys stop repeats).
    size = settings.NOTIFICATIONS_BATCH_SIZE
    for first in range(0, len(notices), size):
        with transaction.atomic():
            notify_many(notices[first : first + size])
    return len(timetables)
