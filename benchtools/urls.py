"""The portal's urlconf plus the bench's R2 page. Mounted only by the bench's settings (bench/settings.py)."""

from django.urls import path

from egps_portal.urls import urlpatterns as portal_urlpatterns

from . import views

urlpatterns = [path("bench/r2/", views.reference, name="bench_r2"), *portal_urlpatterns]
