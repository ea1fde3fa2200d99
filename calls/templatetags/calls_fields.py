"""Choice lists written in Python for the calls pages' forms.

Django's widgets render one template per <option> or checkbox (about a third of a millisecond
each under load), and the staff and pupil lists run to dozens: most of the booking form's and the
call list's time. These tags write the same markup directly. Labels, names and ids still come from
the form, so validation, error messages and `label for=` stay Django's.
"""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


def _chosen(bound_field) -> set[str]:
    value = bound_field.value()
    values = value if isinstance(value, list | tuple) else [value]
    return {str(v) for v in values if v not in (None, "")}


def _choices(field):
    """(value, label) pairs; a model field's queryset is read in one plain query (no server-side cursor),
    or not at all when the form has already read it into `choice_rows`."""
    if hasattr(field, "queryset"):
        if getattr(field, "empty_label", None) is not None:
            yield "", field.empty_label
        for obj in getattr(field, "choice_rows", None) or field.queryset:
            yield obj.pk, field.label_from_instance(obj)
    else:
        yield from field.choices


@register.simple_tag
def options(bound_field):
    """The <option> elements of a select, the bound value selected."""
    chosen = _chosen(bound_field)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) in chosen else "", label) for value, label in _choices(bound_field.field)),
    )


@register.simple_tag
def checkboxes(bound_field, css_class="form-check"):
    """One checkbox per choice (a CheckboxSelectMultiple), each with its own label, ids as Django numbers them."""
    chosen, name, base = _chosen(bound_field), bound_field.html_name, bound_field.auto_id
    rows = (
        (css_class, name, value, f"{base}_{i}", " checked" if str(value) in chosen else "", f"{base}_{i}", label)
        for i, (value, label) in enumerate(_choices(bound_field.field))
    )
    return format_html_join(
        "",
        '<div class="{}"><input type="checkbox" name="{}" value="{}" class="form-check-input" id="{}"{}>'
        '<label class="form-check-label" for="{}">{}</label></div>',
        rows,
    )


@register.simple_tag
def field_errors(bound_field):
    return format_html_join("", '<div class="invalid-feedback d-block">{}</div>', ((e,) for e in bound_field.errors))


@register.simple_tag
def checked(bound_field):
    return mark_safe(" checked") if bound_field.value() else ""  # noqa: S308  # nosec B308 - a fixed string


@register.simple_tag
def required(bound_field):
    """` required` where Django's own widget would say so (not on a select without an empty choice)."""
    return mark_safe(" required") if bound_field.build_widget_attrs({}).get("required") else ""  # noqa: S308  # nosec B308 - a fixed string
