from django.urls import path

from . import staff_views, views

app_name = "consent"
urlpatterns = [
    # Family pages.
    path("", views.family, name="family"),
    path("children/<int:pupil_id>/<text:scope>/<text:action>/", views.change, name="change"),
    path("guidance/", views.guidance, name="guidance"),
    path("guidance/acknowledge/", views.acknowledge, name="acknowledge"),
    path("questions/", views.questions, name="questions"),
    path("questions/<int:question_id>/", views.question, name="question"),
    # Staff pages.
    path("classes/", staff_views.classes, name="classes"),
    path("classes/<int:class_id>/", staff_views.class_view, name="class"),
    path("classes/<int:class_id>/consent.csv", staff_views.class_csv, name="class_csv"),
    path("classes/<int:class_id>/remind/", staff_views.class_remind, name="class_remind"),
    path("remind/", staff_views.school_remind, name="school_remind"),
    path("pupils/<int:pupil_id>/", staff_views.record, name="record"),
    path("requests/new/", staff_views.send_request, name="send_request"),
    path("queue/", staff_views.queue, name="queue"),
    path("queue/<int:question_id>/", staff_views.queue_question, name="queue_question"),
    path("acceptable-use/outstanding/", staff_views.outstanding_acknowledgements, name="outstanding"),
]
