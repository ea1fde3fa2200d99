"""The Django admin for accounts: a break-glass tool for a server operator, never a way round
the portal's rules (issue 16).

- Roles are shown, never changed here: the roles page gives them, where only the headteacher
  gives the leadership and DSL roles, nobody to themselves, with a fresh sign-in and the DSL
  team told (accounts.policy, accounts.services).
- The sign-in of anyone holding one of those roles (password, addresses, authenticators) is
  not changed here either: a superuser who could reset the DSL's password and MFA could sign
  in as the DSL and read every concern (SG-3). They change their own through allauth's pages.
"""

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import StaffRole, User
from .policy import HEAD_GRANTED_ROLES


def holds_a_protected_role(user) -> bool:
    """Head, deputy, DSL or deputy DSL: their accounts open concerns or approve one-to-ones."""
    return user is not None and StaffRole.objects.filter(user=user, role__in=HEAD_GRANTED_ROLES).exists()


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    fk_name = "user"
    extra = 0
    fields = ["role", "assigned_by", "assigned_at"]
    readonly_fields = fields
    verbose_name_plural = "Staff roles (given and removed on the portal's Staff roles page)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [StaffRoleInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def has_change_permission(self, request, obj=None):
        # Also guards Django's "change password" page, which asks this for the user in question.
        return super().has_change_permission(request, obj) and not holds_a_protected_role(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not holds_a_protected_role(obj)


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class GuardedAuthenticatorAdmin(AuthenticatorAdmin):
    """Seen, and removed for someone who lost their phone; never created or edited here (a
    secret typed in by an operator would let them sign in as that person)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not holds_a_protected_role(getattr(obj, "user", None))


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class GuardedEmailAddressAdmin(EmailAddressAdmin):
    """An address added to the DSL's account would receive their password resets."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not holds_a_protected_role(getattr(obj, "user", None))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not holds_a_protected_role(getattr(obj, "user", None))
