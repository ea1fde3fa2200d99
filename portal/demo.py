"""The demo school (`manage.py demo`, the browser tests, the bench): every app's demo data, idempotent.

Each app registers its `demo.seed(now)` in its AppConfig.ready() (toolkit.registry); they run in
INSTALLED_APPS order, the school directory first, in one transaction.
"""

from django.db import transaction

from school.demo import DEMO_PASSWORD, DOMAIN, demo_email
from toolkit.registry import demo_seeders

__all__ = ["DEMO_PASSWORD", "DOMAIN", "demo_email", "seed_demo_school"]


@transaction.atomic
def seed_demo_school(now) -> None:
    for seed in demo_seeders():
        seed(now)
