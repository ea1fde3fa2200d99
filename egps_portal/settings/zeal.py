"""Kept for the bench scripts that name it: the test settings now run django-zeal themselves."""

from .test import *  # noqa: F403
