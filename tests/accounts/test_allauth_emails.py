"""allauth's own emails (password reset, unknown address, email confirmation, change notices) as
the recipient reads them: sent by the school, linking only to PORTAL_BASE_URL, whatever Host
header the request that caused them carried. Read back with Python's strict email parser."""

import email
import email.policy
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.core import mail
from django.urls import reverse

from notifications.models import OutboxMessage
from school.models import SchoolSettings

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # tests/factories.UserFactory
PORTAL = "https://portal.ernesford.example"
SCHOOL = "Ernesford Grange Primary School"
HOSTILE = "attacker.example"


@pytest.fixture(autouse=True)
def _portal(settings):
    settings.PORTAL_BASE_URL = PORTAL
    settings.ALLOWED_HOSTS = ["*"]  # the Host header is the attacker's choice here
    SchoolSettings.load()  # the one row, with the school's name


def _sent(capture, do) -> email.message.EmailMessage:
    """Run `do`, deliver what it queued, and parse the one email sent (strict parser)."""
    mail.outbox = []
    with capture(execute=True):
        do()
    [sent] = mail.outbox
    message = email.message_from_bytes(sent.message().as_bytes(), policy=email.policy.strict)
    assert message.defects == []
    return message


def _assert_from_the_school(message):
    text = message.get_body(("plain",)).get_content()
    assert str(message["Subject"]).startswith(f"[{SCHOOL}] ")
    assert text.startswith(f"Hello from {SCHOOL},")
    assert HOSTILE not in text
    assert "testserver" not in text
    links = re.findall(r"https?://\S+", text)
    assert links, text
    assert all(link.startswith(f"{PORTAL}/") for link in links), links
    assert "EGPS Portal" not in str(message["Subject"])
    return text


def test_the_password_reset_email_names_the_school_and_links_to_the_portal(client, parent_a, django_capture_on_commit_callbacks):
    message = _sent(
        django_capture_on_commit_callbacks,
        lambda: client.post(reverse("account_reset_password"), {"email": parent_a.email}, HTTP_HOST=HOSTILE),
    )

    text = _assert_from_the_school(message)
    assert f"{PORTAL}/accounts/password/reset/key/" in text
    assert OutboxMessage.objects.get().recipient_email == parent_a.email


def test_a_renamed_school_signs_its_emails_with_the_new_name(client, parent_a, django_capture_on_commit_callbacks):
    school = SchoolSettings.load()
    school.name = "Ernesford Grange Church of England Primary"
    school.save()

    message = _sent(
        django_capture_on_commit_callbacks,
        lambda: client.post(reverse("account_reset_password"), {"email": parent_a.email}, HTTP_HOST=HOSTILE),
    )

    assert str(message["Subject"]).startswith("[Ernesford Grange Church of England Primary] ")
    assert "Hello from Ernesford Grange Church of England Primary," in message.get_body(("plain",)).get_content()


def test_the_unknown_address_email_names_the_school_and_offers_no_public_sign_up(client, django_capture_on_commit_callbacks):
    school = SchoolSettings.load()
    school.office_phone, school.office_email = "01632 960123", "office@ernesford.example"
    school.save()

    message = _sent(
        django_capture_on_commit_callbacks,
        lambda: client.post(reverse("account_reset_password"), {"email": "nobody@example.test"}, HTTP_HOST=HOSTILE),
    )

    text = _assert_from_the_school(message)
    assert "/accounts/signup/" not in text  # accounts are made by the office: the link would lead nowhere
    assert "contact the office (01632 960123, office@ernesford.example)" in " ".join(text.split())
    assert str(message["Subject"]) == f"[{SCHOOL}] No portal account for this address"


def test_the_email_confirmation_names_the_school_and_links_to_the_portal(rf, parent_a, django_capture_on_commit_callbacks):
    # Nobody adds an address through the portal any more (/accounts/email/ is read-only), but allauth
    # still owns the confirmation email: sent for a request with a hostile Host, it must name the school.
    address = EmailAddress.objects.create(user=parent_a, email="new-address@example.test", verified=False, primary=False)
    request = rf.get("/", HTTP_HOST=HOSTILE)
    request.user = parent_a

    def send():
        with allauth_context.request_context(request):
            address.send_confirmation(request)

    message = _sent(django_capture_on_commit_callbacks, send)

    text = _assert_from_the_school(message)
    assert f"{PORTAL}/accounts/confirm-email/" in text
    assert message["To"] == address.email


def test_a_password_change_notice_names_the_school(client, parent_a, settings, django_capture_on_commit_callbacks):
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    client.force_login(parent_a)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    message = _sent(
        django_capture_on_commit_callbacks,
        lambda: client.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42"},
            HTTP_HOST=HOSTILE,
        ),
    )

    text = message.get_body(("plain",)).get_content()
    assert str(message["Subject"]).startswith(f"[{SCHOOL}] ")
    assert text.startswith(f"Hello from {SCHOOL},")
    assert f"{PORTAL}/" in text
    assert HOSTILE not in text
