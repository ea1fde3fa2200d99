"""Small filters for the oversight pages (the compliance overview, a family's data)."""

import datetime as dt

from django import template

from toolkit.dates import day, when

register = template.Library()


@register.filter
def label(key: str) -> str:
    """'decided_at' -> 'Decided at'."""
    return str(key).replace("_", " ").capitalize()


@register.filter
def show(value) -> str:
    """A value from a family's data as a person reads it (UK dates, Yes/No)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return when(value)
    if isinstance(value, dt.date):
        return day(value)
    if isinstance(value, list):
        return "; ".join(" ".join(show(v) for v in item.values()) if isinstance(item, dict) else show(item) for item in value)
    return str(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")
