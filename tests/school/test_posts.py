"""The school calendar's remove buttons, pressed by the office (terms and closures shape when
calls may be booked)."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from school.models import Closure, TermDate

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(db):
    return TermDate.objects.create(name="Autumn 2026", starts_on=dt.date(2026, 9, 2), ends_on=dt.date(2026, 12, 18))


@pytest.fixture
def closure(db):
    return Closure.objects.create(reason="INSET day", starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 11, 2))


def _deleted_by(obj):
    return LogEntry.objects.get(
        content_type__model=obj._meta.model_name, object_pk=str(obj.pk), action=LogEntry.Action.DELETE
    ).actor


@pytest.mark.parametrize("who", ["office", "head"])
def test_a_directory_keeper_removes_a_term(client, request, term, who):
    person = request.getfixturevalue(who)
    client.force_login(person)

    response = client.post(reverse("school:term_remove", args=[term.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("school:settings")
    assert not TermDate.objects.filter(pk=term.pk).exists()
    assert _deleted_by(term) == person
    assert "Term Autumn 2026 removed." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("who", ["office", "head"])
def test_a_directory_keeper_removes_a_closure(client, request, closure, who):
    person = request.getfixturevalue(who)
    client.force_login(person)

    response = client.post(reverse("school:closure_remove", args=[closure.pk]))

    assert response.status_code == 302
    assert not Closure.objects.filter(pk=closure.pk).exists()
    assert _deleted_by(closure) == person


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("who", ["teacher", "dsl", "deputy", "parent_a"])
def test_no_one_else_removes_terms_or_closures(client, request, term, closure, who):
    client.force_login(request.getfixturevalue(who))

    assert client.post(reverse("school:term_remove", args=[term.pk])).status_code == 403
    assert client.post(reverse("school:closure_remove", args=[closure.pk])).status_code == 403
    assert TermDate.objects.filter(pk=term.pk).exists()
    assert Closure.objects.filter(pk=closure.pk).exists()


def test_removing_needs_the_button_not_a_link(client, office, term, closure):
    client.force_login(office)

    assert client.get(reverse("school:term_remove", args=[term.pk])).status_code == 405
    assert client.get(reverse("school:closure_remove", args=[closure.pk])).status_code == 405
    assert TermDate.objects.filter(pk=term.pk).exists()
    assert Closure.objects.filter(pk=closure.pk).exists()


def test_an_unknown_term_or_closure_is_a_404(client, office):
    client.force_login(office)

    assert client.post(reverse("school:term_remove", args=[999999])).status_code == 404
    assert client.post(reverse("school:closure_remove", args=[999999])).status_code == 404
