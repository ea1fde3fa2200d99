"""CSV exports cannot smuggle spreadsheet formulas (CSV injection)."""

import csv
import io

import pytest

from toolkit.csv import csv_response, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+44 1632 960000", "'+44 1632 960000"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_cell_neutralises_only_formula_starts(value, expected):
    assert safe_cell(value) == expected


def test_csv_response_is_a_download_with_every_cell_made_safe():
    response = csv_response("people.csv", ["name", "=note"], [["=HYPERLINK(1)", "fine"], ["Bo", None]])

    body = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert response["Content-Type"].startswith("text/csv")
    assert rows == [["name", "'=note"], ["'=HYPERLINK(1)", "fine"], ["Bo", ""]]
