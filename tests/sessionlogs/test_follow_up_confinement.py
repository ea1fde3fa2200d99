"""Issue 16: a DSL's safeguarding follow-up stays inside the DSL team (SG-3), everywhere a welfare
contact shows: the contact history page and its count, the CSV, the audit viewer and the Django
admin's audit log. Written as the people outside the team would look for it, through HTTP."""

import csv
import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from sessionlogs.choices import ContactMethod, NumberUsed
from sessionlogs.models import WelfareContact

from .factories import TUESDAY_10AM

pytestmark = pytest.mark.django_db

FOLLOW_UP = "Mum disclosed a new partner at home-5521"  # only the follow-up holds this text
ORDINARY = "Checked in about reading books-8810"  # an ordinary contact: the control


@pytest.fixture
def at(time_machine):
    def _at(moment):
        time_machine.move_to(moment, tick=False)

    return _at


@pytest.fixture
def contacts(client, school_week, child_a, guardian_a, teacher, dsl, at):
    """The teacher logs a daytime phone call; the DSL logs an evening home visit as a safeguarding
    follow-up: both through the page, as they would."""
    at(TUESDAY_10AM + dt.timedelta(hours=10))
    url = reverse("sessionlogs:new_welfare_contact", args=[child_a.pk])
    client.force_login(teacher)
    ordinary = client.post(url, {
        "method": ContactMethod.PHONE, "guardian": guardian_a.pk, "contacted_on": "2026-11-10", "contacted_time": "11:00",
        "duration_minutes": 10, "number_used": NumberUsed.SCHOOL, "staff": teacher.pk, "outcome": ORDINARY,
    })  # fmt: skip
    client.force_login(dsl)
    follow_up = client.post(url, {
        "method": ContactMethod.HOME_VISIT, "contacted_on": "2026-11-10", "contacted_time": "18:00", "duration_minutes": 20,
        "staff": dsl.pk, "outcome": FOLLOW_UP, "safeguarding_follow_up": "on",
    })  # fmt: skip
    client.logout()
    assert (ordinary.status_code, follow_up.status_code) == (302, 302)
    assert WelfareContact.objects.filter(safeguarding_follow_up=True).count() == 1
    return child_a


