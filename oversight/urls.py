"""The oversight pages. They keep the paths and URL names they were published under
(`governance:overview`, ...): egps_portal/urls.py serves them in the governance namespace."""

from django.urls import path

from . import family_views, overview_views, views

urlpatterns = [
    path("governance/audit/", views.audit_search, name="audit"),
    path("governance/retention/", views.retention_runs, name="retention"),
    path("governance/family/", family_views.family_index, name="family_index"),
    path("governance/family/<int:pupil_id>/", family_views.family_data, name="family_data"),
    path("governance/family/<int:pupil_id>/download.json", family_views.family_data_json, name="family_data_json"),
    path("governance/overview/", overview_views.overview_page, name="overview"),
    path("governance/overview/export.csv", overview_views.overview_csv, name="overview_csv"),
    path("governance/overview/section/<slug:key>/", overview_views.overview_section, name="overview_section"),
    path("governance/overview/list/<slug:metric>/", overview_views.overview_list, name="overview_list"),
]
