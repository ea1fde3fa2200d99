from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("policy/", views.policy, name="policy"),
]
