"""The lists behind the overview's red numbers: which calls, emails or pupils make each number.

Each metric is a queryset filtered to the chosen term (and week or class when given), shown
paginated. Concerns have no list here: their numbers are counts only (SG-3).
"""

import contextlib
import datetime as dt

from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from portal.templatetags.dates import when
from school.models import Pupil, SchoolSettings

from .overview import term_bounds, week_bounds
from .retention import model_or_none


def _when(value):
    return when(value) if value else ""  # as every screen says it (portal/templatetags/dates.py)


def _person(user):
    return (user.get_full_name() or user.email) if user else "—"


def call_url(call) -> str:
    """The call's staff page, once the calls app offers one."""
    for name in ("calls:detail", "calls:call"):
        try:
            return reverse(name, args=[call.pk])
        except NoReverseMatch:
            continue
    return ""


def _window(term, params):
    start, end = term_bounds(term)
    week = params.get("week")
    if week:
        with contextlib.suppress(ValueError):  # a hand-edited week shows the whole term
            start, end = week_bounds(dt.date.fromisoformat(week))
    return start, end


def _calls(term, params, **filters):
    Call = model_or_none("calls.Call")
    start, end = _window(term, params)
    return Call.objects.filter(starts_at__gte=start, starts_at__lt=end, **filters).select_related("host", "second_staff")


def _call_row(call, *extra):
    return {
        "cells": [_when(call.starts_at), call.title, _person(call.host), _person(call.second_staff), *extra],
        "url": call_url(call),
    }


CALL_HEADERS = ["Starts", "Call", "Host", "Second staff"]


def calls_unconfirmed(term, params, now):
    calls = _calls(term, params, status="scheduled", ends_at__lt=now).order_by("starts_at")
    return "Calls that ended but are not marked held", CALL_HEADERS, calls, _call_row


def one_to_ones_incomplete(term, params, now):
    from .overview import one_to_one_checks

    complete = Q(second_staff__isnull=False, has_agreement=True, has_approval=True)
    calls = one_to_one_checks(_calls(term, params, kind="one_to_one").exclude(status="cancelled")).exclude(complete)

    def row(call):
        return _call_row(call, "Yes" if call.has_agreement else "No", "Yes" if call.has_approval else "No")

    return (
        "One-to-ones missing two staff, agreement or approval",
        [*CALL_HEADERS, "Parent agreed", "Approved"],
        calls.order_by("starts_at"),
        row,
    )


def single_staff(term, params, now):
    calls = _calls(term, params, kind="group", second_staff__isnull=True).exclude(status="cancelled").order_by("starts_at")
    return (
        "Group calls with one member of staff",
        [*CALL_HEADERS, "Reason"],
        calls,
        lambda call: _call_row(call, call.single_staff_reason or "(no reason recorded)"),
    )


def _logs(condition, title):
    def build(term, params, now):
        due = dt.timedelta(hours=SchoolSettings.load().session_log_deadline_hours)
        calls = _calls(term, params, ends_at__lt=now).exclude(status="cancelled").annotate(log_due=models.F("ends_at") + due)
        calls = calls.filter(condition(now, due)).select_related("session_log").order_by("starts_at")

        def row(call):
            log = getattr(call, "session_log", None)
            return _call_row(call, _when(log.written_at) if log else "not written")

        return title, [*CALL_HEADERS, "Log written"], calls, row

    return build


def join_refused(term, params, now):
    Attempt = model_or_none("calls.JoinAttempt")
    start, end = _window(term, params)
    attempts = Attempt.objects.filter(allowed=False, at__gte=start, at__lt=end).select_related("call").order_by("at", "pk")
    return (
        "Join links refused",
        ["When", "Call", "Why"],
        attempts,
        lambda a: {"cells": [_when(a.at), a.call.title, a.reason], "url": call_url(a.call)},
    )


def emails_failed(term, params, now):
    Outbox = model_or_none("notifications.OutboxMessage")
    start, end = _window(term, params)
    failed = Outbox.objects.filter(state="failed", created_at__gte=start, created_at__lt=end).order_by("created_at", "pk")
    return (
        "Emails that failed",
        ["Written", "Kind", "To", "Error"],
        failed,
        lambda m: {"cells": [_when(m.created_at), m.kind, m.recipient_email, m.last_error[:200]], "url": ""},
    )


def _pupils_in_class(params):
    pupils = Pupil.objects.on_roll().select_related("school_class").order_by("last_name", "first_name")
    if params.get("class"):
        pupils = pupils.filter(school_class_id=params["class"]) if str(params["class"]).isdigit() else pupils.none()
    return pupils


def _pupil_row(pupil):
    return {"cells": [pupil.full_name, str(pupil.school_class or "")], "url": ""}


def _consent(state_filter, title):
    def build(term, params, now):
        from consent.selectors import with_decision_in_force

        pupils = with_decision_in_force(_pupils_in_class(params), "video_calls").filter(state_filter)
        return title, ["Pupil", "Class"], pupils, _pupil_row

    return build


def _acknowledgement(audience, title):
    def build(term, params, now):
        from django.db.models import Exists, OuterRef

        Document = model_or_none("consent.AcceptableUseDocument")
        Ack = model_or_none("consent.AcceptableUseAcknowledgement")
        document = Document.objects.current(audience)
        acks = Ack._base_manager.filter(document=document)
        acks = (
            acks.filter(pupil=OuterRef("pk"))
            if audience == "pupils"
            else acks.filter(user__guardian__guardianships__pupil=OuterRef("pk"))
        )
        pupils = _pupils_in_class(params).annotate(done=Exists(acks)).filter(done=False)
        return title, ["Pupil", "Class"], pupils, _pupil_row

    return build


METRICS = {
    "logs-late": (
        "sessionlogs.SessionLog",
        _logs(lambda now, due: Q(session_log__written_at__gt=models.F("log_due")), "Calls whose session log was written late"),
    ),
    "logs-missing": (
        "sessionlogs.SessionLog",
        _logs(lambda now, due: Q(session_log__isnull=True, ends_at__lt=now - due), "Calls held without a session log"),
    ),
    "calls-unconfirmed": ("calls.Call", calls_unconfirmed),
    "one-to-ones-incomplete": ("calls.Call", one_to_ones_incomplete),
    "single-staff": ("calls.Call", single_staff),
    "join-refused": ("calls.JoinAttempt", join_refused),
    "emails-failed": ("notifications.OutboxMessage", emails_failed),
    "consent-never-answered": (
        "consent.ConsentDecision",
        _consent(Q(current__isnull=True), "Pupils whose consent was never answered"),
    ),
    "consent-withdrawn": ("consent.ConsentDecision", _consent(Q(current="withdrawn"), "Pupils whose consent is withdrawn")),
    "aup-pupil-missing": (
        "consent.AcceptableUseAcknowledgement",
        _acknowledgement("pupils", "Pupils whose acceptable-use guidance is not acknowledged"),
    ),
    "aup-parent-missing": (
        "consent.AcceptableUseAcknowledgement",
        _acknowledgement("parents", "Pupils with no parent/carer acknowledgement of the guidance"),
    ),
}


def metric_list(metric, term, params, now):
    """(title, headers, queryset, row function), or None for an unknown or unbuilt metric."""
    found = METRICS.get(metric)
    if found is None or model_or_none(found[0]) is None:
        return None
    return found[1](term, params, now)
