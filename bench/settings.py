"""Settings for the benchmark only (bench/run.py): the production settings plus the bench's tooling.

benchtools adds `manage.py seed_demo --scale N` (bench/seed.py) and the R2 reference page
(benchtools/urls.py wraps the portal's urlconf). Production settings never install it.
"""

from egps_portal.settings.base import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "benchtools"]  # noqa: F405
ROOT_URLCONF = "benchtools.urls"
