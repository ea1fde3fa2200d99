"""Session-log and welfare-contact pages. Each view: load through permissions -> form -> one service call."""

from urllib.parse import urlencode

from django.contrib import messages
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import is_leadership
from accounts.reauth import recent_authentication_required
from calls.platform_settings import REQUIRED
from safeguarding.permissions import concerns_visible_to, receipts_of
from school.models import SchoolSettings
from toolkit import summaries
from toolkit.csv import streamed_csv_response
from toolkit.pagination import requested_page

from . import permissions, policy, selectors, services
from .choices import Attendance
from .forms import AnnotationForm, ContactPreferenceForm, SessionLogForm, WelfareContactForm
from .models import ContactPreference, SessionLog
from .permissions import staff_only

SHOWN = 50


@staff_only
def index(request):
    """LOG-4: the logs I still have to write; for the head and deputy, every log past the deadline."""
    return summaries.render(request, "sessionlogs/index.html", lambda: _index_context(request), name="session logs")


def _index_context(request) -> dict:
    now = timezone.now()
    deadline_hours = SchoolSettings.load().session_log_deadline_hours
    return {
        "to_write": selectors.logs_to_write_for(request.user, now).select_related("host").order_by("ends_at")[:SHOWN],
        "overdue": (
            selectors.missing_past_deadline(now, deadline_hours).select_related("host").order_by("ends_at")[:SHOWN]
            if is_leadership(request.user)
            else None
        ),
        "recent": permissions.logs_visible_to(request.user).select_related("call", "author").order_by("-started_at")[:20],
        "deadline_hours": deadline_hours,
    }


def _concern_url(call, log, pupil_ids) -> str:
    # SG-1: pre-select the pupil only when there was one; otherwise the reporter chooses.
    pupil_ids = list(pupil_ids) if len(pupil_ids) == 1 else []
    query = [("call", call.pk)] + ([("log", log.pk)] if log else []) + [("pupil", pk) for pk in pupil_ids]
    return f"{reverse('safeguarding:raise')}?{urlencode(query)}"


def _linked_concerns(user, call) -> dict:
    """LOG-3: concerns raised from this call. The DSL team sees them all; a reporter their receipts."""
    return {
        "dsl": list(concerns_visible_to(user).filter(source_call_id=call.pk).only("pk", "reference", "raised_at")),
        "mine": list(receipts_of(user).filter(source_call_id=call.pk).only("reference", "raised_at")),
    }


def _log_form(request, call, pupils, *, log=None):
    if log is not None:
        attendance = dict(log.pupils.values_list("pupil_id", "outcome"))
        content = {name: getattr(log, name) for name in services.LogInput.__dataclass_fields__ if name != "attendance"}
    else:
        prefill = selectors.prefill_for(call, pupils)
        attendance = {pk: outcome for pk, (outcome, _) in prefill.attendance.items()}
        content = {"started_at": prefill.started_at, "ended_at": prefill.ended_at, "checklist_items": prefill.checklist_items}
        if call.second_staff_id:
            content["second_staff_present"] = True
    initial = SessionLogForm.initial_from(attendance=attendance, **content)
    form = SessionLogForm(request.POST or None, call=call, pupils=pupils, correcting=log is not None, initial=initial)
    form.from_platform = log is None and prefill.from_platform
    return form


# The "Mark all as joined" button: without JavaScript it posts the form back with every pupil set
# to the one answer (nothing saved, nothing typed lost); static/js/forms.js does it in the page.
MARK_ALL = "mark_all"


def _marked_all(request, call, pupils, outcome):
    data = request.POST.copy()
    if outcome in Attendance.values:
        for pupil in pupils:
            data[f"pupil_{pupil.pk}"] = outcome
    data.pop(MARK_ALL)
    form = SessionLogForm(data, call=call, pupils=pupils, correcting=False)
    form._errors = ErrorDict()  # shown back for checking, not yet validated: no errors to show
    form.from_platform = False
    return form


def _refused(form, error, aliases=None) -> None:
    """Each problem next to its field (a service's field name may differ from the form's)."""
    for name, problem in getattr(error, "problems", {None: str(error)}).items():
        name = (aliases or {}).get(name, name)
        form.add_error(name if name in form.fields else None, problem)


