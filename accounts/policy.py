"""Who may change whose staff roles: pure rules, plain values in, a reason (or None) out.

Issue 16: the office could give itself the DSL role and then read every concern (SG-3). The
roles that open concerns (the DSL team) or approve one-to-ones and watch everyone (leadership)
are given and taken away only by the headteacher, never by anyone to themselves, and every
change to the DSL team needs a recent sign-in and is told to the team at once.
"""

from .choices import DIRECTORY_KEEPERS, DSL_TEAM, LEADERSHIP, Role

# Roles only the headteacher gives or removes (GOV-2, SG-3).
HEAD_GRANTED_ROLES = LEADERSHIP | DSL_TEAM
FRESH_SIGN_IN_NEEDED = "Changes to the DSL team need a recent sign-in: enter your password again."


def role_change_refusal(
    *, changed_by_id: int, changed_by_roles, person_id: int, role: str, recently_signed_in: bool
) -> str | None:
    """GOV-2, SG-3: why `changed_by` may not give or remove `role` for `person`, or None if they may.

    - only the headteacher and office change roles at all;
    - nobody changes their own roles (a role taken for oneself is the attack; a role given up
      alone could leave the school without a head or DSL: another head does it);
    - only the headteacher gives or removes the head, deputy, DSL and deputy DSL roles;
    - a change to the DSL team needs a sign-in within the re-authentication window.
    """
    held = frozenset(changed_by_roles)
    if role not in Role.values:
        return "That is not a staff role."
    if not held & DIRECTORY_KEEPERS:
        return "Only the headteacher and the office change staff roles."
    if changed_by_id == person_id:
        return "Nobody changes their own roles: ask the headteacher (or another headteacher) to do it."
    if role in HEAD_GRANTED_ROLES and Role.HEAD not in held:
        return f"Only the headteacher gives or removes the role {Role(role).label}."
    if role in DSL_TEAM and not recently_signed_in:
        return FRESH_SIGN_IN_NEEDED
    return None


def roles_offered_to(changed_by_roles) -> list[tuple[str, str]]:
    """The roles a person may give on the roles page and the new-staff form (the same rule, early)."""
    head = Role.HEAD in frozenset(changed_by_roles)
    return [(value, label) for value, label in Role.choices if head or value not in HEAD_GRANTED_ROLES]


def tells_the_dsl_team(role: str) -> bool:
    """SG-2, SG-3: a change to the DSL team is told to the team and the headteacher at once."""
    return role in DSL_TEAM
