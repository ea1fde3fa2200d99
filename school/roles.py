"""The directory's part of a person's roles: a guardian record makes them a parent, and a linked
pupil gives them family pages. Added to accounts' one role query from SchoolConfig.ready()."""

from accounts.choices import PARENT
from accounts.models import HAS_CHILDREN, add_role_fact

from .models import Guardian, Guardianship


def add_parent_facts() -> None:
    guardian, link = Guardian._meta.db_table, Guardianship._meta.db_table
    # Table names and marker rows are the code's own constants; the user id is the one parameter.
    add_role_fact(f"SELECT '{PARENT}' WHERE EXISTS (SELECT 1 FROM {guardian} WHERE user_id = %s)")  # noqa: S608  # nosec B608
    joined = f"{link} INNER JOIN {guardian} ON {guardian}.id = {link}.guardian_id"
    children = f"SELECT 1 FROM {joined} WHERE {guardian}.user_id = %s"  # noqa: S608  # nosec B608
    add_role_fact(f"SELECT '{HAS_CHILDREN}' WHERE EXISTS ({children})")  # noqa: S608  # nosec B608
