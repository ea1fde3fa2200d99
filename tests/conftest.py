"""The fixed cast of users every test can ask for, and shared fixtures.

head, deputy, dsl, ddsl, teacher (teaches class_a), teacher_b (teaches class_b), office,
parent_a (child_a in class_a), parent_b (child_b in class_b), superuser.
"""

import datetime as dt
import time

import pytest
from django.test.client import ClientMixin
from django.utils import timezone

from accounts.choices import Role
from tests.factories import PupilFactory, SchoolClassFactory, UserFactory, parent_of, staff_user
from tests.post_coverage import (  # noqa: F401 -- hooks: a whole-suite run fails when a POST view is never posted to
    pytest_configure_node,
    pytest_deselected,
    pytest_sessionfinish,
    pytest_terminal_summary,
)


@pytest.fixture
def class_a(db):
    return SchoolClassFactory(name="Year 3", year_group=3)


@pytest.fixture
def class_b(db):
    return SchoolClassFactory(name="Year 5", year_group=5)


@pytest.fixture
def head(db):
    return staff_user(Role.HEAD, email="head@example.test", first_name="Helen", last_name="Head")


@pytest.fixture
def deputy(db):
    return staff_user(Role.DEPUTY, email="deputy@example.test", first_name="David", last_name="Deputy")


@pytest.fixture
def dsl(db):
    return staff_user(Role.DSL, Role.TEACHER, email="dsl@example.test", first_name="Sarah", last_name="Lead")


@pytest.fixture
def ddsl(db):
    return staff_user(Role.DEPUTY_DSL, Role.TEACHER, email="ddsl@example.test", first_name="Dan", last_name="Deputy-Lead")


@pytest.fixture
def teacher(db, class_a):
    user = staff_user(Role.TEACHER, email="teacher@example.test", first_name="Tara", last_name="Teacher")
    class_a.teachers.add(user)
    return user


@pytest.fixture
def teacher_b(db, class_b):
    user = staff_user(Role.TEACHER, email="teacher-b@example.test", first_name="Tom", last_name="Teacher")
    class_b.teachers.add(user)
    return user


@pytest.fixture
def office(db):
    return staff_user(Role.OFFICE, email="office@example.test", first_name="Olive", last_name="Office")


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.test", is_staff=True, is_superuser=True)


@pytest.fixture
def child_a(db, class_a):
    return PupilFactory(first_name="Amelia", last_name="Adams", school_class=class_a, personal_email="amelia@pupils.example.test")


@pytest.fixture
def child_b(db, class_b):
    return PupilFactory(first_name="Ben", last_name="Brown", school_class=class_b)


@pytest.fixture
def guardian_a(db, child_a):
    return parent_of(child_a, email="parent-a@example.test")


@pytest.fixture
def guardian_b(db, child_b):
    return parent_of(child_b, email="parent-b@example.test")


@pytest.fixture
def parent_a(guardian_a):
    return guardian_a.user


@pytest.fixture
def parent_b(guardian_b):
    return guardian_b.user


@pytest.fixture
def school_week(db):
    """Normal hours Monday to Friday 08:45-15:30 and a school year around 2026-27."""
    from school.models import SchoolDay, TermDate

    for weekday in range(5):
        SchoolDay.objects.create(weekday=weekday, opens_at=dt.time(8, 45), closes_at=dt.time(15, 30))
    TermDate.objects.create(name="Autumn 2026", starts_on=dt.date(2026, 9, 2), ends_on=dt.date(2026, 12, 18))
    TermDate.objects.create(name="Spring 2027", starts_on=dt.date(2027, 1, 5), ends_on=dt.date(2027, 3, 26))
    TermDate.objects.create(name="Summer 2027", starts_on=dt.date(2027, 4, 12), ends_on=dt.date(2027, 7, 21))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached school settings and rate-limit counters never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture(autouse=True)
def _force_login_is_a_fresh_sign_in(monkeypatch):
    """`client.force_login` means "signed in just now": record it as allauth does, so pages that
    ask for a recent sign-in (safeguarding records, exports) treat it like a real sign-in.
    Tests of the re-authentication window overwrite the record with an old one."""
    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session["account_authentication_methods"] = [{"method": "password", "at": time.time()}]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)
