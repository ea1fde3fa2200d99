"""COM-5 in the browser: a teacher writes to a pupil's own address; refused until a colleague is copied in."""

import pytest
from django.core import mail

from notifications.models import StaffMessage

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory


@pytest.mark.policy("COM-5")
def test_teacher_writes_to_a_pupil_only_with_a_colleague_copied_in(portal, teacher, dsl, child_a, guardian_a):
    portal.sign_in(teacher.email, PASSWORD)
    portal.goto("/notifications/write/")
    portal.page.get_by_label("Which pupil is the message about?").select_option(label=child_a.full_name)
    portal.click(name="Continue")

    portal.page.get_by_label(f"{child_a.full_name}'s own address", exact=False).check()
    portal.page.get_by_label("Subject").fill("Your reading log")
    portal.page.get_by_label("Message").fill("Well done this week.")
    portal.click(name="Send message")

    assert "There is a problem" in portal.page.content()
    assert not StaffMessage.objects.exists()

    portal.page.get_by_label(dsl.get_full_name(), exact=False).check()
    portal.click(name="Send message")

    message = StaffMessage.objects.get()
    assert list(message.cc_staff.all()) == [dsl]
    assert "Sarah Lead" in portal.page.get_by_text("Copied in").locator("xpath=following-sibling::dd[1]").inner_text()
    assert mail.outbox[0].to == [child_a.personal_email]
    assert mail.outbox[0].cc == [dsl.email]


def test_office_sees_a_failed_email_and_sends_it_again(portal, office):
    from notifications.models import OutboxMessage, OutboxState

    row = OutboxMessage.objects.create(
        kind="staff-message",
        recipient_email="old@example.test",
        subject="Reading books",
        body_text="b",
        dedupe_key="bounce",
        state=OutboxState.FAILED,
        last_error="old@example.test refused: 550 Mailbox does not exist",
    )
    portal.sign_in(office.email, PASSWORD)
    assert "1 email could not be delivered" in portal.page.content()

    portal.click(role="link", name="Open the email outbox")
    assert "550 Mailbox does not exist" in portal.page.content()
    portal.click(name="Send again to old@example.test")

    row.refresh_from_db()
    assert row.state == OutboxState.SENT
    portal.open_menu("School")
    portal.click(role="link", name="Messages")
