"""Dashboard panels and navigation offered by the governance app."""

from django.urls import reverse
from django.utils import timezone

from accounts.permissions import is_parent
from portal import registry
from portal.registry import NavItem, Panel

from . import permissions, policy
from .selectors import current_policy


def panels(request, now):
    user = request.user
    found = []
    if permissions.may_edit_policy(user):
        found.append(_review_panel(now))
    if permissions.may_view_overview(user):
        context = {"url": reverse("governance:overview")}
        found.append(Panel("Is the policy being kept?", "governance/panels/overview.html", context, order=20))
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
    items = []
    if permissions.may_view_overview(user):
        items.append(NavItem("Overview", reverse("governance:overview"), order=80, group=registry.OVERSIGHT))
    if permissions.may_search_audit(user):
        items.append(NavItem("Audit", reverse("governance:audit"), order=85, group=registry.OVERSIGHT))
    if is_parent(user):
        items.append(NavItem("Your data", reverse("governance:family_index"), order=90))
    return items
