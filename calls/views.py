"""Staff pages: book, list, approve, and the call page. Load via permissions -> form -> one service."""

from django.contrib import messages
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.choices import LEADERSHIP
from accounts.permissions import is_leadership, role_required, staff_required
from school.models import SchoolSettings
from school.permissions import classes_visible_to, pupils_visible_to
from toolkit import summaries
from toolkit.registry import call_sections_for

from . import gateway, meetings, permissions, services
from .choices import CallStatus
from .emails import dsl_contacts
from .forms import BookingForm, CallFilterForm, ChangeTimeForm, DecisionForm, MeetingDetailsForm, ReasonForm
from .models import CallInvitation
from .pagination import page_of
from .platform_settings import applied_by, recording_item_label, settings_for
from .policy import host_start_refusal, is_single_staffed
from .services import booking, join_details, one_to_ones

PAGE_SIZE = 20
# Each approval is a card with its own decision form: ten make a page that is quick to read and to serve.
APPROVALS_PAGE_SIZE = 10


def _page(request, queryset, size=PAGE_SIZE):
    return page_of(request, queryset, size)


def _with_list_columns(queryset):
    """Everything a list row shows, in a fixed number of queries whatever the number of calls.

    The pupil count is a correlated subquery, worked out for the page's rows only: a Count over a
    join would make the paginator's COUNT and the page query aggregate every matching call.
    """
    invited = (
        CallInvitation.objects.filter(call=OuterRef("pk"), removed_at__isnull=True)
        .order_by()
        .values("call")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.select_related("host", "second_staff", "school_class").annotate(invitee_count=Coalesce(Subquery(invited), 0))


# What a row of the list shows (list.html): twenty rows of whole calls and people cost more to build.
LIST_COLUMNS = (
    "starts_at",
    "title",
    "kind",
    "platform",
    "status",
    "school_class__name",
    "host__first_name",
    "host__last_name",
    "host__email",
    "second_staff__first_name",
    "second_staff__last_name",
    "second_staff__email",
)


@staff_required
def call_list(request):
    """Staff see their calls; the head and deputy see every call, filterable (CALL-2 flag shown)."""
    now = timezone.now()
    form = CallFilterForm(request.GET or None)
    calls = permissions.calls_visible_to(request.user)
    if form.is_valid():
        data = form.cleaned_data
        calls = calls.filter(**{k: data[k] for k in ("status", "kind", "host") if data[k]})
        if data["single_staff"]:
            calls = calls.filter(kind="group", second_staff__isnull=True)
        if not data["past"]:
            calls = calls.not_ended(now)
    else:
        calls = calls.not_ended(now)
    rows = _with_list_columns(calls).only(*LIST_COLUMNS).order_by("starts_at", "pk")
    return summaries.render(
        request,
        "calls/list.html",
        lambda: {"page": _page(request, rows), "form": form, "everyone": is_leadership(request.user)},
        name="call list",
    )


@role_required(*LEADERSHIP)
def approvals(request, failed=None):
    """CALL-4: one-to-ones the parent agreed to, waiting for the head or deputy.
    `failed` is a decision form that came back with problems: it is shown on its own call, as typed."""
    queue = (
        _with_list_columns(permissions.approvals_queue_for(request.user))
        .select_related("booked_by")
        .prefetch_related(
            Prefetch(
                "invitations",
                CallInvitation.objects.filter(removed_at__isnull=True).select_related("pupil"),
                to_attr="active_invitations",
            )
        )
        .order_by("starts_at")
    )

    def context():
        page = _page(request, queue, APPROVALS_PAGE_SIZE)
        for call in page.object_list:
            call.decision_form = failed if failed and failed.call_id == call.pk else DecisionForm(auto_id=f"call-{call.pk}-%s")
        return {"page": page, "form": failed}

    return summaries.render(request, "calls/approvals.html", context, name="approvals")


@require_POST
@role_required(*LEADERSHIP)
def decide(request, call_id):
    call = permissions.get_call_for_staff(request.user, call_id)
    form = DecisionForm(request.POST, auto_id=f"call-{call.pk}-%s")
    form.call_id = call.pk
    if form.is_valid():
        action = one_to_ones.approve_call if form.cleaned_data["decision"] == "approve" else one_to_ones.decline_call
        try:
            action(call=call, approver=request.user, now=timezone.now(), reason=form.cleaned_data["reason"])
        except services.CallError as error:
            if form.cleaned_data["decision"] != "decline" or form.cleaned_data["reason"].strip():
                # Not about what was typed (already decided, or not yours to decide): said at the top.
                messages.error(request, str(error))
                return redirect("calls:approvals")
            form.add_error("reason", str(error))
        else:
            messages.success(request, f"Your decision on “{call.title}” is recorded.")
            return redirect("calls:approvals")
    # Shown again with the decision and reason as typed (nothing lost).
    return approvals(request, failed=form)


@staff_required
def book(request):
    """Any member of staff books a group lesson or a one-to-one."""

    def booking_form():
        return BookingForm(
            request.POST or None,
            initial={"host": request.user},
            pupils=pupils_visible_to(request.user),
            classes=classes_visible_to(request.user),
        )

    if request.method != "POST":  # the empty form is drawn once per data version (toolkit/summaries.py)
        return summaries.render(request, "calls/book.html", lambda: _booking_context(booking_form()), name="booking form")
    form = booking_form()
    if not form.is_valid():
        _show_problems(form, _problems_so_far(form, timezone.now()))
    else:
        data = form.cleaned_data
        try:
            call = booking.book_call(
                booked_by=request.user,
                now=timezone.now(),
                kind=data["kind"],
                title=data["title"],
                activity=data["activity"],
                platform=data["platform"],
                starts_at=form.starts_at(),
                duration_minutes=data["duration_minutes"],
                host=data["host"],
                second_staff=data["second_staff"],
                single_staff_reason=data["single_staff_reason"],
                record=data["record"],
                pupil_ids=form.invited_pupil_ids(),
                school_class=data["school_class"],
                meeting_url=data["meeting_url"],
                passcode=data["passcode"],
            )
        except services.BookingRefused as refused:
            _show_problems(form, refused.problems)
        except services.CallError as error:
            form.add_error(None, str(error))
        else:
            left_out = call.invitations.filter(removed_at__isnull=False).count()
            note = f" {left_out} pupil{'s' if left_out != 1 else ''} left out: no consent for video calls." if left_out else ""
            messages.success(request, f"“{call.title}” is booked: {call.get_status_display().lower()}.{note}")
            return redirect("calls:detail", call_id=call.pk)
    return render(request, "calls/book.html", _booking_context(form))


def _booking_context(form) -> dict:
    return {"form": form, "min_notice_hours": SchoolSettings.load().min_booking_notice_hours}


# Rules about the start answer next to the date field; the rest next to their own field.
FIELD_FOR_PROBLEM = {"starts_at": "date"}


def _show_problems(form, problems):
    for field, problem in problems.items():
        name = FIELD_FOR_PROBLEM.get(field, field)
        form.add_error(name if name in form.fields else None, problem)


# The booking rules and the fields each needs read first; a rule waits for its own fields only.
RULE_NEEDS = {
    "starts_at": ("date", "start_time", "duration_minutes"),
    "duration_minutes": ("date", "start_time", "duration_minutes"),
    "second_staff": ("kind", "host", "second_staff", "single_staff_reason"),
    "pupils": ("kind", "school_class", "pupils"),
    "record": ("record", "school_class", "pupils"),
}


def _problems_so_far(form, now) -> dict[str, str]:
    """Issue 19, all errors in one pass: a booking form with mistakes in some fields is still
    checked against the booking rules (the clash naming the other call, the notice, school hours)
    wherever the fields a rule needs were read, so the person sees every problem at once. The
    service applies the same rules again when the form is sent without mistakes."""
    data = form.cleaned_data
    if not all(name in data for name in RULE_NEEDS["starts_at"]):
        return {}
    problems = booking.booking_problems(
        now=now,
        kind=data.get("kind"),
        starts_at=form.starts_at(),
        duration_minutes=data["duration_minutes"],
        host=data.get("host"),
        second_staff=data.get("second_staff"),
        single_staff_reason=data.get("single_staff_reason", ""),
        record=data.get("record", False),
        invitees=booking.Invitees.load(form.invited_pupil_ids()),
    )
    return {
        rule: problem
        for rule, problem in problems.items()
        if all(name in data for name in RULE_NEEDS.get(rule, ())) and not form.has_error(FIELD_FOR_PROBLEM.get(rule, rule))
    }


def raise_concern_url(call, pupil_ids) -> str:
    """CALL-7, SG-1: the safeguarding form, pre-filled with this call and its pupils."""
    base = reverse("safeguarding:raise")
    # SG-1: the pupil is pre-selected only when the call had one; from a group lesson the
    # reporter chooses who the concern is about (pre-selecting the whole class misleads).
    pupil_ids = list(pupil_ids) if len(pupil_ids) == 1 else []
    query = "&".join([f"call={call.pk}", *(f"pupil={pk}" for pk in pupil_ids)])
    return f"{base}?{query}"


def _checklist(call, applied: bool) -> list[dict]:
    """CALL-6: each required setting with its tick, or (on a configured BigBlueButton) how the platform applies it."""
    by_platform = applied_by(call.platform) if applied else {}
    # What the platform cannot apply stays the host's to tick (every item when nothing is applied).
    ticks = {t.item: t for t in call.checklist_ticks.select_related("ticked_by") if t.item not in by_platform}
    return [
        {
            "item": s,
            "label": recording_item_label(call.record) if s.key == "recording_off" else s.label,
            "tick": ticks.get(s.key),
            "applied": by_platform.get(s.key, ""),
        }
        for s in settings_for(call.platform)
    ]


def _platform_context(request, call, now) -> dict:
    """CALL-6 on a platform that applies the settings: the host's start button and any drift.

    The live meeting is read back only while it can exist (from the join window to the booked end),
    so the page asks nothing of the platform on other days.
    """
    applied = meetings.platform_applies_settings(call)
    if not applied:
        return {"applied_by_platform": False, "may_start": False, "drift": []}
    live = _meeting_may_be_live(call, now)
    return {
        "applied_by_platform": True,
        # Teams, Meet, Zoom: whether the meeting exists yet (the host and the head see a failure).
        "platform_meeting_status": meetings.platform_meeting_status(call),
        "may_start": permissions.may_start_as_host(request.user, call)
        and call.status == CallStatus.SCHEDULED
        and call.ends_at > now,
        "drift": meetings.drift_for_call(call) if live else [],
    }


def _meeting_may_be_live(call, now) -> bool:
    """From the join window before the start to the booked end (the host may start it then)."""
    window = SchoolSettings.load().join_window_minutes
    refusal = host_start_refusal(
        now=now, starts_at=call.starts_at, ends_at=call.ends_at, window_minutes=window, status=call.status
    )
    return refusal is None


@staff_required
def detail(request, call_id):
    """CALL-6, CALL-7: the staff page for one call."""
    call = permissions.get_call_for_staff(request.user, call_id)
    # While the meeting can be live, the page reads its settings back from the platform (drift):
    # that is not in the database, so the page is drawn afresh each time then.
    live = gateway.platform_applies_settings(call) and _meeting_may_be_live(call, timezone.now())
    return summaries.render(request, "calls/detail.html", lambda: _detail_context(request, call), name="call", fresh=live)


def _detail_context(request, call) -> dict:
    invitations = call.invitations.select_related("pupil").order_by("pupil__last_name", "pupil__first_name")
    active = [i for i in invitations if i.removed_at is None]
    platform = _platform_context(request, call, timezone.now())
    return {
        "call": call,
        # LOG-1: once a call has started its staff are pointed at the session log (sessionlogs adds it).
        "sections": call_sections_for(request, call, timezone.now()),
        "invited": active,
        "removed": [i for i in invitations if i.removed_at is not None],
        "checklist": _checklist(call, platform["applied_by_platform"]),
        **platform,
        "may_tick": permissions.may_tick_checklist(request.user, call),
        "may_manage": permissions.may_manage(request.user, call),
        "show_meeting": permissions.may_see_meeting_details(request.user, call),
        "single_staffed": is_single_staffed(kind=call.kind, second_staff_id=call.second_staff_id),
        "dsl_contacts": dsl_contacts(),
        "concern_url": raise_concern_url(call, [i.pupil_id for i in active]),
        "agreements": call.agreements.select_related("guardian"),
        "approvals": call.approvals.select_related("approver"),
        "attempts": call.join_attempts.select_related("link__guardian", "link__pupil")[:50],
        # Issue 16: links held by one browser, which the call's staff can replace for the family.
        "held_links": call.join_links.active().exclude(held_by="").select_related("guardian", "pupil"),
        "meeting_form": MeetingDetailsForm(initial={"meeting_url": call.meeting_url, "passcode": call.passcode}),
    }


@never_cache
@require_POST
@staff_required
def start_as_host(request, call_id):
    """CALL-6: the host or second member of staff enters a BigBlueButton call as a moderator.

    The link is built at this click (it is a bearer credential: never stored or shown on a page).
    Anyone else, and any call whose platform does not apply the settings, gets the same 404.
    """
    call = permissions.get_call_for_staff(request.user, call_id)
    if not permissions.may_start_as_host(request.user, call) or not meetings.platform_applies_settings(call):
        raise Http404
    try:
        url = gateway.host_join_link(call=call, user=request.user, now=timezone.now())
    except services.CallError as error:
        messages.error(request, str(error))
        return redirect("calls:detail", call_id=call.pk)
    return redirect(url)


def _managed_call(request, call_id):
    call = permissions.get_call_for_staff(request.user, call_id)
    if not permissions.may_manage(request.user, call):
        raise Http404
    return call


@require_POST
@staff_required
def tick(request, call_id):
    """CALL-6: the host ticks (or unticks) one platform setting."""
    call = permissions.get_call_for_staff(request.user, call_id)
    try:
        booking.tick_checklist(
            call=call,
            item=request.POST.get("item", ""),
            ticked_by=request.user,
            now=timezone.now(),
            ticked=request.POST.get("ticked") == "1",
        )
    except services.CallError as error:
        messages.error(request, str(error))
    return redirect(f"{reverse('calls:detail', args=[call.pk])}#checklist")


@require_POST
@staff_required
def new_join_link(request, call_id):
    """Issue 16: send a family a new join link (their old one is held by another browser)."""
    call = permissions.get_call_for_staff(request.user, call_id)
    link_id = request.POST.get("link", "")
    link = call.join_links.active().filter(pk=int(link_id)).first() if link_id.isdigit() else None
    if link is None:
        messages.error(request, "Choose one of this call's join links.")
        return redirect(f"{reverse('calls:detail', args=[call.pk])}#attempts-heading")
    try:
        join_details.send_new_join_link(link=link, sent_by=request.user, now=timezone.now())
    except services.CallError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"A new join link is on its way to {link.guardian} for {link.pupil.full_name}; the old one no longer works."
        )
    return redirect(f"{reverse('calls:detail', args=[call.pk])}#attempts-heading")


