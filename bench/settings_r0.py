"""R0 of the benchmark: Django with no apps, no middleware, no database, one view returning a fixed
HttpResponse. The ceiling every page is compared with (bench/run.py serves it with gunicorn)."""

from django.http import HttpResponse
from django.urls import path

DEBUG = False
SECRET_KEY = "bench-r0-only-serves-a-fixed-string"  # noqa: S105 - no sessions, no signing, nothing to protect
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_I18N = False
ROOT_URLCONF = __name__


def hello(request):
    return HttpResponse(b"Hello from R0", content_type="text/plain")


urlpatterns = [path("r0/", hello)]
