"""factory_boy factories for the directory. Each app's own factories live in tests/<app>/factories.py."""

import datetime as dt

import factory

from accounts.models import StaffRole, User
from school.models import Guardian, Guardianship, Pupil, SchoolClass


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")


def staff_user(*roles, **kwargs) -> User:
    """A member of staff holding `roles` (accounts.choices.Role values)."""
    user = UserFactory(**kwargs)
    for role in roles:
        StaffRole.objects.get_or_create(user=user, role=role)
    return user


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Class {n}")
    year_group = 3


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pupil

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(2018, 5, 17)
    mis_id = factory.Sequence(lambda n: f"P{n:05d}")
    school_class = factory.SubFactory(SchoolClassFactory)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"guardian{n}@example.test")
    mis_id = factory.Sequence(lambda n: f"G{n:05d}")


class GuardianshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardianship

    guardian = factory.SubFactory(GuardianFactory)
    pupil = factory.SubFactory(PupilFactory)
    relationship = "Parent"
    parental_responsibility = True


def parent_of(*pupils, email=None, parental_responsibility=True) -> Guardian:
    """A guardian with an account, linked to `pupils`."""
    user = UserFactory(**({"email": email} if email else {}))
    guardian = GuardianFactory(user=user, email=user.email)
    for pupil in pupils:
        GuardianshipFactory(guardian=guardian, pupil=pupil, parental_responsibility=parental_responsibility)
    return guardian


def family_holder(token, *, browser="the-family-browser"):
    """The family's own side of a join link (issue 16): its guardian's account, signed in, in one browser."""
    from calls import gateway

    return gateway.JoinHolder(user=gateway.find_join_link(token).guardian.user, browser=browser)
