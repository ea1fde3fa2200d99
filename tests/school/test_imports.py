"""CSV import of pupils and guardians: plain per-row errors, nothing written until confirmed,
and the same file twice changes nothing."""

import pytest
from auditlog.models import LogEntry
from django.core import mail

from accounts.models import User
from notifications.models import OutboxMessage
from school import services
from school.imports import UnreadableFile
from school.models import Guardian, Guardianship, Pupil, SchoolClass

pytestmark = pytest.mark.django_db

PUPILS = """mis_id,first_name,last_name,date_of_birth,class,personal_email
M001,Ada,Lovelace,10/12/2018,Year 3,
M002,Alan,Turing,23/06/2016,Year 5,alan@pupils.example.test
"""
BAD_PUPILS = """mis_id,first_name,last_name,date_of_birth,class
M001,Ada,Lovelace,10/12/2018,Year 3
M002,,Turing,31/02/2016,Year 5
M003,Grace,Hopper,01/01/2017,Year 4
"""
GUARDIANS = """mis_id,first_name,last_name,email,phone,pupil_mis_id,relationship,parental_responsibility
G001,Anne,Lovelace,anne@example.test,01632 960001,M001,Mother,yes
G001,Anne,Lovelace,anne@example.test,01632 960001,M002,Aunt,no
G002,Bob,Turing,,01632 960002,M002,Father,yes
"""


def _import(kind, text, user, now):
    return services.confirm_import(kind=kind, text=text, imported_by=user, now=now)


def test_preview_of_a_good_file_writes_nothing(office, now):
    report = services.preview_import(kind="pupils", text=PUPILS, imported_by=office, now=now)

    assert report.ok
    assert report.counts == {"New": 2}
    assert [r.number for r in report.rows] == [2, 3]
    assert "New class: Year 3" in report.rows[0].notes
    assert not Pupil.objects.exists()
    assert not SchoolClass.objects.exists()


def test_a_bad_row_is_named_with_the_reason_and_nothing_is_written(office, now):
    report = services.preview_import(kind="pupils", text=BAD_PUPILS, imported_by=office, now=now)

    assert not report.ok
    [bad] = report.error_rows
    assert bad.number == 3
    assert "first_name is empty; every row needs one." in bad.errors
    assert any("'31/02/2016' is not a date" in e for e in bad.errors)
    with pytest.raises(services.ImportRefused):
        _import("pupils", BAD_PUPILS, office, now)
    assert not Pupil.objects.exists()
    assert not SchoolClass.objects.exists()


def test_importing_the_same_pupil_file_twice_changes_nothing_the_second_time(office, now):
    first = _import("pupils", PUPILS, office, now)
    entries = LogEntry.objects.count()

    second = _import("pupils", PUPILS, office, now)

    assert first.counts == {"New": 2}
    assert second.counts == {"No change": 2}
    assert not second.changes_anything
    assert LogEntry.objects.count() == entries
    ada = Pupil.objects.get(mis_id="M001")
    assert (ada.full_name, ada.school_class.name, ada.date_of_birth.isoformat()) == ("Ada Lovelace", "Year 3", "2018-12-10")


@pytest.mark.policy("GOV-3")
def test_a_changed_row_updates_the_pupil_and_is_audited_with_the_importer(office, now):
    _import("pupils", PUPILS, office, now)

    report = _import("pupils", PUPILS.replace("Lovelace", "Byron"), office, now)

    assert report.counts == {"Changed": 1, "No change": 1}
    assert Pupil.objects.get(mis_id="M001").last_name == "Byron"
    entry = LogEntry.objects.get_for_object(Pupil.objects.get(mis_id="M001")).first()
    assert entry.actor == office


def test_a_mis_id_twice_in_a_pupil_file_is_an_error(office, now):
    text = PUPILS + "M001,Ada,Lovelace,10/12/2018,Year 3,\n"

    report = services.preview_import(kind="pupils", text=text, imported_by=office, now=now)

    assert report.error_rows[0].number == 4
    assert "mis_id: MIS id M001 is on row 2 too." in report.error_rows[0].errors


