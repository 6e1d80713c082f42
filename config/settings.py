"""The one settings module. Everything that differs between machines comes from the environment;
the defaults are safe for a developer's laptop. `.env.example` lists every variable."""

import datetime as dt
import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int, env_list, env_str
from core.mailurl import SMTP_BACKEND, email_url_settings

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "django_ratelimit",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "core",
    "accounts",
    "apikeys",
    "pipelines",
    "leads",
    "calls",
    "tasks",
    "routing",
    "events",
    # Before django_tasks_db: its db_worker command is replaced by webhooks' own.
    "webhooks",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "api",
    "ui",
]

MIDDLEWARE = [
    # Before anything reads the Host header or redirects to HTTPS.
    "config.middleware.HealthCheckMiddleware",
    # Before anything asks whether the request is secure (X-Forwarded-Proto, trusted proxies).
    "config.middleware.UntrustedProxyHeadersMiddleware",
    # API requests: HTTPS required without a redirect, chunked bodies, the JSON error envelope.
    "api.middleware.APIMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ui.middleware.DisplayTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After the user is known (its 400 page has the user's menu), before any view reads input.
    "ui.middleware.RefuseNulMiddleware",
    # Last, as django-axes asks: it turns a lockout signalled during authentication into the
    # lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        # A health check before a request's first query on a reused connection: after a
        # database restart, the next request reconnects instead of failing (a 503) on the
        # dropped connection, once per worker. On PostgreSQL a busy connection's socket is
        # looked at and the server asked only when it has said something, or after 5 s of
        # quiet (core/postgresql/base.py says what that misses); `0` skips the check.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "core.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers must wait for each other instead of failing with "database is locked":
    # IMMEDIATE takes the write lock when a transaction begins (no deadlocking lock upgrades),
    # the timeout is how long a writer waits, and WAL lets readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # An in-memory test database cannot be shared by the live server's threads without
    # "table is locked" errors, so tests use a file too.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache (rate limiting lives here) -------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis: its incr is one atomic server-side script (EXISTS + INCRBY), one
            # round trip, which the rate limit's counters need.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "crm",
            # A dead Redis must not stall requests: fail fast, the API then serves unlimited.
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        }
    }
    SILENCED_SYSTEM_CHECKS = []
else:
    # One process (runserver, the test suite): a local memory cache is exact. Run several
    # processes (gunicorn) only with REDIS_URL set, or each worker would count on its own.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

RATELIMIT_USE_CACHE = "default"

# --- Auth, sessions, security ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out login before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "ui:home"
LOGOUT_REDIRECT_URL = "login"

# Password guessing, on /login/ and /admin/login/ alike (django-axes). Only failures count,
# keyed by the account *and* the address together, and by the address alone: guessing one
# account from one address, or many accounts from one address, is stopped; nobody elsewhere
# can lock a real user out of their account. A success clears that user's failures.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.http.request_client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Read in development too, so that a typo fails on the laptop rather than in production.
_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000, minimum=0)
if not DEBUG:
    # Pages redirect plain HTTP to HTTPS; the API refuses it instead (api.middleware).
    SECURE_SSL_REDIRECT = _SSL_REDIRECT
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp) on every page: scripts, styles and images from this
# origin only, nothing inline; no framing, no plugins, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The business runs on Indian Standard Time: date filters are IST days and the UI shows IST.
DISPLAY_TIME_ZONE = "Asia/Kolkata"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development (and the test suite, which runs with the development settings) WhiteNoise
# serves straight from the app directories; in production from STATIC_ROOT after collectstatic.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
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

# --- Request limits -------------------------------------------------------------------------
# The API's JSON parser enforces this for every request body (DRF streams bodies past Django's
# own check). 64 KiB is far above any real lead or call log.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024, minimum=1)
# POST /api/v1/leads/bulk (up to 100 leads) alone may send more.
API_MAX_BULK_BODY_BYTES = env_int("API_MAX_BULK_BODY_BYTES", 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Tasks ----------------------------------------------------------------------------------
# An inbound call logged as Missed or No Answer makes a "Call back" task due this long after.
CALLBACK_TASK_MINUTES = env_int("CALLBACK_TASK_MINUTES", 15, minimum=0)

# --- The API --------------------------------------------------------------------------------
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 100, minimum=1)
# Failed authentications allowed per client IP per minute before 429 (valid keys never count).
API_AUTH_FAILURES_PER_MINUTE = env_int("API_AUTH_FAILURES_PER_MINUTE", 30, minimum=1)
DEFAULT_PHONE_REGION = env_str("DEFAULT_PHONE_REGION", "IN").upper()
try:
    TRUSTED_PROXIES = [
        ipaddress.ip_network(cidr, strict=False) for cidr in env_list("TRUSTED_PROXIES")
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from exc

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.APIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasKeyPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.renderers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.renderers.AlwaysJSON",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StrictLimitOffsetPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "COERCE_DECIMAL_TO_STRING": False,
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Lead CRM API",
    "DESCRIPTION": (
        "REST API v1 for leads and call logs. Authenticate with `Authorization: Bearer le_live_…` "
        'or `X-API-Key: le_live_…`. Every error is `{"error": {"code", "message", '
        '"field"?}}`. Date filters are `YYYY-MM-DD` days in IST (UTC+05:30).'
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LeadStatus": "pipelines.rules.LeadStatus",
        "LeadPriority": "leads.rules.LeadPriority",
        "CallType": "calls.rules.CallType",
        "CallOutcome": "calls.rules.CallOutcome",
        "ErrorCode": "api.schema.ERROR_CODE_CHOICES",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": False},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.strip_trailing_slashes",
        "api.schema.add_links",
        "api.schema.add_idempotency",
        "api.schema.add_unavailable",
    ],
}

