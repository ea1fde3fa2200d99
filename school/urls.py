from django.urls import path

from . import views

app_name = "school"
urlpatterns = [
    path("children/", views.children, name="children"),
    path("children/<int:pupil_id>/", views.child, name="child"),
    path("pupils/", views.pupils, name="pupils"),
    path("pupils/export.csv", views.pupils_csv, name="pupils_csv"),
    path("pupils/<int:pupil_id>/", views.pupil, name="pupil"),
    path("classes/", views.classes, name="classes"),
    path("classes/<int:class_id>/", views.class_detail, name="class"),
    path("guardians/", views.guardians, name="guardians"),
    path("guardians/new/", views.guardian_create, name="guardian_create"),
    path("staff/", views.staff, name="staff"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("accounts/<int:user_id>/invite/", views.invite, name="invite"),
    path("roles/", views.roles, name="roles"),
    path("roles/<int:role_id>/remove/", views.role_remove, name="role_remove"),
    path("import/", views.import_upload, name="import"),
    path("import/preview/", views.import_preview, name="import_preview"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/template/<slug:kind>.csv", views.import_template, name="import_template"),
    path("sync/", views.sync_status, name="sync"),
    path("sync/now/", views.sync_now, name="sync_now"),
    path("sync/runs/<int:run_id>/", views.sync_run_detail, name="sync_run"),
    path("sync/runs/<int:run_id>/confirm/", views.sync_confirm, name="sync_confirm"),
    path("sync/review/", views.sync_review, name="sync_review"),
    path("sync/review/<int:change_id>/done/", views.sync_reviewed, name="sync_reviewed"),
    path("settings/", views.school_settings, name="settings"),
    path("settings/hours/", views.school_hours, name="hours"),
    path("settings/terms/", views.term_add, name="term_add"),
    path("settings/terms/<int:term_id>/remove/", views.term_remove, name="term_remove"),
    path("settings/closures/", views.closure_add, name="closure_add"),
    path("settings/closures/<int:closure_id>/remove/", views.closure_remove, name="closure_remove"),
]
