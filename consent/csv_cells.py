"""CSV cells that a spreadsheet will never run as a formula (CSV/formula injection).

A cell starting with = + - @, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula; a pupil or guardian name typed as `=HYPERLINK(...)` would then
run on the office computer that opens the export. Such a cell gets a leading apostrophe,
which spreadsheets show as plain text (OWASP's advice).
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
