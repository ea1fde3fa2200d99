"""The directory sync, run by beat (egps_portal/celery.py) and by the office's "Sync now"."""

from celery import shared_task
from django.utils import timezone

from . import sync, wonde


@shared_task
def sync_directory(requested_by_id=None, confirmed_run_id=None):
    """One run; returns its id, or None when Wonde is not connected or a run is already going on."""
    if not wonde.is_connected():
        return None
    from accounts.models import User

    from .models import SyncRun

    by = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    confirmed = SyncRun.objects.filter(pk=confirmed_run_id, status=SyncRun.Status.HELD).first() if confirmed_run_id else None
    try:
        return sync.run_sync(now=timezone.now(), requested_by=by, confirmed_run=confirmed).pk
    except sync.SyncBusy:
        return None