@staff_only
def call_log(request, call_id):
    """LOG-1..LOG-3: the call's log, or the form to write it (pre-filled from the join gateway)."""
    call = permissions.get_call_for_log(request.user, call_id)
    log = SessionLog.objects.filter(call=call).select_related("author").first()
    if log is not None:
        return _show_log(request, call, log)
    now = timezone.now()
    pupils = selectors.invited_pupils(call)
    may_write = permissions.may_write_log(request.user, call)
    decision = policy.may_write_log(status=call.status, starts_at=call.starts_at, now=now, has_log=False)
    form = _log_form(request, call, pupils) if may_write and decision.allowed else None
    if form is not None and request.method == "POST" and MARK_ALL in request.POST:
        form = _marked_all(request, call, pupils, request.POST[MARK_ALL])
    elif form is not None and request.method == "POST" and form.is_valid():
        try:
            services.write_session_log(call=call, written_by=request.user, now=now, content=form.to_input())
        except services.LogError as error:
            _refused(form, error)
        else:
            messages.success(request, "Session log saved. The call is marked as held.")
            return redirect("sessionlogs:call_log", call_id=call.pk)
    context = {
        "call": call,
        "form": form,
        "pupils": pupils,
        "refusal": decision.reason if may_write else "",
        "call_page": permissions.may_open_call_page(request.user, call),
        "concern_url": _concern_url(call, None, [p.pk for p in pupils]),
        "concerns": _linked_concerns(request.user, call),
    }
    return render(request, "sessionlogs/write.html", context)


def _show_log(request, call, log):
    now = timezone.now()
    window = SchoolSettings.load().log_correction_window_hours
    attendance = list(log.pupils.select_related("pupil"))
    context = {
        "call": call,
        "log": log,
        "attendance": attendance,
        "call_page": permissions.may_open_call_page(request.user, call),
        "checklist": [(item.label, item.key in log.checklist_items) for item in REQUIRED],
        "versions": log.versions.select_related("written_by").order_by("-number"),
        "annotations": log.annotations.select_related("written_by"),
        "may_correct": policy.may_correct(
            user_id=request.user.pk, author_id=log.author_id, written_at=log.written_at, now=now, window_hours=window
        ).allowed,
        "correct_until": policy.correction_closes_at(written_at=log.written_at, window_hours=window),
        "annotate_form": AnnotationForm()
        if policy.may_annotate(
            is_head=permissions.is_head(request.user), written_at=log.written_at, now=now, window_hours=window
        ).allowed
        else None,
        "concern_url": _concern_url(call, log, [row.pupil_id for row in attendance if row.outcome == "admitted"]),
        "concerns": _linked_concerns(request.user, call),
    }
    return render(request, "sessionlogs/log.html", context)


@staff_only
def correct(request, call_id):
    """GOV-3: the author corrects the log within the window; the earlier version is kept."""
    call = permissions.get_call_for_log(request.user, call_id)
    log = SessionLog.objects.filter(call=call).first()
    if log is None:
        raise Http404
    window = SchoolSettings.load().log_correction_window_hours
    decision = policy.may_correct(
        user_id=request.user.pk, author_id=log.author_id, written_at=log.written_at, now=timezone.now(), window_hours=window
    )
    if not decision.allowed:
        messages.error(request, decision.reason)
        return redirect("sessionlogs:call_log", call_id=call.pk)
    pupils = [row.pupil for row in log.pupils.select_related("pupil")]
    form = _log_form(request, call, pupils, log=log)
    if request.method == "POST" and form.is_valid():
        try:
            content, reason = form.to_input(), form.cleaned_data["reason"]
            services.correct_session_log(log=log, corrected_by=request.user, now=timezone.now(), content=content, reason=reason)
        except services.LogError as error:
            _refused(form, error)
        else:
            messages.success(request, "Correction saved. The earlier version is kept in the log's history.")
            return redirect("sessionlogs:call_log", call_id=call.pk)
    context = {"call": call, "log": log, "form": form, "call_page": permissions.may_open_call_page(request.user, call)}
    return render(request, "sessionlogs/correct.html", context)


