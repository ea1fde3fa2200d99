"""Only the platforms URLs, mounted where egps_portal/urls.py mounts them: these tests do not
depend on other apps' URL modules, which other people change at the same time."""

from django.urls import include, path

urlpatterns = [path("platforms/", include("platforms.urls"))]
