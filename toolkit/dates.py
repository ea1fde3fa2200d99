"""One date and time style on every screen: "Mon 7 Dec", "Mon 7 Dec, 14:30", 24-hour clock.

The year is added only when it is not this year ("Wed 1 Sep 2021"), so the dates people meet
every day stay short and an old record is never mistaken for a recent one. Loaded for every
template (settings TEMPLATES builtins): `{{ call.starts_at|when }}`, `{{ pupil.date_of_birth|day }}`,
`{{ call.ends_at|clock }}`; Python that writes dates into text (emails, sentences for a page) calls the
same functions. Templates never use `|date:"..."` or `|time:"..."` (tests/portal/test_words.py), and a
date rendered bare falls back to the same style (egps_portal/formats/en_GB/formats.py).
"""

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()

# Written out here rather than through Django's format strings ("D j M", "H:i"): the same text
# in English whatever the server's locale, at a tenth of the cost (pages show dozens of them).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _local(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _day_text(value) -> str:
    text = f"{WEEKDAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]}"
    return text if value.year == timezone.localdate().year else f"{text} {value.year}"


def _clock_text(value, *, seconds: bool = False) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}"
    return f"{text}:{value.second:02d}" if seconds else text


@register.filter(expects_localtime=True, is_safe=False)
def day(value) -> str:
    """A date (or the date of a moment): "Mon 7 Dec", with the year if not this year."""
    if not isinstance(value, dt.date):
        return ""
    return _day_text(_local(value))


@register.filter(expects_localtime=True, is_safe=False)
def when(value, precision: str = "") -> str:
    """A moment: "Mon 7 Dec, 14:30", with the year if not this year. `|when:"seconds"` adds the
    seconds ("Mon 7 Dec, 14:30:05"), for access logs where the order of two reads matters."""
    if not isinstance(value, dt.date):
        return ""
    value = _local(value)
    if not isinstance(value, dt.datetime):
        return day(value)
    return f"{_day_text(value)}, {_clock_text(value, seconds=precision == 'seconds')}"


@register.filter(expects_localtime=True, is_safe=False)
def clock(value) -> str:
    """The time of a moment on the 24-hour clock: "14:30" (the end of "14:00 to 14:30")."""
    if not isinstance(value, dt.datetime | dt.time):
        return ""
    return _clock_text(_local(value))
