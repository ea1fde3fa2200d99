"""The lists behind the overview's red numbers: which calls, emails or pupils make each number.

Each metric is a queryset filtered to the chosen term (and week or class when given), shown
paginated. Concerns have no list here: their numbers are counts only (SG-3).
"""

import contextlib
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from calls.models import Call, JoinAttempt
from consent.models import AcceptableUseAcknowledgement, AcceptableUseDocument
from notifications.models import OutboxMessage
from school.models import Pupil, SchoolSettings
from toolkit.dates import when
from toolkit.forms import IdField

from .overview import term_bounds, week_bounds


def _when(value):
    return when(value) if value else ""  # as every screen says it (toolkit/dates.py)


def _person(user):
    return (user.get_full_name() or user.email) if user else "—"


def call_url(call) -> str:
    """The call's staff page."""
    return reverse("calls:detail", args=[call.pk])


def _window(term, params):
    """The term, or one week of it. A hand-edited week ('2026-02-30', '9999-12-31', a week outside
    the term) shows the whole term: only a week the term touches is ever linked to."""
    start, end = term_bounds(term)
    monday = None
    with contextlib.suppress(ValueError):
        monday = dt.date.fromisoformat(params.get("week") or "")
    if monday is not None and term.starts_on - dt.timedelta(days=6) <= monday <= term.ends_on:
        start, end = week_bounds(monday)
    return start, end


def _class_id(params):
    """?class= as a record number, or None when it is not one (bounded: toolkit.forms.IdField)."""
    try:
        return IdField().clean(params.get("class") or None)
    except ValidationError:
        return None


def _calls(term, params, **filters):
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
    start, end = _window(term, params)
    attempts = JoinAttempt.objects.filter(allowed=False, at__gte=start, at__lt=end).select_related("call").order_by("at", "pk")
    return (
        "Join links refused",
        ["When", "Call", "Why"],
        attempts,
        lambda a: {"cells": [_when(a.at), a.call.title, a.reason], "url": call_url(a.call)},
    )


def emails_failed(term, params, now):
    start, end = _window(term, params)
    failed = OutboxMessage.objects.filter(state="failed", created_at__gte=start, created_at__lt=end).order_by("created_at", "pk")
    return (
        "Emails that failed",
        ["Written", "Kind", "To", "Error"],
        failed,
        lambda m: {"cells": [_when(m.created_at), m.kind, m.recipient_email, m.last_error[:200]], "url": ""},
    )


def _pupils_in_class(params):
    pupils = Pupil.objects.on_roll().select_related("school_class").order_by("last_name", "first_name")
    if params.get("class"):
        class_id = _class_id(params)
        pupils = pupils.filter(school_class_id=class_id) if class_id else pupils.none()
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

        document = AcceptableUseDocument.objects.current(audience)
        acks = AcceptableUseAcknowledgement._base_manager.filter(document=document)
        acks = (
            acks.filter(pupil=OuterRef("pk"))
            if audience == "pupils"
            else acks.filter(user__guardian__guardianships__pupil=OuterRef("pk"))
        )
        pupils = _pupils_in_class(params).annotate(done=Exists(acks)).filter(done=False)
        return title, ["Pupil", "Class"], pupils, _pupil_row

    return build


METRICS = {
    "logs-late": _logs(
        lambda now, due: Q(session_log__written_at__gt=models.F("log_due")), "Calls whose session log was written late"
    ),
    "logs-missing": _logs(
        lambda now, due: Q(session_log__isnull=True, ends_at__lt=now - due), "Calls held without a session log"
    ),
    "calls-unconfirmed": calls_unconfirmed,
    "one-to-ones-incomplete": one_to_ones_incomplete,
    "single-staff": single_staff,
    "join-refused": join_refused,
    "emails-failed": emails_failed,
    "consent-never-answered": _consent(Q(current__isnull=True), "Pupils whose consent was never answered"),
    "consent-withdrawn": _consent(Q(current="withdrawn"), "Pupils whose consent is withdrawn"),
    "aup-pupil-missing": _acknowledgement("pupils", "Pupils whose acceptable-use guidance is not acknowledged"),
    "aup-parent-missing": _acknowledgement("parents", "Pupils with no parent/carer acknowledgement of the guidance"),
}


def metric_list(metric, term, params, now):
    """(title, headers, queryset, row function), or None for an unknown metric."""
    build = METRICS.get(metric)
    if build is None:
        return None
    return build(term, params, now)