@require_POST
@staff_only
def annotate(request, call_id):
    """GOV-3: the headteacher adds a note once the log can no longer be corrected."""
    call = permissions.get_call_for_log(request.user, call_id)
    log = SessionLog.objects.filter(call=call).first()
    if log is None:
        raise Http404
    form = AnnotationForm(request.POST)
    if form.is_valid():
        try:
            services.annotate_session_log(log=log, annotated_by=request.user, now=timezone.now(), text=form.cleaned_data["text"])
        except services.LogError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Note added to the log.")
    else:
        messages.error(request, "Write the note to add.")
    return redirect("sessionlogs:call_log", call_id=call.pk)


# --- pupils: contact history, welfare contacts, contact preference ---------------------------------------


@staff_only
def pupil_history(request, pupil_id):
    """A pupil's calls, session logs and welfare contacts, newest first, a page at a time (staff
    entitled to the pupil). The CSV holds the whole history."""
    pupil = permissions.get_pupil_for_staff(request.user, pupil_id)

    def context():
        page, entries = selectors.contact_history_page(
            pupil,
            timezone.now(),
            requested_page(request),
            include_follow_ups=permissions.sees_safeguarding_follow_ups(request.user),
        )
        preference = ContactPreference.objects.filter(pupil=pupil).select_related("updated_by").first()
        return {"pupil": pupil, "page": page, "entries": entries, "preference": preference}

    return summaries.render(request, "sessionlogs/pupil_history.html", context, name="contact history")


@staff_only
@recent_authentication_required  # exports carry children's data: a recent sign-in first
def pupil_history_csv(request, pupil_id):
    """The same history as a spreadsheet; cells that would run as formulas are neutralised (toolkit.csv)."""
    pupil = permissions.get_pupil_for_staff(request.user, pupil_id)
    header = ["Date", "Time (UK)", "Kind", "What", "Staff", "Outcome", "Length (minutes)", "Details"]
    rows = (
        [
            timezone.localtime(e.at).strftime("%d/%m/%Y"),
            timezone.localtime(e.at).strftime("%H:%M"),
            e.kind,
            e.title,
            e.staff,
            e.outcome,
            "" if e.minutes is None else e.minutes,
            e.details,
        ]
        for e in selectors.contact_history(
            pupil, timezone.now(), include_follow_ups=permissions.sees_safeguarding_follow_ups(request.user)
        )
    )
    return streamed_csv_response(f"contact-history-{pupil.mis_id}.csv", header, rows)


@staff_only
def new_welfare_contact(request, pupil_id):
    """LOG-5, CALL-1: log a phone call or home visit to the family."""
    pupil = permissions.get_pupil_for_staff(request.user, pupil_id)
    may_follow_up = permissions.may_mark_safeguarding_follow_up(request.user)
    initial = {"staff": request.user.pk, "contacted_on": timezone.localdate(), "duration_minutes": 10}
    form = WelfareContactForm(request.POST or None, pupil=pupil, may_mark_follow_up=may_follow_up, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_welfare_contact(pupil=pupil, recorded_by=request.user, now=timezone.now(), **form.service_kwargs())
        except services.LogError as error:
            _refused(form, error, aliases={"contacted_at": "contacted_time"})
        else:
            messages.success(request, "Welfare contact logged.")
            return redirect("sessionlogs:pupil_history", pupil_id=pupil.pk)
    preference = ContactPreference.objects.filter(pupil=pupil).first()
    return render(request, "sessionlogs/welfare_form.html", {"pupil": pupil, "form": form, "preference": preference})


@staff_only
def contact_preference(request, pupil_id):
    """Note which way of checking in suits this child."""
    pupil = permissions.get_pupil_for_staff(request.user, pupil_id)
    current = ContactPreference.objects.filter(pupil=pupil).first()
    initial = {"method": current.method, "notes": current.notes} if current else {}
    form = ContactPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.set_contact_preference(pupil=pupil, set_by=request.user, now=timezone.now(), **form.cleaned_data)
        messages.success(request, "Contact preference saved.")
        return redirect("sessionlogs:pupil_history", pupil_id=pupil.pk)
    return render(request, "sessionlogs/preference_form.html", {"pupil": pupil, "form": form})
