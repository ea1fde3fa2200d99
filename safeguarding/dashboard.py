"""Dashboard panels and navigation offered by the safeguarding app (constant queries)."""

from django.urls import reverse

from accounts.permissions import is_staff_member
from school.models import SchoolSettings
from toolkit import registry
from toolkit.registry import NavItem, Panel, Task

from . import selectors
from .permissions import is_dsl_team


def panels(request, now):
    user = request.user
    found = []
    if is_dsl_team(user):
        found.append(_dsl_panel(now))
    if is_staff_member(user):
        found.append(Panel(title="Worried about a child?", template="safeguarding/panels/raise.html", order=5))
    return found


def _dsl_panel(now) -> Panel:
    """New, overdue and open concerns for the DSL team, counted in one query."""
    counts = selectors.counts(now=now, ack_minutes=SchoolSettings.load().concern_ack_minutes)
    return Panel(
        title="Safeguarding concerns",
        template="safeguarding/panels/dsl.html",
        context={"counts": counts},
        order=1,
        attention=bool(counts["new"]),
    )


def needs_you(request, now) -> list[Task]:
    """Issue 19: new concerns for the DSL team to acknowledge, first and prominent."""
    if not is_dsl_team(request.user):
        return []
    counts = selectors.counts(now=now, ack_minutes=SchoolSettings.load().concern_ack_minutes)
    hint = f"{counts['overdue']} overdue for acknowledgement." if counts["overdue"] else ""
    return [
        Task(
            "concerns-new",
            "New safeguarding concerns to acknowledge",
            counts["new"],
            reverse("safeguarding:dashboard"),
            order=1,
            hint=hint,
            urgent=True,
        )
    ]


def nav_items(user):
    # Every member of staff has the "Raise a concern" button in the header (templates/base.html).
    if is_dsl_team(user):
        return [NavItem(label="Safeguarding", url=reverse("safeguarding:dashboard"), order=5, group=registry.SAFEGUARDING)]
    return []
