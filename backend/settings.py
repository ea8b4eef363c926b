"""KennisCloud settings — one file, driven by environment variables.

With nothing set it runs for local development: SQLite, the in-memory channel layer, debug on
127.0.0.1. `DATABASE_URL` switches to PostgreSQL, `REDIS_URL` to the channels-redis layer, a Redis
cache and Redis presence. Without debug it refuses to start unless `DJANGO_SECRET_KEY` and
`DJANGO_ALLOWED_HOSTS` are set.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_rate(name: str, default: str) -> str | None:
    """A DRF throttle rate such as `600/minute`; `off`: no limit."""
    value = os.environ.get(name) or default
    return None if value.strip().lower() == "off" else value


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "accounts",
    "groups",
    "chat",
    "moderation",
    "resources",
    "meetups",
    "notifications",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "backend.urls"
ASGI_APPLICATION = "backend.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: our queries are short, and the planner's guess for the per-thread unread counts
        # made PostgreSQL spend ~200 ms compiling a 1 ms query (docs/performance.md).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
        # Prepared statements for the few plain statements run through rows.prepared_cursor (every
        # send's access read): parsed and planned once per connection. Django's own cursors never
        # prepare. Off (KENNISCLOUD_DB_PREPARE=0) behind a transaction-mode pooler that cannot
        # keep them (PgBouncer before 1.21, or without max_prepared_statements).
        DATABASES["default"]["OPTIONS"].setdefault(
            "prepare_threshold", 5 if env_bool("KENNISCLOUD_DB_PREPARE", True) else None
        )
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "KENNISCLOUD_DB_POOL", True
    ):
        from psycopg_pool import ConnectionPool

        # ASGI runs ORM calls in worker threads: reuse connections instead of one per call.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env_int("KENNISCLOUD_DB_POOL_SIZE", 10),
            "timeout": 10,
            # Test a pooled connection before handing it out (one empty round trip): after a database
            # restart or network cut the idle ones are dead, and each would fail one request.
            "check": ConnectionPool.check_connection,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("KENNISCLOUD_SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")),
            # A generous timeout: SQLite serialises writers, and several ASGI tasks may write at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: channel layer, cache, presence --------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    # After Redis restarts, every idle pooled connection is dead; without one immediate retry on a
    # fresh connection each of them fails one command (a frame answered `unavailable`) long after
    # Redis is back. Timeouts are not retried: the command may have run.
    REDIS_RECONNECT_ONCE = AsyncRetry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "backend.channel_layer.RedisChannelLayer",  # channels-redis, outliving outages
            "CONFIG": {
                # Idle receivers block in BZPOPMIN for 5 s; redis-py 8's default socket timeout is
                # also 5 s, so the read would race the reply and crash the consumer (socket dropped).
                # redis-py 8's async pool stops at 100 connections and then raises (it does not
                # wait): a burst of ~100 sockets connecting at once crashed consumers in bench/.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,
                        "retry": REDIS_RECONNECT_ONCE,
                        "max_connections": env_int("KENNISCLOUD_REDIS_MAX_CONNECTIONS", 2000),
                    }
                ],
                "prefix": os.environ.get("KENNISCLOUD_CHANNEL_PREFIX", "kc"),
                # Sockets re-join their groups on every ping, so expiry only reaps dead channels.
                "group_expiry": env_int("KENNISCLOUD_GROUP_EXPIRY", 86400),
                "capacity": env_int("KENNISCLOUD_CHANNEL_CAPACITY", 500),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "backend.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("KENNISCLOUD_CACHE_PREFIX", "kc"),
            "OPTIONS": {"retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth & accounts (django-allauth headless) ----------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Mandatory: a new account logs in by the link in its confirmation e-mail. Only then can a sign-up
# with an address that already has an account answer exactly like a new one (the owner gets an
# "account already exists" e-mail instead): no account enumeration through the sign-up.
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("KENNISCLOUD_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
HEADLESS_ONLY = True
HEADLESS_CLIENTS = ("browser",)
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": "/account/verify-email/{key}",
    "account_reset_password": "/account/password/reset",
    "account_reset_password_from_key": "/account/password/reset/key/{key}",
    "account_signup": "/account/signup",
}
if env_bool("KENNISCLOUD_DISABLE_AUTH_RATE_LIMITS", False):
    ACCOUNT_RATE_LIMITS = False  # test suites log in many times from one address

_smtp_host = os.environ.get("EMAIL_HOST", "")
if _smtp_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp_host,
                "port": env_int("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "KennisCloud <noreply@localhost>")

SESSION_COOKIE_SECURE = not DEBUG and env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SAMESITE = "Lax"
# Production is HTTPS only (the proxy terminates TLS and says so in X-Forwarded-Proto): plain HTTP is
# redirected — except the health checks, which the orchestrator calls on the worker directly — and
# browsers are told to remember it (HSTS; set DJANGO_HSTS_SECONDS=0 while trying HTTPS out).
SECURE_SSL_REDIRECT = not DEBUG and env_bool("DJANGO_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# `GET /metrics` answers loopback callers, and others that send this token as a Bearer token.
KENNISCLOUD_METRICS_TOKEN = os.environ.get("KENNISCLOUD_METRICS_TOKEN", "")
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)

# Nothing may load from, or connect to, another origin: no CDNs, fonts, trackers.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- REST -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Both refuse meetup guests on every view that has not opted in (backend/permissions.py).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.permissions.GuestGuardBearerTokenAuthentication",
        "backend.permissions.GuestGuardSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backend.permissions.RefuseGuests"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "backend.schema.AutoSchema",  # error responses, anonymous reads
    "EXCEPTION_HANDLER": "backend.exceptions.api_exception_handler",
    # Per address without an account, per user across all their sessions and tokens, their writes,
    # and the expensive reads (backend/throttling.py); counted in the cache (Redis when set).
    "DEFAULT_THROTTLE_CLASSES": [
        "backend.throttling.AnonRateThrottle",
        "backend.throttling.UserRateThrottle",
        "backend.throttling.WriteRateThrottle",
        "backend.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("KENNISCLOUD_ANON_RATE", "300/minute"),
        "user": env_rate("KENNISCLOUD_USER_RATE", "600/minute"),
        "write": env_rate("KENNISCLOUD_WRITE_RATE", "120/minute"),
        "search": env_rate("KENNISCLOUD_SEARCH_RATE", "120/minute"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")
SPECTACULAR_SETTINGS = {
    "TITLE": "KennisCloud API",
    "DESCRIPTION": "Knowledge groups, threads and live conversations. See docs/api.md and docs/protocol.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "SupportRequestStateEnum": "meetups.models.SupportState",
        "QuestionStateEnum": "meetups.models.QuestionState",
        "SummaryStateEnum": ["draft", "published"],
        "ResourceKindEnum": "resources.models.Kind",
        "MeetupStatusEnum": "meetups.models.MeetupStatus",
        "RsvpAnswerEnum": "meetups.models.RsvpAnswer",
    },
}

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"  # clients show local time; the API speaks UTC
USE_TZ = True

# --- Static files and the built frontend ----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
FRONTEND_DIST = Path(os.environ.get("KENNISCLOUD_FRONTEND_DIST", BASE_DIR / "frontend" / "dist"))
WHITENOISE_ROOT = FRONTEND_DIST if FRONTEND_DIST.is_dir() else None
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it in production
# Vite names built assets with a content hash: they can be cached forever.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/assets/.+-[A-Za-z0-9_-]{8,}\.\w+$"

# --- Background tasks ------------------------------------------------------------------------
# Django's task framework with a durable database backend; `manage.py db_worker` runs them (make run
# starts one next to the server; docker-compose has a `worker` service).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Realtime limits ------------------------------------------------------------------------
KENNISCLOUD = {
    "MAX_BODY_CHARS": env_int("KENNISCLOUD_MAX_BODY_CHARS", 10_000),
    "MAX_FRAME_BYTES": env_int("KENNISCLOUD_MAX_FRAME_BYTES", 64 * 1024),
    "RATE_LIMIT_MESSAGES": env_int("KENNISCLOUD_RATE_LIMIT_MESSAGES", 20),
    "RATE_LIMIT_WINDOW": env_int("KENNISCLOUD_RATE_LIMIT_WINDOW", 10),
    "RATE_LIMIT_WRITES": env_int("KENNISCLOUD_RATE_LIMIT_WRITES", 60),
    "CATCH_UP_LIMIT": env_int("KENNISCLOUD_CATCH_UP_LIMIT", 1000),
    "PRESENCE_TTL": env_int("KENNISCLOUD_PRESENCE_TTL", 60),
    "MAX_BAD_FRAMES": env_int("KENNISCLOUD_MAX_BAD_FRAMES", 20),
    # Bytes the server holds for one socket whose client stopped reading (beyond the kernel's socket
    # buffers): past it the connection is dropped and the client resumes by seq (docs/protocol.md).
    "MAX_SOCKET_BACKLOG": env_int("KENNISCLOUD_MAX_SOCKET_BACKLOG", 1024 * 1024),
    "TOKEN_FAILURES_PER_HOUR": env_int("KENNISCLOUD_TOKEN_FAILURES_PER_HOUR", 10),
    # Link previews (resources.fetch): fetched by the worker, never in a request or consumer.
    "PREVIEW_TIMEOUT": env_int("KENNISCLOUD_PREVIEW_TIMEOUT", 5),
    "PREVIEW_MAX_BYTES": env_int("KENNISCLOUD_PREVIEW_MAX_BYTES", 1024 * 1024),
    "PREVIEW_MAX_REDIRECTS": 3,
    # A failed preview is fetched again when its link is shared again, at most once per this many seconds.
    "PREVIEW_RETRY_AFTER": env_int("KENNISCLOUD_PREVIEW_RETRY_AFTER", 3600),
    # TEST ONLY: loopback ports the preview fetcher may connect to (the test suites' own local
    # HTTP servers). Empty in every real deployment: loopback is always refused then.
    "PREVIEW_TEST_LOOPBACK_PORTS": [int(p) for p in env_list("KENNISCLOUD_PREVIEW_TEST_LOOPBACK_PORTS", [])],
    # Run background tasks inside the server process (the zero-configuration `make run`, where the
    # in-memory channel layer cannot reach another process). With Redis run `manage.py db_worker`.
    "INPROCESS_WORKER": env_bool("KENNISCLOUD_INPROCESS_WORKER", False),
    "INPROCESS_WORKER_INTERVAL": float(os.environ.get("KENNISCLOUD_INPROCESS_WORKER_INTERVAL", "0.5")),
    # Collection suggestions: how long a conversation must be quiet before they are recomputed.
    "SUGGESTION_DEBOUNCE_SECONDS": env_int("KENNISCLOUD_SUGGESTION_DEBOUNCE_SECONDS", 10),
    "SUGGESTION_LIMIT": env_int("KENNISCLOUD_SUGGESTION_LIMIT", 8),
    # Catalogue imports by upload: the largest file accepted.
    "CATALOGUE_UPLOAD_MAX_BYTES": env_int("KENNISCLOUD_CATALOGUE_UPLOAD_MAX_BYTES", 200 * 1024 * 1024),
    # A library's remote catalogue (SRU) for ISBN lookups; empty: only the imported catalogue.
    "SRU_ADAPTER": os.environ.get("KENNISCLOUD_SRU_ADAPTER", ""),
    "SRU_URL": os.environ.get("KENNISCLOUD_SRU_URL", ""),
    # The public address of the site, for links in e-mails sent by the worker (no request there);
    # when empty the first DJANGO_CSRF_TRUSTED_ORIGINS entry is used.
    "SITE_URL": os.environ.get("KENNISCLOUD_SITE_URL", ""),
    # Meetups: guests keep access to a meetup's conversation this long after it ends.
    "GUEST_GRACE_MINUTES": env_int("KENNISCLOUD_GUEST_GRACE_MINUTES", 60),
    # Attempts to join by code (right or wrong) per client address per minute.
    "JOIN_RATE_PER_MINUTE": env_int("KENNISCLOUD_JOIN_RATE_PER_MINUTE", 10),
    # Reminders go out this many hours before a meetup starts.
    "REMINDER_HOURS_BEFORE": env_int("KENNISCLOUD_REMINDER_HOURS_BEFORE", 24),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # JSON lines without debug (for log collectors), plain text while developing.
    "formatters": {
        "json": {"()": "backend.logs.JsonFormatter"},
        "plain": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("KENNISCLOUD_LOG_FORMAT", "plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
