"""LuckyGas settings: one module, configured from the environment.

With no environment at all the project runs on an embedded default (SQLite, in-memory
channel layer, local-memory cache, eager Celery) so `make run` works on a bare machine.
`DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis. With `DJANGO_DEBUG` off
(the default) the production hardening below applies and a secret key is required.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from luckygas.configuration import Reader

BASE_DIR = Path(__file__).resolve().parent.parent

# Every variable is declared in luckygas/configuration.py (type, default, meaning, process) and
# read here once, through `read` (secrets also from `NAME_FILE`); apps read django.conf.settings.
env = environ.Env()
read = Reader(env)
env_secret = read.secret


DEBUG = read("DJANGO_DEBUG")
SECRET_KEY = read("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_DEBUG is off."
        )
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105
# Old secret keys still accepted (sessions, password reset links, bank account numbers) after a rotation.
SECRET_KEY_FALLBACKS = [key.strip() for key in (read("DJANGO_SECRET_KEY_FALLBACKS") or "").split(",") if key.strip()]

ALLOWED_HOSTS = read("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = read("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "django_celery_beat",
    "import_export",
    "waffle",
    "luckygas.delivery",
    "offline_sync",
    "sms",
    "banking",
    "dashboard",
    "v3import",
    "dispatch",
    "training",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "luckygas.middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "luckygas.middleware.DatabaseUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "luckygas.urls"
WSGI_APPLICATION = "luckygas.wsgi.application"
ASGI_APPLICATION = "luckygas.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "luckygas" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url_config(read("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")),
}
# Under ASGI (uvicorn workers) Django runs each request's sync code on a thread of its own, so a
# persistent connection (CONN_MAX_AGE > 0) is stranded with its thread until garbage collection
# and PostgreSQL runs out of clients. Web processes use psycopg's pool instead
# (DATABASE_POOL_MAX_SIZE connections per process); without it every request connects anew.
DATABASES["default"]["CONN_MAX_AGE"] = read("DATABASE_CONN_MAX_AGE")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_POOL_MAX_SIZE = read("DATABASE_POOL_MAX_SIZE")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_MAX_SIZE > 0:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": read("DATABASE_POOL_TIMEOUT_SECONDS"),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Eager Celery and the dev server write from several threads; wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = read("REDIS_URL") or ""

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": read("CACHE_KEY_PREFIX"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": read("CHANNELS_PREFIX")},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = read("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "Asia/Taipei"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# --- Auth --------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Language and time -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hant"
# Each language is named in itself, so a user can always find their own.
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = read("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
# npm packages are copied here by `make assets` (never committed).
STATICFILES_DIRS = [path for path in [BASE_DIR / "build" / "static"] if path.exists()]
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
WHITENOISE_USE_FINDERS = DEBUG
# The user guides: `make docs` builds them into build/root/docs, served at /docs/ (public: a driver reads
# how to install the app before logging in). index.html answers for /docs/ and /docs/en/.
WHITENOISE_ROOT = BASE_DIR / "build" / "root"
WHITENOISE_INDEX_FILE = True
MEDIA_ROOT = read("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# --- API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every API parses JSON with a size and nesting limit (a hostile body is a 4xx, never a 500).
    "DEFAULT_PARSER_CLASSES": [
        "luckygas.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "luckygas.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LuckyGas API",
    "DESCRIPTION": "Driver sync, BI and operations endpoints of the LuckyGas back office.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}
DATA_UPLOAD_MAX_MEMORY_SIZE = read("DATA_UPLOAD_MAX_MEMORY_SIZE")

# --- Email -------------------------------------------------------------------------------
EMAIL_BACKEND = read(
    "DJANGO_EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
    ),
)
EMAIL_HOST = read("EMAIL_HOST")
EMAIL_PORT = read("EMAIL_PORT")
EMAIL_HOST_USER = read("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = read("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = read("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = read("DEFAULT_FROM_EMAIL")

# --- Logging: JSON lines on stdout, personal data masked in every record -----------------
LOG_LEVEL = read("DJANGO_LOG_LEVEL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "luckygas.logging.MaskPersonalDataFilter"}},
    "formatters": {"json": {"()": "luckygas.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["mask_personal_data"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "paramiko": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}

# --- Production hardening (DJANGO_DEBUG off) ---------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = read("DJANGO_SECURE_SSL_REDIRECT")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = read("DJANGO_SECURE_HSTS_SECONDS")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"

# --- LuckyGas ----------------------------------------------------------------------------
LUCKYGAS_COMPANY_NAME = read("LUCKYGAS_COMPANY_NAME")

# --- Dashboard exports ---------------------------------------------------------------------
# A running export renews its lease as it writes rows; one whose worker died (its lease over), or a waiting one
# whose queue message was lost (Redis flushed), is given to a worker again, at most EXPORT_ATTEMPTS times.
DASHBOARD_EXPORT_LEASE_SECONDS = read("DASHBOARD_EXPORT_LEASE_SECONDS")

# --- Driver sync (offline_sync) ------------------------------------------------------------
# The client policy a phone receives at bootstrap.
SYNC_PURGE_AFTER_DAYS = read("SYNC_PURGE_AFTER_DAYS")
SYNC_STORAGE_BUDGET_MB = read("SYNC_STORAGE_BUDGET_MB")
SYNC_GPS_INTERVAL_ONLINE_SECONDS = read("SYNC_GPS_INTERVAL_ONLINE_SECONDS")
SYNC_GPS_INTERVAL_OFFLINE_SECONDS = read("SYNC_GPS_INTERVAL_OFFLINE_SECONDS")
SYNC_MEDIA_MAX_BYTES = read("SYNC_MEDIA_MAX_BYTES")
# A push waits at most this long for its locks (another push of the device, an office edit of
# its stops); then it is answered 503 with Retry-After and nothing applied, and the phone resends.
SYNC_PUSH_LOCK_TIMEOUT_MS = read("SYNC_PUSH_LOCK_TIMEOUT_MS")
# Web Push is skipped unless both VAPID keys are configured.
WEBPUSH_VAPID_PRIVATE_KEY = read("WEBPUSH_VAPID_PRIVATE_KEY") or ""
WEBPUSH_VAPID_PUBLIC_KEY = read("WEBPUSH_VAPID_PUBLIC_KEY")
WEBPUSH_VAPID_SUBJECT = read("WEBPUSH_VAPID_SUBJECT")

# --- SMS (read by sms/conf.py at call time; a provider without credentials is not used) ----
SMS_MITAKE_BASE_URL = read("SMS_MITAKE_BASE_URL")
SMS_MITAKE_USERNAME = read("SMS_MITAKE_USERNAME") or ""
SMS_MITAKE_PASSWORD = read("SMS_MITAKE_PASSWORD") or ""
SMS_EVERY8D_BASE_URL = read("SMS_EVERY8D_BASE_URL")
SMS_EVERY8D_UID = read("SMS_EVERY8D_UID") or ""
SMS_EVERY8D_PASSWORD = read("SMS_EVERY8D_PASSWORD") or ""
SMS_TWILIO_BASE_URL = read("SMS_TWILIO_BASE_URL")
SMS_TWILIO_ACCOUNT_SID = read("SMS_TWILIO_ACCOUNT_SID") or ""
SMS_TWILIO_AUTH_TOKEN = read("SMS_TWILIO_AUTH_TOKEN") or ""
SMS_TWILIO_FROM = read("SMS_TWILIO_FROM")
SMS_BODY_KEYS = read("SMS_BODY_KEYS") or ""
SMS_CALLBACK_TOKEN = read("SMS_CALLBACK_TOKEN") or ""
SMS_CALLBACK_BASE_URL = read("SMS_CALLBACK_BASE_URL")
SMS_REDIS_URL = read("SMS_REDIS_URL")  # empty: REDIS_URL
SMS_REDIS_PREFIX = read("SMS_REDIS_PREFIX")
SMS_HTTP_TIMEOUT_SECONDS = read("SMS_HTTP_TIMEOUT_SECONDS")
SMS_SYSTEM_LIMIT_PER_MINUTE = read("SMS_SYSTEM_LIMIT_PER_MINUTE")
SMS_CUSTOMER_LIMIT_PER_DAY = read("SMS_CUSTOMER_LIMIT_PER_DAY")
SMS_CRITICAL_RECEIPT_TIMEOUT_SECONDS = read("SMS_CRITICAL_RECEIPT_TIMEOUT_SECONDS")
SMS_REDISPATCH_AFTER_SECONDS = read("SMS_REDISPATCH_AFTER_SECONDS")
SMS_RECONCILE_INTERVAL_SECONDS = read("SMS_RECONCILE_INTERVAL_SECONDS")
SMS_MARKETING_START = read("SMS_MARKETING_START")
SMS_MARKETING_END = read("SMS_MARKETING_END")
SMS_OPTED_OUT_ALLOWS_CRITICAL = read("SMS_OPTED_OUT_ALLOWS_CRITICAL")
SMS_CALLBACK_RATE_PER_MINUTE = read("SMS_CALLBACK_RATE_PER_MINUTE")
SMS_MARKETING_OPT_OUT_TEXT = read("SMS_MARKETING_OPT_OUT_TEXT")

# --- Banking ---------------------------------------------------------------------------------
BANKING_BREAKER_COOLDOWN_SECONDS = read("BANKING_BREAKER_COOLDOWN_SECONDS")
BANKING_TRANSPORT_MAX_ATTEMPTS = read("BANKING_TRANSPORT_MAX_ATTEMPTS")
BANKING_TRANSPORT_BACKOFF_SECONDS = read("BANKING_TRANSPORT_BACKOFF_SECONDS")
BANKING_FINANCE_EMAILS = read("BANKING_FINANCE_EMAILS")
# How long a session slot outlives a holder that stopped renewing it (a crashed worker), how long
# an idle session stays open (holding its slot) for reuse, how long a borrower waits for a slot.
BANKING_SFTP_LEASE_SECONDS = read("BANKING_SFTP_LEASE_SECONDS")
BANKING_SFTP_IDLE_SECONDS = read("BANKING_SFTP_IDLE_SECONDS")
BANKING_SFTP_SLOT_WAIT_SECONDS = read("BANKING_SFTP_SLOT_WAIT_SECONDS")
BANKING_SECRETS_DIR = read("BANKING_SECRETS_DIR")
BANKING_SECRETS_CACHE_SECONDS = read("BANKING_SECRETS_CACHE_SECONDS")
BANKING_DEVELOPMENT_SECRETS_DIR = Path(
    read("BANKING_DEVELOPMENT_SECRETS_DIR", default=BASE_DIR / "var" / "banking-secrets")
)

# --- Dispatch planning -------------------------------------------------------------------------
DISPATCH_SLOT_HOURS = read("DISPATCH_SLOT_HOURS")
DISPATCH_ROAD_FACTOR = read("DISPATCH_ROAD_FACTOR")
DISPATCH_SPEED_KMH = read("DISPATCH_SPEED_KMH")
DISPATCH_SERVICE_SECONDS_BASE = read("DISPATCH_SERVICE_SECONDS_BASE")
DISPATCH_SERVICE_SECONDS_PER_CYLINDER = read("DISPATCH_SERVICE_SECONDS_PER_CYLINDER")
ROUTING_OSRM_URL = read("ROUTING_OSRM_URL")
GEOCODER_URL = read("GEOCODER_URL")
DISPATCH_MAP_TILE_URL = read("DISPATCH_MAP_TILE_URL")

# Imports run in one transaction and a file with any bad row imports nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# --- Dashboard (issue 7): channel-layer read timeout ---------------------------------------
# redis-py 8 reads with a 5 s socket timeout by default, exactly channels-redis' 5 s blocking
# receive (BZPOPMIN): an idle websocket consumer then died with "Timeout reading from Redis".
# The layer's connections get a read timeout well above the blocking pop.
if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [{"address": REDIS_URL, "socket_timeout": 30}]
