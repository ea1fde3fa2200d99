"""allauth's Microsoft paths and URL names, served by the portal's adapter that also checks the ID
token (accounts.sso.PortalMicrosoftAdapter). Included before allauth.urls, so these win."""

from django.urls import path

from . import sso

urlpatterns = [
    path("microsoft/login/", sso.microsoft_login, name="microsoft_login"),
    path("microsoft/login/callback/", sso.microsoft_callback, name="microsoft_callback"),
]
