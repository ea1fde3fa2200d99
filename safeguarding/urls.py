from django.urls import path

from . import views

app_name = "safeguarding"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("raise/", views.raise_concern, name="raise"),
    path("receipts/", views.receipts, name="receipts"),
    path("receipts/<text:reference>/", views.receipt, name="receipt"),
    path("concerns/<int:concern_id>/", views.concern_detail, name="concern"),
    path("concerns/<int:concern_id>/entries/<int:entry_id>/correct/", views.correct_entry, name="correct"),
    path("pupils/<int:pupil_id>/", views.pupil_chronology, name="chronology"),
    path("pupils/<int:pupil_id>/export/", views.export_pupil_file, name="export"),
    path("availability/", views.availability, name="availability"),
    path("availability/<int:absence_id>/end/", views.end_availability, name="end_availability"),
    path("access/", views.access_log, name="access_log"),
]
