"""Each person's private calendar address (COM-2): the token is shown once and stored only as a hash."""

from django.db import transaction

from ..models import CalendarFeed
from .common import new_token


@transaction.atomic
def issue_calendar_feed(*, user, now) -> str:
    """COM-2: a new secret feed address for `user`; any earlier one stops working. Returns the token."""
    revoke_calendar_feed(user=user, now=now)
    token, token_hash = new_token()
    CalendarFeed.objects.create(user=user, token_hash=token_hash, created_at=now)
    return token


@transaction.atomic
def revoke_calendar_feed(*, user, now) -> None:
    for feed in CalendarFeed.objects.filter(user=user, revoked_at__isnull=True):
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
