from django.urls import path

from . import views

app_name = "sessionlogs"
urlpatterns = [
    path("", views.index, name="index"),
    path("calls/<int:call_id>/", views.call_log, name="call_log"),
    path("calls/<int:call_id>/correct/", views.correct, name="correct"),
    path("calls/<int:call_id>/annotate/", views.annotate, name="annotate"),
    path("pupils/<int:pupil_id>/", views.pupil_history, name="pupil_history"),
    path("pupils/<int:pupil_id>/history.csv", views.pupil_history_csv, name="pupil_history_csv"),
    path("pupils/<int:pupil_id>/contacts/new/", views.new_welfare_contact, name="new_welfare_contact"),
    path("pupils/<int:pupil_id>/preference/", views.contact_preference, name="contact_preference"),
]
