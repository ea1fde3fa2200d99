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
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

register = template.Library()

DAY = "D j M"
YEAR = " Y"
CLOCK = "H:i"


def _local(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _day_format(value) -> str:
    return DAY if value.year == timezone.localdate().year else DAY + YEAR


@register.filter(expects_localtime=True, is_safe=False)
def day(value) -> str:
    """A date (or the date of a moment): "Mon 7 Dec", with the year if not this year."""
    if not isinstance(value, dt.date):
        return ""
    value = _local(value)
    return date_filter(value, _day_format(value))


@register.filter(expects_localtime=True, is_safe=False)
def when(value, precision: str = "") -> str:
    """A moment: "Mon 7 Dec, 14:30", with the year if not this year. `|when:"seconds"` adds the
    seconds ("Mon 7 Dec, 14:30:05"), for access logs where the order of two reads matters."""
    if not isinstance(value, dt.date):
        return ""
    value = _local(value)
    if not isinstance(value, dt.datetime):
        return day(value)
    clock_format = CLOCK + ":s" if precision == "seconds" else CLOCK
    return date_filter(value, f"{_day_format(value)}, {clock_format}")


@register.filter(expects_localtime=True, is_safe=False)
def clock(value) -> str:
    """The time of a moment on the 24-hour clock: "14:30" (the end of "14:00 to 14:30")."""
    if not isinstance(value, dt.datetime | dt.time):
        return ""
    return date_filter(_local(value), CLOCK)
