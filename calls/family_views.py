"""Family pages: their children's calls, agreeing a one-to-one's time, and the join gateway."""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from school.models import Guardianship, SchoolSettings
from school.permissions import children_of, guardian_of
from toolkit import summaries

from . import gateway, permissions, services
from .choices import CallStatus
from .emails import staff_names, when
from .pagination import page_of
from .policy import LATE_LOCK
from .put_back import calls_to_put_back, decline_put_back, put_back_offers, put_back_on_calls
from .services import join_details, one_to_ones


@login_required
def family(request):
    """A parent's children's calls, soonest first, with the reporting routes (COM-2, COM-8)."""
    calls = (
        permissions.family_calls_for(request.user)
        .not_ended(timezone.now())
        .select_related("host", "second_staff")
        .order_by("starts_at", "pk")
    )

    def context():
        page = page_of(request, calls, 20)
        children = {c.pk: c for c in children_of(request.user)}
        rows = _family_rows(page.object_list, children)
        offers = put_back_offers(user=request.user, now=timezone.now())
        return {"page": page, "rows": rows, "settings_row": SchoolSettings.load(), "put_back_offers": offers}

    return summaries.render(request, "calls/family.html", context, name="family calls")


def _family_rows(calls, children):
    """Which of the parent's children is in each call, in one query for the whole page."""
    from .models import CallInvitation

    calls = list(calls)
    invited: dict = {}
    for call_id, pupil_id in CallInvitation.objects.filter(
        call__in=calls, pupil_id__in=list(children), removed_at__isnull=True
    ).values_list("call_id", "pupil_id"):
        invited.setdefault(call_id, []).append(children[pupil_id].full_name)
    return [{"call": c, "children": invited.get(c.pk, []), "staff": staff_names(c)} for c in calls]


def _may_answer(user, call) -> bool:
    guardian = guardian_of(user)
    if guardian is None or call.status != CallStatus.AWAITING_PARENT:
        return False
    invited = call.invitations.filter(removed_at__isnull=True).values_list("pupil_id", flat=True)
    return Guardianship.objects.filter(guardian=guardian, pupil_id__in=invited, parental_responsibility=True).exists()


@login_required
def family_call(request, call_id):
    """One call as a family sees it (COM-1): never the meeting link or passcode (COM-4)."""
    removed = permissions.removed_family_invitation(request.user, call_id)
    if removed is not None and not permissions.family_calls_for(request.user).filter(pk=call_id).exists():
        # Issue 19: a link in an old email to a call the family can no longer reach says why, not 404.
        return render(request, "calls/family_call_gone.html", {"invitation": removed, "call": removed.call})
    call = permissions.get_family_call(request.user, call_id)
    children = call.invitations.filter(removed_at__isnull=True, pupil__in=children_of(request.user)).select_related("pupil")
    settings_row = SchoolSettings.load()
    return render(
        request,
        "calls/family_call.html",
        {
            "call": call,
            "children": [i.pupil for i in children],
            "staff": staff_names(call),
            "may_answer": _may_answer(request.user, call),
            "settings_row": settings_row,
            "join": _join_status(call, timezone.now(), settings_row.join_email_lead_hours),
        },
    )


def _join_status(call, now, lead_hours) -> dict | None:
    """Issue 19: when the join email goes (or went), and whether "send it again" is offered."""
    if call.status != CallStatus.SCHEDULED or now >= call.starts_at + LATE_LOCK:
        return None
    return {
        "sent_at": call.join_details_sent_at,
        "due_at": call.starts_at - dt.timedelta(hours=lead_hours),
        "may_send_again": call.join_details_sent_at is not None,
    }


@require_POST
@login_required
def answer(request, call_id):
    """CALL-4: a parent agrees to or declines a one-to-one's date and time."""
    call = permissions.get_family_call(request.user, call_id)
    guardian = guardian_of(request.user)
    if guardian is None:
        raise Http404
    agree = request.POST.get("answer") == "agree"
    suitable = request.POST.get("suitable_times", "")[:1000]
    try:
        one_to_ones.record_parent_agreement(
            call=call, guardian=guardian, decided_by=request.user, now=timezone.now(), agree=agree, suitable_times=suitable
        )
    except services.CallError as error:
        messages.error(request, str(error))
    else:
        thanks = "Thank you: you agreed to this time." if agree else "Thank you: the school will suggest another time."
        messages.success(request, thanks)
    return redirect("calls:family_call", call_id=call.pk)