# --- Background tasks and outbound webhooks ---------------------------------------------------
# Django's Tasks API (django-tasks). "database" (default) keeps the queue in the app's database,
# in the same transaction as the change (`python manage.py db_worker`); "rq" puts it in Redis
# (REDIS_URL; `python manage.py rqworker --with-scheduler`).
TASKS_BACKEND = env_str("TASKS_BACKEND", "database").lower()
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL.")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND={TASKS_BACKEND!r}: use database or rq.")
RQ_SHOW_ADMIN_LINK = False
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}}
# A worker says it is alive this often; one silent for TASKS_WORKER_DEAD_AFTER seconds is taken
# for dead, and the tasks it was running go back to the queue.
TASKS_HEARTBEAT_SECONDS = env_int("TASKS_HEARTBEAT_SECONDS", 5, minimum=1)
TASKS_WORKER_DEAD_AFTER = env_int("TASKS_WORKER_DEAD_AFTER", 30, minimum=2)


def _retry_schedule(value: str) -> list[float]:
    try:
        steps = [float(step) for step in value.split(",") if step.strip()]
    except ValueError as exc:
        raise ImproperlyConfigured(f"WEBHOOK_RETRY_SCHEDULE: {exc}") from exc
    if not steps or any(step < 0 or step != step for step in steps):
        raise ImproperlyConfigured("WEBHOOK_RETRY_SCHEDULE: comma-separated seconds, >= 0.")
    return steps


# The delay before each attempt, the first being the first attempt (±20 % jitter applies).
WEBHOOK_RETRY_SCHEDULE = _retry_schedule(
    env_str("WEBHOOK_RETRY_SCHEDULE", "0,5,300,1800,7200,18000,36000,36000")
)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Every worker's relay hands due webhook messages to the task queue this often (milliseconds):
# the most a message waits for its first attempt, beside the worker's own polling.
WEBHOOK_RELAY_INTERVAL_MS = env_int("WEBHOOK_RELAY_INTERVAL_MS", 200, minimum=10)
# A message handed this long ago and not taken by a worker is handed again (its task was lost:
# Redis restarted, a crash between commit and enqueue). Longer than a busy queue's usual wait:
# handing a message that still has its task costs a wasted claim, never a second delivery.
WEBHOOK_SWEEP_AFTER_SECONDS = env_int("WEBHOOK_SWEEP_AFTER_SECONDS", 120, minimum=1)
# Certificates (PEM) that HTTPS receivers' certificates must chain to, instead of the system's
# trust store: for receivers behind a private CA.
WEBHOOK_CA_BUNDLE = env_str("WEBHOOK_CA_BUNDLE")
# Lifts the SSRF guard's address check: for receivers on an internal network, and tests.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)

# --- Email (a lead routed to a rep: routing.notify) -------------------------------------------
# EMAIL_URL names the server in one URL (core.mailurl: smtp://user:pass@host:587?tls=1,
# smtps://…, console://); without it, the usual EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS and EMAIL_USE_SSL; without those, emails are printed on
# stdout (console). The test suite always uses Django's in-memory outbox.
if env_str("EMAIL_URL"):
    _email = email_url_settings(env_str("EMAIL_URL"))
elif env_str("EMAIL_HOST"):
    _email = {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": env_str("EMAIL_HOST"),
        "EMAIL_PORT": env_int("EMAIL_PORT", 25, minimum=1),
        "EMAIL_HOST_USER": env_str("EMAIL_HOST_USER"),
        "EMAIL_HOST_PASSWORD": env_str("EMAIL_HOST_PASSWORD"),
        "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", False),
        "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", False),
    }
else:
    _email = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL: choose one.")
# A mail server that does not answer holds up the request that routed a lead this long, at most
# (the email is sent after the lead is committed, and a failure is only logged).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Lead CRM <crm@localhost>")
# The app's public address, for links in emails (e.g. https://crm.example.com); unset: none.
SITE_URL = env_str("SITE_URL").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"SITE_URL={SITE_URL!r}: an http(s) address, e.g. https://crm.example.com"
    )

# --- Logging -------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r}: use DEBUG, INFO, WARNING or ERROR.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Every 4xx would be a WARNING line from django.request; a client guessing keys or URLs
    # would flood the log. Errors (5xx) are still logged, with their traceback.
    # django-axes logs every login at INFO; its lockouts are WARNINGs.
    "loggers": {
        "django.server": {"level": "ERROR"},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
