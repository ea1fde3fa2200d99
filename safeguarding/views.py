"""Safeguarding pages. Concern pages answer 404 to everyone outside the DSL team (SG-3, GOV-2)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from accounts.permissions import staff_required
from school.models import Pupil, SchoolSettings
from toolkit import summaries
from toolkit.dates import when
from toolkit.forms import MAX_ID, IdField
from toolkit.pagination import page_of
from toolkit.registry import chronology_sections_for

from . import events, policy, selectors, services
from .choices import ConcernKind, EntryKind
from .forms import (
    AbsenceForm,
    ActionForm,
    CloseForm,
    CorrectionForm,
    DashboardFilterForm,
    NoteForm,
    RaiseConcernForm,
    TextForm,
)
from .models import Concern, ConcernAccess, ConcernEntry, DslAbsence, PupilFileExport
from .permissions import (
    dsl_team_required,
    get_concern_for,
    get_pupil_file_for,
    get_receipt_for,
    receipts_of,
    recent_authentication_required,
)


def _ids(values) -> list[int]:
    """Record numbers from a link (?pupil=1&pupil=2); anything else ('²', a 20-digit number) is not one."""
    return [pk for pk in (_id(v) for v in values) if pk is not None]


def _id(value):
    try:
        return IdField().clean(value or None)
    except ValidationError:
        return None


def _source_call_time(user, call_id, now):
    """When the call a concern comes from took place (its start), if this member of staff may see
    the call and it has started; otherwise None."""
    answers = events.source_call_time_asked.send(sender=Concern, user=user, call_id=call_id, now=now)
    return next((starts_at for _, starts_at in answers if starts_at), None)


def _raise_initial(request, now) -> dict:
    """Pre-fill from a call or session log: ?pupil=1&pupil=2&call=7 (the fixed contract).
    "When it happened" defaults to the call's time when the concern comes from a call."""
    initial = {"happened_at": timezone.localtime(now).replace(second=0, microsecond=0)}
    pupil_ids = _ids(request.GET.getlist("pupil"))
    if pupil_ids:
        initial["pupils"] = list(Pupil.objects.on_roll().filter(pk__in=pupil_ids).values_list("pk", flat=True))
    for param, field in (("call", "source_call_id"), ("log", "source_log_id")):
        found = _ids([request.GET.get(param, "")])
        if found:
            initial[field] = found[0]
            initial["kind"] = ConcernKind.SEEN_OR_HEARD
    if initial.get("source_call_id"):
        call_time = _source_call_time(request.user, initial["source_call_id"], now)
        if call_time:
            initial["happened_at"] = timezone.localtime(call_time).replace(second=0, microsecond=0)
    return initial


@staff_required
def raise_concern(request):
    """SG-1: any member of staff raises a concern at once; the DSL is alerted (SG-2)."""
    now = timezone.now()
    form = RaiseConcernForm(request.POST or None, now=now, initial=_raise_initial(request, now))
    if request.method == "POST" and form.is_valid():
        try:
            concern = services.raise_concern(reported_by=request.user, now=now, **form.cleaned_data)
        except services.ConcernError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Your concern has been passed to the Designated Safeguarding Lead.")
            return redirect("safeguarding:receipt", reference=concern.reference)
    return render(request, "safeguarding/raise.html", {"form": form})


@staff_required
def receipt(request, reference):
    """SG-1, SG-3: the reporter's receipt (reference and time) and a way to add more; never the report."""
    concern = get_receipt_for(request.user, reference)
    form = TextForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_further_information(
                concern=concern, added_by=request.user, text=form.cleaned_data["text"], now=timezone.now()
            )
        except services.ConcernError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Thank you. Your further information has been added and the DSL team told.")
            return redirect("safeguarding:receipt", reference=concern.reference)
    added = concern.entries.filter(kind=EntryKind.FURTHER_INFORMATION, recorded_by=request.user).values_list(
        "recorded_at", flat=True
    )
    return render(request, "safeguarding/receipt.html", {"concern": concern, "form": form, "added": list(added)})


