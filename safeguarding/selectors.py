"""Reading concerns with their state, for the DSL dashboard, panels and the escalation sweep.

A concern's state is never stored: it follows from its append-only chronology (an
acknowledgement entry, a closure entry), so nothing has to be updated to change it.
"""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from accounts.choices import Role
from accounts.models import User
from school.models import SchoolSettings

from . import policy
from .choices import EntryKind
from .models import Concern, ConcernEntry, DslAbsence


class State:
    NEW = "new"
    OVERDUE = "overdue"
    ACKNOWLEDGED = "acknowledged"
    OPEN = "open"
    CLOSED = "closed"

    LABELS = {NEW: "New", OVERDUE: "Overdue", ACKNOWLEDGED: "Acknowledged", OPEN: "Open (not closed)", CLOSED: "Closed"}


def _entry_time(kind):
    return Subquery(ConcernEntry.objects.filter(concern=OuterRef("pk"), kind=kind).values("recorded_at")[:1])


def with_state(queryset):
    """Annotate acknowledged_at, closed_at and escalated from the chronology (one query)."""
    return queryset.annotate(
        acknowledged_at=_entry_time(EntryKind.ACKNOWLEDGED),
        closed_at=_entry_time(EntryKind.CLOSED),
        escalated=Exists(ConcernEntry.objects.filter(concern=OuterRef("pk"), kind=EntryKind.ESCALATED)),
    )


def ack_cutoff(now, ack_minutes) -> dt.datetime:
    """Concerns raised at or before this moment and still unacknowledged are overdue (SG-5)."""
    return now - dt.timedelta(minutes=ack_minutes)


def filter_state(queryset, state, *, now, ack_minutes):
    """Narrow an annotated queryset to one dashboard state."""
    unacknowledged = queryset.filter(acknowledged_at__isnull=True, closed_at__isnull=True)
    if state == State.NEW:
        return unacknowledged
    if state == State.OVERDUE:
        return unacknowledged.filter(raised_at__lte=ack_cutoff(now, ack_minutes))
    if state == State.ACKNOWLEDGED:
        return queryset.filter(acknowledged_at__isnull=False, closed_at__isnull=True)
    if state == State.OPEN:
        return queryset.filter(closed_at__isnull=True)
    if state == State.CLOSED:
        return queryset.filter(closed_at__isnull=False)
    return queryset


def state_of(concern, *, now, ack_minutes) -> str:
    """The state of one annotated concern, as the dashboard shows it."""
    if concern.closed_at:
        return State.CLOSED
    if concern.acknowledged_at:
        return State.ACKNOWLEDGED
    overdue = policy.is_acknowledgement_overdue(
        raised_at=concern.raised_at, acknowledged=False, closed=False, now=now, ack_minutes=ack_minutes
    )
    return State.OVERDUE if overdue else State.NEW


def overdue_concern_ids(now) -> list[int]:
    """SG-5: unacknowledged, open, not yet escalated concerns past the school's set time."""
    ack_minutes = SchoolSettings.load().concern_ack_minutes
    overdue = filter_state(with_state(Concern.objects.all()), State.OVERDUE, now=now, ack_minutes=ack_minutes)
    return list(overdue.filter(escalated=False).values_list("pk", flat=True))


def holders_of(role) -> list[User]:
    return list(User.objects.filter(staff_roles__role=role, is_active=True).distinct())


def unavailable_user_ids(now) -> set[int]:
    return set(DslAbsence.objects.covering(now).values_list("user_id", flat=True))


def dsl_team_ids() -> dict:
    """Ids of the DSLs, deputy DSLs and headteachers (active accounts), for routing alerts."""
    return {
        "dsl_ids": {u.pk for u in holders_of(Role.DSL)},
        "deputy_ids": {u.pk for u in holders_of(Role.DEPUTY_DSL)},
        "head_ids": {u.pk for u in holders_of(Role.HEAD)},
    }


def chronology_of(concern):
    return concern.entries.select_related("recorded_by", "corrects").order_by("recorded_at", "pk")


def counts(queryset, *, now, ack_minutes) -> dict:
    """New, overdue, acknowledged and open concerns of an annotated queryset, in one query."""
    new = Q(acknowledged_at__isnull=True, closed_at__isnull=True)
    return queryset.aggregate(
        new=Count("pk", filter=new),
        overdue=Count("pk", filter=new & Q(raised_at__lte=ack_cutoff(now, ack_minutes))),
        acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False, closed_at__isnull=True)),
        open=Count("pk", filter=Q(closed_at__isnull=True)),
    )
