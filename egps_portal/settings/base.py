"""Settings for the EGPS Portal, driven by environment variables.

Every value has an embedded default that makes `python manage.py demo` work on a fresh
clone (SQLite, eager Celery, email to the console and a file). Production sets the
variables documented in README.md; bad values fail loudly at start-up.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from egps_portal.envfiles import PortalEnv

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Every variable below may also come from a file named by NAME_FILE (secrets; docs/deployment.md).
env = PortalEnv()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-the-demo-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Staff roles must set up TOTP before reaching any page about children (see accounts.middleware).
PORTAL_ENFORCE_STAFF_MFA = env.bool("PORTAL_ENFORCE_STAFF_MFA", default=True)
# Key for safeguarding text at rest; kept apart from database dumps (see README, Backups).
PORTAL_FIELD_ENCRYPTION_KEY = env.str("PORTAL_FIELD_ENCRYPTION_KEY", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "import_export",
    "auditlog",
    # The portal's own apps.
    "accounts",
    "school",
    "portal",
    "governance",
    "notifications",
    "consent",
    "calls",
    "sessionlogs",
    "safeguarding",
    "platforms",
    "oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the signed-in person kept per data version (one query less on every page).
    "accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMFAMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

ROOT_URLCONF = "egps_portal.urls"
WSGI_APPLICATION = "egps_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            # One date and time style on every screen (|day, |when): toolkit/dates.py.
            "builtins": ["toolkit.dates"],
        },
    },
]

# Local state of the embedded defaults (SQLite file, mail copies, uploads) lives in var/.
(BASE_DIR / "var").mkdir(exist_ok=True)

# Database: SQLite on a fresh clone, PostgreSQL when DATABASE_URL is set.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Redis is the Celery broker and the cache. Without it: eager tasks and a local cache.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # A Redis outage is a cache miss (egps_portal.cache), with short timeouts so no page waits long.
    CACHES = {
        "default": {
            "BACKEND": "egps_portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions in the database with a cache in front: a Redis outage signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 12 * 60 * 60  # the absolute cap; staff idle timeout is in accounts.middleware
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
# One date and time style, 24-hour (toolkit/dates.py). Locale formats win over settings, so the
# portal's own en-GB formats carry it: Django's would print "2:30 p.m.".
FORMAT_MODULE_PATH = ["egps_portal.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"

# Email: console and a file by default; EMAIL_URL (smtp://host:port) in production.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="EGPS Portal <portal@egps.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "notifications.backends.ConsoleAndFileBackend"

# Celery: the broker is Redis when set; otherwise every task runs eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# A task is acknowledged only when it has finished, and goes back to the queue if its
# worker dies: together with idempotent tasks, nothing is lost on a worker restart.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Longer than any task's time limit, so Redis never redelivers a task still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# Future work (reminders, chasing, escalation) is found by beat tasks reading the
# database, never by long eta/countdown. The schedule lives in egps_portal/celery.py.

# django-allauth: email and password, no usernames, no public sign-up.
ACCOUNT_ADAPTER = "portal.adapter.PortalAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
# Email subjects start with the school's name: portal.adapter.PortalAccountAdapter.format_email_subject.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PORTAL_BASE_URL.startswith("https") else "http"
# Failed sign-ins: 5 per account per 5 minutes. Per IP address only far above what a whole
# school behind one address (the school network, a mobile carrier) reaches in normal use, so a
# guesser there cannot lock everyone else out (issue 16); correct sign-ins per IP are capped only
# as a flood guard (allauth's default "login" of 30/m/ip counted every sign-in, right ones too).
ACCOUNT_RATE_LIMITS = {
    "login": "1000/m/ip",
    "login_failed": "200/10m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    # Where an invitation link lands: on invitation day a whole carrier address of families sets
    # passwords at once; the key itself is unguessable, so this only guards against floods.
    "reset_password_from_key": "300/m/ip",
}
# The per-IP limits need each person's own address: ALLAUTH_TRUSTED_PROXY_COUNT is set under
# "deployment" below (0 unless the portal is behind a reverse proxy of ours, so nobody escapes the
# limits by sending their own X-Forwarded-For).
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("PORTAL_REAUTH_SECONDS", default=15 * 60)
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "EGPS Portal"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

IMPORT_EXPORT_SKIP_ADMIN_LOG = True

# Audit history (GOV-3): the request's user is the actor; IP kept for investigations.
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline.
# Inline style attributes stay allowed (Bootstrap components and SVG charts set them); they
# cannot run code. The TOTP set-up page shows its QR code as a data: image.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Security headers. HTTPS settings switch on with DEBUG off (production behind TLS).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Permissions-Policy on every response: the portal itself never uses a camera or microphone (calls
# happen on the video platform's own site), so no page of it, nor anything it frames, may ask.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[PORTAL_BASE_URL])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Set by `manage.py demo`: shows a banner and turns off staff MFA for the demo accounts.
PORTAL_DEMO_MODE = env.bool("PORTAL_DEMO_MODE", default=False)

# --- video platform ---
# Which video platform applies the call settings (platforms.base.get_adapter). Switching a school from
# the manual checklist to BigBlueButton is these variables only. The shared secret comes from the
# environment and is never stored in the database.
PORTAL_PLATFORM = env.str("PORTAL_PLATFORM", default="manual")
PORTAL_BBB_URL = env.str("PORTAL_BBB_URL", default="")
PORTAL_BBB_SECRET = env.str("PORTAL_BBB_SECRET", default="")
PORTAL_BBB_CHECKSUM = env.str("PORTAL_BBB_CHECKSUM", default="sha256")
PORTAL_BBB_WEBCAMS_ONLY_FOR_MODERATOR = env.bool("PORTAL_BBB_WEBCAMS_ONLY_FOR_MODERATOR", default=True)
if PORTAL_PLATFORM not in ("manual", "bigbluebutton"):
    raise ImproperlyConfigured("PORTAL_PLATFORM must be 'manual' or 'bigbluebutton'.")
if PORTAL_PLATFORM == "bigbluebutton" and not (PORTAL_BBB_URL and PORTAL_BBB_SECRET):
    raise ImproperlyConfigured("PORTAL_PLATFORM=bigbluebutton needs PORTAL_BBB_URL and PORTAL_BBB_SECRET.")
if PORTAL_BBB_CHECKSUM not in ("sha1", "sha256", "sha384", "sha512"):
    raise ImproperlyConfigured("PORTAL_BBB_CHECKSUM must be sha1, sha256, sha384 or sha512.")

# --- outbox (email delivery) ---
# The outbox (notifications app): rows per delivery task, how long a worker holds the rows it
# claimed, how often beat sweeps for rows left behind, and the retry schedule for temporary
# SMTP failures (first wait, doubling, capped at an hour; FAILED after the last attempt).
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=100)
NOTIFICATIONS_LEASE_SECONDS = env.float("NOTIFICATIONS_LEASE_SECONDS", default=300)
NOTIFICATIONS_SWEEP_SECONDS = env.float("NOTIFICATIONS_SWEEP_SECONDS", default=60)
NOTIFICATIONS_RETRY_SECONDS = env.float("NOTIFICATIONS_RETRY_SECONDS", default=60)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=10)
# An SMTP server that hangs must not hold a worker past its lease.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
if NOTIFICATIONS_LEASE_SECONDS < 4 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured("NOTIFICATIONS_LEASE_SECONDS must be at least four times EMAIL_TIMEOUT.")
# Publishing a task must fail fast when Redis is unreachable: the outbox row waits for the sweep.
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("socket_connect_timeout", 2)

# --- retention ---
# Retention schedule (GOV-4), per record type; reasons in docs/governance.md. Periods are
# counted from when the record was made (calls: when the call ended), or from the day the pupil
# left, or to the pupil's 25th birthday for safeguarding records.
PORTAL_RETENTION = {
    "outbox_messages": {"years": 1},
    "join_records": {"years": 3},
    "session_logs": {"years": 3},
    "welfare_contacts": {"years": 3},
    "calls": {"years": 3},
    "consent_history": {"years_after_leaving": 3},
    "safeguarding": {"until_age": 25},
    "audit_log": {"years": 6},
}

# --- field encryption ---
# Concern text is encrypted at rest with django-fernet-encrypted-fields. The library derives
# each Fernet key from SECRET_KEY (and SECRET_KEY_FALLBACKS) salted with each SALT_KEY: the
# first pair encrypts, every pair decrypts. PORTAL_FIELD_ENCRYPTION_KEY may hold several
# comma-separated keys, the new one first (rotation: docs/safeguarding.md). Changing
# DJANGO_SECRET_KEY needs the old one in DJANGO_SECRET_KEY_FALLBACKS until rows are re-encrypted.
PORTAL_FIELD_ENCRYPTION_KEYS = [k.strip() for k in PORTAL_FIELD_ENCRYPTION_KEY.split(",") if k.strip()]
if not PORTAL_FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("PORTAL_FIELD_ENCRYPTION_KEY must be set when DJANGO_DEBUG is off.")
    PORTAL_FIELD_ENCRYPTION_KEYS = ["insecure-development-field-key-only-for-the-demo"]
SALT_KEY = PORTAL_FIELD_ENCRYPTION_KEYS
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

# --- database connections ---
# With persistent connections (DJANGO_CONN_MAX_AGE > 0) a database restart leaves each web thread
# holding a dead connection; the health check replaces it at the start of the next request instead
# of failing that request (bench/restarts.py proves recovery within seconds). No cost when CONN_MAX_AGE=0.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=True)
# The same backend whose health check also reads the data version (one round trip a page less).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "toolkit.postgresql"

# --- sessions ---
# Sessions: cached_db that keeps working when Redis is down (accounts.sessions.SessionStore), and
# one middleware for staff idle (30 min) and absolute (12 h) timeouts and the 429 on a locked-out
# sign-in (docs/trust.md).
SESSION_ENGINE = "accounts.sessions"
MIDDLEWARE.insert(MIDDLEWARE.index("accounts.middleware.StaffMFAMiddleware"), "accounts.sessions.SessionSecurityMiddleware")

# --- cached pages ---
# Pages are drawn once per data version and minute and then served as drawn (toolkit/summaries.py);
# off, every request draws its page (the query-count tests measure drawing this way).
PORTAL_CACHE_PAGES = env.bool("PORTAL_CACHE_PAGES", default=True)

# --- deployment ---
# X-Forwarded-Proto is proof of HTTPS only when a reverse proxy in front of gunicorn sets it and
# overwrites whatever the client sent (Caddy in docker-compose.yml). Without one, any client could
# send the header over plain HTTP and be treated as secure, so it is trusted only when the operator
# says the portal is behind such a proxy. The same proxy's X-Forwarded-For then gives allauth's
# sign-in rate limits the real client address instead of the proxy's.
DJANGO_BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if DJANGO_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of ours append to X-Forwarded-For (allauth reads the client's address that many
# from the right). PORTAL_TRUSTED_PROXY_COUNT is the same setting's other name, kept for operators
# who set it first.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int(
    "DJANGO_TRUSTED_PROXY_COUNT", default=env.int("PORTAL_TRUSTED_PROXY_COUNT", default=1 if DJANGO_BEHIND_PROXY else 0)
)
# Where collectstatic puts the files WhiteNoise serves (the image: /app/staticfiles, built in).
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(STATIC_ROOT)))
# The container health check calls /healthz over plain HTTP inside the container; it must get the
# answer, not a redirect to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# The database password may come apart from DATABASE_URL (POSTGRES_PASSWORD or
# POSTGRES_PASSWORD_FILE, the same secret file the postgres container reads), so the URL holds no
# secret and the password needs no URL-escaping.
_database_password = env.str("POSTGRES_PASSWORD", default="")
if env.str("POSTGRES_PASSWORD_FILE", default="") and not _database_password:
    raise ImproperlyConfigured("POSTGRES_PASSWORD_FILE names an empty file: put the database password in it.")
if _database_password and DATABASES["default"]["ENGINE"] == "toolkit.postgresql":
    if DATABASES["default"].get("PASSWORD") not in (None, "", _database_password):
        raise ImproperlyConfigured("DATABASE_URL has a password and POSTGRES_PASSWORD is another: set one.")
    DATABASES["default"]["PASSWORD"] = _database_password
# --- mis ---
# Directory sync through Wonde (docs/directory.md). Off until WONDE_SCHOOL_ID and a token are set;
# the token comes from the environment or a secret file, never from the database.
WONDE_API_URL = env("WONDE_API_URL", default="https://api.wonde.com/v1.0")
WONDE_SCHOOL_ID = env("WONDE_SCHOOL_ID", default="")
WONDE_TOKEN = env("WONDE_TOKEN", default="")
WONDE_PER_PAGE = env.int("WONDE_PER_PAGE", default=200)
WONDE_RETRIES = env.int("WONDE_RETRIES", default=4)
WONDE_RETRY_WAIT_SECONDS = env.float("WONDE_RETRY_WAIT_SECONDS", default=2.0)
# A run that would mark more than this share of the pupils on roll as left stops and asks the office.
DIRECTORY_SYNC_MAX_REMOVAL_SHARE = env.float("DIRECTORY_SYNC_MAX_REMOVAL_SHARE", default=0.1)
# The head's dashboard warns when no run has succeeded for this long.
DIRECTORY_SYNC_STALE_HOURS = env.int("DIRECTORY_SYNC_STALE_HOURS", default=24)

# --- Staff sign-in with Microsoft or Google ---
# Staff may sign in with the school's Microsoft 365 (Entra ID) or Google Workspace account; parents
# and anyone else keep email and password, which also stays as every staff member's fallback. Only
# existing staff accounts are matched, never created (accounts.sso; set-up: docs/platforms.md ("Staff sign-in")).
# A provider with no client ID is absent: no button, and its sign-in URL refuses.
from accounts.sso_config import SSOConfigError, authorize_origins, google_provider, microsoft_provider  # noqa: E402

INSTALLED_APPS += [
    "allauth.socialaccount",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.google",
]
SOCIALACCOUNT_ADAPTER = "accounts.sso.StaffSocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {}
try:
    if env.str("PORTAL_MICROSOFT_CLIENT_ID", default=""):
        SOCIALACCOUNT_PROVIDERS["microsoft"] = microsoft_provider(
            client_id=env.str("PORTAL_MICROSOFT_CLIENT_ID"),
            secret=env.str("PORTAL_MICROSOFT_CLIENT_SECRET", default=""),
            tenant=env.str("PORTAL_MICROSOFT_TENANT", default=""),
            domains=env.list("PORTAL_MICROSOFT_DOMAINS", default=[]),
        )
    if env.str("PORTAL_GOOGLE_CLIENT_ID", default=""):
        SOCIALACCOUNT_PROVIDERS["google"] = google_provider(
            client_id=env.str("PORTAL_GOOGLE_CLIENT_ID"),
            secret=env.str("PORTAL_GOOGLE_CLIENT_SECRET", default=""),
            workspace_domain=env.str("PORTAL_GOOGLE_WORKSPACE_DOMAIN", default=""),
        )
except SSOConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# The sign-in buttons post a form that redirects to the provider: CSP form-action must allow it.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += authorize_origins(SOCIALACCOUNT_PROVIDERS)
# No sign-up, no joining accounts by email address, no tokens kept: the adapter matches and connects.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# Off: staff signing in this way still need the portal's TOTP. On: a Microsoft sign-in whose ID token
# says multi-factor was used (amr contains "mfa") counts as the portal's second factor. Google's ID
# token says nothing about 2-Step Verification, so Google sign-ins count only when the school also
# states that its Workspace enforces 2SV for all staff (PORTAL_GOOGLE_TRUSTS_WORKSPACE_2SV).
PORTAL_SSO_TRUSTS_IDP_MFA = env.bool("PORTAL_SSO_TRUSTS_IDP_MFA", default=False)
PORTAL_GOOGLE_TRUSTS_WORKSPACE_2SV = env.bool("PORTAL_GOOGLE_TRUSTS_WORKSPACE_2SV", default=False)
# --- Video platforms: Teams, Meet, Zoom (platforms/zoom.py, teams.py, meet.py; docs/platforms.md) ---
# A hosted platform applies the policy through its API only when its credentials are set here
# (environment, or NAME_FILE naming a mounted secret, as every variable may: egps_portal.envfiles);
# a school then chooses it in its settings. PORTAL_MEET_SERVICE_ACCOUNT_FILE is itself a path: Google's
# client reads the service account's JSON key file.
PORTAL_ZOOM_ACCOUNT_ID = env.str("PORTAL_ZOOM_ACCOUNT_ID", default="")
PORTAL_ZOOM_CLIENT_ID = env.str("PORTAL_ZOOM_CLIENT_ID", default="")
PORTAL_ZOOM_CLIENT_SECRET = env.str("PORTAL_ZOOM_CLIENT_SECRET", default="").strip()
PORTAL_ZOOM_API_URL = env.str("PORTAL_ZOOM_API_URL", default="https://api.zoom.us/v2")
PORTAL_ZOOM_OAUTH_URL = env.str("PORTAL_ZOOM_OAUTH_URL", default="https://zoom.us/oauth/token")
# The Zoom user a meeting is created under when the host has no Zoom account of their own.
PORTAL_ZOOM_DEFAULT_HOST = env.str("PORTAL_ZOOM_DEFAULT_HOST", default="")
# Only signed-in Zoom users may join (meeting_authentication): only if every family has an account.
PORTAL_ZOOM_REQUIRE_AUTHENTICATION = env.bool("PORTAL_ZOOM_REQUIRE_AUTHENTICATION", default=False)
PORTAL_TEAMS_TENANT_ID = env.str("PORTAL_TEAMS_TENANT_ID", default="")
PORTAL_TEAMS_CLIENT_ID = env.str("PORTAL_TEAMS_CLIENT_ID", default="")
PORTAL_TEAMS_CLIENT_SECRET = env.str("PORTAL_TEAMS_CLIENT_SECRET", default="").strip()
PORTAL_TEAMS_GRAPH_URL = env.str("PORTAL_TEAMS_GRAPH_URL", default="https://graph.microsoft.com/v1.0")
PORTAL_TEAMS_AUTHORITY = env.str("PORTAL_TEAMS_AUTHORITY", default="https://login.microsoftonline.com")
PORTAL_TEAMS_DEFAULT_HOST = env.str("PORTAL_TEAMS_DEFAULT_HOST", default="")
PORTAL_MEET_SERVICE_ACCOUNT_FILE = env.str("PORTAL_MEET_SERVICE_ACCOUNT_FILE", default="")
PORTAL_MEET_DELEGATED_USER = env.str("PORTAL_MEET_DELEGATED_USER", default="")
PORTAL_MEET_API_ENDPOINT = env.str("PORTAL_MEET_API_ENDPOINT", default="meet.googleapis.com")
# Meeting creation, drift checks and attendance reads retry this many times (429/5xx) before
# the call is shown to the host and the head as "not created".
PORTAL_PLATFORM_MAX_RETRIES = env.int("PORTAL_PLATFORM_MAX_RETRIES", default=8)
