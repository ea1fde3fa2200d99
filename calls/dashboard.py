"""Dashboard panels and navigation offered by the calls app. Each panel is a fixed number of queries."""

from django.urls import reverse

from accounts.permissions import is_leadership, is_parent, is_staff_member
from toolkit import registry
from toolkit.registry import NavItem, Panel, Task

from . import permissions
from .choices import CallKind, CallStatus
from .models import Call
from .put_back import put_back_offers

SHOWN = 5


def panels(request, now):
    user = request.user
    found = []
    if is_staff_member(user):
        found.append(_my_calls(user, now))
    if is_leadership(user):
        found += [_approvals(user), _single_staffed(now)]
    if is_parent(user):
        found.append(_family(user, now))
    return found


def _my_calls(user, now) -> Panel:
    calls = Call.objects.with_staff(user).upcoming(now).order_by("starts_at", "pk")[:SHOWN]
    return Panel("Your next calls", "calls/panels/my_calls.html", {"calls": list(calls)}, order=20)


def _approvals(user) -> Panel:
    """CALL-4: one-to-ones waiting for the head or deputy."""
    queue = list(permissions.approvals_queue_for(user).select_related("host").order_by("starts_at")[: SHOWN + 1])
    return Panel(
        "One-to-ones awaiting approval",
        "calls/panels/approvals.html",
        {"calls": queue[:SHOWN], "more": len(queue) > SHOWN},
        order=10,
        attention=bool(queue),
    )


def _single_staffed(now) -> Panel:
    """CALL-2: group calls booked with one member of staff, flagged for the head's overview."""
    calls = list(
        Call.objects.upcoming(now)
        .filter(kind=CallKind.GROUP, second_staff__isnull=True)
        .select_related("host")
        .order_by("starts_at")[: SHOWN + 1]
    )
    return Panel(
        "Group calls with one member of staff",
        "calls/panels/single_staffed.html",
        {"calls": calls[:SHOWN], "more": len(calls) > SHOWN},
        order=30,
        attention=bool(calls),
    )


def _family(user, now) -> Panel:
    calls = list(
        permissions.family_calls_for(user)
        .not_ended(now)
        .exclude(status=CallStatus.CANCELLED)
        .select_related("host")
        .order_by("starts_at")[:SHOWN]
    )
    waiting = [c for c in calls if c.status == CallStatus.AWAITING_PARENT]
    return Panel(
        "Your children's video calls",
        "calls/panels/family.html",
        {"calls": calls, "waiting": waiting},
        order=20,
        attention=bool(waiting),
    )


def needs_you(request, now) -> list[Task]:
    """Issue 19: a parent's one-to-one times to answer (CALL-4); the head's and deputy's approvals."""
    user = request.user
    found = []
    if is_parent(user):
        waiting = permissions.one_to_ones_to_answer(user, now).count()
        found.append(
            Task(
                "one-to-one-answer",
                "Answer a one-to-one call time",
                waiting,
                reverse("calls:family"),
                order=20,
                hint="Agree to the time, or tell the school which times suit you.",
            )
        )
        offers = put_back_offers(user=user, now=now)
        if offers:
            child, calls = offers[0]
            found.append(
                Task(
                    "put-back",
                    "Put your child back on their calls",
                    sum(len(calls) for _, calls in offers),
                    reverse("calls:put_back", args=[child.pk]),
                    order=25,
                    hint="Consent is given again: choose the calls your child was taken off to join again.",
                )
            )
    if is_leadership(user):
        queue = permissions.approvals_queue_for(user).count()
        found.append(Task("approvals", "Approve or decline one-to-one calls", queue, reverse("calls:approvals"), order=10))
    return found


def nav_items(user):
    items = []
    if is_staff_member(user):
        items.append(NavItem("Calls", reverse("calls:list"), order=20, group=registry.CALLS))
    if is_leadership(user):
        items.append(NavItem("Approvals", reverse("calls:approvals"), order=21, group=registry.CALLS))
    if is_parent(user):
        items.append(NavItem("Video calls", reverse("calls:family"), order=20))
    return items


def child_sections(request, pupil, now, audience):
    """Issue 19: on a parent's page for their child, the offer to put the child back on the calls
    they were taken off, for as long as it stands (calls.put_back)."""
    if audience != "family" or request is None:
        return []
    offers = [(child, calls) for child, calls in put_back_offers(user=request.user, now=now) if child.pk == pupil.pk]
    if not offers:
        return []
    child, calls = offers[0]
    return [Panel("Calls to put back on", "calls/panels/put_back_section.html", {"child": child, "calls": calls}, order=15)]
