"""Private iCalendar feeds (COM-2): a parent's children's calls, or a member of staff's calls.

The address holds a secret token (only its hash is stored); revoking it makes a new one necessary.
Feeds carry what, when, where and with whom, never join details (COM-4).
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event

from accounts.permissions import is_staff_member
from school.permissions import children_of

from . import services
from .choices import CallStatus
from .emails import staff_names
from .models import CalendarFeed, Call

# How far back a feed reaches: recent history helps, a year of it does not.
FEED_HISTORY = dt.timedelta(days=30)


def calls_for_feed(user, now):
    """A member of staff's own calls and, for a parent, their children's calls (a person may be both)."""
    mine = Q(pk__in=Call.objects.with_staff(user).values("pk")) if is_staff_member(user) else Q(pk__in=[])
    children = Q(pk__in=Call.objects.for_pupils(children_of(user).values_list("pk", flat=True)).values("pk"))
    return (
        Call.objects.filter(mine | children, ends_at__gte=now - FEED_HISTORY)
        .select_related("host", "second_staff")
        .order_by("starts_at")
    )


def build_calendar(user, now) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//EGPS Portal//Calls//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "School video calls")
    for call in calls_for_feed(user, now):
        cal.add_component(_event(call, now))
    return cal.to_ical()


def _event(call, now) -> Event:
    event = Event()
    event.add("uid", f"call-{call.pk}@egps-portal")
    event.add("dtstamp", now)
    event.add("dtstart", call.starts_at)
    event.add("dtend", call.ends_at)
    event.add("summary", f"{call.title} ({call.get_platform_display()})")
    event.add("description", f"{call.activity}\n\nStaff: {', '.join(staff_names(call))}\nStatus: {call.get_status_display()}")
    event.add("sequence", call.version)
    event.add("status", "CANCELLED" if call.status == CallStatus.CANCELLED else "CONFIRMED")
    return event


def feed(request, token):
    found = CalendarFeed.objects.select_related("user").filter(
        token_hash=services.hash_token(token), revoked_at__isnull=True, user__is_active=True
    ).first()
    if found is None:
        raise Http404
    response = HttpResponse(build_calendar(found.user, timezone.now()), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def feed_settings(request):
    """Issue or revoke your own feed. The address is shown once, right after it is made."""
    active = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    return render(request, "calls/feed_settings.html", {"active": active, "feed_url": None})


@require_POST
@login_required
def feed_change(request):
    now = timezone.now()
    if request.POST.get("action") == "revoke":
        services.revoke_calendar_feed(user=request.user, now=now)
        messages.success(request, "Your calendar address no longer works.")
        return redirect("calls:feed_settings")
    token = services.issue_calendar_feed(user=request.user, now=now)
    url = f"{settings.PORTAL_BASE_URL}{reverse('calls:feed', args=[token])}"
    active = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    return render(request, "calls/feed_settings.html", {"active": active, "feed_url": url})
