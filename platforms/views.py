"""The end callback BigBlueButton calls (server to server, no session): meta_endCallbackUrl."""

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import services
from .tokens import meeting_id_from_token


@require_GET
def bbb_callback(request):
    """LOG-1: a meeting ended. The signed token names the meeting; anything else is refused."""
    meeting_id = meeting_id_from_token(request.GET.get("token", ""))
    if meeting_id is None:
        return HttpResponse("Unknown meeting.", status=403, content_type="text/plain")
    services.record_meeting_end(meeting_id=meeting_id, now=timezone.now())
    return HttpResponse(status=204)
