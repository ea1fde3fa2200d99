"""The test settings with django-zeal watching every request: an N+1 in any view raises NPlusOneError.

Try it: `DJANGO_SETTINGS_MODULE=egps_portal.settings.zeal pytest`. The lines below are meant to move
into settings/test.py once the suite passes with them (docs/readme-performance.md).
"""

from .test import *  # noqa: F403

INSTALLED_APPS += ["zeal"]  # noqa: F405
MIDDLEWARE = ["zeal.middleware.zeal_middleware", *MIDDLEWARE]  # noqa: F405
ZEAL_RAISE = True
ZEAL_SHOW_ALL_CALLERS = False
# Two standalone .get() calls from one line are form validation (two ModelChoiceFields) or allauth's
# own lookups, not an N+1: relation access (the real N+1) stays watched. User.roles is cached per
# instance, so request.user and one other loaded user (a calendar feed's owner) read staff_roles twice.
ZEAL_ALLOWLIST = [{"model": "*", "field": "get()"}, {"model": "accounts.User", "field": "staff_roles"}]
