from django.db import models


class Role(models.TextChoices):
    """Roles a person holds at the school. One person may hold several (a head is often the DSL)."""

    HEAD = "head", "Headteacher"
    DEPUTY = "deputy", "Deputy head"
    DSL = "dsl", "Designated Safeguarding Lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    TEACHER = "teacher", "Teacher"
    OFFICE = "office", "Office"


# Parent/carer is not assigned: a person is one while they have a guardian record.
PARENT_LABEL = "Parent/carer"
PARENT = "parent"

STAFF_ROLES = frozenset(Role.values)
LEADERSHIP = frozenset({Role.HEAD, Role.DEPUTY})
DSL_TEAM = frozenset({Role.DSL, Role.DEPUTY_DSL})
# Who keeps the directory and assigns staff roles.
DIRECTORY_KEEPERS = frozenset({Role.HEAD, Role.OFFICE})
