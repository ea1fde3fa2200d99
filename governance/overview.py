"""The compliance overview (GOV-1 with CALL-2..4, LOG-1, CON-1, CON-7, COM-4, SG-5): is the policy
being kept, term by term and week by week?

Every section is one or two aggregate queries (annotate/aggregate, TruncWeek), so the page asks
the database the same number of questions for a term of 10 calls or 10,000. A section whose app
is not built yet says "not available yet" (model lookup by name) and never shows made-up numbers.
Concerns appear as counts only: no names, no details.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncWeek
from django.utils import timezone

from school.models import Pupil, SchoolSettings, TermDate

from . import charts
from .retention import model_or_none

LONDON = ZoneInfo("Europe/London")
NOT_AVAILABLE = "Not available yet: the app that records this has not been built."


@dataclass
class Column:
    key: str
    label: str
    # A positive number here means the policy slipped: shown red, linked to the list behind it.
    bad: bool = False
    metric: str = ""
    tone: str = "neutral"


@dataclass
class Row:
    label: str
    values: dict
    params: dict = field(default_factory=dict)


@dataclass
class Section:
    key: str
    title: str
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    available: bool = True
    note: str = ""
    chart: str = ""
    extra_title: str = ""
    extra_rows: list = field(default_factory=list)


# --- The term and its weeks ----------------------------------------------------------------


def term_for(term_id, today: dt.date):
    """The chosen term, else the term containing today, else the latest that started."""
    terms = list(TermDate.objects.order_by("starts_on"))
    chosen = next((t for t in terms if str(t.pk) == str(term_id)), None)
    if chosen is None:
        chosen = next((t for t in terms if t.starts_on <= today <= t.ends_on), None)
    if chosen is None:
        started = [t for t in terms if t.starts_on <= today]
        chosen = started[-1] if started else (terms[0] if terms else None)
    return chosen, terms


def term_weeks(term) -> list[dt.date]:
    """The Mondays of every week the term touches."""
    monday = term.starts_on - dt.timedelta(days=term.starts_on.weekday())
    weeks = []
    while monday <= term.ends_on:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks


def term_bounds(term) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(term.starts_on, dt.time.min, tzinfo=LONDON)
    end = dt.datetime.combine(term.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)
    return start, end


def week_bounds(monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(monday, dt.time.min, tzinfo=LONDON)
    return start, dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min, tzinfo=LONDON)


def _week_key(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, LONDON).date() if timezone.is_aware(value) else value.date()
    return value


def weekly(queryset, date_field: str, **counts) -> dict[dt.date, dict]:
    """{monday: {name: n}} in ONE grouped query; `counts` are Count(...) expressions."""
    grouped = queryset.annotate(week=TruncWeek(date_field, tzinfo=LONDON)).order_by().values("week").annotate(**counts)
    return {_week_key(row.pop("week")): row for row in grouped}


def weekly_rows(weeks, found: dict, columns) -> list[Row]:
    rows = []
    for monday in weeks:
        values = found.get(monday, {})
        rows.append(Row(f"w/c {monday:%d %b}", {c.key: values.get(c.key, 0) or 0 for c in columns}, {"week": monday.isoformat()}))
    return rows


def _chart(section: Section) -> None:
    labels = [row.label.replace("w/c ", "") for row in section.rows]
    series = [(c.label, [row.values[c.key] for row in section.rows], "bad" if c.bad else c.tone) for c in section.columns]
    section.chart = charts.bar_chart(title=section.title, labels=labels, series=series)


def _unavailable(key, title) -> Section:
    return Section(key, title, available=False, note=NOT_AVAILABLE)


# --- Sections ------------------------------------------------------------------------------


def calls_held(term, weeks, now) -> Section:
    Call = model_or_none("calls.Call")
    title = "Calls held"
    if Call is None:
        return _unavailable("calls", title)
    start, end = term_bounds(term)
    columns = [
        Column("held", "Held", tone="good"),
        Column("upcoming", "Booked, still to come", tone="neutral"),
        Column("cancelled", "Cancelled", tone="muted"),
        Column("unconfirmed", "Ended, not marked held", bad=True, metric="calls-unconfirmed"),
    ]
    calls = Call.objects.filter(starts_at__gte=start, starts_at__lt=end)
    found = weekly(
        calls,
        "starts_at",
        held=Count("pk", filter=Q(status="held")),
        upcoming=Count("pk", filter=Q(ends_at__gte=now) & ~Q(status__in=["held", "cancelled"])),
        cancelled=Count("pk", filter=Q(status="cancelled")),
        unconfirmed=Count("pk", filter=Q(status="scheduled", ends_at__lt=now)),
    )
    section = Section("calls", title, columns, weekly_rows(weeks, found, columns))
    _chart(section)
    return section


def one_to_ones(term, weeks, now) -> Section:
    """CALL-3, CALL-4: every one-to-one should have two staff, the parent's agreement and approval."""
    Call = model_or_none("calls.Call")
    title = "One-to-one calls: two staff, parent agreement and approval"
    if Call is None:
        return _unavailable("one-to-ones", title)
    start, end = term_bounds(term)
    calls = one_to_one_checks(
        Call.objects.filter(kind="one_to_one", starts_at__gte=start, starts_at__lt=end).exclude(status="cancelled")
    )
    columns = [
        Column("total", "One-to-ones", tone="neutral"),
        Column("complete", "All three in place", tone="good"),
        Column("incomplete", "Missing one or more", bad=True, metric="one-to-ones-incomplete"),
    ]
    complete = Q(second_staff__isnull=False, has_agreement=True, has_approval=True)
    found = weekly(
        calls, "starts_at", total=Count("pk"), complete=Count("pk", filter=complete), incomplete=Count("pk", filter=~complete)
    )
    section = Section("one-to-ones", title, columns, weekly_rows(weeks, found, columns))
    _chart(section)
    return section


