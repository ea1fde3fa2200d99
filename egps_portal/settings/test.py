"""Test overrides: fast hashing, in-memory email, eager tasks unless a test starts a worker."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests that need the real broker and a live worker configure them explicitly
# (tests/notifications/test_worker_integration.py); everything else runs tasks in-process.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
# A per-process cache: concurrent test runs must not share rate-limit counters.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The fixed cast signs in with force_login; MFA enforcement has its own tests.
PORTAL_ENFORCE_STAFF_MFA = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# django-zeal watches every request in the suite: a new N+1 query in any view fails its test.
# Two standalone .get() calls from one line are form validation (two ModelChoiceFields) or allauth's
# own lookups, not an N+1; User.roles is cached per instance, so request.user and one other loaded
# user (a calendar feed's owner) read staff_roles twice. Relation access stays watched.
INSTALLED_APPS += ["zeal"]  # noqa: F405
MIDDLEWARE = ["zeal.middleware.zeal_middleware", *MIDDLEWARE]  # noqa: F405
ZEAL_RAISE = True
ZEAL_SHOW_ALL_CALLERS = False
ZEAL_ALLOWLIST = [{"model": "*", "field": "get()"}, {"model": "accounts.User", "field": "staff_roles"}]

# Notes every POST the suite makes, through the test client or the browser tests' live server,
# so a whole-suite run fails when a view that accepts POST was never posted to (tests/post_coverage.py).
MIDDLEWARE = ["tests.post_coverage.RecordPostsMiddleware", *MIDDLEWARE]
