"""Every date, time and date-and-time box in the portal shows its value (issue 17).

The browser's own pickers (<input type="date">, "time", "datetime-local") accept only ISO
values; an en-GB "20/11/2026" shows as an empty box, and saving the form then erases the date.
This renders every form class of every portal app with a date and time in every such field and
checks the value attribute, so a new form with a plain DateInput fails here.
"""

import contextlib
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.conf import settings
from django.urls import get_resolver
from django.utils import translation

from toolkit.forms import DateInput, DateTimeLocalInput, TimeInput

PORTAL_APPS = [
    "accounts",
    "school",
    "portal",
    "governance",
    "notifications",
    "consent",
    "calls",
    "sessionlogs",
    "safeguarding",
    "platforms",
]
PICKERS = {"date", "time", "datetime-local"}
LONDON = ZoneInfo("Europe/London")
# 9:05 on 3 February: single digits, so day/month order and zero padding both show.
VALUES = {
    "date": (dt.date(2026, 2, 3), "2026-02-03"),
    "time": (dt.time(9, 5), "09:05"),
    "datetime-local": (dt.datetime(2026, 2, 3, 9, 5, tzinfo=LONDON), "2026-02-03T09:05"),
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def portal_forms():
    # Loading the URLconf imports every page's views (and the admin's registrations), so every form a
    # page can show is defined by then; no module is imported by name.
    assert get_resolver().url_patterns
    found = {f for f in _subclasses(forms.BaseForm) if f.__module__.split(".")[0] in PORTAL_APPS}
    return sorted(found, key=lambda f: f"{f.__module__}.{f.__qualname__}")


def _fields(form_class):
    """The class's declared fields and, where the form can be built without arguments, the
    fields its __init__ adds (the school hours form builds one pair per weekday)."""
    fields = dict(form_class.base_fields)
    # A form that needs a pupil, a call or a user to build: its class-level fields are still checked.
    with contextlib.suppress(TypeError, KeyError, AttributeError, ValueError):
        fields.update(form_class().fields)
    return fields


def picker_fields():
    rows = []
    for form_class in portal_forms():
        for name, field in _fields(form_class).items():
            if getattr(field.widget, "input_type", None) in PICKERS:
                rows.append(pytest.param(form_class, name, field, id=f"{form_class.__module__}.{form_class.__name__}.{name}"))
    return rows


PICKER_FIELDS = picker_fields()


def test_the_search_finds_the_portals_date_and_time_boxes():
    """The list below is not empty by accident: the boxes issue 17 was about are in it."""
    ids = {p.id for p in PICKER_FIELDS}

    assert {
        "governance.forms.PolicyVersionForm.agreed_on",
        "governance.forms.LeaverForm.left_on",
        "calls.forms.WhenFields.start_time",
        "safeguarding.forms.AbsenceForm.starts_at",
    } <= ids
    assert len(ids) >= 15


@pytest.mark.parametrize(("form_class", "name", "field"), PICKER_FIELDS)
def test_every_date_and_time_box_renders_an_iso_value_the_browser_can_show(form_class, name, field, settings):
    settings.TIME_ZONE = "Europe/London"
    value, iso = VALUES[field.widget.input_type]
    bound = forms.Form(initial={name: value})
    bound.fields[name] = field

    with translation.override("en-gb"):
        html = str(bound[name])

    assert re.search(rf'type="{field.widget.input_type}"', html)
    assert f'value="{iso}"' in html, html


@pytest.mark.parametrize("widget", [DateInput(), TimeInput(), DateTimeLocalInput()])
def test_a_format_passed_to_the_shared_widgets_cannot_make_them_unreadable(widget):
    stubborn = type(widget)(format="%d/%m/%Y")
    value, iso = VALUES[widget.input_type]

    with translation.override("en-gb"):
        assert stubborn.format_value(value) == iso


def test_no_template_writes_its_own_date_box_with_a_non_iso_value():
    """A hand-written <input type="date" value="{{ x }}"> would print the en-GB date. Any such
    box must format its value itself (|date:"Y-m-d", "H:i" or "Y-m-d\\TH:i")."""
    templates = [p for d in settings.TEMPLATES[0]["DIRS"] for p in Path(d).rglob("*.html")]
    templates += [p for app in PORTAL_APPS for p in Path(settings.BASE_DIR, app, "templates").rglob("*.html")]
    offending = []
    for path in templates:
        for tag in re.findall(r"<input[^>]*>", path.read_text(), flags=re.S):
            picker = re.search(r'type="(date|time|datetime-local)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if picker and value and "{{" in value.group(1) and not re.search(r'\|date:"(Y-m-d|H:i|Y-m-d\\TH:i)"', value.group(1)):
                offending.append(f"{path}: {tag}")

    assert len(templates) > 20
    assert offending == []