@login_required
def put_back(request, pupil_id):
    """Issue 19: after consent is given again, offer to put the child back on the upcoming calls
    they were taken off (GET), and do it for the calls the parent keeps ticked (POST), or stop
    offering them ("No, thank you", POST answer=no). The family's pages link here while the offer stands."""
    pupil = permissions.get_child_to_put_back(request.user, pupil_id)
    now = timezone.now()
    offered = calls_to_put_back(pupil=pupil, now=now)
    if request.method == "POST" and request.POST.get("answer") == "no":
        decline_put_back(pupil=pupil, by=request.user, now=now)
        messages.success(request, f"{pupil.first_name} stays off those calls. Staff can invite them again later.")
        return redirect("calls:family")
    if request.method == "POST":
        chosen = [int(v) for v in request.POST.getlist("call") if v.isdigit()]
        if not chosen:
            messages.error(request, 'Tick at least one call, or choose "No, thank you".')
        else:
            try:
                restored = put_back_on_calls(pupil=pupil, call_ids=chosen, by=request.user, now=now)
            except services.CallError as error:
                messages.error(request, str(error))
            else:
                names = ", ".join(c.title for c in restored)
                messages.success(request, f"{pupil.first_name} is back on: {names}.")
                return redirect("calls:family")
    rows = [{"call": c, "when": when(c), "staff": staff_names(c)} for c in offered]
    return render(request, "calls/put_back.html", {"pupil": pupil, "rows": rows})


@require_POST
@login_required
def send_again(request, call_id):
    """Issue 19: "send it again" on the family's call page: a fresh join email to this parent."""
    call = permissions.get_family_call(request.user, call_id)
    guardian = guardian_of(request.user)
    if guardian is None:
        raise Http404
    try:
        join_details.send_join_details_again(call=call, guardian=guardian, now=timezone.now())
    except services.CallError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The join email is on its way to {guardian.email}. Links in earlier emails no longer work.")
    return redirect("calls:family_call", call_id=call.pk)


@require_POST
@login_required
@never_cache
def family_join(request, call_id):
    """Issue 19: the Join button on the call's page, through the same checks as the emailed link."""
    call = permissions.get_family_call(request.user, call_id)
    browser = request.COOKIES.get(JOIN_COOKIE) or secrets.token_urlsafe(32)
    try:
        outcome = gateway.open_own_join_link(
            call=call, user=request.user, now=timezone.now(), holder=gateway.JoinHolder(user=request.user, browser=browser)
        )
    except gateway.JoinLinkNotFound:
        messages.error(request, "You have no join link for this call yet: it comes by email before the call starts.")
        return redirect("calls:family_call", call_id=call.pk)
    context = {"link": None, "call": outcome.call, "pupil": outcome.pupil, "outcome": outcome, "sign_in_first": False}
    return render(request, "calls/join.html", context)


JOIN_COOKIE = "egps_join"  # this browser's join key (calls.gateway.JoinHolder.browser)
JOIN_COOKIE_DAYS = 60  # outlives any link: links are sent days, not months, before a call


@never_cache
def join(request, token):
    """COM-4, CON-1, CALL-6: a family's personal join link.

    GET shows what the link is for and changes nothing (mail scanners open links); pressing
    the button (POST) is the attempt: checked at that moment, recorded, and only if allowed
    does the page hand over the platform link and the child's real name to use. The link is
    not a bearer token (issue 16): a guardian with an account must be signed in as themselves,
    and one without is held to the first browser it admitted (the join cookie set here).
    """
    try:
        link = gateway.find_join_link(token)
    except gateway.JoinLinkNotFound:
        raise Http404 from None
    context = {
        "link": link,
        "call": link.call,
        "pupil": link.pupil,
        "outcome": None,
        "sign_in_first": _sign_in_first(request, link),
    }
    if request.method != "POST":
        return render(request, "calls/join.html", context)
    browser = request.COOKIES.get(JOIN_COOKIE) or secrets.token_urlsafe(32)
    holder = gateway.JoinHolder(user=request.user, browser=browser)
    outcome = gateway.open_join_link(token=token, now=timezone.now(), holder=holder)
    response = render(request, "calls/join.html", {**context, "call": outcome.call, "pupil": outcome.pupil, "outcome": outcome})
    response.set_cookie(
        JOIN_COOKIE,
        browser,
        max_age=JOIN_COOKIE_DAYS * 24 * 60 * 60,
        path=_join_cookie_path(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _join_cookie_path() -> str:
    """The cookie goes back only to join pages: /calls/join/."""
    return reverse("calls:join", args=["x"]).removesuffix("x/")


def _sign_in_first(request, link) -> bool:
    """The link's guardian has an account and nobody is signed in here: the page asks them to sign in."""
    return link.guardian.user_id is not None and not request.user.is_authenticated
