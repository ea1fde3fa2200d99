"""Issue 16 in the Django admin: the same rules as the portal. A superuser (who holds no school
role) gives no roles there, cannot take over the sign-in of the head, deputy or DSL team, and
must set up MFA before the admin opens. Tried through HTTP, as an operator's stolen session would."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.choices import Role
from accounts.models import StaffRole, User

pytestmark = pytest.mark.django_db


def _change_user_data(user, **changes):
    data = {
        "email": user.email, "first_name": user.first_name, "last_name": user.last_name, "is_active": "on",
        "is_staff": "on" if user.is_staff else "", "is_superuser": "on" if user.is_superuser else "",
        "staff_roles-TOTAL_FORMS": "1", "staff_roles-INITIAL_FORMS": "0", "staff_roles-MIN_NUM_FORMS": "0",
        "staff_roles-MAX_NUM_FORMS": "1000", "staff_roles-0-role": Role.DSL, "staff_roles-0-user": str(user.pk),
    }  # fmt: skip
    return {k: v for k, v in (data | changes).items() if v != ""}


@pytest.mark.policy("SG-3")
def test_a_superuser_cannot_give_themselves_the_dsl_role_in_the_admin(client, superuser):
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[superuser.pk])

    response = client.post(url, _change_user_data(superuser))

    assert response.status_code in (200, 302)
    assert not StaffRole.objects.filter(user=superuser).exists()
    assert Role.DSL not in User.objects.get(pk=superuser.pk).roles


@pytest.mark.policy("SG-3")
def test_a_superuser_cannot_give_a_teacher_the_dsl_role_in_the_admin(client, superuser, teacher):
    client.force_login(superuser)

    client.post(reverse("admin:accounts_user_change", args=[teacher.pk]), _change_user_data(teacher))

    assert set(StaffRole.objects.filter(user=teacher).values_list("role", flat=True)) == {Role.TEACHER}


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("who", ["dsl", "ddsl", "head", "deputy"])
def test_a_superuser_cannot_take_over_the_sign_in_of_a_protected_account(client, superuser, who, request):
    person = request.getfixturevalue(who)
    Authenticator.objects.create(user=person, type=Authenticator.Type.TOTP, data={"secret": "kept"})
    address = EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    client.force_login(superuser)

    password = client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {"password1": "taken-over-password-1", "password2": "taken-over-password-1", "usable_password": "true"},
    )
    email = client.post(
        reverse("admin:accounts_user_change", args=[person.pk]),
        _change_user_data(person, email="attacker@example.test", **{"staff_roles-TOTAL_FORMS": "0"}),
    )
    mfa = client.post(reverse("admin:mfa_authenticator_delete", args=[person.authenticator_set.get().pk]), {"post": "yes"})
    address_change = client.post(
        reverse("admin:account_emailaddress_change", args=[address.pk]),
        {"user": person.pk, "email": "attacker@example.test", "verified": "on", "primary": "on"},
    )
    address_add = client.get(reverse("admin:account_emailaddress_add"))

    assert [password.status_code, email.status_code, mfa.status_code, address_change.status_code, address_add.status_code] == [
        403,
        403,
        403,
        403,
        403,
    ]
    person.refresh_from_db()
    assert person.email.endswith("@example.test")
    assert person.email != "attacker@example.test"
    assert not person.check_password("taken-over-password-1")
    assert Authenticator.objects.filter(user=person).exists()
    assert EmailAddress.objects.get(pk=address.pk).email == person.email


def test_a_superuser_may_still_help_a_teacher_who_lost_their_phone(client, superuser, teacher):
    """The control: the guard is about protected roles, not a blanket lock."""
    authenticator = Authenticator.objects.create(user=teacher, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(superuser)

    response = client.post(reverse("admin:mfa_authenticator_delete", args=[authenticator.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=authenticator.pk).exists()


def test_nobody_types_an_authenticator_secret_into_the_admin(client, superuser):
    client.force_login(superuser)

    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("admin_user", ["superuser", "is_staff_only"])
def test_an_admin_user_without_a_school_role_must_set_up_mfa_first(client, settings, superuser, admin_user):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    user = superuser if admin_user == "superuser" else User.objects.create_user(email="ops@example.test", is_staff=True)
    client.force_login(user)

    admin_index = client.get("/django-admin/")
    user_list = client.get(reverse("admin:accounts_user_changelist"))

    assert admin_index.status_code == 302
    assert admin_index["Location"] == reverse("mfa_activate_totp")
    assert user_list["Location"] == reverse("mfa_activate_totp")


def test_an_admin_user_with_mfa_gets_in(client, settings, superuser):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    Authenticator.objects.create(user=superuser, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(superuser)

    assert client.get("/django-admin/").status_code == 200


def test_a_parent_without_admin_access_is_still_not_asked_for_mfa(client, settings, parent_a):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    client.force_login(parent_a)

    assert client.get(reverse("home")).status_code == 200


@pytest.mark.policy("GOV-2")
def test_a_signed_in_member_of_staff_cannot_become_another_admin_through_the_admin_login(client, settings, teacher, superuser):
    # Django's own admin login form would sign in whoever's password is typed, skipping that
    # account's second factor; a signed-in user's POST there must never reach it.
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    teacher.is_staff = True
    teacher.save()
    Authenticator.objects.create(user=teacher, type=Authenticator.Type.TOTP, data={"secret": "t"})
    Authenticator.objects.create(user=superuser, type=Authenticator.Type.TOTP, data={"secret": "s"})
    superuser.set_password("the-superusers-own-password")
    superuser.save()
    client.force_login(teacher)

    response = client.post(
        reverse("admin:login"), {"username": superuser.email, "password": "the-superusers-own-password", "next": "/django-admin/"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.session["_auth_user_id"] == str(teacher.pk)
