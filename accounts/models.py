from functools import cached_property

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
        held = set(self.staff_roles.values_list("role", flat=True))
        if self._has_guardian_record():
            held.add(PARENT)
        return frozenset(held)

    def _has_guardian_record(self) -> bool:
        from school.models import Guardian

        return Guardian.objects.filter(user=self).exists()

    @property
    def is_school_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def role_labels(self) -> list[str]:
        from .choices import PARENT_LABEL

        labels = [Role(r).label for r in Role.values if r in self.roles]
        if PARENT in self.roles:
            labels.append(PARENT_LABEL)
        return labels


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
