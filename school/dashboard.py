"""Dashboard panels and navigation offered by the school directory."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse

from accounts.choices import LEADERSHIP
from accounts.models import User
from accounts.permissions import has_any_role, is_directory_keeper, is_staff_member
from toolkit import registry
from toolkit.registry import NavItem, Panel

from . import sync
from .permissions import children_of


def panels(request, now):
    user = request.user
    found = []
    children = list(children_of(user).select_related("school_class")) if user.has_children else []
    if children:
        found.append(Panel("Your children", "school/panels/children.html", {"children": children}, order=10))
    if is_directory_keeper(user):
        found.append(Panel("Directory", "school/panels/directory.html", _directory_counts(), order=80))
    if (is_directory_keeper(user) or has_any_role(user, LEADERSHIP)) and sync.is_stale(now=now):
        # The head's overview: a sync that has not succeeded for a day means the directory is going stale.
        context = {"last_success": sync.last_success()}
        found.append(Panel("MIS sync not working", "school/panels/sync.html", context, order=12, attention=True))
    return found


# Django marks an unusable password (an invited person who has not chosen one) with this prefix.
_NO_PASSWORD_YET = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)


# The school's sizes in one round trip (three separate COUNT queries before).
_SIZES_SQL = """
SELECT (SELECT COUNT(*) FROM school_pupil WHERE left_on IS NULL),
       (SELECT COUNT(*) FROM school_schoolclass),
       (SELECT COUNT(*) FROM school_guardian)
"""


def _directory_counts() -> dict:
    """Two counting queries, whatever the size of the school."""
    people = User.objects.aggregate(
        staff=Count("pk", filter=Q(staff_roles__isnull=False), distinct=True),
        invited=Count("pk", filter=_NO_PASSWORD_YET & (Q(staff_roles__isnull=False) | Q(guardian__isnull=False)), distinct=True),
    )
    with connection.cursor() as cursor:
        cursor.execute(_SIZES_SQL)
        pupils, classes, guardians = cursor.fetchone()
    return {"pupils": pupils, "classes": classes, "guardians": guardians, **people}


def nav_items(user):
    items = []
    if user.has_children:  # read with the user's roles, one query per request (accounts.models)
        items.append(NavItem("Your children", reverse("school:children"), order=10))
    if is_directory_keeper(user):
        items.append(NavItem("Directory", reverse("school:pupils"), order=15, group=registry.PUPILS))
        items.append(NavItem("School settings", reverse("school:settings"), order=85, group=registry.SCHOOL))
    elif is_staff_member(user):
        items.append(NavItem("Classes", reverse("school:classes"), order=15, group=registry.PUPILS))
    # Staff manage their authenticator app and recovery codes there; everyone can change a password.
    security = "mfa_index" if is_staff_member(user) else "account_change_password"
    items.append(NavItem("Your sign-in", reverse(security), order=95, group=registry.ACCOUNT))
    return items
