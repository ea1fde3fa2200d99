"""Dashboard panels and navigation offered by the sessionlogs app (LOG-4). Each panel is two queries."""

from django.urls import reverse

from accounts.permissions import is_leadership, is_staff_member
from calls.choices import CallStatus
from school.models import SchoolSettings
from toolkit import registry
from toolkit.registry import NavItem, Panel, Task

from . import selectors

SHOWN = 5


def panels(request, now):
    user = request.user
    if not is_staff_member(user):
        return []
    found = [_to_write(user, now)]
    if is_leadership(user):
        found.append(_past_deadline(now))
    return found


def _listed(queryset) -> tuple[list, bool]:
    rows = list(queryset.select_related("host").order_by("ends_at")[: SHOWN + 1])
    return rows[:SHOWN], len(rows) > SHOWN


def _to_write(user, now) -> Panel:
    """LOG-4: the host's calls that have ended without a log."""
    calls, more = _listed(selectors.logs_to_write_for(user, now))
    return Panel(
        "Logs to write", "sessionlogs/panels/to_write.html", {"calls": calls, "more": more}, order=15, attention=bool(calls)
    )


def _past_deadline(now) -> Panel:
    """LOG-4: for the head (and deputy), calls whose log is past the school's deadline."""
    deadline_hours = SchoolSettings.load().session_log_deadline_hours
    calls, more = _listed(selectors.missing_past_deadline(now, deadline_hours))
    return Panel(
        "Missing logs past deadline",
        "sessionlogs/panels/past_deadline.html",
        {"calls": calls, "more": more, "deadline_hours": deadline_hours},
        order=12,
        attention=bool(calls),
    )


def needs_you(request, now) -> list[Task]:
    """Issue 19, LOG-4: the person's own logs to write; for the head and deputy, logs past the deadline."""
    user = request.user
    if not is_staff_member(user):
        return []
    found = [
        Task(
            "logs-to-write",
            "Write your session logs",
            selectors.logs_to_write_for(user, now).count(),
            reverse("sessionlogs:index"),
            order=25,
        )
    ]
    if is_leadership(user):
        hours = SchoolSettings.load().session_log_deadline_hours
        found.append(
            Task(
                "logs-overdue",
                "Session logs past the deadline",
                selectors.missing_past_deadline(now, hours).count(),
                reverse("sessionlogs:index"),
                order=20,
                hint=f"Logs are due within {hours} hours of a call ending.",
            )
        )
    return found


def nav_items(user):
    if not is_staff_member(user):
        return []
    return [NavItem("Session logs", reverse("sessionlogs:index"), order=25, group=registry.CALLS)]


def child_sections(request, pupil, now, audience):
    """On the staff pupil page: a link to the pupil's contact history and welfare contacts."""
    if audience != "staff" or not is_staff_member(request.user):
        return []
    return [Panel("Contact history", "sessionlogs/panels/child_section.html", {"pupil": pupil}, order=40)]


def call_sections(request, call, now):
    """On a call's page, once it has started (and unless cancelled): the link to its session log (LOG-1)."""
    if call.status not in {CallStatus.SCHEDULED, CallStatus.HELD} or call.starts_at > now:
        return []
    return [Panel("Session log", "sessionlogs/panels/call_section.html", {"call": call}, order=10)]


def chronology_sections(request, pupil, now):
    """On the pupil's safeguarding chronology (DSL team only): the DSL team's own follow-up
    contacts, which belong with the pupil's safeguarding story (issue 16)."""
    follow_ups = selectors.safeguarding_follow_ups_of(pupil)
    return [Panel("Safeguarding follow-up contacts", "sessionlogs/panels/chronology_follow_ups.html",
                  {"pupil": pupil, "follow_ups": follow_ups}, order=10)]  # fmt: skip
