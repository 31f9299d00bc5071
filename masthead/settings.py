"""masthead's settings: one file, everything read from the environment.

docs/configuration.md documents every variable read here, and a test keeps the
two in step. Demo mode (``MASTHEAD_DEMO=1``) supplies safe local defaults;
without it, production settings that have no safe default must be given.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from masthead.lib.env import (
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
    env_timezone,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

DEMO = env_bool("MASTHEAD_DEMO", False)
TESTING = "pytest" in sys.modules
DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(env_str("MASTHEAD_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Secrets and hosts --------------------------------------------------------

_demo_secret = "masthead-demo-secret-not-for-production"  # noqa: S105 - only used in demo mode
SECRET_KEY = env_secret("SECRET_KEY") or (_demo_secret if (DEMO or TESTING) else None)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY (or SECRET_KEY_FILE) is required. Set MASTHEAD_DEMO=1 to run the local demo."
    )
if not (DEMO or DEBUG or TESTING) and SECRET_KEY == _demo_secret:
    raise ImproperlyConfigured("SECRET_KEY must not be the demo key outside demo mode")

# The port the built-in server listens on (masthead serve, masthead demo); the demo's SITE_URL follows it.
PORT = env_int("PORT", 8000, minimum=1, maximum=65535)
SITE_URL = env_url("SITE_URL", f"http://127.0.0.1:{PORT}" if (DEMO or DEBUG or TESTING) else "")
if not SITE_URL:
    raise ImproperlyConfigured("SITE_URL is required, e.g. https://news.example.com")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if (DEMO or DEBUG or TESTING) else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required: a comma-separated list of host names")

# Peers whose X-Forwarded-For / X-Forwarded-Proto we believe. Anyone else's are ignored.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

# --- Publication -------------------------------------------------------------

PUBLICATION_NAME = env_str("PUBLICATION_NAME", "The Daily Lantern")
PUBLICATION_TIMEZONE = env_timezone("PUBLICATION_TIMEZONE", "Asia/Tokyo")
PUBLICATION_LANGUAGE = env_str("PUBLICATION_LANGUAGE", "en")
if not PUBLICATION_LANGUAGE.replace("-", "").isalpha():
    raise ImproperlyConfigured(
        f"PUBLICATION_LANGUAGE must be a language tag such as en or en-GB, not {PUBLICATION_LANGUAGE!r}"
    )

# --- Applications ------------------------------------------------------------

INSTALLED_APPS = [
    "masthead.accounts",
    "masthead.content",
    "masthead.metering",
    "masthead.paywall",
    "masthead.billing",
    "masthead.newsletters",
    "masthead.ops",
    "masthead.billing.sandbox",
    "masthead.api",
    "ninja",
    "corsheaders",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "allauth.usersessions",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Where the paywall's buttons lead.
PAYWALL_SUBSCRIBE_URL = "/subscribe/"
PAYWALL_CHECKOUT_URL = "/subscribe/checkout/"
PAYWALL_REGISTER_URL = "/accounts/signup/"
PAYWALL_BILLING_URL = "/account/billing/"

MIDDLEWARE = [
    "masthead.lib.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Answers cross-origin requests to /api/ only, and only from API_CORS_ORIGINS (none by default).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "masthead.metering.identity.ReaderMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so everything above runs around it: serves remembered pages to anonymous
    # readers before URL resolution (see masthead/content/serving.py).
    "masthead.content.serving.AnonymousPageMiddleware",
]

ROOT_URLCONF = "masthead.urls"
WSGI_APPLICATION = "masthead.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "masthead.content.context_processors.publication",
                "masthead.billing.context_processors.billing_banner",
            ],
        },
    },
]

# --- Data --------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'masthead.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we understand: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the worker proceed while one writer commits; IMMEDIATE
    # transactions take the write lock up front instead of failing mid-way.
    # Connections persist: opening one (and running the PRAGMAs) costs more than
    # most queries a page makes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # Checkpoints every 10,000 pages (about 40 MB of WAL) rather than SQLite's 1,000: each
        # checkpoint ends in an fsync, and a longer log holds more versions of the same hot pages
        # (the meter's and the decision log's indexes), so fewer distinct pages are copied back.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=10000;",
    }
    # Tests use a file too: an in-memory database fails concurrent writers at once
    # ("table is locked") instead of letting them wait their turn as production does.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-masthead.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "masthead.lib.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "masthead"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Meter and paywall ---------------------------------------------------------

METER_ENABLED = env_bool("METER_ENABLED", True)
METER_STORE = env_str("METER_STORE", "redis" if REDIS_URL else "database")
if METER_STORE not in {"database", "redis"}:
    raise ImproperlyConfigured(f"METER_STORE must be database or redis, not {METER_STORE!r}")
if METER_STORE == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("METER_STORE=redis needs REDIS_URL")
METER_EVENT_BATCH = env_int("METER_EVENT_BATCH", 1 if TESTING else 1000, minimum=1, maximum=10_000)
METER_EVENT_RETENTION_DAYS = env_int("METER_EVENT_RETENTION_DAYS", 90, minimum=1, maximum=3650)
# --- Billing -------------------------------------------------------------------

BILLING_GATEWAY = env_str("BILLING_GATEWAY", "sandbox")
if BILLING_GATEWAY not in {"sandbox", "stripe"}:
    raise ImproperlyConfigured(f"BILLING_GATEWAY must be sandbox or stripe, not {BILLING_GATEWAY!r}")
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY") or ""
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET") or ""
# Only for tests and local development against an emulator (localstripe); production talks to api.stripe.com.
STRIPE_API_BASE = env_url("STRIPE_API_BASE", "")
if BILLING_GATEWAY == "stripe":
    for _name, _value in (("STRIPE_SECRET_KEY", STRIPE_SECRET_KEY), ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET)):
        if not _value:
            raise ImproperlyConfigured(f"BILLING_GATEWAY=stripe needs {_name} (or {_name}_FILE)")
_sandbox_allowed = DEMO or DEBUG or TESTING or env_bool("BILLING_SANDBOX_IN_PRODUCTION", False)
if BILLING_GATEWAY == "sandbox" and not _sandbox_allowed:
    raise ImproperlyConfigured(
        "BILLING_GATEWAY=sandbox takes no real money; outside demo mode set BILLING_GATEWAY to a real gateway "
        "(or BILLING_SANDBOX_IN_PRODUCTION=1 to run a staging site on the sandbox)"
    )
BILLING_CURRENCY = env_str("BILLING_CURRENCY", "USD").upper()
if len(BILLING_CURRENCY) != 3 or not BILLING_CURRENCY.isalpha():
    raise ImproperlyConfigured(f"BILLING_CURRENCY must be an ISO 4217 code such as USD, not {BILLING_CURRENCY!r}")
BILLING_GRACE_DAYS = env_int("BILLING_GRACE_DAYS", 0, minimum=0, maximum=60)
# Dunning: days after a renewal's first failure to charge it again, then what the subscription becomes.
_retry_days = env_list("BILLING_RETRY_DAYS", ["1", "3", "5", "7"])
if not all(day.isdigit() and 1 <= int(day) <= 60 for day in _retry_days) or _retry_days != sorted(
    set(_retry_days), key=int
):
    raise ImproperlyConfigured(
        f"BILLING_RETRY_DAYS must be whole days from 1 to 60 in increasing order, such as 1,3,5,7, "
        f"not {','.join(_retry_days)!r}"
    )
BILLING_RETRY_DAYS = tuple(int(day) for day in _retry_days)
BILLING_FINAL_STATUS = env_str("BILLING_FINAL_STATUS", "unpaid")
if BILLING_FINAL_STATUS not in {"unpaid", "canceled"}:
    raise ImproperlyConfigured(f"BILLING_FINAL_STATUS must be unpaid or canceled, not {BILLING_FINAL_STATUS!r}")
BILLING_OFFER_ENDING_DAYS = env_int("BILLING_OFFER_ENDING_DAYS", 7, minimum=1, maximum=60)
BILLING_RENEWAL_REMINDER_DAYS = env_int("BILLING_RENEWAL_REMINDER_DAYS", 14, minimum=1, maximum=90)
# How long the Subscribe button's offer token stays good after the prompt renders.
OFFER_TOKEN_MAX_AGE_HOURS = env_int("OFFER_TOKEN_MAX_AGE_HOURS", 24, minimum=1, maximum=24 * 30)

PAYWALL_CRAWLERS = env_list("PAYWALL_CRAWLERS", ["Googlebot", "Bingbot"])
if unknown := set(PAYWALL_CRAWLERS) - {"Googlebot", "Bingbot"}:
    raise ImproperlyConfigured(f"PAYWALL_CRAWLERS may name Googlebot and Bingbot, not {', '.join(sorted(unknown))}")

# --- App API -------------------------------------------------------------------

# Web origins whose scripts may call /api/ from a browser (CORS). None by default: native apps need none.
API_CORS_ORIGINS = env_list("API_CORS_ORIGINS", [])
for _origin in API_CORS_ORIGINS:
    if not _origin.startswith(("https://", "http://")) or _origin.count("/") != 2:
        raise ImproperlyConfigured(
            f"API_CORS_ORIGINS must list origins such as https://app.example.com (scheme and host, no path), "
            f"not {_origin!r}"
        )
CORS_ALLOWED_ORIGINS = API_CORS_ORIGINS
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_CREDENTIALS = False  # apps send a bearer token, never the site's cookies
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]


def _rate(name: str, value: str) -> str:
    """A rate such as ``300/m``: requests per second (s), minute (m), hour (h) or day (d)."""
    value = value.strip()
    count, _, period = value.partition("/")
    if not (count.isdigit() and int(count) > 0 and period in {"s", "m", "h", "d"}):
        raise ImproperlyConfigured(f"{name} must be a rate such as 300/m (per s, m, h or d), not {value!r}")
    return value


# Requests per app token, device or (without either) client address, across the API.
API_RATE_LIMIT = _rate("API_RATE_LIMIT", env_str("API_RATE_LIMIT", "600/m"))
# Log-in attempts and emailed log-in codes, per client address.
API_AUTH_RATE_LIMIT = _rate("API_AUTH_RATE_LIMIT", env_str("API_AUTH_RATE_LIMIT", "10/m"))
# django-ninja's throttles read the client address from REMOTE_ADDR only: TrustedProxyMiddleware has
# already put the real client there, and X-Forwarded-For from anyone else must not count.
NINJA_NUM_PROXIES = 0

# --- Auth ----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# argon2 first: new passwords are hashed with it, and older hashes are upgraded on login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing is deliberately slow; tests create hundreds of accounts.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"{PUBLICATION_NAME}: "
# Confirming the address in the browser that signed up logs the reader in there.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Tell the reader by email when their password or email address changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# allauth's default rate limits stay on (ACCOUNT_RATE_LIMITS is left alone).
USERSESSIONS_TRACK_ACTIVITY = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ------------------------------------------------------

LANGUAGE_CODE = PUBLICATION_LANGUAGE
TIME_ZONE = "UTC"  # storage is UTC; display converts to PUBLICATION_TIMEZONE
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = TESTING
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Email ---------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{PUBLICATION_NAME} <news@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email_host = env_str("EMAIL_HOST", "")
_email_tls = env_bool("EMAIL_USE_TLS", False)
_email_ssl = env_bool("EMAIL_USE_SSL", False)
if _email_tls and _email_ssl:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both")
# How mail leaves: smtp (EMAIL_HOST), mailbox (kept for staff to read, never delivered; the demo's default), or an
# HTTP API provider through django-anymail, given its API key. The short name is anymail's backend module.
_EMAIL_API_PROVIDERS = {  # provider -> the backend option its key goes in
    "mailgun": "api_key",
    "postmark": "server_token",
    "sendgrid": "api_key",
    "brevo": "api_key",
    "resend": "api_key",
    "sparkpost": "api_key",
}
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "mailbox" if DEMO else "smtp").strip().lower()
EMAIL_PROVIDER = EMAIL_PROVIDER.removeprefix("anymail.backends.")
if EMAIL_PROVIDER not in {"smtp", "mailbox", *_EMAIL_API_PROVIDERS}:
    raise ImproperlyConfigured(
        f"EMAIL_PROVIDER must be smtp, mailbox or one of {', '.join(_EMAIL_API_PROVIDERS)}, not {EMAIL_PROVIDER!r}"
    )
_email_api_key = env_secret("EMAIL_PROVIDER_API_KEY", "") or ""
_email_api_url = env_url("EMAIL_PROVIDER_API_URL", "")


def email_api_mailers(provider: str, *, api_key: str, api_url: str = "") -> dict:
    """MAILERS for an HTTP API provider: anymail's backend, the key in the option it reads, and the base URL when
    it is overridden. (The mail contract tests build their mailers here too.)"""
    options = {_EMAIL_API_PROVIDERS[provider]: api_key, **({"api_url": api_url} if api_url else {})}
    return {"default": {"BACKEND": f"anymail.backends.{provider}.EmailBackend", "OPTIONS": options}}


if EMAIL_PROVIDER == "mailbox":
    MAILERS = {"default": {"BACKEND": "masthead.ops.mailbox.MailboxBackend"}}
elif EMAIL_PROVIDER in _EMAIL_API_PROVIDERS:
    if not _email_api_key:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={EMAIL_PROVIDER} needs EMAIL_PROVIDER_API_KEY (or EMAIL_PROVIDER_API_KEY_FILE)"
        )
    MAILERS = email_api_mailers(EMAIL_PROVIDER, api_key=_email_api_key, api_url=_email_api_url)
elif _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int(
                    "EMAIL_PORT", 465 if _email_ssl else 587 if _email_tls else 25, minimum=1, maximum=65535
                ),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_secret("EMAIL_HOST_PASSWORD", "") or "",
                "use_tls": _email_tls,
                "use_ssl": _email_ssl,
                "timeout": env_int("EMAIL_TIMEOUT", 30, minimum=1, maximum=600),
            },
        }
    }
elif DEMO or DEBUG or TESTING:
    # Without an SMTP server a development site keeps every message as a file under var/mail.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
else:
    raise ImproperlyConfigured(
        "EMAIL_HOST is required outside demo mode (the SMTP server for outgoing mail), "
        "unless EMAIL_PROVIDER names an email API provider"
    )

# --- Newsletters ------------------------------------------------------------------

# Recipients per batch: one worker job, one connection to the mail transport.
NEWSLETTER_BATCH_SIZE = env_int("NEWSLETTER_BATCH_SIZE", 500, minimum=1, maximum=10_000)
# How long a double opt-in confirmation link works.
NEWSLETTER_CONFIRM_HOURS = env_int("NEWSLETTER_CONFIRM_HOURS", 48, minimum=1, maximum=24 * 30)
# The shared secret (user:password) the email provider sends with bounce and complaint webhooks.
ANYMAIL_WEBHOOK_SECRET = env_secret("ANYMAIL_WEBHOOK_SECRET", "") or ""
if ANYMAIL_WEBHOOK_SECRET and ":" not in ANYMAIL_WEBHOOK_SECRET:
    raise ImproperlyConfigured("ANYMAIL_WEBHOOK_SECRET must be user:password, e.g. a random one from openssl rand")
ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_WEBHOOK_SECRET} if ANYMAIL_WEBHOOK_SECRET else {}

# --- Wagtail -------------------------------------------------------------------

WAGTAIL_SITE_NAME = PUBLICATION_NAME
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {
    # The database backend picks PostgreSQL's full-text search when on PostgreSQL.
    "default": {"BACKEND": "wagtail.search.backends.database"}
}
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILIMAGES_IMAGE_MODEL = "wagtailimages.Image"
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]

# --- Security ------------------------------------------------------------------

_https = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
CSRF_TRUSTED_ORIGINS = [SITE_URL]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"

# --- Serving ----------------------------------------------------------------------

HOST = env_str("HOST", "127.0.0.1")
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 2, minimum=1, maximum=256)
WORKER_INTERVAL = env_int("WORKER_INTERVAL", 1, minimum=1, maximum=3600)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Wagtail logs every page save at INFO; the audit log in the admin keeps that record.
        "wagtail": {"level": "WARNING"},
    },
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
