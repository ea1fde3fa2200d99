"""The Celery app. Tasks are autodiscovered from each app's tasks.py.

Future work is never scheduled with a long eta/countdown (Redis would redeliver it after the
visibility timeout, and a restart could lose it): beat runs short sweeps that read the database.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egps_portal.settings")

app = Celery("egps_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each app adds its periodic sweeps here; all are idempotent and cheap when idle.
app.conf.beat_schedule = {
    "governance-policy-review-reminders": {"task": "governance.tasks.policy_review_reminders", "schedule": 3600.0},
    "governance-retention-sweep": {"task": "governance.tasks.retention_sweep", "schedule": crontab(hour=2, minute=30)},
    # SG-5: concerns not acknowledged in time escalate; every 2 minutes, idempotent.
    "safeguarding-escalate-overdue": {"task": "safeguarding.tasks.escalate_overdue_concerns", "schedule": 120.0},
    # COM-4: join links for calls within the school's lead time; every minute, idempotent.
    "calls-send-due-join-details": {"task": "calls.tasks.send_due_join_details", "schedule": 60.0},
    # COM-2: the coming week's timetable on Friday afternoon, retried over the weekend (one per week and guardian).
    "calls-weekly-timetables": {
        "task": "calls.tasks.send_weekly_timetables",
        "schedule": crontab(minute=0, hour=16, day_of_week="fri,sat,sun"),
    },
    # LOG-1: read who is in this portal's BigBlueButton meetings; returns at once on the manual platform.
    "platforms-poll-running-meetings": {"task": "platforms.tasks.poll_running_meetings", "schedule": 60.0},
    # Teams, Meet, Zoom: unfinished creations, drift of today's meetings, attendance after the end.
    "platforms-sweep-hosted-meetings": {"task": "platforms.tasks.sweep_hosted_meetings", "schedule": 300.0},
    # LOG-4: calls ended without a session log; host reminded, head told after the deadline. Every 10 minutes, idempotent.
    "sessionlogs-chase-missing-logs": {"task": "sessionlogs.tasks.chase_missing_logs", "schedule": 600.0},
    # The directory from the MIS through Wonde, hourly 06:20-19:20 and at 03:20, every day; returns
    # at once when Wonde is not connected. Idempotent: a rerun after a failure finishes the job (docs/directory.md).
    "school-directory-sync": {"task": "school.tasks.sync_directory", "schedule": crontab(minute=20, hour="3,6-19")},
}


@app.on_after_configure.connect
def _notifications_sweep(sender, **kwargs):
    """The outbox sweep, every NOTIFICATIONS_SWEEP_SECONDS (a setting, so fault tests can sweep each second)."""
    from django.conf import settings

    sweep = sender.signature("notifications.tasks.sweep_outbox")
    sender.add_periodic_task(settings.NOTIFICATIONS_SWEEP_SECONDS, sweep, name="notifications-sweep-outbox")
