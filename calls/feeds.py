"""Private iCalendar feeds (COM-2): a parent's children's calls, or a member of staff's calls.

The address holds a secret token (only its hash is stored); revoking it makes a new one necessary.
Feeds carry what, when, where and with whom, never join details (COM-4).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import StaffRole
from notifications.models import message_id_domain
from school.permissions import children_of
from toolkit import summaries
from toolkit.urls import portal_url

from . import ics
from .choices import CallStatus, Platform
from .emails import staff_names
from .models import CalendarFeed, Call, CallInvitation
from .services import calendar_feeds, common

# The window a feed covers: recent history helps, a year of it does not; and about a term ahead
# (a call booked later appears once it comes within 16 weeks: calendar apps fetch feeds daily).
FEED_HISTORY = dt.timedelta(days=30)
FEED_AHEAD = dt.timedelta(weeks=16)
# Labels looked up once: get_FOO_display() costs more than the rest of an event's text.
PLATFORMS, STATUSES = dict(Platform.choices), dict(CallStatus.choices)
# How often a subscribed calendar should fetch the feed again (RFC 7986 REFRESH-INTERVAL, and
# X-PUBLISHED-TTL for Outlook and Apple): a cancelled or moved call should show within the hour.
REFRESH = "PT1H"

# RFC 5545 3.8.1.11: a call still waiting for the parent's agreement or the head's approval
# (CALL-4), or sent back for a new time, may not happen: TENTATIVE until it is scheduled.
EVENT_STATUS = {
    CallStatus.DRAFT: "TENTATIVE",
    CallStatus.AWAITING_PARENT: "TENTATIVE",
    CallStatus.AWAITING_APPROVAL: "TENTATIVE",
    CallStatus.SCHEDULED: "CONFIRMED",
    CallStatus.HELD: "CONFIRMED",
    CallStatus.CANCELLED: "CANCELLED",
}
_STEP = {"TENTATIVE": 0, "CONFIRMED": 1, "CANCELLED": 2}


def event_sequence(*, version: int, status: str) -> int:
    """RFC 5545 3.8.7.4 SEQUENCE: raised by every significant change, so a calendar replaces its copy.

    A call's significant changes are its time (each move raises `version`) and its published STATUS,
    which within one version only moves forward, TENTATIVE -> CONFIRMED -> CANCELLED (a move is the
    only way back to TENTATIVE, and it raises the version). So three steps per version is enough and
    the number never goes down.
    """
    return 3 * (version - 1) + _STEP[EVENT_STATUS[status]]


def event_uid(call_pk: int) -> str:
    """Unique beyond this school: the portal's own host name, as in the Message-IDs."""
    return f"call-{call_pk}@{message_id_domain()}"


def calls_for_feed(user, now):
    """A member of staff's own calls and, for a parent, their children's calls (a person may be both).

    One query: "is staff" (accounts.permissions.is_staff_member: any staff role) is asked inside it
    rather than through user.roles, which would cost two more.
    """
    is_staff = Exists(StaffRole.objects.filter(user=user))
    mine = (Q(host=user) | Q(second_staff=user) | Q(booked_by=user)) & is_staff
    children = Q(
        pk__in=CallInvitation.objects.filter(pupil__in=children_of(user).values("pk"), removed_at__isnull=True).values("call_id")
    )
    return (
        Call.objects.ended_since(now - FEED_HISTORY)
        .filter(starts_at__lt=now + FEED_AHEAD)
        .filter(mine | children)
        .select_related("host", "second_staff")
        .only(
            "title",
            "activity",
            "platform",
            "starts_at",
            "ends_at",
            "status",
            "version",
            "booked_at",
            "changed_at",
            "host__first_name",
            "host__last_name",
            "host__email",
            "second_staff__first_name",
            "second_staff__last_name",
            "second_staff__email",
        )
        .order_by("starts_at", "pk")
    )


def build_calendar(user, now) -> bytes:
    return ics.calendar(
        [
            ("VERSION", "2.0"),
            ("PRODID", "-//EGPS Portal//Calls//EN"),
            ("X-WR-CALNAME", "School video calls"),
            ("REFRESH-INTERVAL;VALUE=DURATION", REFRESH),
            ("X-PUBLISHED-TTL", REFRESH),
        ],
        [_event(call) for call in calls_for_feed(user, now)],
    )


def _event(call) -> list[tuple[str, str]]:
    """What, when and with whom; never the meeting link or passcode (COM-4).

    DTSTAMP is when the call last changed (RFC 5545 3.8.7.2: in a calendar published without a
    METHOD, "the date and time that the information ... was last revised"), not the time of the
    request, so a client can tell an unchanged event from a changed one.
    """
    description = f"{call.activity}\n\nStaff: {', '.join(staff_names(call))}\nStatus: {STATUSES[call.status]}"
    return [
        ("UID", event_uid(call.pk)),
        ("DTSTAMP", ics.utc(call.changed_at or call.booked_at)),
        ("DTSTART", ics.utc(call.starts_at)),
        ("DTEND", ics.utc(call.ends_at)),
        ("SUMMARY", ics.text(f"{call.title} ({PLATFORMS[call.platform]})")),
        ("DESCRIPTION", ics.text(description)),
        ("SEQUENCE", str(event_sequence(version=call.version, status=call.status))),
        ("STATUS", EVENT_STATUS[call.status]),
    ]


def feed(request, token):
    found = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=common.hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        raise Http404
    # Calendar apps poll the feed; it is built once per data version and minute (toolkit/summaries.py).
    body = summaries.cached_bytes(request, "calendar feed", lambda: build_calendar(found.user, timezone.now()))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
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
        calendar_feeds.revoke_calendar_feed(user=request.user, now=now)
        messages.success(request, "Your calendar address no longer works.")
        return redirect("calls:feed_settings")
    token = calendar_feeds.issue_calendar_feed(user=request.user, now=now)
    url = portal_url("calls:feed", token)
    active = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    # Issue 19: "Subscribe" hands the same address to the calendar app (webcal: is https: by another name).
    subscribe = "webcal:" + url.split(":", 1)[1]
    return render(request, "calls/feed_settings.html", {"active": active, "feed_url": url, "subscribe_url": subscribe})
