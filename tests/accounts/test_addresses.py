"""Issue 16, point 1: no address becomes an account's without proof, and nothing is linked to a
person by address alone. Each test is an attack from the issue (or a sibling of it), tried
through the pages as the attacker would.

Run: pytest tests/accounts/test_addresses.py -q
"""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.migrations.operations import RunPython
from django.urls import reverse

from accounts.models import User
from calls.choices import CallKind, Platform
from calls.services import booking
from consent.choices import Method, Scope
from consent.services import give_consent
from notifications.models import OutboxMessage
from school.models import Guardian
from tests.calls.conftest import NOW, TUESDAY_10
from tests.factories import GuardianFactory, GuardianshipFactory, PupilFactory, UserFactory
from tests.migration_steps import steps

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
OTHER_GUARDIAN = "other-guardian@example.test"


def _drop_self_added_addresses():
    (drop,) = steps("accounts", "0002_drop_self_added_addresses", RunPython)
    drop.code(apps, None)


def sign_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def other_family(class_b):
    """Another guardian the school holds, with no portal account yet."""
    pupil = PupilFactory(first_name="Olly", last_name="Other", school_class=class_b, mis_id="P-OTHER")
    guardian = GuardianFactory(user=None, email=OTHER_GUARDIAN, mis_id="G-OTHER")
    GuardianshipFactory(guardian=guardian, pupil=pupil)
    return pupil, guardian


# --- allauth's email management: gone ------------------------------------------------------------


@pytest.mark.policy("GOV-2")
def test_a_parent_cannot_add_another_guardians_address(client, parent_a, other_family):
    sign_in(client, parent_a)

    added = client.post(reverse("account_email"), {"action_add": "", "email": OTHER_GUARDIAN})
    made_primary = client.post(reverse("account_email"), {"action_primary": "", "email": OTHER_GUARDIAN})

    assert added.status_code == 405
    assert made_primary.status_code == 405
    assert not EmailAddress.objects.filter(email__iexact=OTHER_GUARDIAN).exists()
    parent_a.refresh_from_db()
    assert parent_a.email == "parent-a@example.test"
    assert not OutboxMessage.objects.filter(recipient_email=OTHER_GUARDIAN).exists()


@pytest.mark.parametrize("action", ["action_add", "action_primary", "action_send", "action_remove"])
def test_nobody_can_put_the_heads_address_on_their_account_nor_mail_the_head_from_the_page(client, parent_a, head, action):
    sign_in(client, parent_a)

    response = client.post(reverse("account_email"), {action: "", "email": head.email})

    assert response.status_code == 405  # refused plainly: no 500 from the unique constraint
    assert not EmailAddress.objects.filter(email__iexact=head.email).exclude(user=head).exists()
    assert not OutboxMessage.objects.filter(recipient_email=head.email).exists()
    assert User.objects.get(pk=parent_a.pk).email == parent_a.email


