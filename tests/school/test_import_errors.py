"""The MIS/CSV import tells the office every bad row in one pass, and says so in the page title
("Error: " first, as every form page does, so a screen reader hears it at once)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from school.models import Pupil

pytestmark = pytest.mark.django_db

SEVERAL_BAD_ROWS = (
    b"mis_id,first_name,last_name,date_of_birth,class\n"
    b"M1,Ada,Lovelace,10/12/2018,Year 3\n"
    b"M2,Alan,Turing,not a date,Year 5\n"
    b"M3,,Hopper,01/02/2019,Year 4\n"
    b"M4,Katherine,Johnson,31/02/2018,Year 3\n"
)
GOOD_FILE = b"mis_id,first_name,last_name,date_of_birth,class\nM1,Ada,Lovelace,10/12/2018,Year 3\n"


def _title(response) -> str:
    return " ".join(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).split())


def _upload(client, data):
    file = SimpleUploadedFile("export.csv", data)
    return client.post(reverse("school:import"), {"kind": "pupils", "file": file}, follow=True)


def test_a_file_with_several_bad_rows_shows_them_all_at_once_under_an_error_title(client, office):
    client.force_login(office)

    preview = _upload(client, SEVERAL_BAD_ROWS)
    page = preview.content.decode()

    assert _title(preview).startswith("Error: ")
    for row in ("Row 3", "Row 4", "Row 5"):
        assert f'href="#row-{row.split()[1]}"' in page, row
    assert "data-error-summary" in page
    assert not Pupil.objects.exists()


def test_confirming_a_file_with_bad_rows_is_refused_under_an_error_title(client, office):
    client.force_login(office)
    _upload(client, SEVERAL_BAD_ROWS)

    refused = client.post(reverse("school:import_confirm"), {"digest": client.session["school_import"]["digest"]})

    assert _title(refused).startswith("Error: ")
    assert not Pupil.objects.exists()


def test_a_good_file_previews_without_an_error_title(client, office):
    client.force_login(office)

    preview = _upload(client, GOOD_FILE)

    assert not _title(preview).startswith("Error")
