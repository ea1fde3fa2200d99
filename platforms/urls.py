from django.urls import path

from . import views

app_name = "platforms"
urlpatterns = [
    path("bbb/callback/", views.bbb_callback, name="bbb_callback"),
]
