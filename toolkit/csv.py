"""CSV downloads that are safe to open in a spreadsheet.

A cell starting with = + - @ (or a tab or carriage return) is read by Excel and LibreOffice
as a formula, so a name typed by a parent could run on a staff member's computer (CSV
injection). Every CSV the portal exports goes through safe_cell().
"""

import csv

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The value as text, with a leading apostrophe if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header, rows) -> HttpResponse:
    """A CSV download: `header` then each row of `rows`, every cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so Excel reads UTF-8 names correctly
    writer = csv.writer(response)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response


class _Line:
    """A file-like object whose write() hands the CSV line back, so rows stream out one by one."""

    def write(self, value):
        return value


def streamed_csv_response(filename: str, header, rows) -> StreamingHttpResponse:
    """csv_response() written as it is sent, for exports that can be long (a pupil's whole
    contact history): the response never holds the file whole."""
    writer = csv.writer(_Line())

    def lines():
        yield "\ufeff"  # so Excel reads UTF-8 names correctly
        yield writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            yield writer.writerow([safe_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