def one_to_one_checks(calls):
    """Annotate each call with whether a standing parent agreement and approval exist."""
    Agreement = model_or_none("calls.ParentAgreement")
    Approval = model_or_none("calls.CallApproval")
    return calls.annotate(
        has_agreement=Exists(Agreement.objects.filter(call=OuterRef("pk"), decision="agreed", voided_at__isnull=True)),
        has_approval=Exists(Approval.objects.filter(call=OuterRef("pk"), decision="approved", voided_at__isnull=True)),
    )


def single_staff(term, weeks, now) -> Section:
    """CALL-2: group calls with one adult, flagged, each with its recorded reason."""
    Call = model_or_none("calls.Call")
    title = "Group calls with one member of staff"
    if Call is None:
        return _unavailable("single-staff", title)
    start, end = term_bounds(term)
    calls = Call.objects.filter(kind="group", second_staff__isnull=True, starts_at__gte=start, starts_at__lt=end).exclude(
        status="cancelled"
    )
    columns = [Column("single", "With one adult", bad=True, metric="single-staff")]
    found = weekly(calls, "starts_at", single=Count("pk"))
    section = Section("single-staff", title, columns, weekly_rows(weeks, found, columns))
    reasons = calls.order_by().values("single_staff_reason").annotate(n=Count("pk")).order_by("-n")[:10]
    section.extra_title = "Reasons given"
    section.extra_rows = [(r["single_staff_reason"] or "(no reason recorded)", r["n"]) for r in reasons]
    _chart(section)
    return section


def join_refusals(term, weeks, now) -> Section:
    """CON-1, CALL-6: join links refused at the gateway, and why."""
    Attempt = model_or_none("calls.JoinAttempt")
    title = "Join links refused"
    if Attempt is None:
        return _unavailable("join-refused", title)
    start, end = term_bounds(term)
    attempts = Attempt.objects.filter(at__gte=start, at__lt=end)
    columns = [Column("let_in", "Let in", tone="good"), Column("refused", "Refused", bad=True, metric="join-refused")]
    found = weekly(attempts, "at", let_in=Count("pk", filter=Q(allowed=True)), refused=Count("pk", filter=Q(allowed=False)))
    section = Section("join-refused", title, columns, weekly_rows(weeks, found, columns))
    reasons = attempts.filter(allowed=False).order_by().values("reason").annotate(n=Count("pk")).order_by("-n")[:10]
    section.extra_title = "Why links were refused"
    section.extra_rows = [(r["reason"] or "(no reason recorded)", r["n"]) for r in reasons]
    _chart(section)
    return section


