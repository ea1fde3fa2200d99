"""The little of iCalendar (RFC 5545) the calendar feeds need, written straight to text.

The `icalendar` library builds a tree of typed property objects and folds every line through a
general parser: about 1 ms per event, most of a feed's time. A feed holds only a handful of
property kinds (text, UTC times, integers), so the text is built here directly; the tests parse
it back with `icalendar` to prove it is the same calendar.
"""

import datetime as dt

CRLF = "\r\n"
# RFC 5545 3.1: lines longer than 75 octets are folded, continuation lines start with a space.
LINE_OCTETS = 75


def text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def utc(moment: dt.datetime) -> str:
    """A DATE-TIME in UTC form, e.g. 20261110T100000Z."""
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """One content line, folded at 75 octets without splitting a UTF-8 character."""
    if line.isascii():
        if len(line) <= LINE_OCTETS:
            return line
        rest = LINE_OCTETS - 1
        return (CRLF + " ").join([line[:LINE_OCTETS], *(line[i : i + rest] for i in range(LINE_OCTETS, len(line), rest))])
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        limit = LINE_OCTETS if not parts else LINE_OCTETS - 1  # the leading space counts
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def calendar(properties: list[tuple[str, str]], events: list[list[tuple[str, str]]]) -> bytes:
    """A VCALENDAR of already-formatted (name, value) pairs, one list of them per VEVENT."""
    lines = ["BEGIN:VCALENDAR", *(fold(f"{name}:{value}") for name, value in properties)]
    for event in events:
        lines.append("BEGIN:VEVENT")
        lines.extend(fold(f"{name}:{value}") for name, value in event)
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return (CRLF.join(lines) + CRLF).encode()
