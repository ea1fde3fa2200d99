"""Reading concerns with their state, for the DSL dashboard, panels and the escalation sweep.

A concern's state is never stored: it follows from its append-only chronology (an
acknowledgement entry, a closure entry), so nothing has to be updated to change it.
"""

import datetime as dt

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.expressions import RawSQL

from accounts.choices import Role
from accounts.models import User
from school.models import Pupil, SchoolSettings

from . import policy
from .choices import EntryKind
from .models import Concern, ConcernAccess, ConcernEntry, ConcernPupil, DslAbsence

# The columns a list of concerns shows: never the encrypted content (nothing to decrypt, and a
# list is not a read of the concern, SG-3).
LIST_FIELDS = ("reference", "raised_at", "kind", "reported_by__first_name", "reported_by__last_name", "reported_by__email")


class State:
    NEW = "new"
    OVERDUE = "overdue"
    ACKNOWLEDGED = "acknowledged"
    OPEN = "open"
    CLOSED = "closed"

    LABELS = {NEW: "New", OVERDUE: "Overdue", ACKNOWLEDGED: "Acknowledged", OPEN: "Open (not closed)", CLOSED: "Closed"}


def _has_entry(kind) -> Exists:
    return Exists(ConcernEntry.objects.filter(concern=OuterRef("pk"), kind=kind))


def _entry_time(kind):
    # At most one entry of these kinds per concern (unique constraints): no ordering needed.
    entry = ConcernEntry.objects.filter(concern=OuterRef("pk"), kind=kind).order_by()
    return Subquery(entry.values("recorded_at")[:1])


def with_times(queryset):
    """Annotate acknowledged_at and closed_at from the chronology: what state_of() reads."""
    return queryset.annotate(acknowledged_at=_entry_time(EntryKind.ACKNOWLEDGED), closed_at=_entry_time(EntryKind.CLOSED))


def with_state(queryset):
    """Annotate acknowledged_at, closed_at and escalated from the chronology (one query)."""
    return with_times(queryset).annotate(escalated=_has_entry(EntryKind.ESCALATED))


def for_detail(queryset):
    """A concern for its page: state, reporter and how many times it has been read."""
    reads = ConcernAccess.objects.filter(concern=OuterRef("pk")).order_by().values("concern").annotate(n=Count("pk"))
    return with_times(queryset).select_related("reported_by").annotate(access_count=Subquery(reads.values("n")))


def for_list(queryset):
    """Concerns for a list: their state, reporter and pupils' names, no content (four queries with the paginator's)."""
    pupils = Pupil.objects.only("first_name", "last_name")
    return (
        with_times(queryset)
        .select_related("reported_by")
        .only(*LIST_FIELDS)
        .prefetch_related(Prefetch("pupils", queryset=pupils))
        .order_by("-raised_at", "-pk")
    )


def about_pupil(queryset, pupil_id):
    return queryset.filter(Exists(ConcernPupil.objects.filter(concern=OuterRef("pk"), pupil_id=pupil_id)))


def about_pupils_named(queryset, name):
    """Concerns about a pupil whose first or last name contains each word (or whose MIS id is one)."""
    pupils = Pupil.objects.all()
    for word in name.split()[:5]:
        pupils = pupils.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(mis_id__iexact=word))
    return queryset.filter(Exists(ConcernPupil.objects.filter(concern=OuterRef("pk"), pupil__in=pupils)))


def ack_cutoff(now, ack_minutes) -> dt.datetime:
    """Concerns raised at or before this moment and still unacknowledged are overdue (SG-5)."""
    return now - dt.timedelta(minutes=ack_minutes)


def filter_state(queryset, state, *, now, ack_minutes):
    """Narrow a queryset to one dashboard state.

    The conditions are EXISTS tests rather than the annotations, so PostgreSQL answers them with
    (anti-)joins on the one-per-concern entry indexes instead of a subquery per concern."""
    acknowledged, closed = _has_entry(EntryKind.ACKNOWLEDGED), _has_entry(EntryKind.CLOSED)
    if state in (State.NEW, State.OVERDUE):
        unacknowledged = queryset.filter(~acknowledged, ~closed)
        if state == State.OVERDUE:
            return unacknowledged.filter(raised_at__lte=ack_cutoff(now, ack_minutes))
        return unacknowledged
    if state == State.ACKNOWLEDGED:
        return queryset.filter(acknowledged, ~closed)
    if state == State.OPEN:
        return queryset.filter(~closed)
    if state == State.CLOSED:
        return queryset.filter(closed)
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


