"""One HTTP test per page and permission boundary; the rules themselves are tested in services."""

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage, OutboxState, StaffMessage

pytestmark = pytest.mark.django_db


def _row(key, email, state=OutboxState.SENT, **fields):
    return OutboxMessage.objects.create(
        kind="k", recipient_email=email, subject=f"Subject {key}", body_text=f"Body {key}", dedupe_key=key, state=state, **fields
    )


def test_inbox_lists_only_my_messages(client, parent_a, parent_b):
    _row("mine", parent_a.email, recipient_user=parent_a)
    _row("theirs", parent_b.email, recipient_user=parent_b)
    _row("my address, no account", parent_a.email)  # issue 16: an address string is not an account
    client.force_login(parent_a)

    response = client.get(reverse("notifications:inbox"))

    assert b"Subject mine" in response.content
    assert b"Subject theirs" not in response.content
    assert b"Subject my address, no account" not in response.content


def test_someone_elses_message_is_404(client, parent_a, parent_b):
    theirs = _row("theirs", parent_b.email, recipient_user=parent_b)
    mine = _row("mine", parent_a.email, recipient_user=parent_a)
    client.force_login(parent_a)

    assert client.get(reverse("notifications:message", args=[theirs.pk])).status_code == 404
    assert b"Body mine" in client.get(reverse("notifications:message", args=[mine.pk])).content


def test_inbox_needs_sign_in(client):
    assert client.get(reverse("notifications:inbox")).status_code == 302


@pytest.mark.parametrize(("fixture", "status"), [("office", 200), ("head", 200), ("teacher", 403), ("parent_a", 403)])
def test_outbox_is_for_head_and_office(client, request, fixture, status):
    _row("f", "bounce@example.test", state=OutboxState.FAILED, last_error="550 No such user")
    client.force_login(request.getfixturevalue(fixture))

    response = client.get(reverse("notifications:outbox"))

    assert response.status_code == status
    if status == 200:
        assert b"550 No such user" in response.content


def test_office_sends_a_failed_email_again(client, office, django_capture_on_commit_callbacks):
    row = _row("f", "bounce@example.test", state=OutboxState.FAILED, last_error="550")
    client.force_login(office)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:retry", args=[row.pk]))

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == OutboxState.SENT


def test_a_teacher_cannot_retry(client, teacher):
    row = _row("f", "bounce@example.test", state=OutboxState.FAILED)
    client.force_login(teacher)

    assert client.post(reverse("notifications:retry", args=[row.pk])).status_code == 403


def test_a_parent_cannot_open_the_composer(client, parent_a, child_a):
    client.force_login(parent_a)

    assert client.get(reverse("notifications:compose", args=[child_a.pk])).status_code == 403


def test_a_teacher_cannot_write_about_another_class(client, teacher, child_b):
    client.force_login(teacher)

    assert client.get(reverse("notifications:compose", args=[child_b.pk])).status_code == 404


def test_choosing_a_pupil_leads_to_the_composer(client, teacher, child_a):
    client.force_login(teacher)

    response = client.get(reverse("notifications:compose_start"), {"pupil": child_a.pk})

    assert response["Location"] == reverse("notifications:compose", args=[child_a.pk])


@pytest.mark.policy("COM-5")
def test_composer_refuses_a_pupils_address_without_a_colleague_and_changes_nothing(client, teacher, child_a, guardian_a):
    client.force_login(teacher)

    response = client.post(
        reverse("notifications:compose", args=[child_a.pk]), {"recipient": "pupil", "subject": "Hi", "body": "Hello"}
    )

    assert response.status_code == 200
    assert b"copy in another member of staff" in response.content
    assert not StaffMessage.objects.exists()


def test_composer_sends_to_a_guardian(client, teacher, child_a, guardian_a, django_capture_on_commit_callbacks):
    from django.core import mail

    client.force_login(teacher)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("notifications:compose", args=[child_a.pk]),
            {"recipient": str(guardian_a.pk), "subject": "Trip", "body": "Coats, please."},
        )

    message = StaffMessage.objects.get()
    assert response["Location"] == reverse("notifications:staff_message", args=[message.pk])
    assert mail.outbox[0].to == [guardian_a.email]
    assert b"Coats, please." in client.get(response["Location"]).content


def test_dashboard_shows_failed_count_to_office_only(client, office, teacher, django_assert_max_num_queries):
    _row("f", "bounce@example.test", state=OutboxState.FAILED)
    client.force_login(office)

    assert b"1 email could not be delivered" in client.get("/").content
    client.force_login(teacher)
    assert b"could not be delivered" not in client.get("/").content


def test_the_panel_costs_one_query_however_many_emails(rf, office, django_assert_num_queries, now):
    from notifications.dashboard import panels

    for n in range(20):
        _row(f"f{n}", "x@example.test", state=OutboxState.FAILED)
    request = rf.get("/")
    request.user = office
    _ = office.roles  # the role lookup is the portal's, cached per request

    with django_assert_num_queries(1):
        [panel] = panels(request, now)

    assert panel.context["failed"] == 20
    assert panel.attention


def test_a_copied_in_id_too_large_for_the_database_is_refused_not_a_500(client, teacher, child_a):
    client.force_login(teacher)

    response = client.post(
        reverse("notifications:compose", args=[child_a.pk]),
        {"recipient": "pupil", "cc_staff": [str(2**70)], "subject": "Hi", "body": "Hello"},
    )

    assert response.status_code == 200
    assert not StaffMessage.objects.exists()
