"""Settings for every environment, read from the environment (see .env.example).

With DEBUG on and nothing else set the portal runs on an embedded default: SQLite, tasks run
in-process and e-mails written to var/mail/. Set DATABASE_URL and REDIS_URL to run on
PostgreSQL and Redis; with DEBUG off the portal refuses to start without them.
"""

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from foundation import brand

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-3f9a1c7e5b2d8f4a6c0e"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

# The foundation's identity is data, so any foundation can run the portal.
FOUNDATION_NAME = env.str("FOUNDATION_NAME", default="PyTorch Foundation")
FOUNDATION_SHORT_NAME = env.str("FOUNDATION_SHORT_NAME", default="PyTorch")
# A static path to the logo shown in the header, and the main colour (browser chrome and accents).
FOUNDATION_LOGO = env.str("FOUNDATION_LOGO", default="brand/pytorch-logo.svg")
FOUNDATION_COLOR = env.str("FOUNDATION_COLOR", default="#ee4c2c")
# The stylesheet's brand tokens made from FOUNDATION_COLOR: base.html's one <style> holds this
# exact text, which the Content-Security-Policy below allows by its hash (no nonce: public
# pages are cached byte for byte).
try:
    FOUNDATION_STYLE = brand.style(FOUNDATION_COLOR)
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from error

# The cloud credit programme. Levels count an organization's confirmed contributions in the
# programme year: CREDITS_PROGRAMME_YEAR (e.g. 2027), or unset for the calendar year of the
# day asked (credits.programme_year), so a running server rolls over on 1 January.
# CREDITS_CONFERENCE_DATE (ISO, e.g. 2027-10-22) is when the next conference's keynote falls:
# benefits due "by the next conference" are due then.
CREDITS_PROGRAMME_YEAR = env.int("CREDITS_PROGRAMME_YEAR", default=None)
_conference = env.str("CREDITS_CONFERENCE_DATE", default="")
CREDITS_CONFERENCE_DATE = date.fromisoformat(_conference) if _conference else None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "csp",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "foundation",
    "foundation.accounts",
    "foundation.billing",
    "foundation.checklists",
    "members",
    "credits",
    "projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "foundation.outage.DatabaseOutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "foundation.canonical_urls.LowerCaseSlugMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "foundation.staff_mfa.StaffSecondFactorMiddleware",
    "foundation.admin_actions.SelectedRowsMiddleware",
]

ROOT_URLCONF = "foundation.urls"
WSGI_APPLICATION = "foundation.wsgi.application"

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
                "foundation.context_processors.branding",
            ],
        },
    },
]

# The embedded defaults (SQLite here, in-process tasks below) are for development only: in
# production a missing URL is a mistake, so it stops the portal rather than split its state.
DATABASE_URL = env.str("DATABASE_URL", default="")
if not DATABASE_URL:
    if not DEBUG:
        raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG is off.")
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A kept connection is checked before each request reuses it, so after a database restart
# the portal reconnects by itself instead of failing its next request in every process.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, sessions and the Celery broker live in Redis when REDIS_URL is set, so several web
# servers and workers can run side by side. Without it (DEBUG only) everything stays in this
# process.
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL and not DEBUG:
    raise ImproperlyConfigured("REDIS_URL must be set when DEBUG is off.")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "foundation.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
        }
    }
    # Sessions are written to the database and read from the cache: a restarted Redis
    # signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True

CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task delivered but not acknowledged (its worker was killed) goes back to the queue this
# many seconds after delivery. Longer than any task runs and than any retry's countdown (an
# unacknowledged message waiting for its time counts too: up to an hour's backoff), or a slow
# task would run twice at once.
# Each worker looks for such messages every 10 s (one cheap Redis read; kombu's default
# throttle makes it every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60),
    "unacked_restore_throttle": 1,
}
# foundation.outbox: work committed but not yet known to the broker is sent again this many
# seconds after it was written (a publish lost after commit); work sent but not finished,
# after the visibility timeout (a queue lost with a restarted Redis).
OUTBOX_SWEEP_AFTER = env.int("OUTBOX_SWEEP_AFTER", default=60)
CELERY_TIMEZONE = "UTC"

