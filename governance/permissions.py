"""Who may use the governance pages (GOV-2). Views ask here, never check roles themselves."""

from accounts.choices import Role
from accounts.permissions import has_any_role

# The annual review and drafting: the headteacher answers for the policy.
POLICY_EDITOR_ROLES = frozenset({Role.HEAD})
# Marking leavers: whoever keeps the directory.
LEAVER_ROLES = frozenset({Role.OFFICE, Role.HEAD})


def may_edit_policy(user) -> bool:
    return has_any_role(user, POLICY_EDITOR_ROLES)
