"""The notification centre: each person's own emails, the outbox for head and office, and the
staff message composer (COM-5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import role_required, staff_required
from school.permissions import get_pupil_for
from toolkit.pagination import page_of

from . import services
from .forms import ChoosePupilForm, StaffMessageForm
from .models import OutboxState
from .permissions import (
    OUTBOX_KEEPERS,
    can_manage_outbox,
    get_message_for,
    get_outbox_message_for,
    get_staff_message_for,
    messages_sent_to,
    outbox_visible_to,
    staff_messages_visible_to,
)

PAGE_SIZE = 50
OUTBOX_LIMIT = 200


@login_required
def inbox(request):
    """Every email the portal sent this person's account, newest first."""
    page = page_of(request, messages_sent_to(request.user).order_by("-created_at"), PAGE_SIZE)
    return render(request, "notifications/inbox.html", {"page": page, "can_manage_outbox": can_manage_outbox(request.user)})


@login_required
def message_detail(request, message_id):
    message = get_message_for(request.user, message_id)
    return render(request, "notifications/message_detail.html", {"message": message})


@role_required(*OUTBOX_KEEPERS)
def outbox(request):
    """Failed and waiting emails with their reasons; head and office can send them again."""
    rows = outbox_visible_to(request.user).order_by("-created_at")
    failed = rows.filter(state=OutboxState.FAILED)
    waiting = rows.exclude(state=OutboxState.FAILED)
    context = {
        "failed": failed[:OUTBOX_LIMIT],
        "failed_count": failed.count(),
        "waiting": waiting[:OUTBOX_LIMIT],
        "waiting_count": waiting.count(),
        "limit": OUTBOX_LIMIT,
    }
    return render(request, "notifications/outbox.html", context)


@require_POST
@role_required(*OUTBOX_KEEPERS)
def retry(request, message_id):
    message = get_outbox_message_for(request.user, message_id)
    try:
        services.retry_message(message=message, retried_by=request.user, now=timezone.now())
    except services.NotificationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The email to {message.recipient_email} will be sent again now.")
    return redirect("notifications:outbox")


@staff_required
def compose_start(request):
    form = ChoosePupilForm(request.GET or None, user=request.user)
    if form.is_valid():
        return redirect("notifications:compose", pupil_id=form.cleaned_data["pupil"].pk)
    return render(request, "notifications/compose_start.html", {"form": form})


@staff_required
def compose(request, pupil_id):
    """COM-5: write to a parent/carer, or to the pupil's own address with a colleague copied in."""
    pupil = get_pupil_for(request.user, pupil_id)
    form = StaffMessageForm(request.POST or None, pupil=pupil, author=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.send_staff_message(
                author=request.user,
                pupil=pupil,
                guardian=form.guardian(),
                cc_staff=form.cleaned_data["cc_staff"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                now=timezone.now(),
            )
        except services.NotificationError as error:
            form.add_error("cc_staff" if form.guardian() is None else None, str(error))
        else:
            messages.success(request, f"Your message to {sent.recipient_email} is on its way.")
            return redirect("notifications:staff_message", message_id=sent.pk)
    return render(request, "notifications/compose.html", {"form": form, "pupil": pupil})


@staff_required
def staff_messages(request):
    rows = staff_messages_visible_to(request.user).select_related("author", "pupil", "outbox").prefetch_related("cc_staff")
    page = page_of(request, rows, PAGE_SIZE)
    return render(request, "notifications/staff_messages.html", {"page": page})


@staff_required
def staff_message(request, message_id):
    message = get_staff_message_for(request.user, message_id)
    return render(request, "notifications/staff_message.html", {"message": message})