@staff_required
def receipts(request):
    """The reporter's own receipts: references and times only."""
    mine = receipts_of(request.user).only("reference", "raised_at").order_by("-raised_at")
    return render(request, "safeguarding/receipts.html", {"receipts": mine})


DASHBOARD_PAGE_SIZE = 20


@dsl_team_required
def dashboard(request):
    """The DSL team's list: new, overdue, acknowledged and open concerns with their ages."""
    # Drawn once per data version and minute, kept encrypted (toolkit/summaries.py).
    return summaries.render(request, "safeguarding/dashboard.html", lambda: _dashboard_context(request), name="dsl")


def _dashboard_context(request) -> dict:
    now = timezone.now()
    ack_minutes = SchoolSettings.load().concern_ack_minutes
    counts = selectors.counts(now=now, ack_minutes=ack_minutes)
    concerns = Concern.objects.all()
    form = DashboardFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["pupil"]:
            concerns = selectors.about_pupil(concerns, data["pupil"])
        if data["name"].strip():
            concerns = selectors.about_pupils_named(concerns, data["name"])
        if data["kind"]:
            concerns = concerns.filter(kind=data["kind"])
        concerns = selectors.filter_state(concerns, data["state"], now=now, ack_minutes=ack_minutes)
    page = page_of(request, selectors.for_list(concerns), DASHBOARD_PAGE_SIZE)
    urls = {"concern": _url_with_id("safeguarding:concern"), "pupil": _url_with_id("safeguarding:chronology")}
    rows = [_row(c, now=now, ack_minutes=ack_minutes, urls=urls) for c in page]
    return {"form": form, "rows": rows, "page": page, "counts": counts}


def _url_with_id(name):
    """reverse() once for a URL taking one id, then fill in each row's id: a {% url %} per row
    and per pupil was a tenth of the dashboard's time."""
    head, _, tail = reverse(name, args=[MAX_ID]).partition(str(MAX_ID))
    return lambda pk: f"{head}{pk}{tail}"


def _row(concern, *, now, ack_minutes, urls) -> dict:
    state = selectors.state_of(concern, now=now, ack_minutes=ack_minutes)
    return {
        "concern": concern,
        "url": urls["concern"](concern.pk),
        "pupils": [(p.full_name, urls["pupil"](p.pk)) for p in concern.pupils.all()],
        "state": state,
        "state_label": selectors.State.LABELS[state],
        "age": policy.age_label(since=concern.raised_at, now=now),
        "acknowledged_after": policy.age_label(since=concern.raised_at, now=concern.acknowledged_at)
        if concern.acknowledged_at
        else "",
    }


ENTRY_FORMS = {"note": NoteForm, "action": ActionForm, "close": CloseForm}


def _entry_forms(request) -> dict:
    posted = request.POST.get("form") if request.method == "POST" else None
    return {name: cls(request.POST if name == posted else None, prefix=name) for name, cls in ENTRY_FORMS.items()}


def _save_entry(request, concern, now, forms) -> bool:
    """Apply the one posted chronology form; False (with errors on the form) when refused."""
    posted = request.POST.get("form")
    by = request.user
    try:
        if posted == "acknowledge":
            services.acknowledge(concern=concern, by=by, now=now)
            return True
        form = forms.get(posted)
        if form is None or not form.is_valid():
            return False
        data = form.cleaned_data
        if posted == "note":
            services.add_note(concern=concern, by=by, text=data["text"], now=now)
        elif posted == "action":
            refusal = policy.action_time_refusal(happened_at=data["happened_at"], now=now)
            if refusal:
                form.add_error("happened_at", refusal)
                return False
            services.record_action(
                concern=concern, by=by, action=data["action"], text=data["text"], now=now, happened_at=data["happened_at"]
            )
        else:
            services.close_concern(concern=concern, by=by, outcome=data["outcome"], text=data["text"], now=now)
        return True
    except services.ConcernError as e:
        if posted in forms:
            forms[posted].add_error(None, str(e))
        else:
            messages.error(request, str(e))
        return False