def emails_failed(term, weeks, now) -> Section:
    Outbox = model_or_none("notifications.OutboxMessage")
    title = "Emails"
    if Outbox is None:
        return _unavailable("emails", title)
    start, end = term_bounds(term)
    columns = [Column("sent", "Sent", tone="good"), Column("failed", "Failed", bad=True, metric="emails-failed")]
    found = weekly(
        Outbox.objects.filter(created_at__gte=start, created_at__lt=end),
        "created_at",
        sent=Count("pk", filter=Q(state="sent")),
        failed=Count("pk", filter=Q(state="failed")),
    )
    section = Section("emails", title, columns, weekly_rows(weeks, found, columns))
    _chart(section)
    return section


def concerns(term, weeks, now) -> Section:
    """SG-1, SG-5: counts only. Late = acknowledged after the school's set time, or not yet and past it."""
    Concern = model_or_none("safeguarding.Concern")
    Entry = model_or_none("safeguarding.ConcernEntry")
    title = "Safeguarding concerns (counts only)"
    if Concern is None or Entry is None:
        return _unavailable("concerns", title)
    start, end = term_bounds(term)
    allowed = dt.timedelta(minutes=SchoolSettings.load().concern_ack_minutes)
    ack_at = Subquery(Entry._base_manager.filter(concern=OuterRef("pk"), kind="acknowledged").values("recorded_at")[:1])
    closed = Exists(Entry._base_manager.filter(concern=OuterRef("pk"), kind="closed"))
    concerns_in_term = Concern._base_manager.filter(raised_at__gte=start, raised_at__lt=end).annotate(
        ack_at=ack_at, is_closed=closed, ack_due=F("raised_at") + allowed
    )
    late = Q(ack_at__gt=F("ack_due")) | Q(ack_at__isnull=True, ack_due__lt=now)
    columns = [
        Column("raised", "Raised", tone="neutral"),
        Column("late", "Acknowledged late", bad=True),
        Column("open", "Still open", tone="muted"),
    ]
    found = weekly(
        concerns_in_term,
        "raised_at",
        raised=Count("pk"),
        late=Count("pk", filter=late),
        open=Count("pk", filter=Q(is_closed=False)),
    )
    section = Section("concerns", title, columns, weekly_rows(weeks, found, columns))
    section.note = "Counts only. The DSL team reads concerns in the safeguarding pages."
    _chart(section)
    return section


def consent_by_class(term, weeks, now) -> Section:
    """CON-1: per class, pupils on roll with consent given, withdrawn, never answered."""
    if model_or_none("consent.ConsentDecision") is None:
        return _unavailable("consent", "Consent for video calls by class")
    from consent.selectors import latest_decisions_subquery

    pupils = Pupil.objects.on_roll().annotate(current=latest_decisions_subquery("video_calls"))
    grouped = (
        pupils.order_by()
        .values("school_class_id", "school_class__name")
        .annotate(
            given=Count("pk", filter=Q(current="given")),
            withdrawn=Count("pk", filter=Q(current="withdrawn")),
            never=Count("pk", filter=Q(current__isnull=True)),
        )
        .order_by("school_class__year_group", "school_class__name")
    )
    columns = [
        Column("given", "Given", tone="good"),
        Column("withdrawn", "Withdrawn", tone="muted", metric="consent-withdrawn"),
        Column("never", "Never answered", bad=True, metric="consent-never-answered"),
    ]
    rows = [
        Row(g["school_class__name"] or "No class", {c.key: g[c.key] for c in columns}, {"class": g["school_class_id"] or ""})
        for g in grouped
    ]
    section = Section("consent", "Consent for video calls by class (pupils on roll, today)", columns, rows)
    _chart(section)
    return section


