"""The test settings with django-zeal watching every request: an N+1 in any view raises NPlusOneError.

Try it: `DJANGO_SETTINGS_MODULE=egps_portal.settings.zeal pytest`. The lines below are meant to move
into settings/test.py once the suite passes with them (docs/readme-performance.md).
"""

from .test import *  # noqa: F403

INSTALLED_APPS += ["zeal"]  # noqa: F405
MIDDLEWARE = ["zeal.middleware.zeal_middleware", *MIDDLEWARE]  # noqa: F405
ZEAL_RAISE = True
ZEAL_SHOW_ALL_CALLERS = False
