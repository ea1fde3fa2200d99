"""The compliance overview (GOV-1 with CALL-2..4, LOG-1, CON-1, CON-7, COM-4, SG-5): is the policy
being kept, term by term and week by week?

Every section is one or two aggregate queries (annotate/aggregate, TruncWeek), so the page asks
the database the same number of questions for a term of 10 calls or 10,000. The overview sits
on top of every app it counts (docs/architecture.md), so it imports their models directly.
Concerns appear as counts only: no names, no details.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncWeek
from django.utils import timezone

from calls.models import Call, CallApproval, JoinAttempt, ParentAgreement
from consent.models import AcceptableUseAcknowledgement, AcceptableUseDocument
from consent.selectors import with_decision_in_force
from notifications.models import OutboxMessage
from safeguarding.models import Concern, ConcernEntry
from school.models import Pupil, SchoolSettings, TermDate

from . import charts

LONDON = ZoneInfo("Europe/London")


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
    by_class: bool = False
    page: object = None  # by class: the page of classes shown (None: every class)


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


# --- Sections ------------------------------------------------------------------------------
#
# Each section is a Spec: its columns, the rows it counts and the Count expressions. The week by
# week table groups them by week (one query), the summary aggregates the same expressions over
# the term (one query), so the two always agree. Per-class sections group by class instead.


@dataclass
class Spec:
    columns: list
    queryset: object
    counts: dict
    date_field: str = ""  # weekly sections: the field the week is taken from; "" = by class
    note: str = ""
    more: dict = field(default_factory=dict)  # what a section's finish needs besides


def calls_held_spec(term, now):
    start, end = term_bounds(term)
    columns = [
        Column("held", "Held", tone="good"),
        Column("upcoming", "Booked, still to come", tone="neutral"),
        Column("cancelled", "Cancelled", tone="muted"),
        Column("unconfirmed", "Ended, not marked held", bad=True, metric="calls-unconfirmed"),
    ]
    counts = {
        "held": Count("pk", filter=Q(status="held")),
        "upcoming": Count("pk", filter=Q(ends_at__gte=now) & ~Q(status__in=["held", "cancelled"])),
        "cancelled": Count("pk", filter=Q(status="cancelled")),
        "unconfirmed": Count("pk", filter=Q(status="scheduled", ends_at__lt=now)),
    }
    return Spec(columns, Call.objects.filter(starts_at__gte=start, starts_at__lt=end), counts, "starts_at")


def one_to_ones_spec(term, now):
    """CALL-3, CALL-4: every one-to-one should have two staff, the parent's agreement and approval."""
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
    counts = {"total": Count("pk"), "complete": Count("pk", filter=complete), "incomplete": Count("pk", filter=~complete)}
    return Spec(columns, calls, counts, "starts_at")


def one_to_one_checks(calls):
    """Annotate each call with whether a standing parent agreement and approval exist."""
    return calls.annotate(
        has_agreement=Exists(ParentAgreement.objects.filter(call=OuterRef("pk"), decision="agreed", voided_at__isnull=True)),
        has_approval=Exists(CallApproval.objects.filter(call=OuterRef("pk"), decision="approved", voided_at__isnull=True)),
    )


def single_staff_spec(term, now):
    """CALL-2: group calls with one adult, flagged, each with its recorded reason."""
    start, end = term_bounds(term)
    calls = Call.objects.filter(kind="group", second_staff__isnull=True, starts_at__gte=start, starts_at__lt=end).exclude(
        status="cancelled"
    )
    columns = [Column("single", "With one adult", bad=True, metric="single-staff")]
    return Spec(columns, calls, {"single": Count("pk")}, "starts_at")


def _single_staff_reasons(section, spec) -> None:
    reasons = spec.queryset.order_by().values("single_staff_reason").annotate(n=Count("pk")).order_by("-n")[:10]
    section.extra_title = "Reasons given"
    section.extra_rows = [(r["single_staff_reason"] or "(no reason recorded)", r["n"]) for r in reasons]


def join_refusals_spec(term, now):
    """CON-1, CALL-6: join links refused at the gateway, and why."""
    start, end = term_bounds(term)
    columns = [Column("let_in", "Let in", tone="good"), Column("refused", "Refused", bad=True, metric="join-refused")]
    counts = {"let_in": Count("pk", filter=Q(allowed=True)), "refused": Count("pk", filter=Q(allowed=False))}
    return Spec(columns, JoinAttempt.objects.filter(at__gte=start, at__lt=end), counts, "at")


def _refusal_reasons(section, spec) -> None:
    reasons = spec.queryset.filter(allowed=False).order_by().values("reason").annotate(n=Count("pk")).order_by("-n")[:10]
    section.extra_title = "Why links were refused"
    section.extra_rows = [(r["reason"] or "(no reason recorded)", r["n"]) for r in reasons]


