from django.urls import path

from . import family_views, feeds, views

app_name = "calls"
urlpatterns = [
    path("", views.call_list, name="list"),
    path("book/", views.book, name="book"),
    path("approvals/", views.approvals, name="approvals"),
    path("<int:call_id>/", views.detail, name="detail"),
    path("<int:call_id>/decide/", views.decide, name="decide"),
    path("<int:call_id>/checklist/", views.tick, name="tick"),
    path("<int:call_id>/meeting/", views.meeting_details, name="meeting_details"),
    path("<int:call_id>/new-join-link/", views.new_join_link, name="new_join_link"),
    path("<int:call_id>/start/", views.start_as_host, name="start_as_host"),
    path("<int:call_id>/time/", views.change_time, name="change_time"),
    path("<int:call_id>/cancel/", views.cancel, name="cancel"),
    path("family/", family_views.family, name="family"),
    path("family/<int:call_id>/", family_views.family_call, name="family_call"),
    path("family/<int:call_id>/answer/", family_views.answer, name="answer"),
    path("family/children/<int:pupil_id>/put-back/", family_views.put_back, name="put_back"),
    path("family/<int:call_id>/join/", family_views.family_join, name="family_join"),
    path("family/<int:call_id>/send-again/", family_views.send_again, name="send_again"),
    path("join/<str:token>/", family_views.join, name="join"),
    path("calendar/", feeds.feed_settings, name="feed_settings"),
    path("calendar/new/", feeds.feed_change, name="feed_change"),
    path("calendar/<str:token>.ics", feeds.feed, name="feed"),
]