def _csv_text(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("role", ["teacher", "head", "deputy", "office"])
def test_staff_outside_the_dsl_team_never_see_the_follow_up_on_the_contact_history(client, contacts, role, request):
    client.force_login(request.getfixturevalue(role))

    page = client.get(reverse("sessionlogs:pupil_history", args=[contacts.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert ORDINARY in body  # the page does show welfare contacts: the search below is worth something
    assert FOLLOW_UP not in body
    assert "Safeguarding follow-up" not in body
    assert page.context["page"].paginator.count == 1  # not counted either: a count would say one exists


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("role", ["teacher", "head", "office"])
def test_staff_outside_the_dsl_team_never_see_the_follow_up_in_the_csv(client, contacts, role, request):
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("sessionlogs:pupil_history_csv", args=[contacts.pk]))

    text = _csv_text(response)
    rows = list(csv.reader(io.StringIO(text)))
    assert response.status_code == 200
    assert ORDINARY in text
    assert FOLLOW_UP not in text
    assert "Safeguarding follow-up" not in text
    assert len(rows) == 2  # the header and the ordinary contact


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("role", ["dsl", "ddsl"])
def test_the_dsl_team_sees_the_follow_up_in_the_history_and_the_csv(client, contacts, role, request):
    client.force_login(request.getfixturevalue(role))

    page = client.get(reverse("sessionlogs:pupil_history", args=[contacts.pk]))
    text = _csv_text(client.get(reverse("sessionlogs:pupil_history_csv", args=[contacts.pk])))

    assert FOLLOW_UP in page.content.decode()
    assert "Safeguarding follow-up" in page.content.decode()
    assert page.context["page"].paginator.count == 2
    assert FOLLOW_UP in text


def _audit_pages(client):
    """The audit viewer: everything, and the welfare-contact record type searched on its own."""
    welfare = ContentType.objects.get_for_model(WelfareContact)
    follow_up = WelfareContact.objects.get(safeguarding_follow_up=True)
    everything = client.get(reverse("governance:audit"))
    by_type = client.get(reverse("governance:audit"), {"content_type": welfare.pk})
    by_record = client.get(reverse("governance:audit"), {"content_type": welfare.pk, "object_id": follow_up.pk})
    return everything, by_type, by_record


@pytest.mark.policy("SG-3")
@pytest.mark.policy("GOV-3")
@pytest.mark.parametrize("role", ["head", "office"])
def test_the_audit_viewer_shows_the_head_and_office_no_follow_up(client, contacts, role, request):
    client.force_login(request.getfixturevalue(role))

    everything, by_type, by_record = _audit_pages(client)

    assert LogEntry.objects.filter(changes__icontains="5521").exists()  # the entry is there to be hidden
    assert ORDINARY in by_type.content.decode()
    for response in (everything, by_type, by_record):
        assert response.status_code == 200
        assert "5521" not in response.content.decode()
    assert by_record.context["page"].paginator.count == 0


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("role", ["dsl", "ddsl"])
def test_the_dsl_team_reads_the_follow_up_in_the_audit_viewer(client, contacts, role, request):
    client.force_login(request.getfixturevalue(role))

    everything, by_type, by_record = _audit_pages(client)

    assert "5521" in by_record.content.decode()
    assert by_record.context["page"].paginator.count == 1


@pytest.mark.policy("SG-3")
def test_the_django_admin_audit_log_shows_no_follow_up_to_a_superuser(client, contacts, superuser):
    client.force_login(superuser)
    follow_up = WelfareContact.objects.get(safeguarding_follow_up=True)
    entry = LogEntry.objects.get_for_object(follow_up).get()

    listing = client.get(reverse("admin:auditlog_logentry_changelist"))
    searched = client.get(reverse("admin:auditlog_logentry_changelist"), {"q": "5521"})
    opened = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))

    assert listing.status_code == 200
    assert "Phone call for pupil" in listing.content.decode()  # the ordinary contact's entry is listed
    assert "5521" not in listing.content.decode()
    assert searched.context["cl"].result_count == 0
    assert opened.status_code == 302  # the admin's answer for an object outside its queryset
    assert "5521" not in client.get(opened["Location"]).content.decode()


@pytest.mark.policy("SG-3")
def test_a_teacher_cannot_mark_a_follow_up_to_hide_or_widen_a_contact(client, school_week, child_a, teacher, at):
    """The flag is the DSL team's: a teacher posting it by hand gets an ordinary contact (in hours)."""
    at(TUESDAY_10AM + dt.timedelta(hours=4))
    client.force_login(teacher)

    client.post(reverse("sessionlogs:new_welfare_contact", args=[child_a.pk]), {
        "method": ContactMethod.HOME_VISIT, "contacted_on": "2026-11-10", "contacted_time": "11:00", "duration_minutes": 20,
        "staff": teacher.pk, "outcome": "Dropped off a reading book.", "safeguarding_follow_up": "on",
    })  # fmt: skip

    assert WelfareContact.objects.get().safeguarding_follow_up is False


@pytest.mark.policy("SG-3")
@pytest.mark.policy("SG-4")
def test_the_follow_up_sits_in_the_pupils_safeguarding_chronology_for_the_dsl_team(client, contacts, ddsl, head):
    url = reverse("safeguarding:chronology", args=[contacts.pk])
    client.force_login(ddsl)

    page = client.get(url)
    client.force_login(head)
    refused = client.get(url)

    assert page.status_code == 200
    assert FOLLOW_UP in page.content.decode()
    assert ORDINARY not in page.content.decode()  # an ordinary contact is not safeguarding
    assert refused.status_code == 404
