"""Settings, read from the environment (and `.env` when present).

With nothing set, the project needs no server: SQLite and Celery's filesystem broker under
`var/`. Production sets DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis).
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    # Before django.contrib.admin: its change-page and list templates add the "Events" link
    # (the database history) to every tracked model's admin pages.
    "pghistory.admin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "djmoney",
    "django_tables2",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "pgtrigger",
    "pghistory",
    "hoopbilling",
    "agencies",
    "subaccounts",
    "wallets",
    "djstripe",
    "anymail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A view that cannot reach the database answers 503 with Retry-After, not 500.
    "hoopbilling.outages.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hoopbilling.security.PrivateNoStoreMiddleware",
    "hoopbilling.history.HistoryMiddleware",
    "hoopbilling.security.LoginRateLimitMiddleware",
    "hoopbilling.security.ApiBodySizeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "hoopbilling.urls"
WSGI_APPLICATION = "hoopbilling.wsgi.application"

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
                "wallets.payments.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: IMMEDIATE transactions serialise writers up front
    # instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20,
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # psycopg prepares nothing without a threshold, even when asked. Django's own cursors bind
    # on the client and never prepare; only hoopbilling.db.prepared_cursor asks, for each of
    # its statements, so the threshold itself is never reached.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)

# Money: every currency an agency may bill in has platform base costs in the catalog.
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD")
DEFAULT_CURRENCY = "USD"

# Celery: Redis in production; with no broker configured, kombu's filesystem transport under
# var/ so `make run` needs no server. Its exchange tables (`control_folder`, else a `control/`
# folder in whatever directory the process starts in) live there too.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery-broker"
    _queue_dir.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task taken but not acknowledged (acks late) is handed to another worker after
        # this long: longer than any task runs, and longer than a top-up attempt's lease
        # (ATTEMPT_LEASE, 5 minutes, in wallets/payments/topups.py), so a redelivered
        # attempt arrives once the lease is over and takes the attempt over.
        "visibility_timeout": 10 * 60,
        # A web process sending a task gives up quickly when Redis is down (the billing jobs
        # find that work from rows); the worker keeps reconnecting (below).
        "socket_connect_timeout": 1,
        "socket_timeout": 10,
        "retry_on_timeout": True,
        "health_check_interval": 25,
    }
# The worker survives a broker outage: it keeps reconnecting, at start-up too, and never
# gives up; a task it was running when the connection dropped runs to its end and its message
# is delivered again later (every task is safe to run twice).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A web request publishing a task while the broker is down: a few quick tries, then it is
# left to the billing jobs (hoopbilling.outages.task_enqueue).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0,
                                    "interval_step": 0.2, "interval_max": 0.5}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Mail: EMAIL_URL is an SMTP (or console, file...) URL, or `anymail://<esp>` for an email
# service provider's API through django-anymail (`anymail://postmark`, `anymail://mailgun`,
# `anymail://amazon_ses`), configured by ANYMAIL_* variables: ANYMAIL_POSTMARK_SERVER_TOKEN
# becomes ANYMAIL["POSTMARK_SERVER_TOKEN"], ANYMAIL_WEBHOOK_SECRET ANYMAIL["WEBHOOK_SECRET"].
# Every mail goes through the outbox (hoopbilling.mail), sent by the workers.
_email_url = env("EMAIL_URL", default="consolemail://")
if _email_url.startswith("anymail://"):
    _esp = _email_url.removeprefix("anymail://").strip("/")
    EMAIL_BACKEND = f"anymail.backends.{_esp}.EmailBackend"
else:
    vars().update(env.email_url_config(_email_url))
ANYMAIL = {name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items()
           if name.startswith("ANYMAIL_")}
# Seconds one SMTP exchange may take before the worker gives up on that try.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="billing@hoopbilling.localhost")

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
# Fernet keys for secrets kept in the database (hoopbilling/encryption.py), comma-separated,
# the newest first; unset, they are derived from SECRET_KEY and SECRET_KEY_FALLBACKS.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Secrets that sign the ledger's entries and checkpoints (hoopbilling/signing.py),
# comma-separated, the newest first; unset, derived from SECRET_KEY and SECRET_KEY_FALLBACKS.
LEDGER_HMAC_KEYS = env.list("LEDGER_HMAC_KEYS", default=[])
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
# Where the card page loads Stripe.js from (Stripe serves it only from js.stripe.com; tests
# point it at a stand-in).
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
# dj-stripe: webhooks arrive at /stripe/webhook/<uuid>/ (`manage.py stripe_webhook_setup`
# records STRIPE_WEBHOOK_SECRET on that endpoint); the signature is always checked.
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
if STRIPE_API_BASE:
    STRIPE_API_HOST = STRIPE_API_BASE
# dj-stripe's own migrations take minutes to apply (Django re-renders its ~90 models for each
# of 500+ field removals). The zero-setup SQLite database of `make run` (and whoever sets
# DJSTRIPE_SKIP_MIGRATIONS) creates its tables straight from its models instead
# (`migrate --run-syncdb`); test databases do the same (tests/conftest.py). A PostgreSQL
# deployment runs dj-stripe's real migrations (docs/PERFORMANCE.md).
if (DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        or env.bool("DJSTRIPE_SKIP_MIGRATIONS", default=False)):
    MIGRATION_MODULES = {"djstripe": None}
# Outbound webhooks may call http:// and private, loopback or link-local addresses (a
# receiver on this machine); otherwise only https:// to public addresses. DEBUG allows it too.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
# Absolute links in emails (the authentication page of a top-up).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "hoopbilling.schema.HoopAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["agencies.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["hoopbilling.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "hoopbilling.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    # Per API key (hoopbilling.ratelimit.ApiKeyRateThrottle): every API view, present and
    # future, unless it sets its own throttle_classes.
    "DEFAULT_THROTTLE_CLASSES": ["hoopbilling.ratelimit.ApiKeyRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HoopBilling API",
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security --------------------------------------------------------------------------------
# Always on, in development too: the cookies are HTTP-only, the session ends with the browser's
# idle day, and a page may not be framed or sniffed.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Request bodies: a usage batch of 1,000 events is well under 1 MB; anything far larger is
# refused (413 in the API's error shape, hoopbilling.security.ApiBodySizeMiddleware) before it
# is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Content-Security-Policy (django-csp): our pages load only our own static files; no inline
# script or style (confirmation prompts live in static/js/confirm.js).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Caches: rate-limit counters must be shared by every web process, so Redis whenever Redis is
# configured (REDIS_URL, or a Redis Celery broker); otherwise this process's memory (make run).
REDIS_URL = env("REDIS_URL", default="")
_cache_redis = REDIS_URL or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
if _cache_redis:
    # Short timeouts: a Redis that does not answer within them counts as down and the cache
    # fails open (hoopbilling.cache) instead of holding the request.
    CACHES = {"default": {"BACKEND": "hoopbilling.cache.SharedClientRedisCache",
                          "LOCATION": _cache_redis, "KEY_PREFIX": "hb",
                          "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Rate limits (hoopbilling.ratelimit). API: requests per key; login: failed attempts per
# account and per address within LOGIN_RATE_WINDOW seconds, then 429 until the window ends.
API_RATE_LIMIT = env("API_RATE_LIMIT", default="1200/min")
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_RATE_WINDOW = env.int("LOGIN_RATE_WINDOW", default=15 * 60)
# The caller's address (hoopbilling.security.client_address): REMOTE_ADDR, unless the app is
# reached through reverse proxies that append to X-Forwarded-For: then how many there are, or
# their addresses / networks (the one nearest the app last).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Password-reset requests (hoopbilling.password_reset): per address asked about and per
# caller's address within the window; over either, the same page answers and nothing is mailed.
PASSWORD_RESETS_PER_ACCOUNT = env.int("PASSWORD_RESETS_PER_ACCOUNT", default=3)
PASSWORD_RESETS_PER_ADDRESS = env.int("PASSWORD_RESETS_PER_ADDRESS", default=10)
PASSWORD_RESET_RATE_WINDOW = env.int("PASSWORD_RESET_RATE_WINDOW", default=60 * 60)

# Production (DJANGO_DEBUG=0): HTTPS only, behind a proxy that sets X-Forwarded-Proto.
# `manage.py check --deploy --fail-level WARNING` passes with these (tests/security).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    CSRF_TRUSTED_ORIGINS = env.list(
        "CSRF_TRUSTED_ORIGINS", default=[f"https://{host}" for host in ALLOWED_HOSTS
                                         if host and not host.startswith(".") and host != "*"])
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
    if SECRET_KEY.startswith("dev-only"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG=0.")

# Database history (django-pghistory, hoopbilling/history.py): the triggers come with the
# apps' migrations (django-pgtrigger's default), never installed apart from them.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PGHISTORY_ADMIN_MODEL = "pghistory.MiddlewareEvents"
PGHISTORY_ADMIN_CLASS = "hoopbilling.admin.DatabaseHistoryAdmin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