def emails_spec(term, now):
    start, end = term_bounds(term)
    columns = [Column("sent", "Sent", tone="good"), Column("failed", "Failed", bad=True, metric="emails-failed")]
    counts = {"sent": Count("pk", filter=Q(state="sent")), "failed": Count("pk", filter=Q(state="failed"))}
    return Spec(columns, OutboxMessage.objects.filter(created_at__gte=start, created_at__lt=end), counts, "created_at")


def concerns_spec(term, now):
    """SG-1, SG-5: counts only. Late = acknowledged after the school's set time, or not yet and past it."""
    start, end = term_bounds(term)
    allowed = dt.timedelta(minutes=SchoolSettings.load().concern_ack_minutes)
    ack_at = Subquery(ConcernEntry._base_manager.filter(concern=OuterRef("pk"), kind="acknowledged").values("recorded_at")[:1])
    closed = Exists(ConcernEntry._base_manager.filter(concern=OuterRef("pk"), kind="closed"))
    concerns_in_term = Concern._base_manager.filter(raised_at__gte=start, raised_at__lt=end).annotate(
        ack_at=ack_at, is_closed=closed, ack_due=F("raised_at") + allowed
    )
    late = Q(ack_at__gt=F("ack_due")) | Q(ack_at__isnull=True, ack_due__lt=now)
    columns = [
        Column("raised", "Raised", tone="neutral"),
        Column("late", "Acknowledged late", bad=True),
        Column("open", "Still open", tone="muted"),
    ]
    counts = {"raised": Count("pk"), "late": Count("pk", filter=late), "open": Count("pk", filter=Q(is_closed=False))}
    note = "Counts only. The DSL team reads concerns in the safeguarding pages."
    return Spec(columns, concerns_in_term, counts, "raised_at", note)


def consent_spec(term, now):
    """CON-1: per class, pupils on roll with consent given, withdrawn, never answered."""
    columns = [
        Column("given", "Given", tone="good"),
        Column("withdrawn", "Withdrawn", tone="muted", metric="consent-withdrawn"),
        Column("never", "Never answered", bad=True, metric="consent-never-answered"),
    ]
    counts = {
        "given": Count("pk", filter=Q(current="given")),
        "withdrawn": Count("pk", filter=Q(current="withdrawn")),
        "never": Count("pk", filter=Q(current__isnull=True)),
    }
    return Spec(columns, with_decision_in_force(Pupil.objects.on_roll(), "video_calls"), counts)


def acknowledgements_spec(term, now):
    """CON-7: per class, whether each pupil's current acceptable-use guidance is acknowledged
    (on the pupil's behalf) and whether a parent/carer has acknowledged theirs."""
    current = AcceptableUseDocument.objects.current_by_audience()
    pupils_doc, parents_doc = current.get("pupils"), current.get("parents")
    Ack = AcceptableUseAcknowledgement
    pupil_ack = Exists(Ack._base_manager.filter(document=pupils_doc, pupil=OuterRef("pk"))) if pupils_doc else Q(pk__in=[])
    parent_ack = (
        Exists(Ack._base_manager.filter(document=parents_doc, user__guardian__guardianships__pupil=OuterRef("pk")))
        if parents_doc
        else Q(pk__in=[])
    )
    columns = [
        Column("pupils", "Pupils on roll", tone="neutral"),
        Column("pupil_missing", "Pupil's guidance not acknowledged", bad=True, metric="aup-pupil-missing"),
        Column("parent_missing", "No parent/carer acknowledgement", bad=True, metric="aup-parent-missing"),
    ]
    counts = {
        "pupils": Count("pk"),
        "pupil_missing": Count("pk", filter=Q(pupil_ack=False)),
        "parent_missing": Count("pk", filter=Q(parent_ack=False)),
    }
    pupils = Pupil.objects.on_roll().annotate(pupil_ack=pupil_ack, parent_ack=parent_ack)
    return Spec(columns, pupils, counts, more={"Ack": Ack, "staff_document": current.get("staff")})


def _staff_acknowledgements(Ack, staff_doc) -> list:
    """CON-7 for staff: how many members of staff acknowledged their current guidance (one query)."""
    from accounts.models import StaffRole, User

    if staff_doc is None:
        return [("No staff guidance is published", 0)]
    acknowledged = Ack._base_manager.filter(document=staff_doc, pupil__isnull=True).values("user")
    staff = User.objects.filter(is_active=True, pk__in=StaffRole.objects.values("user"))
    counts = staff.aggregate(total=Count("pk"), done=Count("pk", filter=Q(pk__in=acknowledged)))
    return [("Members of staff", counts["total"]), ("Acknowledged the current staff guidance", counts["done"])]


def _staff_rows(section, spec) -> None:
    section.extra_title = "Staff"
    section.extra_rows = _staff_acknowledgements(spec.more["Ack"], spec.more["staff_document"])


