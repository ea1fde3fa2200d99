"""Template pieces for forms that guide (GOV.UK patterns)."""

from django import template
from django.forms import BaseForm

register = template.Library()


def _forms_in(value, depth=0):
    """Forms held directly in a context value, or one level down in a dict of forms
    (pages with several forms pass them as e.g. ``forms.action``)."""
    if isinstance(value, BaseForm):
        yield value
    elif isinstance(value, dict) and depth == 0:
        for inner in value.values():
            yield from _forms_in(inner, depth + 1)


@register.simple_tag(takes_context=True)
def error_title_prefix(context):
    """ "Error: " at the start of the page title when any form on the page failed, so a screen
    reader hears at once that the page came back with problems (GOV.UK error summary). A page whose
    problems come from elsewhere than a form (the rows of an uploaded file) sets `page_has_errors`."""
    if context.get("page_has_errors"):
        return "Error: "
    for value in context.flatten().values():
        for form in _forms_in(value):
            if form.is_bound and form.errors:
                return "Error: "
    return ""