# The page shows the latest reads; the access log, filtered to the concern, has them all.
ACCESSES_SHOWN = 20


@dsl_team_required
@recent_authentication_required
def concern_detail(request, concern_id):
    """SG-3, SG-4: the DSL team reads a concern (the read is recorded) and adds to its chronology."""
    # What the page shows of the concern (its state, reporter, reads) is read with it when the page
    # is drawn; a request served the kept page only needs to know the DSL team may open it.
    prepare = selectors.for_detail if request.method == "POST" else None
    concern = get_concern_for(request.user, concern_id, prepare=prepare)
    now = timezone.now()
    if request.method == "POST":
        forms = _entry_forms(request)
        if _save_entry(request, concern, now, forms):
            messages.success(request, "Added to the chronology.")
            return redirect("safeguarding:concern", concern_id=concern.pk)
        services.record_access(concern=concern, user=request.user, now=now)
        # The forms came back with problems: drawn as typed.
        return render(request, "safeguarding/concern.html", _concern_context(request, concern, now, forms))
    # Every reading is recorded (here, on every request) and the access record is drawn live; the
    # rest of the page, its empty forms included, is kept for the data version (toolkit/summaries.py).
    services.record_access(concern=concern, user=request.user, now=now)
    return summaries.render(
        request,
        "safeguarding/concern.html",
        lambda: _concern_context(request, _for_detail(concern), now, _entry_forms(request), live_access_record=True),
        name="concern",
        live={"access_record": lambda: _access_record(request, concern)},
    )


def _concern_context(request, concern, now, forms, *, live_access_record=False) -> dict:
    ack_minutes = SchoolSettings.load().concern_ack_minutes
    return {
        "concern": concern,
        "state": concern,
        "state_label": selectors.State.LABELS[selectors.state_of(concern, now=now, ack_minutes=ack_minutes)],
        "pupils": concern.pupils.select_related("school_class"),
        "entries": selectors.chronology_of(concern),
        "access_record": summaries.live_part("access_record") if live_access_record else _access_record(request, concern),
        "alerts": concern.alerts.select_related("recipient"),
        "forms": forms,
    }


READS_COUNTED = 1000


def _for_detail(concern) -> Concern:
    return selectors.for_detail(Concern.objects.filter(pk=concern.pk)).get()


def _access_record(request, concern) -> str:
    """The latest reads, this one included (it is recorded before the page is drawn). Drawn on
    every request, so its rows are written here rather than by the template engine (a tenth of
    the time for twenty rows)."""
    accesses = list(selectors.latest_accesses(concern, ACCESSES_SHOWN, counted_up_to=READS_COUNTED))
    count = accesses[0].reads if accesses else 0
    rows = format_html_join(
        "",
        "<tr><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
        ((a.user, a.user.email, when(a.at, "seconds"), a.get_purpose_display()) for a in accesses),
    )
    context = {"concern": concern, "accesses": accesses, "access_count": count, "reads_counted": READS_COUNTED, "rows": rows}
    # Without the request: the part needs none of the context processors (menus, messages).
    return render_to_string("safeguarding/_access_record.html", context)


@dsl_team_required
@recent_authentication_required
def correct_entry(request, concern_id, entry_id):
    """SG-4: a correction is a new entry pointing at the old one, which stays as it was."""
    concern = get_concern_for(request.user, concern_id)
    entry = get_object_or_404(ConcernEntry.objects.select_related("recorded_by"), pk=entry_id, concern=concern)
    now = timezone.now()
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_entry(entry=entry, by=request.user, text=form.cleaned_data["text"], now=now)
        except services.ConcernError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Correction added to the chronology.")
            return redirect("safeguarding:concern", concern_id=concern.pk)
    services.record_access(concern=concern, user=request.user, now=now)
    return render(request, "safeguarding/correct.html", {"concern": concern, "entry": entry, "form": form})


