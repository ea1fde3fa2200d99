from django.urls import path

from . import family_views, overview_views, views

app_name = "governance"
urlpatterns = [
    path("policy/", views.policy_page, name="policy"),
    path("policy/versions/<text:version>/", views.policy_version, name="policy_version"),
    path("governance/policy/", views.versions_admin, name="versions_admin"),
    path("governance/policy/new/", views.draft_version, name="draft_version"),
    path("governance/policy/<int:pk>/", views.version_detail, name="version_detail"),
    path("governance/policy/<int:pk>/edit/", views.edit_version, name="edit_version"),
    path("governance/policy/<int:pk>/publish/", views.publish_version, name="publish_version"),
    path("governance/audit/", views.audit_search, name="audit"),
    path("governance/leavers/", views.mark_leaver, name="leavers"),
    path("governance/retention/", views.retention_runs, name="retention"),
    path("governance/family/", family_views.family_index, name="family_index"),
    path("governance/family/<int:pupil_id>/", family_views.family_data, name="family_data"),
    path("governance/family/<int:pupil_id>/download.json", family_views.family_data_json, name="family_data_json"),
    path("governance/overview/", overview_views.overview_page, name="overview"),
    path("governance/overview/export.csv", overview_views.overview_csv, name="overview_csv"),
    path("governance/overview/section/<slug:key>/", overview_views.overview_section, name="overview_section"),
    path("governance/overview/list/<slug:metric>/", overview_views.overview_list, name="overview_list"),
]
