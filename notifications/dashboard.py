"""Dashboard panels and navigation offered by the notifications app."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from accounts.permissions import is_staff_member
from toolkit import registry
from toolkit.registry import NavItem, Panel, Task

from .models import OutboxMessage, OutboxState
from .permissions import can_manage_outbox


def panels(request, now):
    """Head and office: how many emails failed or are still waiting (one query)."""
    if not can_manage_outbox(request.user):
        return []
    # Only the rows counted are read (the state index), not every email ever sent.
    unsent = OutboxMessage.objects.filter(state__in=[OutboxState.FAILED, OutboxState.PENDING, OutboxState.SENDING])
    counts = unsent.aggregate(
        failed=Count("pk", filter=Q(state=OutboxState.FAILED)),
        waiting=Count("pk", filter=Q(state__in=[OutboxState.PENDING, OutboxState.SENDING])),
    )
    context = {**counts, "url": reverse("notifications:outbox")}
    return [Panel("Email delivery", "notifications/panels/outbox.html", context, order=80, attention=counts["failed"] > 0)]


FAILED_SHOWN = 5


def needs_you(request, now) -> list[Task]:
    """Issue 19: emails that failed, each address linked to the family record to fix it."""
    if not can_manage_outbox(request.user):
        return []
    failed = OutboxMessage.objects.filter(state=OutboxState.FAILED)
    count = failed.count()
    addresses = list(failed.order_by("-pk").values_list("recipient_email", flat=True).distinct()[: FAILED_SHOWN * 4])
    unique = list(dict.fromkeys(addresses))[:FAILED_SHOWN]
    links = tuple((f"Fix {address}", f"{reverse('school:guardians')}?{urlencode({'q': address})}") for address in unique)
    return [
        Task(
            "emails-failed",
            "Emails that could not be delivered",
            count,
            reverse("notifications:outbox"),
            order=30,
            hint="Check the family's address, then send again from the outbox.",
            links=links,
        )
    ]


def nav_items(user):
    # Staff find their messages with the school's running; parents have few links, so it stands alone.
    staff = is_staff_member(user)
    items = [NavItem("Messages", reverse("notifications:inbox"), order=80, group=registry.SCHOOL if staff else "")]
    if staff:
        items.append(NavItem("Write to a family", reverse("notifications:compose_start"), order=81, group=registry.PUPILS))
    if can_manage_outbox(user):
        items.append(NavItem("Email outbox", reverse("notifications:outbox"), order=82, group=registry.SCHOOL))
    return items
