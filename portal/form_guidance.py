"""Specific words instead of "This field is required." on every form (GOV.UK error messages).

Django's default required message does not say which field or what to do. Rather than write a
message on each of the project's (and allauth's) fields, every bound form rewrites the untouched
default after cleaning into one that names the field and the action: "Enter …", "Choose …",
"Tick …", "Choose a file for …". A field that sets its own `required` message keeps it.
"""

from django import forms
from django.forms.utils import pretty_name
from django.utils.text import capfirst

DEFAULT_REQUIRED = forms.Field.default_error_messages["required"]

CHOICE_WIDGETS = (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple, forms.SelectMultiple)


def _label(form, name, field) -> str:
    label = str(field.label if field.label is not None else pretty_name(name)).rstrip(":").strip()
    # "Start time (UK time)" -> "start time (UK time)"; keep words that are all capitals (DSL, URL).
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


def required_message(form, name, field) -> str:
    label = _label(form, name, field)
    if isinstance(field, forms.BooleanField):
        return capfirst(f"tick the box: {label}")
    if isinstance(field, forms.FileField):
        return f"Choose a file for {label}"
    if isinstance(field.widget, CHOICE_WIDGETS) or isinstance(field, forms.ChoiceField):
        return f"Choose {label}"
    return f"Enter {label}"


def _specific(error, message):
    if error.code == "required" and str(error.message) == str(DEFAULT_REQUIRED):
        return forms.ValidationError(message, code="required")
    return error


def rewrite_required_messages(form) -> None:
    for name, errors in list(form._errors.items()):
        field = form.fields.get(name)
        if field is None:
            continue
        message = required_message(form, name, field)
        form._errors[name] = form.error_class([_specific(error, message) for error in errors.as_data()], renderer=form.renderer)


def install() -> None:
    """Called once from PortalConfig.ready(): wraps BaseForm.full_clean."""
    if getattr(forms.BaseForm.full_clean, "_guided", False):
        return
    original = forms.BaseForm.full_clean

    def full_clean(self):
        original(self)
        if self._errors:
            rewrite_required_messages(self)

    full_clean._guided = True
    forms.BaseForm.full_clean = full_clean
