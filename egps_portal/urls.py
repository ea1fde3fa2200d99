from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from governance import urls as governance_urls
from oversight import urls as oversight_urls
from portal import account_views
from portal import views as portal_views

# The Django admin signs in through allauth, so its login is rate-limited and MFA-aware, and
# Django's own password form is never reached (portal.views.admin_login).
admin.site.login = portal_views.admin_login(secure_admin_login(admin.site.login))
admin.site.site_header = "EGPS Portal administration"

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("healthz", portal_views.healthz, name="healthz"),
    # Before allauth's URLs: addresses are the school's records, never changed by their holder (issue 16).
    path("accounts/email/", account_views.email_address, name="account_email"),
    # Staff sign-in with Microsoft: the portal's checks on allauth's own paths (accounts.sso).
    path("accounts/", include("accounts.sso_urls")),
    path("accounts/", include("allauth.urls")),
    # The oversight pages keep the URL names they were published under (governance:overview, ...).
    path("", include((governance_urls.urlpatterns + oversight_urls.urlpatterns, "governance"))),
    path("school/", include("school.urls")),
    path("notifications/", include("notifications.urls")),
    path("consent/", include("consent.urls")),
    path("calls/", include("calls.urls")),
    path("logs/", include("sessionlogs.urls")),
    path("safeguarding/", include("safeguarding.urls")),
    path("platforms/", include("platforms.urls")),
    path("django-admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
