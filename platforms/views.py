"""The end callback BigBlueButton calls (server to server, no session): meetingEndedURL."""

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import services
from .tokens import meeting_id_from_token


@require_GET
def bbb_callback(request):
    """LOG-1: a meeting ended. The signed token names the meeting and when it stops working;
    the platform itself must agree the meeting is over; each meeting's end is taken once."""
    now = timezone.now()
    meeting_id = meeting_id_from_token(request.GET.get("token", ""), now=now)
    if meeting_id is None:
        return HttpResponse("Unknown or expired callback.", status=403, content_type="text/plain")
    try:
        services.record_meeting_end(meeting_id=meeting_id, now=now)
    except services.EndRefused as refusal:
        return HttpResponse(str(refusal), status=409, content_type="text/plain")
    return HttpResponse(status=204)
