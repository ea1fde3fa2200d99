"""Files as SIMS, Arbor and Bromcom export them, uploaded through the office's import pages.

Headings are the MIS's own published export column names; the bytes are what Excel and the MIS
write (UTF-8 with a BOM, Windows-1252, CRLF line ends, blank rows). Row numbers are checked
against what a spreadsheet shows."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from school.models import Guardian, Guardianship, Pupil

pytestmark = pytest.mark.django_db

CRLF = "\r\n"


def _bytes(lines, encoding="utf-8-sig"):
    return CRLF.join(lines).encode(encoding) + CRLF.encode()


def _upload(client, kind, data):
    return client.post(reverse("school:import"), {"kind": kind, "file": SimpleUploadedFile("export.csv", data)}, follow=True)


def _confirm(client, **extra):
    return client.post(reverse("school:import_confirm"), {"digest": client.session["school_import"]["digest"], **extra})


SIMS_PUPILS = [
    "UPN,Adno,Legal Surname,Legal Forename,Preferred Forename,DOB,Gender,Reg Group,Year",
    "A812345678012,001234,Brontë,Zoë,Zo,17/05/2018,F,Class 1,Y2",
    "",
    "B812345678013,001235,O'Neil,Seán,,01/09/2017,M,Class 2,Y3",
    ",,",
    "C812345678014,001236,Okafor,Chidi,,31/02/2017,M,Class 2,Y3",
    "D812345678015,001237,Smith,,,05/11/2016,F,Class 3,Y4",
]


def test_a_sims_pupil_file_with_bom_crlf_and_blank_rows_reports_spreadsheet_row_numbers(client, office):
    client.force_login(office)
    preview = _upload(client, "pupils", _bytes(SIMS_PUPILS))

    report = preview.context["report"]
    assert [r.number for r in report.rows] == [2, 4, 6, 7]
    assert [r.number for r in report.error_rows] == [6, 7], report.error_rows[0].errors
    [bad_date] = report.error_rows[0].errors
    assert "'31/02/2017' is not a date" in bad_date
    assert report.error_rows[1].errors == ["first_name is empty; every row needs one."]
    page = preview.content.decode()
    assert 'href="#row-6"' in page
    assert 'href="#row-7"' in page
    assert "Import the 2 rows that are fine; leave out 2" in page

    # Everything is refused unless the office chooses to import the good rows.
    assert "Nothing was imported" in _confirm(client).content.decode()
    assert not Pupil.objects.exists()
    done = _confirm(client, rows="good")

    assert done.status_code == 200
    assert "These rows were left out" in done.content.decode()
    assert "Row 6 (Chidi Okafor)" in done.content.decode()
    zoe = Pupil.objects.get(mis_id="A812345678012")  # keyed on the UPN, the id Wonde and every MIS share
    assert (zoe.first_name, zoe.last_name, zoe.date_of_birth, zoe.school_class.name) == (
        "Zoë",
        "Brontë",
        dt.date(2018, 5, 17),
        "Class 1",
    )
    assert Pupil.objects.get(mis_id="B812345678013").last_name == "O'Neil"
    assert Pupil.objects.count() == 2


def test_an_arbor_pupil_file_in_windows_1252_imports_as_exported(client, office):
    client.force_login(office)
    lines = [
        "Student ID,First Name,Last Name,Date of Birth,Registration Form",
        "ARB-101,Renée,Dubois,03/04/2018,1 Robins",
        "",
        "",
        "ARB-102,Øystein,Berg,2017-12-24,2 Wrens",
    ]
    preview = _upload(client, "pupils", _bytes(lines, "cp1252"))

    assert [r.number for r in preview.context["report"].rows] == [2, 5]
    _confirm(client)
    renee = Pupil.objects.get(mis_id="ARB-101")
    assert (renee.first_name, renee.school_class.name, renee.date_of_birth) == ("Renée", "1 Robins", dt.date(2018, 4, 3))
    assert (Pupil.objects.get(mis_id="ARB-102").first_name, Pupil.objects.get(mis_id="ARB-102").date_of_birth) == (
        "Øystein",
        dt.date(2017, 12, 24),
    )


def test_a_bromcom_pupil_file_without_ids_is_matched_on_name_and_birth_date(client, office):
    client.force_login(office)
    lines = ["Forename,Surname,DOB,Tutor Group", "Amara,Nwosu,12/01/2019,Reception R", "", "Luca,Rossi,30/06/2018,Year 1"]
    _upload(client, "pupils", _bytes(lines))
    _confirm(client)
    amara = Pupil.objects.get(first_name="Amara")
    assert amara.school_class.name == "Reception R"
    assert amara.mis_id  # a stable derived key

    # The next export (Luca moved class) updates the same children: nobody is duplicated.
    lines[3] = "Luca,Rossi,30/06/2018,Year 2"
    again = _upload(client, "pupils", _bytes(lines))
    assert [(r.number, r.action) for r in again.context["report"].rows] == [(2, "No change"), (4, "Changed")]
    _confirm(client)
    assert Pupil.objects.count() == 2
    assert Pupil.objects.get(first_name="Luca").school_class.name == "Year 2"
    assert Pupil.objects.get(first_name="Amara").mis_id == amara.mis_id


@pytest.fixture
def sims_children(db):
    from tests.factories import PupilFactory

    return [PupilFactory(mis_id="A812345678012"), PupilFactory(mis_id="B812345678013")]


def test_a_sims_contacts_file_chosen_as_pupils_is_recognised_and_imported(client, office, sims_children, mailoutbox):
    client.force_login(office)
    lines = [
        "UPN,Adno,Legal Surname,Legal Forename,Contact Surname,Contact Forename,Contact ID,Relationship,"
        "Parental Responsibility,Priority,Contact Email,Contact Mobile",
        "A812345678012,001234,Brontë,Zoë,Brontë,Maria,C-9001,Mother,Yes,1,maria@example.test,07700 900001",
        "",
        "B812345678013,001235,O'Neil,Seán,Brontë,Maria,C-9001,Aunt,No,2,maria@example.test,07700 900001",
        "B812345678013,001235,O'Neil,Seán,O'Neil,Patrick,C-9002,Father,T,1,,07700 900002",
    ]
    preview = _upload(client, "pupils", _bytes(lines))

    assert "holds guardians, so it is read as guardians" in preview.content.decode()
    assert preview.context["kind"] == "guardians"
    assert [r.number for r in preview.context["report"].rows] == [2, 4, 5]
    _confirm(client)
    maria = Guardian.objects.get(mis_id="C-9001")
    assert (maria.first_name, maria.last_name, maria.email, maria.phone) == (
        "Maria",
        "Brontë",
        "maria@example.test",
        "07700 900001",
    )
    links = {(g.pupil.mis_id, g.relationship, g.parental_responsibility) for g in Guardianship.objects.filter(guardian=maria)}
    assert links == {("A812345678012", "Mother", True), ("B812345678013", "Aunt", False)}
    patrick = Guardian.objects.get(mis_id="C-9002")
    assert patrick.guardianships.get().parental_responsibility is True
    assert patrick.user is None  # no email, no account


@pytest.mark.parametrize(
    "lines",
    [
        [  # Arbor: the contact's own names are plain First Name / Last Name
            "Student ID,Student First Name,Student Last Name,Guardian ID,First Name,Last Name,Relationship,"
            "Parental Responsibility,Email Address,Mobile Number",
            "",
            "A812345678012,Zoë,Brontë,G-77,Helen,Brontë,Mother,Y,helen@example.test,07700 900003",
        ],
        [  # Bromcom
            "Student ID,Contact ID,Contact Forename,Contact Surname,Relationship,Parental Responsibility,Email,Mobile",
            ",,,,,,,",
            "A812345678012,G-77,Helen,Brontë,Mother,Yes,helen@example.test,07700 900003",
        ],
    ],
    ids=["arbor", "bromcom"],
)
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_arbor_and_bromcom_contact_files_import_as_exported(client, office, sims_children, lines, encoding):
    client.force_login(office)
    preview = _upload(client, "guardians", _bytes(lines, encoding))
    assert preview.context["report"].ok, preview.context["report"].error_rows
    assert [r.number for r in preview.context["report"].rows] == [3]
    _confirm(client)
    helen = Guardian.objects.get(mis_id="G-77")
    assert (helen.first_name, helen.last_name, helen.email, helen.phone) == (
        "Helen",
        "Brontë",
        "helen@example.test",
        "07700 900003",
    )
    link = helen.guardianships.get()
    assert (link.pupil.mis_id, link.relationship, link.parental_responsibility) == ("A812345678012", "Mother", True)


def test_every_problem_of_every_row_is_listed_in_one_pass(client, office, sims_children):
    client.force_login(office)
    lines = [
        "Student ID,Contact ID,Contact Forename,Contact Surname,Relationship,Parental Responsibility,Email",
        "",
        "NOPE-1,G-1,Ann,Able,Mother,perhaps,ann@example.test",
        "A812345678012,,Bob,Baker,Father,Yes,bob@example.test",
        "A812345678012,G-3,Cat,Cole,Mother,No,cat@example.test",
    ]
    report = _upload(client, "guardians", _bytes(lines)).context["report"]

    assert [r.number for r in report.error_rows] == [3, 4]
    first = " ".join(report.error_rows[0].errors)
    assert "There is no pupil with MIS id 'NOPE-1'" in first
    assert "'perhaps' should be yes or no" in first
    assert "MIS id is empty" in " ".join(report.error_rows[1].errors)
    assert not Guardian.objects.exists()


def test_a_file_missing_columns_names_them_with_the_mis_headings_accepted(client, office):
    client.force_login(office)
    page = _upload(client, "pupils", _bytes(["UPN,Legal Forename,Legal Surname", "A1,Ann,Able"]))
    text = page.content.decode()
    assert "Missing: date_of_birth (or Dob," in text
    assert "class (or Reg Group," in text
    assert not Pupil.objects.exists()


@pytest.mark.parametrize("kind", ["pupils", "guardians"])
def test_the_templates_download_and_a_filled_template_imports(client, office, kind, sims_children):
    client.force_login(office)
    response = client.get(reverse("school:import_template", args=[kind]))
    assert response["Content-Type"].startswith("text/csv")
    heading = response.content.decode("utf-8-sig").strip()
    row = {
        "pupils": "P-9,Ivy,Iles,02/02/2018,Class 9,",
        "guardians": "G-9,Ida,Iles,,A812345678012,Mother,yes,",
    }[kind]
    filled = [heading, row] if kind == "pupils" else [heading, row.rstrip(",")]
    preview = _upload(client, kind, _bytes(filled))
    assert preview.context["report"].ok
    _confirm(client)
    assert (Pupil if kind == "pupils" else Guardian).objects.filter(mis_id=row.split(",")[0]).exists()


def test_templates_are_for_the_office_only(client, teacher, parent_a):
    for person in (teacher, parent_a):
        client.force_login(person)
        assert client.get(reverse("school:import_template", args=["pupils"])).status_code in (403, 404)
    client.logout()
    assert client.get(reverse("school:import_template", args=["pupils"])).status_code == 302


def test_an_unknown_template_is_a_404(client, office):
    client.force_login(office)
    assert client.get(reverse("school:import_template", args=["staff"])).status_code == 404


def test_a_contacts_file_without_contact_ids_gets_stable_ids(client, office, sims_children):
    client.force_login(office)
    lines = [
        "UPN,Contact Forename,Contact Surname,Relationship,Parental Responsibility,Contact Email",
        "A812345678012,Rhian,Jones,Mother,Yes,rhian@example.test",
        "B812345678013,Rhian,Jones,Mother,Yes,rhian@example.test",
    ]
    _upload(client, "guardians", _bytes(lines))
    _confirm(client)
    rhian = Guardian.objects.get(first_name="Rhian")
    assert rhian.pupils.count() == 2  # one parent of two children, not two parents

    again = _upload(client, "guardians", _bytes(lines)).context["report"]
    assert [(r.number, r.action) for r in again.rows] == [(2, "No change"), (3, "No change")]
