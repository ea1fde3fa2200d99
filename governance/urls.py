from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("policy/", views.policy_page, name="policy"),
    path("policy/versions/<text:version>/", views.policy_version, name="policy_version"),
    path("governance/policy/", views.versions_admin, name="versions_admin"),
    path("governance/policy/new/", views.draft_version, name="draft_version"),
    path("governance/policy/<int:pk>/", views.version_detail, name="version_detail"),
    path("governance/policy/<int:pk>/edit/", views.edit_version, name="edit_version"),
    path("governance/policy/<int:pk>/publish/", views.publish_version, name="publish_version"),
    path("governance/leavers/", views.mark_leaver, name="leavers"),
]