@require_POST
@staff_required
def meeting_details(request, call_id):
    call = _managed_call(request, call_id)
    if not permissions.may_see_meeting_details(request.user, call):
        raise Http404
    form = MeetingDetailsForm(request.POST)
    if form.is_valid():
        booking.set_meeting_details(call=call, changed_by=request.user, **form.cleaned_data)
        messages.success(request, "Meeting details saved.")
    else:
        messages.error(request, "Enter a full web address for the meeting link, starting https://.")
    return redirect("calls:detail", call_id=call.pk)


@staff_required
def change_time(request, call_id):
    """CALL-5, COM-2: move a call; families are told, and a one-to-one is agreed and approved again."""
    call = _managed_call(request, call_id)
    form = ChangeTimeForm(request.POST or None, initial={"duration_minutes": call.duration_minutes})
    if request.method == "POST" and form.is_valid():
        try:
            booking.change_call_time(
                call=call,
                changed_by=request.user,
                now=timezone.now(),
                starts_at=form.starts_at(),
                duration_minutes=form.cleaned_data["duration_minutes"],
            )
        except services.BookingRefused as refused:
            _show_problems(form, {k: v for k, v in refused.problems.items() if k in ("starts_at", "duration_minutes")})
            for field, problem in refused.problems.items():
                if field not in ("starts_at", "duration_minutes"):
                    form.add_error(None, problem)
        except services.CallError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The time is changed and everyone has been told.")
            return redirect("calls:detail", call_id=call.pk)
    return render(request, "calls/change_time.html", {"call": call, "form": form})


@staff_required
def cancel(request, call_id):
    call = _managed_call(request, call_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            booking.cancel_call(call=call, cancelled_by=request.user, now=timezone.now(), reason=form.cleaned_data["reason"])
        except services.CallError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The call is cancelled and families have been told.")
            return redirect("calls:detail", call_id=call.pk)
    return render(request, "calls/cancel.html", {"call": call, "form": form})