def session_logs_spec(term, now):
    """LOG-1, LOG-4: calls that ended, and whether their session log was written on time."""
    start, end = term_bounds(term)
    due = dt.timedelta(hours=SchoolSettings.load().session_log_deadline_hours)
    columns = [
        Column("ended", "Calls held", tone="neutral"),
        Column("on_time", "Log on time", tone="good"),
        Column("late", "Log late", bad=True, metric="logs-late"),
        Column("missing", "Log missing", bad=True, metric="logs-missing"),
    ]
    calls = Call.objects.filter(starts_at__gte=start, starts_at__lt=end, ends_at__lt=now).exclude(status="cancelled")
    return Spec(columns, calls.annotate(log_due=F("ends_at") + due), log_counts(now, due), "starts_at")


def _logs_note(section, spec) -> None:
    ended = sum(row.values["ended"] for row in section.rows)
    on_time = sum(row.values["on_time"] for row in section.rows)
    section.note = f"{on_time} of {ended} calls held this term had their log on time." if ended else ""


def log_counts(now, due) -> dict:
    return {
        "ended": Count("pk"),
        "on_time": Count("pk", filter=Q(session_log__written_at__lte=F("log_due"))),
        "late": Count("pk", filter=Q(session_log__written_at__gt=F("log_due"))),
        "missing": Count("pk", filter=Q(session_log__isnull=True, ends_at__lt=now - due)),
    }


@dataclass(frozen=True)
class SectionKind:
    key: str
    title: str
    spec: object
    finish: object = None  # (section, spec) -> None: the reasons, staff rows or note under the table


SECTION_KINDS = [
    SectionKind("calls", "Calls held", calls_held_spec),
    SectionKind("session-logs", "Calls held with a session log on time", session_logs_spec, _logs_note),
    SectionKind("one-to-ones", "One-to-one calls: two staff, parent agreement and approval", one_to_ones_spec),
    SectionKind("single-staff", "Group calls with one member of staff", single_staff_spec, _single_staff_reasons),
    SectionKind("consent", "Consent for video calls by class (pupils on roll, today)", consent_spec),
    SectionKind(
        "acknowledgements", "Acceptable-use acknowledgements by class (current guidance)", acknowledgements_spec, _staff_rows
    ),
    SectionKind("join-refused", "Join links refused", join_refusals_spec, _refusal_reasons),
    SectionKind("emails", "Emails", emails_spec),
    SectionKind("concerns", "Safeguarding concerns (counts only)", concerns_spec),
]
KINDS = {kind.key: kind for kind in SECTION_KINDS}
CLASSES_PER_PAGE = 20


def _by_class(spec, class_page=None):
    """Rows per class (one grouped query); with `class_page`, only that page of classes (a
    Paginator over the school's classes, so the count is cheap) and the page."""
    from school.models import SchoolClass

    queryset, page = spec.queryset, None
    if class_page is not None:
        classes = SchoolClass.objects.filter(pk__in=Pupil.objects.on_roll().values("school_class"))
        page = Paginator(classes.order_by("year_group", "name", "pk").values_list("pk", flat=True), CLASSES_PER_PAGE)
        page = page.get_page(class_page)
        shown = Q(school_class__in=list(page.object_list))
        if not page.has_next():  # pupils with no class come after the last class
            shown |= Q(school_class__isnull=True)
        queryset = queryset.filter(shown)
    grouped = (
        queryset.order_by()
        .values("school_class_id", "school_class__name")
        .annotate(**spec.counts)
        .order_by("school_class__year_group", "school_class__name")
    )
    rows = [
        Row(g["school_class__name"] or "No class", {c.key: g[c.key] for c in spec.columns}, {"class": g["school_class_id"] or ""})
        for g in grouped
    ]
    return rows, page


def build_section(key, term, now, *, class_page=None) -> Section:
    """One section whole: week by week (bounded by the term), or by class (a page of classes when
    `class_page` is given), with its chart and what goes under the table."""
    kind = KINDS[key]
    spec = kind.spec(term, now)
    if spec.date_field:
        weeks = term_weeks(term)
        rows, page = weekly_rows(weeks, weekly(spec.queryset, spec.date_field, **spec.counts), spec.columns), None
    else:
        rows, page = _by_class(spec, class_page)
    section = Section(key, kind.title, spec.columns, rows, note=spec.note, page=page, by_class=not spec.date_field)
    if kind.finish:
        kind.finish(section, spec)
    _chart(section)
    return section


@dataclass
class Summary:
    key: str
    title: str
    columns: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    available: bool = True
    note: str = ""
    by_class: bool = False


def build_summary(term, now) -> list[Summary]:
    """The term at a glance: each section's totals, one aggregate query each (the same Count
    expressions as its weekly or per-class table, so the numbers agree)."""
    found = []
    for kind in SECTION_KINDS:
        spec = kind.spec(term, now)
        totals = spec.queryset.order_by().aggregate(**spec.counts)
        found.append(Summary(kind.key, kind.title, spec.columns, totals, note=spec.note, by_class=not spec.date_field))
    return found


def build_overview(term, now) -> list[Section]:
    """Every section whole (the CSV): every week of the term, every class."""
    return [build_section(kind.key, term, now) for kind in SECTION_KINDS]
