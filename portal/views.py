from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache

from toolkit import summaries
from toolkit.registry import panels_for, tasks_for


@login_required
def home(request):
    """Each person's dashboard: first what needs them now (the task list), then everything else."""
    now = timezone.now()
    # Drawn once per data version and minute, then served as drawn (toolkit/summaries.py).
    return summaries.render(
        request,
        "portal/home.html",
        lambda: {"tasks": tasks_for(request, now), "panels": panels_for(request, now), "roles": request.user.role_labels()},
        name="dashboard",
    )


@never_cache
def healthz(request):
    """Database and broker status as JSON, for load balancers and docker-compose."""
    status = {"database": _database_status(), "broker": _broker_status()}
    # Without the broker the portal still serves pages and queues email in the outbox,
    # so only a database failure makes the web process unhealthy.
    overall = "ok" if status["broker"] in {"ok", "eager"} else "degraded"
    if status["database"] != "ok":
        overall = "unavailable"
    return JsonResponse({"status": overall, **status}, status=503 if overall == "unavailable" else 200)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        return "unavailable"


def _broker_status() -> str:
    from django.conf import settings

    if not settings.REDIS_URL:
        return "eager"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "unavailable"


def admin_login(login_view):
    """The Django admin's login, never as a password form: allauth's secure_admin_login sends a
    signed-out visitor to the portal's own sign-in (rate-limited, MFA-aware), but hands a signed-in
    member of staff straight to Django's login view, whose POST would sign them in as whoever's
    password they type, without that account's second factor (issue 16). A POST from a signed-in
    user therefore goes back to the admin index, unread; a GET is Django's own redirect there."""

    @wraps(login_view)
    def view(request, *args, **kwargs):
        if request.method == "POST" and request.user.is_authenticated:
            return redirect("admin:index")
        return login_view(request, *args, **kwargs)

    return view
