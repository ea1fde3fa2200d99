"""The page shell's menus, drawn once per process for each set of roles.

The menus themselves are worked out once per set of roles (toolkit.registry.menus_for); their
links are the same on every page a person with those roles opens, so drawing them through the
template engine on every request (some fifty variables for a head) was a fixed cost of every page.
What differs per person or per request (their address, the sign-out form's token) stays in
base.html.
"""

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from toolkit.registry import Menus

register = template.Library()

_drawn: dict[tuple, SafeString] = {}


@receiver(setting_changed, dispatch_uid="portal.templatetags.shell.forget_drawn_menus")
def forget_drawn_menus(**kwargs):
    """A test that changes templates, urls or apps gets the menus drawn again."""
    _drawn.clear()


def _draw(template_name: str, menus: Menus) -> SafeString:
    # Keyed by the menus' own items (labels and URLs, already per urlconf and script prefix), not
    # by the page's lazy `menus`, which holds on to its request.
    key = (template_name, menus.main, menus.account)
    found = _drawn.get(key)
    if found is None:
        # Only the menus: no request, so no context processor and nothing personal in the markup.
        drawn_from = Menus(main=menus.main, account=menus.account)
        found = _drawn[key] = render_to_string(template_name, {"menus": drawn_from})
    return found


@register.simple_tag
def main_menu(menus: Menus) -> SafeString:
    """The menu row's drop-downs and links."""
    return _draw("portal/_main_menu.html", menus)


@register.simple_tag
def account_menu(menus: Menus) -> SafeString:
    """The account drop-down's links."""
    return _draw("portal/_account_menu.html", menus)