def acknowledgements_by_class(term, weeks, now) -> Section:
    """CON-7: per class, whether each pupil's current acceptable-use guidance is acknowledged
    (on the pupil's behalf) and whether a parent/carer has acknowledged theirs."""
    Document = model_or_none("consent.AcceptableUseDocument")
    Ack = model_or_none("consent.AcceptableUseAcknowledgement")
    title = "Acceptable-use acknowledgements by class (current guidance)"
    if Document is None or Ack is None:
        return _unavailable("acknowledgements", title)
    current = Document.objects.current_by_audience()
    pupils_doc, parents_doc = current.get("pupils"), current.get("parents")
    pupil_ack = Exists(Ack._base_manager.filter(document=pupils_doc, pupil=OuterRef("pk"))) if pupils_doc else Q(pk__in=[])
    parent_ack = (
        Exists(Ack._base_manager.filter(document=parents_doc, user__guardian__guardianships__pupil=OuterRef("pk")))
        if parents_doc
        else Q(pk__in=[])
    )
    grouped = (
        Pupil.objects.on_roll()
        .annotate(pupil_ack=pupil_ack, parent_ack=parent_ack)
        .order_by()
        .values("school_class_id", "school_class__name")
        .annotate(
            pupils=Count("pk"),
            pupil_missing=Count("pk", filter=Q(pupil_ack=False)),
            parent_missing=Count("pk", filter=Q(parent_ack=False)),
        )
        .order_by("school_class__year_group", "school_class__name")
    )
    columns = [
        Column("pupils", "Pupils on roll", tone="neutral"),
        Column("pupil_missing", "Pupil's guidance not acknowledged", bad=True, metric="aup-pupil-missing"),
        Column("parent_missing", "No parent/carer acknowledgement", bad=True, metric="aup-parent-missing"),
    ]
    rows = [
        Row(g["school_class__name"] or "No class", {c.key: g[c.key] for c in columns}, {"class": g["school_class_id"] or ""})
        for g in grouped
    ]
    section = Section("acknowledgements", title, columns, rows)
    section.extra_title = "Staff"
    section.extra_rows = _staff_acknowledgements(Ack, current.get("staff"))
    _chart(section)
    return section


def _staff_acknowledgements(Ack, staff_doc) -> list:
    """CON-7 for staff: how many members of staff acknowledged their current guidance (one query)."""
    from accounts.models import StaffRole, User

    if staff_doc is None:
        return [("No staff guidance is published", 0)]
    acknowledged = Ack._base_manager.filter(document=staff_doc, pupil__isnull=True).values("user")
    staff = User.objects.filter(is_active=True, pk__in=StaffRole.objects.values("user"))
    counts = staff.aggregate(total=Count("pk"), done=Count("pk", filter=Q(pk__in=acknowledged)))
    return [("Members of staff", counts["total"]), ("Acknowledged the current staff guidance", counts["done"])]


def session_logs(term, weeks, now) -> Section:
    """LOG-1, LOG-4: calls that ended, and whether their session log was written on time."""
    Call = model_or_none("calls.Call")
    title = "Calls held with a session log on time"
    if Call is None or model_or_none("sessionlogs.SessionLog") is None:
        return _unavailable("session-logs", title)
    start, end = term_bounds(term)
    due = dt.timedelta(hours=SchoolSettings.load().session_log_deadline_hours)
    columns = [
        Column("ended", "Calls held", tone="neutral"),
        Column("on_time", "Log on time", tone="good"),
        Column("late", "Log late", bad=True, metric="logs-late"),
        Column("missing", "Log missing", bad=True, metric="logs-missing"),
    ]
    calls = Call.objects.filter(starts_at__gte=start, starts_at__lt=end, ends_at__lt=now).exclude(status="cancelled")
    found = weekly(calls.annotate(log_due=F("ends_at") + due), "starts_at", **log_counts(now, due))
    section = Section("session-logs", title, columns, weekly_rows(weeks, found, columns))
    ended = sum(row.values["ended"] for row in section.rows)
    on_time = sum(row.values["on_time"] for row in section.rows)
    section.note = f"{on_time} of {ended} calls held this term had their log on time." if ended else ""
    _chart(section)
    return section


def log_counts(now, due) -> dict:
    return {
        "ended": Count("pk"),
        "on_time": Count("pk", filter=Q(session_log__written_at__lte=F("log_due"))),
        "late": Count("pk", filter=Q(session_log__written_at__gt=F("log_due"))),
        "missing": Count("pk", filter=Q(session_log__isnull=True, ends_at__lt=now - due)),
    }


SECTIONS = [
    calls_held,
    session_logs,
    one_to_ones,
    single_staff,
    consent_by_class,
    acknowledgements_by_class,
    join_refusals,
    emails_failed,
    concerns,
]


def build_overview(term, now) -> list[Section]:
    weeks = term_weeks(term)
    return [section(term, weeks, now) for section in SECTIONS]
