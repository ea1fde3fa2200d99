"""Dashboard panels and navigation offered by the governance app."""

from django.utils import timezone

from toolkit.registry import Panel

from . import permissions, policy
from .selectors import current_policy


def panels(request, now):
    user = request.user
    found = []
    if permissions.may_edit_policy(user):
        found.append(_review_panel(now))
    return [p for p in found if p is not None]


def _review_panel(now):
    """GOV-1: the policy's next review; red when overdue."""
    current = current_policy()
    if current is None:
        return Panel("Policy review", "governance/panels/review.html", {"current": None}, order=15, attention=True)
    today = timezone.localdate(now)
    overdue = policy.review_overdue(next_review_on=current.next_review_on, today=today)
    days_left = (current.next_review_on - today).days
    context = {"current": current, "overdue": overdue, "days_left": days_left, "due_soon": 0 <= days_left <= 30}
    return Panel("Policy review", "governance/panels/review.html", context, order=15, attention=overdue)


def nav_items(user):
    return []
