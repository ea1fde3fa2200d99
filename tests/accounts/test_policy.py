"""accounts.policy without a database: who may change whose roles (issue 16; GOV-2, SG-3)."""

import pytest

from accounts import policy
from accounts.choices import Role

ME, OTHER = 1, 2
HEAD, OFFICE, DEPUTY, TEACHER = {Role.HEAD}, {Role.OFFICE}, {Role.DEPUTY}, {Role.TEACHER}


@pytest.mark.policy("GOV-2")
@pytest.mark.policy("SG-3")
@pytest.mark.parametrize(
    ("actor_roles", "person", "role", "recent", "refused_because"),
    [
        (HEAD, OTHER, Role.DSL, True, None),
        (HEAD, OTHER, Role.DEPUTY_DSL, True, None),
        (HEAD, OTHER, Role.HEAD, False, None),  # leadership changes are not DSL-team changes
        (HEAD, OTHER, Role.DEPUTY, False, None),
        (HEAD, OTHER, Role.DSL, False, policy.FRESH_SIGN_IN_NEEDED),
        (HEAD, ME, Role.DSL, True, "Nobody changes their own roles"),
        (HEAD, ME, Role.HEAD, True, "Nobody changes their own roles"),
        (HEAD, ME, Role.TEACHER, True, "Nobody changes their own roles"),
        (OFFICE, ME, Role.DSL, True, "Nobody changes their own roles"),
        (OFFICE, OTHER, Role.DSL, True, "Only the headteacher gives or removes the role Designated Safeguarding Lead"),
        (OFFICE, OTHER, Role.DEPUTY_DSL, True, "Only the headteacher"),
        (OFFICE, OTHER, Role.HEAD, True, "Only the headteacher"),
        (OFFICE, OTHER, Role.DEPUTY, True, "Only the headteacher"),
        (OFFICE, OTHER, Role.TEACHER, False, None),
        (OFFICE, OTHER, Role.OFFICE, False, None),
        (OFFICE | {Role.DSL}, OTHER, Role.DSL, True, "Only the headteacher"),  # a DSL in the office cannot recruit
        (DEPUTY, ME, Role.HEAD, True, "Only the headteacher and the office"),
        (DEPUTY, OTHER, Role.TEACHER, True, "Only the headteacher and the office"),
        (TEACHER, OTHER, Role.TEACHER, True, "Only the headteacher and the office"),
        (set(), OTHER, Role.TEACHER, True, "Only the headteacher and the office"),  # a superuser with no school role
        (HEAD, OTHER, "janitor", True, "That is not a staff role."),
    ],
)
def test_who_may_change_whose_roles(actor_roles, person, role, recent, refused_because):
    refusal = policy.role_change_refusal(
        changed_by_id=ME, changed_by_roles=actor_roles, person_id=person, role=role, recently_signed_in=recent
    )

    if refused_because is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert refusal.startswith(refused_because)


@pytest.mark.policy("GOV-2")
def test_the_office_is_offered_only_the_roles_it_may_give():
    assert [value for value, _ in policy.roles_offered_to(OFFICE)] == [Role.TEACHER, Role.OFFICE]
    assert [value for value, _ in policy.roles_offered_to(HEAD)] == list(Role.values)


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize(("role", "told"), [(r, r in {Role.DSL, Role.DEPUTY_DSL}) for r in Role.values])
def test_only_dsl_team_changes_are_told_to_the_team(role, told):
    assert policy.tells_the_dsl_team(role) is told
