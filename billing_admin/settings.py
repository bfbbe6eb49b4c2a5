"""Billing Admin settings: one module, read from the environment.

Unset, everything falls back to the *embedded default*: SQLite under ``var/``, Celery tasks run
eagerly in-process, e-mail written as ``.eml`` files under ``var/mail/``. Set ``DATABASE_URL``,
``CELERY_BROKER_URL`` and ``EMAIL_URL`` to run on PostgreSQL, Redis/Celery workers and SMTP.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def _fail(message: str) -> None:
    """Refuse to start with one clear line instead of a traceback deep in a request."""
    raise ImproperlyConfigured(message)


try:
    DEBUG = env.bool("DEBUG", default=False)
except Exception:  # noqa: BLE001 - any unparsable value
    _fail("DEBUG must be a boolean (true/false, 1/0).")

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        _fail("SECRET_KEY is required when DEBUG is off: set SECRET_KEY to a long random string.")
    SECRET_KEY = "insecure-development-key-only-used-when-debug-is-on"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    _fail("ALLOWED_HOSTS is required when DEBUG is off: a comma-separated list of host names.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "axes",
    "django_htmx",
    "template_partials",
    "django_countries",
    "billing_admin.core",
    "profiles",
    "invoicing",
    "purchases",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files with DEBUG off, answered before the pages' no-store header: hashed names, cached a year.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "billing_admin.core.middleware.PrivateResponsesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "billing_admin.core.text.NoControlCharactersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "billing_admin.urls"
WSGI_APPLICATION = "billing_admin.wsgi.application"
ASGI_APPLICATION = "billing_admin.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
try:
    DATABASES = {
        "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
    }
except Exception as exc:  # noqa: BLE001
    _fail(f"DATABASE_URL is not a database URL this project understands: {exc}")
if DATABASES["default"].get("ENGINE") not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    _fail("DATABASE_URL must be a postgres://... or sqlite:///... URL.")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A connection kept open (CONN_MAX_AGE) is checked before each request or task reuses it: one round trip
# instead of a failed task after a database restart or a dropped idle connection.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # The covering indexes' included columns are PostgreSQL's (index-only sums); SQLite keeps the index without them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "profiles:profile-list"
LOGOUT_REDIRECT_URL = "login"

# django-guardian: no anonymous user row (every page needs a login).
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: throttle repeated failed sign-ins per e-mail address and IP address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # Django's sign-in form field (axes would default to "email")
AXES_USERNAME_CALLABLE = "billing_admin.core.auth.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Password reset throttle (billing_admin.core.auth): requests per e-mail address and per client
# address within the window. Counted in the cache: set CACHE_URL (redis://...) when several
# processes serve the site, so they share the counts.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=3)
PASSWORD_RESET_LIMIT_PER_CLIENT = env.int("PASSWORD_RESET_LIMIT_PER_CLIENT", default=10)
PASSWORD_RESET_WINDOW_SECONDS = 3600
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    _fail(f"CACHE_URL must be a redis:// or rediss:// URL (or empty for a per-process cache), not {CACHE_URL!r}")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
          if CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Nederlands"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
if DEBUG:  # WhiteNoise warns on every start while collectstatic has not made the folder yet
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Outside DEBUG and tests: hashed file names (cached for a year) and gzip/brotli copies, made by
# `manage.py collectstatic` and served by WhiteNoise; in DEBUG and tests the plain files from static/.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    if DEBUG or "pytest" in sys.modules
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"  # never served publicly: invoice PDFs go through a permission-checked view
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- E-mail -------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    try:
        vars().update(env.email_url_config(EMAIL_URL))
    except Exception as exc:  # noqa: BLE001
        _fail(f"EMAIL_URL is not an e-mail URL (e.g. smtp://user:pass@host:587): {exc}")
else:
    EMAIL_BACKEND = "billing_admin.core.mail.EmlFileBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Billing Admin <billing@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------------------
_BROKER = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not _BROKER  # the embedded default needs no Redis
CELERY_BROKER_URL = _BROKER or "memory://localhost/"  # eager tasks still open a producer; a host keeps kombu quiet
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
# A task whose worker died is redelivered after this many seconds (Redis transport).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes a worker's database connection before and after every task, whatever
# CONN_MAX_AGE says, unless this is set (then only every N tasks): billing_admin.celery closes it instead
# the way Django does around a request, once CONN_MAX_AGE has passed or the connection is unusable.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ROUTES = ("billing_admin.celery.route_task",)  # the invoice run's priorities
_BILLING_HOUR = env.int("BILLING_HOUR_UTC", default=2)
if not 0 <= _BILLING_HOUR <= 23:
    _fail(f"BILLING_HOUR_UTC must be an hour from 0 to 23, not {_BILLING_HOUR}")
CELERY_BEAT_SCHEDULE = {
    # At the billing hour and again every hour until midnight: a run cut short (a Redis restart loses
    # the queued tasks) is finished by the next sweep the same day. Every step is idempotent, and a
    # sweep only enqueues the profiles still without their invoice.
    "daily-billing": {
        "task": "invoicing.daily_billing",
        "schedule": crontab(hour=f"{_BILLING_HOUR}-23", minute=0),
    },
    "expire-credit-lots": {
        "task": "invoicing.expire_credit_lots",
        "schedule": crontab(hour=0, minute=15),
    },
    "charge-subscriptions": {  # before the invoice run, which charges what is still missing itself
        "task": "purchases.charge_subscriptions",
        "schedule": crontab(hour=0, minute=30),
    },
    "mark-past-due": {
        "task": "invoicing.mark_past_due",
        "schedule": crontab(hour=1, minute=0),
    },
}

# --- Product settings ---------------------------------------------------------------------
# The help page's two routes (linked from "Need help? Contact support" on every page): a support request
# about Azure charges, and business-product support for the billing profile. Each is a URL (https://...)
# or an e-mail address; SUPPORT_URL, where set, is the default of both.


def _support_route(name: str, default: str) -> str:
    value = env.str(name, default="").strip() or env.str("SUPPORT_URL", default="").strip() or default
    if ":" not in value and "@" in value:
        value = f"mailto:{value}"
    parts = urlsplit(value)
    if not ((parts.scheme in ("https", "http") and parts.netloc) or (parts.scheme == "mailto" and "@" in parts.path)):
        _fail(f"{name} must be an https:// URL or an e-mail address, not {value!r}.")
    return value


SUPPORT_AZURE_CHARGES = _support_route("SUPPORT_AZURE_CHARGES", "mailto:azure-support@example.com")
SUPPORT_BILLING_PROFILE = _support_route("SUPPORT_BILLING_PROFILE", "mailto:billing-support@example.com")
# Where the admin center is reached, for links in e-mails (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SELLER = {
    "name": env.str("SELLER_NAME", default="Billing Admin B.V."),
    "address": env.str("SELLER_ADDRESS", default="Herengracht 1\n1015 BA Amsterdam\nNetherlands"),
    "vat_id": env.str("SELLER_VAT_ID", default="NL000000000B01"),
    "iban": env.str("SELLER_IBAN", default="NL91ABNA0417164300"),
    "bic": env.str("SELLER_BIC", default="ABNANL2A"),
    "country": env.str("SELLER_COUNTRY", default="NL"),  # ISO 3166 code, for the e-invoice
}
PAYMENT_TERMS_DAYS = env.int("PAYMENT_TERMS_DAYS", default=30)
INVOICE_EMAIL_RETRY_SECONDS = env.int("INVOICE_EMAIL_RETRY_SECONDS", default=30)  # doubled per retry
# The invoice run issues up to this many profiles' invoices per task and transaction (invoices_generate).
INVOICE_BATCH_SIZE = env.int("INVOICE_BATCH_SIZE", default=20)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Invitations: how long an e-mailed link works, and how many invitations (or grants by e-mail address)
# one person may send per hour.
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=7)
if INVITATION_EXPIRY_DAYS < 1:
    _fail("INVITATION_EXPIRY_DAYS must be at least 1.")
INVITATION_LIMIT_PER_HOUR = env.int("INVITATION_LIMIT_PER_HOUR", default=20)
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="profiles.gateway.SandboxGateway")

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # SECURE_COOKIES=false only for a local try over plain HTTP on loopback (make serve, the load test).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Logging: never log card data or secrets; the payment code logs only tokens/last4. ----
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Eager (embedded) runs would print every task; a real worker logs through its own -l option.
        "celery.app.trace": {"level": "INFO" if _BROKER else "WARNING"},
    },
}

TESTING = "pytest" in sys.modules