def test_a_file_without_the_expected_columns_is_refused_in_plain_words(office, now):
    with pytest.raises(UnreadableFile, match=r"Missing: date_of_birth \(or Dob, .*\), class \(or Reg Group, "):
        services.preview_import(kind="pupils", text="mis_id,first_name,last_name\nM1,A,B\n", imported_by=office, now=now)


def test_headings_are_matched_loosely_and_iso_dates_accepted(office, now):
    text = "\ufeffMIS ID,First Name,Last Name,Date of Birth,Class\nM9,Mo,Farah,2017-03-23,Year 4\n"

    report = _import("pupils", text, office, now)

    assert report.counts == {"New": 1}
    assert Pupil.objects.get(mis_id="M9").date_of_birth.isoformat() == "2017-03-23"


def test_guardians_import_links_children_creates_accounts_and_invites_once(office, now, django_capture_on_commit_callbacks):
    _import("pupils", PUPILS, office, now)

    preview = services.preview_import(kind="guardians", text=GUARDIANS, imported_by=office, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        report = _import("guardians", GUARDIANS, office, now)

    assert "New account: an invitation email will be sent" in preview.rows[0].notes
    assert report.ok
    anne = Guardian.objects.get(mis_id="G001")
    assert anne.user.email == "anne@example.test"
    assert not anne.user.has_usable_password()
    links = {(g.pupil.mis_id, g.relationship, g.parental_responsibility) for g in anne.guardianships.all()}
    assert links == {("M001", "Mother", True), ("M002", "Aunt", False)}
    assert Guardian.objects.get(mis_id="G002").user is None  # no email, no account
    assert OutboxMessage.objects.filter(kind="account-invitation", recipient_email="anne@example.test").count() == 1
    assert [m.to for m in mail.outbox] == [["anne@example.test"]]


def test_importing_the_same_guardian_file_twice_changes_nothing(office, now):
    _import("pupils", PUPILS, office, now)
    _import("guardians", GUARDIANS, office, now)
    counts = (User.objects.count(), Guardianship.objects.count(), OutboxMessage.objects.count(), LogEntry.objects.count())

    report = _import("guardians", GUARDIANS, office, now)

    assert report.counts == {"No change": 3}
    assert (User.objects.count(), Guardianship.objects.count(), OutboxMessage.objects.count(), LogEntry.objects.count()) == counts


def test_a_guardian_of_an_unknown_pupil_is_an_error_and_nothing_is_written(office, now):
    _import("pupils", PUPILS, office, now)
    text = GUARDIANS + "G003,Cy,Nobody,cy@example.test,,M999,Father,yes\n"

    with pytest.raises(services.ImportRefused) as refused:
        _import("guardians", text, office, now)

    [bad] = refused.value.report.error_rows
    assert bad.number == 5
    assert bad.errors == ["pupil_mis_id: There is no pupil with MIS id 'M999'. Import the pupils first."]
    assert not Guardian.objects.exists()
    assert not User.objects.filter(email="anne@example.test").exists()
    assert not OutboxMessage.objects.exists()


def test_parental_responsibility_must_be_yes_or_no(office, now):
    _import("pupils", PUPILS, office, now)
    text = GUARDIANS.replace("Father,yes", "Father,maybe")

    report = services.preview_import(kind="guardians", text=text, imported_by=office, now=now)

    assert report.error_rows[0].errors == ["parental_responsibility: 'maybe' should be yes or no."]


def test_a_guardian_whose_email_already_has_an_account_is_never_linked_to_it(office, teacher, now):
    _import("pupils", PUPILS, office, now)
    text = GUARDIANS.replace("anne@example.test", teacher.email)

    report = _import("guardians", text, office, now)

    # Issue 16: the address alone never attaches a family to an account; the office is asked.
    assert report.ok
    assert any(note.startswith("Needs the office:") for note in report.rows[0].notes)
    assert Guardian.objects.get(mis_id="G001").user is None
    assert not Guardian.objects.filter(user=teacher).exists()
    assert not OutboxMessage.objects.filter(kind="account-invitation").exists()
