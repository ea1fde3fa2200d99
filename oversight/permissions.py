"""Who may use the oversight pages (GOV-2): the overview, the audit viewer, retention and a family's
data. Views ask here, never check roles themselves."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from accounts.choices import DSL_TEAM, LEADERSHIP, Role
from accounts.permissions import has_any_role, is_dsl_team
from school.permissions import get_child_for_guardian
from sessionlogs.models import WelfareContact

# The compliance overview: headteacher and deputy (not other staff).
OVERVIEW_ROLES = LEADERSHIP
# The audit viewer: head and office; the DSL team too, as the only readers of safeguarding history.
AUDIT_ROLES = frozenset({Role.HEAD, Role.OFFICE}) | DSL_TEAM
# The retention report.
RETENTION_ROLES = frozenset({Role.HEAD, Role.OFFICE})

# Audit entries of these apps' models are shown only to the DSL team (SG-3, GOV-3).
DSL_ONLY_AUDIT_APPS = frozenset({"safeguarding"})


def may_view_overview(user) -> bool:
    return has_any_role(user, OVERVIEW_ROLES)


def may_search_audit(user) -> bool:
    return has_any_role(user, AUDIT_ROLES)


def may_see_safeguarding_audit(user) -> bool:
    """SG-3: only the DSL team sees the history of safeguarding records."""
    return is_dsl_team(user)


def audit_entries_visible_to(user, entries):
    """The audit entries `user` may read: none without the viewer's roles, and safeguarding
    models' entries only for the DSL team."""
    if not may_search_audit(user):
        return entries.none()
    if may_see_safeguarding_audit(user):
        return entries
    return without_safeguarding_entries(entries)


def without_safeguarding_entries(entries):
    """SG-3, GOV-3: audit entries with no safeguarding content, for anyone outside the DSL team
    (the audit viewer, the Django admin): no entry of a safeguarding model, and of welfare
    contacts only the ordinary ones. A DSL's safeguarding follow-up shows its outcome in its
    entry; an entry whose contact is gone (retention) cannot be told apart, so it is left out."""
    welfare = ContentType.objects.get_for_model(WelfareContact)
    ordinary = WelfareContact.objects.without_safeguarding_follow_ups().values(text_pk=Cast("pk", CharField()))
    return entries.exclude(content_type__app_label__in=DSL_ONLY_AUDIT_APPS).exclude(
        Q(content_type=welfare) & ~Q(object_pk__in=ordinary)
    )


def get_child_for_family_data(user, pupil_id):
    """GOV-4: a guardian's own child, or 404 (the same answer for someone else's child)."""
    return get_child_for_guardian(user, pupil_id)
