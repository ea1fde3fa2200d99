"""Dashboard panels and navigation offered by the oversight app."""

from django.urls import reverse

from accounts.permissions import is_parent
from toolkit import registry
from toolkit.registry import NavItem, Panel

from . import permissions


def panels(request, now):
    found = []
    if permissions.may_view_overview(request.user):
        context = {"url": reverse("governance:overview")}
        found.append(Panel("Is the policy being kept?", "governance/panels/overview.html", context, order=20))
    return found


def nav_items(user):
    items = []
    if permissions.may_view_overview(user):
        items.append(NavItem("Overview", reverse("governance:overview"), order=80, group=registry.OVERSIGHT))
    if permissions.may_search_audit(user):
        items.append(NavItem("Audit", reverse("governance:audit"), order=85, group=registry.OVERSIGHT))
    if is_parent(user):
        items.append(NavItem("Your data", reverse("governance:family_index"), order=90))
    return items