CHRONOLOGY_PAGE_SIZE = 50


@dsl_team_required
@recent_authentication_required
def pupil_chronology(request, pupil_id):
    """SG-4: everything about one pupil's safeguarding, in date order, a page at a time (each
    concern shown is recorded as read, SG-3)."""
    pupil = get_pupil_file_for(request.user, pupil_id)
    page = page_of(request, selectors.chronology_events(pupil), CHRONOLOGY_PAGE_SIZE)
    # Every reading is recorded (SG-3), on every request; only the drawing of the page is kept
    # for the data version (toolkit/summaries.py), and the record does not move that version.
    services.record_chronology_reading(events=page.object_list, user=request.user, now=timezone.now())

    def context():
        exports = PupilFileExport.objects.filter(pupil=pupil).select_related("exported_by")
        # Issue 16: the DSL team's own follow-up contacts belong with the pupil's safeguarding story;
        # session logs sit above safeguarding, so they add them as a section.
        sections = chronology_sections_for(request, pupil, timezone.now())
        events = selectors.chronology_timeline(page.object_list)
        return {"pupil": pupil, "events": events, "page": page, "exports": exports, "sections": sections}

    return summaries.render(request, "safeguarding/chronology.html", context, name="chronology")


@dsl_team_required
@require_POST
@recent_authentication_required
def export_pupil_file(request, pupil_id):
    """Transfer: the pupil's safeguarding file as a PDF; the export is recorded."""
    pupil = get_pupil_file_for(request.user, pupil_id)
    now = timezone.now()
    pdf = services.export_pupil_file(pupil=pupil, by=request.user, now=now)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="safeguarding-file-{pupil.mis_id}-{now:%Y%m%d}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@dsl_team_required
def availability(request):
    """SG-2: the DSL marks when they are unavailable, so new concerns go to the deputy DSLs."""
    now = timezone.now()
    starts = timezone.localtime(now).replace(second=0, microsecond=0)
    form = AbsenceForm(request.POST or None, initial={"user": request.user.pk, "starts_at": starts})
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_unavailable(recorded_by=request.user, now=now, **form.cleaned_data)
        except services.ConcernError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Unavailability recorded. New concerns in that time go to the deputy DSLs.")
            return redirect("safeguarding:availability")
    periods = DslAbsence.objects.filter(ends_at__gt=now).select_related("user").order_by("starts_at")
    return render(request, "safeguarding/availability.html", {"form": form, "periods": periods, "now": now})


@dsl_team_required
@require_POST
def end_availability(request, absence_id):
    absence = get_object_or_404(DslAbsence, pk=absence_id)
    services.end_unavailability(absence=absence, by=request.user, now=timezone.now())
    messages.success(request, "That period of unavailability has ended.")
    return redirect("safeguarding:availability")


@dsl_team_required
def access_log(request):
    """SG-3: every read of every concern (or of one, ?concern=<id>), newest first, for the DSL team."""
    rows = ConcernAccess.objects.select_related("user", "concern").only(
        "at", "purpose", "concern__reference", "user__first_name", "user__last_name", "user__email"
    )
    concern_id = _ids([request.GET.get("concern", "")])
    if request.GET.get("concern") and not concern_id:
        raise Http404("No such concern.")  # a hand-edited ?concern= is not quietly widened to every read
    if concern_id:
        rows = rows.filter(concern_id=concern_id[0])
    page = page_of(request, rows.order_by("-at", "-pk"), 100)
    return render(request, "safeguarding/access_log.html", {"page": page, "one_concern": bool(concern_id)})