# One row per event of a pupil's chronology: each concern raised, then each entry added to it.
# In SQL: the ORM's union took thirty times as long to build as PostgreSQL took to run it.
_EVENTS_SQL = """
SELECT c.raised_at, false, c.id, c.id, c.reference
FROM safeguarding_concern c JOIN safeguarding_concernpupil cp ON cp.concern_id = c.id
WHERE cp.pupil_id = %s
UNION ALL
SELECT e.recorded_at, true, e.id, c.id, c.reference
FROM safeguarding_concernentry e JOIN safeguarding_concern c ON c.id = e.concern_id
JOIN safeguarding_concernpupil cp ON cp.concern_id = c.id
WHERE cp.pupil_id = %s
ORDER BY 1, 2, 3
"""
_EVENT_KEYS = ("at", "is_entry", "event_id", "concern_ref", "ref")


def chronology_events(pupil) -> list[dict]:
    """The keys of a pupil's chronology in date order (a concern's raising before anything recorded
    at the same moment, then by id), as {"at", "is_entry", "event_id", "concern_ref", "ref"}: small
    rows, one query, for the paginator; the page's concerns and entries are loaded afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(_EVENTS_SQL, [pupil.pk, pupil.pk])
        return [dict(zip(_EVENT_KEYS, row, strict=True)) for row in cursor.fetchall()]


# How many reads a concern has, counted up to a bound (LIMIT inside): a count of every read ever
# would grow with them, on every opening of the concern (the access log page has the exact number).
_READS_SQL = "SELECT COUNT(*) FROM (SELECT 1 FROM safeguarding_concernaccess WHERE concern_id = %s LIMIT %s) AS counted"


def latest_accesses(concern, limit, *, counted_up_to):
    """The newest reads of a concern, for its page (the whole record is on the access log page),
    each carrying `reads`: how many reads the concern has, up to `counted_up_to` + 1. One query."""
    return (
        concern.accesses.select_related("user")
        .only("concern", "at", "purpose", "user__first_name", "user__last_name", "user__email")
        # A constant statement; the concern and the bound are passed as parameters.
        .annotate(reads=RawSQL(_READS_SQL, (concern.pk, counted_up_to + 1)))  # noqa: S611  # nosec B611
        .order_by("-at", "-pk")[:limit]
    )


# Open concerns (no closure entry), joined to their acknowledgement if any (at most one each,
# by the unique constraints), counted in one pass. Written in SQL: the same query built by the
# ORM took four times as long to compile as to run, on the DSL's every page view.
_COUNTS_SQL = """
SELECT COUNT(*) FILTER (WHERE ack.id IS NULL),
       COUNT(*) FILTER (WHERE ack.id IS NULL AND c.raised_at <= %s),
       COUNT(ack.id),
       COUNT(*)
FROM safeguarding_concern c
LEFT JOIN safeguarding_concernentry ack ON ack.concern_id = c.id AND ack.kind = %s
WHERE NOT EXISTS (SELECT 1 FROM safeguarding_concernentry closed WHERE closed.concern_id = c.id AND closed.kind = %s)
"""


def counts(*, now, ack_minutes) -> dict:
    """New, overdue, acknowledged and open concerns, in one query.

    Only open concerns are counted row by row (closed ones leave through an anti-join on the
    closure index), so the years of closed concerns a school piles up cost next to nothing."""
    cutoff = connection.ops.adapt_datetimefield_value(ack_cutoff(now, ack_minutes))
    with connection.cursor() as cursor:
        cursor.execute(_COUNTS_SQL, [cutoff, EntryKind.ACKNOWLEDGED.value, EntryKind.CLOSED.value])
        new, overdue, acknowledged, open_ = cursor.fetchone()
    return {"new": new, "overdue": overdue, "acknowledged": acknowledged, "open": open_}


def chronology_timeline(events) -> list[dict]:
    """The page's events in order as {"at", "concern", "entry"}, with the concerns and entries loaded."""
    events = list(events)
    raised = {e["event_id"] for e in events if not e["is_entry"]}
    concerns = Concern.objects.filter(pk__in=raised).select_related("reported_by").in_bulk()
    entry_ids = [e["event_id"] for e in events if e["is_entry"]]
    entries = ConcernEntry.objects.filter(pk__in=entry_ids).select_related("recorded_by", "corrects").in_bulk()
    # Where only an entry of a concern is on the page, its reference is all it shows of the concern.
    shown = {e["concern_ref"]: concerns.get(e["concern_ref"]) or Concern(pk=e["concern_ref"], reference=e["ref"]) for e in events}
    timeline = []
    for e in events:
        entry = entries[e["event_id"]] if e["is_entry"] else None
        concern = shown[e["concern_ref"]]
        timeline.append({"at": entry.recorded_at if entry else concern.raised_at, "concern": concern, "entry": entry})
    return timeline