AUTH_USER_MODEL = "accounts.User"
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
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: e-mail only, verified before the first login.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# Sign-up and password reset answer alike for known and unknown addresses, so nobody learns who
# has an account; the address's owner gets an e-mail saying what happened instead.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{FOUNDATION_NAME}] "
ACCOUNT_ADAPTER = "foundation.accounts.adapters.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# A second factor: an authenticator app (with recovery codes) or a security key. Staff cannot
# open the admin without one (foundation.staff_mfa); members may turn it on.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = FOUNDATION_NAME

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")

# Uploaded files go through Django's storage API: local disk by default, S3-compatible
# object storage when AWS_STORAGE_BUCKET_NAME is set. "default" holds private files, read
# through short-lived signed URLs; "public" holds what everyone may see (organizations'
# logos), as public-read objects under public/ with plain URLs. On local disk both are
# MEDIA_ROOT, served by foundation.media with its protective headers.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _bucket = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "file_overwrite": False,
    }
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_bucket, "default_acl": "private", "querystring_auth": True},
    }
    _public_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_bucket, "default_acl": "public-read", "querystring_auth": False,
                    "location": "public"},
    }
    # Where pages load the logos from, for the Content-Security-Policy below.
    _logo_host = urlsplit(_bucket["endpoint_url"]
                          or f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
    _public_origins = [f"{_logo_host.scheme}://{_logo_host.netloc}"]
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    _public_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    _public_origins = []
STORAGES = {
    "default": _default_storage,
    "public": _public_storage,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Foundation Portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
STAFF_EMAILS = env.list("STAFF_EMAILS", default=[])

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Retries of one Stripe HTTP call inside the SDK, before our task's own retries.
STRIPE_NETWORK_RETRIES = env.int("STRIPE_NETWORK_RETRIES", default=2)
# Seconds one Stripe HTTP call may take before it counts as failed (and is retried).
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=30)
# A task's retries when Stripe cannot be reached: the first after about this many seconds,
# doubling up to the maximum; after the last the invoice shows the error to staff.
STRIPE_RETRY_BACKOFF = env.int("STRIPE_RETRY_BACKOFF", default=30)
STRIPE_RETRY_BACKOFF_MAX = env.int("STRIPE_RETRY_BACKOFF_MAX", default=3600)
# Where the Stripe API is; unset for Stripe itself (the fault suite points it at a fake).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Shown on invoices issued without Stripe (and beside Stripe's own payment options).
BANK_TRANSFER_INSTRUCTIONS = env.str(
    "BANK_TRANSFER_INSTRUCTIONS",
    default="Pay by bank transfer to the foundation's account: the account details are on "
    "the invoice you received from our finance team. Quote the invoice number as reference.",
)

# Logo uploads.
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4000

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Production hardening: `manage.py check --deploy` is clean with DEBUG off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Off only for a plain-HTTP trial stack (docker compose on localhost).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
# Behind a proxy that sets X-Forwarded-For, record the client's address from it.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every page: scripts, styles and images from the portal
# itself, no plugins, no framing, forms posted only to us. Pages keep their behaviour in
# static/js/, hooked by data attributes; no template has inline script, and the one inline
# style is base.html's brand tokens, allowed by the hash of its exact text. A view that
# cannot live with this (the self-contained 500 page) relaxes it for itself alone.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", brand.csp_hash(FOUNDATION_STYLE)],
        "img-src": ["'self'", "data:", *_public_origins],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
CSRF_FAILURE_VIEW = "foundation.views.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint reports each step of every invoice PDF at INFO; its warnings still show.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

# Error reports go to Sentry only when SENTRY_DSN is set; unset, sentry_sdk is not even
# initialised and nothing leaves the server. Reports carry no personal data (no user, cookies,
# request bodies or client addresses).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=SENTRY_DSN, integrations=[DjangoIntegration(), CeleryIntegration()],
                    send_default_pii=False)
