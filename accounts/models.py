from functools import cache, cached_property

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

from .choices import PARENT, STAFF_ROLES, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: staff or parent/carer. Email is the login; there are no usernames.

    `is_staff` here keeps Django's meaning (may use the Django admin); a school role is a StaffRole.
    """

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    @cached_property
    def roles(self) -> frozenset[str]:
        """Every role this person holds, staff roles and 'parent' alike (cached per request)."""
        return self._role_facts[0]

    @property
    def has_children(self) -> bool:
        """Whether a guardian record of theirs is linked to at least one pupil (their family pages)."""
        return self._role_facts[1]

    @property
    def has_totp(self) -> bool:
        """Whether they have set up an authenticator app (staff must: accounts.middleware)."""
        return self._role_facts[2]

    @cached_property
    def _role_facts(self) -> tuple[frozenset[str], bool, bool]:
        """Staff roles, guardian record, linked children and TOTP set-up in ONE query, read on every page.

        Read from the tables, kept across requests only for one data version (the signed-in person
        is kept per version by accounts.middleware.AuthenticationMiddleware): a role removed or a
        guardian unlinked, by whatever path, moves the version and shows on the very next page.
        """
        from django.db import connections

        with connections[self._state.db or "default"].cursor() as cursor:
            cursor.execute(_role_facts_sql(), [self.pk] * (2 + len(_more_role_facts)))
            found = {row[0] for row in cursor.fetchall()}
        has_children, has_totp = HAS_CHILDREN in found, _HAS_TOTP in found
        return frozenset(found - {HAS_CHILDREN, _HAS_TOTP}), has_children, has_totp

    @property
    def is_school_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def role_labels(self) -> list[str]:
        from .choices import PARENT_LABEL

        labels = [Role(r).label for r in Role.values if r in self.roles]
        if PARENT in self.roles:
            labels.append(PARENT_LABEL)
        return labels


# Marker rows of the role query (never a role: roles are Role values or PARENT).
HAS_CHILDREN = "+children"
_HAS_TOTP = "+totp"

# Facts about a person that apps above accounts keep: the school directory knows who is a parent
# and whose children are linked, and adds those facts in its AppConfig.ready() (school.roles), so
# this app never names another app's tables. Each is SQL selecting one marker row (PARENT or
# HAS_CHILDREN) with the user id as its only parameter.
_more_role_facts: list[str] = []


def add_role_fact(sql: str) -> None:
    """Add one fact to the role query read on every page (called from an AppConfig.ready())."""
    if sql not in _more_role_facts:
        _more_role_facts.append(sql)
        _role_facts_sql.cache_clear()


@cache
def _role_facts_sql() -> str:
    """Built once, late, so the other apps' facts are added."""
    from allauth.mfa.models import Authenticator

    roles = StaffRole._meta.db_table
    totp, totp_type = Authenticator._meta.db_table, Authenticator.Type.TOTP.value
    # Table names, marker rows and the TOTP type are the code's own constants; the user id is a parameter.
    parts = [
        f"SELECT role FROM {roles} WHERE user_id = %s",  # noqa: S608  # nosec B608
        *_more_role_facts,
        f"SELECT '{_HAS_TOTP}' WHERE EXISTS (SELECT 1 FROM {totp} WHERE user_id = %s AND type = '{totp_type}')",  # noqa: S608  # nosec B608
    ]
    return " UNION ALL ".join(parts)


class StaffRole(models.Model):
    """One role held by one member of staff, assigned by the head or office."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    assigned_at = models.DateTimeField(auto_now_add=True)
    assigned_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_row_per_user_role")]
        ordering = ["user", "role"]

    def __str__(self):
        return f"{self.user}: {self.get_role_display()}"
