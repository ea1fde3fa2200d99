from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:message_id>/", views.message_detail, name="message"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:message_id>/retry/", views.retry, name="retry"),
    path("write/", views.compose_start, name="compose_start"),
    path("write/<int:pupil_id>/", views.compose, name="compose"),
    path("staff-messages/", views.staff_messages, name="staff_messages"),
    path("staff-messages/<int:message_id>/", views.staff_message, name="staff_message"),
]