@pytest.mark.parametrize("who", ["parent_a", "teacher", "head"])
def test_the_address_page_shows_the_address_and_who_changes_it(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)

    page = client.get(reverse("account_email")).content.decode()

    assert f'data-testid="account-email">{user.email}<' in page
    assert "ask the school office" in page
    assert 'name="email"' not in page  # no form to add, remove or choose an address


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("account_email"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_addresses_added_through_the_old_page_are_dropped_by_the_migration(parent_a):
    EmailAddress.objects.create(user=parent_a, email=OTHER_GUARDIAN, verified=False, primary=False)
    own = EmailAddress.objects.create(user=parent_a, email=parent_a.email.upper(), verified=True, primary=True)
    _drop_self_added_addresses()

    assert list(EmailAddress.objects.all()) == [own]


def test_a_password_reset_goes_only_to_the_accounts_own_address_and_is_filed_under_it(
    client, parent_a, other_family, django_capture_on_commit_callbacks
):
    EmailAddress.objects.create(user=parent_a, email=OTHER_GUARDIAN, verified=False, primary=False)
    _drop_self_added_addresses()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": OTHER_GUARDIAN})
        client.post(reverse("account_reset_password"), {"email": parent_a.email})

    to_other = OutboxMessage.objects.filter(recipient_email=OTHER_GUARDIAN)
    assert not any("/password/reset/key/" in m.body_text for m in to_other)
    assert all(m.recipient_user is None for m in to_other)
    own = OutboxMessage.objects.get(recipient_email=parent_a.email)
    assert "/password/reset/key/" in own.body_text
    assert own.recipient_user == parent_a


# --- what an account reads: matched on the account, never on an address string --------------------


@pytest.fixture
def join_email_for_other_family(school_week, other_family, teacher, dsl, office):
    """The other family's join email, written to the school's address for them (no account)."""
    pupil, guardian = other_family
    give_consent(
        pupil=pupil,
        guardian=guardian,
        scope=Scope.VIDEO_CALLS,
        decided_by=office,
        now=NOW - dt.timedelta(days=1),
        method=Method.PHONE,
    )
    booking.book_call(
        booked_by=teacher,
        now=TUESDAY_10 - dt.timedelta(hours=2),
        kind=CallKind.GROUP,
        title="Year 5 reading",
        activity="Reading aloud.",
        platform=Platform.MICROSOFT_TEAMS,
        starts_at=TUESDAY_10,
        duration_minutes=30,
        host=teacher,
        second_staff=dsl,
        single_staff_reason="",
        record=False,
        pupil_ids=[pupil.pk],
        meeting_url="https://teams.example.test/meet/xyz",
        passcode="pass",
    )
    return OutboxMessage.objects.get(kind="call-join", recipient_email=OTHER_GUARDIAN)


@pytest.mark.policy("COM-4")
@pytest.mark.policy("GOV-2")
def test_an_account_holding_another_familys_address_cannot_read_their_join_email(client, join_email_for_other_family):
    # The state the old attack left behind: an account signing in with the other family's address.
    claimer = UserFactory(email=OTHER_GUARDIAN)
    sign_in(client, claimer)

    inbox = client.get(reverse("notifications:inbox")).content.decode()
    opened = client.get(reverse("notifications:message", args=[join_email_for_other_family.pk]))

    assert "Year 5 reading" not in inbox
    assert "/calls/join/" not in inbox
    assert opened.status_code == 404


@pytest.mark.policy("GOV-4")
def test_a_familys_data_download_holds_only_mail_written_for_their_account(parent_a, guardian_a, child_a):
    from oversight.familydata import messages_to

    OutboxMessage.objects.create(
        kind="k", recipient_email=guardian_a.email, recipient_user=parent_a, subject="Theirs", body_text="b", dedupe_key="theirs"
    )
    OutboxMessage.objects.create(
        kind="k", recipient_email=guardian_a.email.upper(), subject="Address only", body_text="b", dedupe_key="address-only"
    )

    section = messages_to(parent_a, guardian_a)

    assert [row["subject"] for row in section["rows"]] == ["Theirs"]


# --- the import: creates and invites, or asks the office; never attaches -----------------------------

PUPILS = b"mis_id,first_name,last_name,date_of_birth,class\nP-NEW,Nell,New,01/02/2018,Year 3\n"


def guardians_file(*rows):
    head = "mis_id,first_name,last_name,email,pupil_mis_id,relationship,parental_responsibility\n"
    return (head + "".join(f"{r}\n" for r in rows)).encode()


def import_file(client, kind, data):
    preview = client.post(reverse("school:import"), {"kind": kind, "file": SimpleUploadedFile("export.csv", data)}, follow=True)
    done = client.post(reverse("school:import_confirm"), {"digest": preview.context["digest"]})
    return preview, done


@pytest.mark.policy("GOV-2")
def test_the_import_never_links_a_staff_account_to_a_child_by_its_address(client, office, teacher):
    teacher.email = "dad@example.test"  # a member of staff whose account holds a family's address
    teacher.save()
    client.force_login(office)
    import_file(client, "pupils", PUPILS)

    preview, done = import_file(client, "guardians", guardians_file("G-DAD,Dan,New,dad@example.test,P-NEW,Father,yes"))

    assert "Needs the office" in preview.content.decode()
    assert "Needs the office" in done.content.decode()
    guardian = Guardian.objects.get(mis_id="G-DAD")
    assert guardian.user is None
    client.force_login(teacher)
    pupil = guardian.pupils.get()
    assert pupil.full_name not in client.get(reverse("school:children")).content.decode()
    assert client.get(reverse("school:child", args=[pupil.pk])).status_code == 404
    assert not OutboxMessage.objects.filter(kind="account-invitation", recipient_email="dad@example.test").exists()


@pytest.mark.policy("GOV-2")
def test_a_parent_who_took_an_address_first_neither_gains_the_child_nor_blocks_the_import(client, office, parent_a):
    parent_a.email = "real-guardian@example.test"  # claimed before the office imported its real holder
    parent_a.save()
    client.force_login(office)
    import_file(client, "pupils", PUPILS)

    _, done = import_file(
        client,
        "guardians",
        guardians_file(
            "G-REAL,Rita,Real,real-guardian@example.test,P-NEW,Mother,yes",
            "G-NEXT,Ned,Next,ned@example.test,P-NEW,Father,yes",
        ),
    )

    assert done.status_code == 200
    assert "Nothing was imported" not in done.content.decode()
    real, following = Guardian.objects.get(mis_id="G-REAL"), Guardian.objects.get(mis_id="G-NEXT")
    assert real.user is None
    assert not Guardian.objects.filter(user=parent_a, pupils__mis_id="P-NEW").exists()
    assert following.user is not None
    assert following.user.email == "ned@example.test"
    assert OutboxMessage.objects.filter(kind="account-invitation", recipient_email="ned@example.test").exists()


def test_the_office_cannot_create_a_second_account_for_an_address_already_in_use(client, office, child_a, teacher):
    client.force_login(office)

    response = client.post(
        reverse("school:guardian_create") + f"?pupil={child_a.pk}",
        {
            "first_name": "Tess",
            "last_name": "Twice",
            "email": teacher.email.upper(),
            "phone": "",
            "pupil": child_a.pk,
            "relationship": "Mother",
            "parental_responsibility": "on",
        },
    )

    assert "There is already an account with this email address." in response.content.decode()
    assert not Guardian.objects.filter(user=teacher).exists()
