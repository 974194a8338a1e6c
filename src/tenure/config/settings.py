"""Django settings, read from the environment. Every variable tenure reads is listed here.

| variable | default | meaning |
|---|---|---|
| TENURE_DATABASE_URL | sqlite:///$TENURE_DATA_DIR/tenure.sqlite3 | or postgresql://u@host:5432/db |
| TENURE_DATA_DIR | ./var | where the embedded database and uploaded imports live |
| TENURE_DEBUG | 0 | 1 for development (tracebacks in pages) |
| TENURE_PRODUCTION | 0 | 1 needs a strong TENURE_SECRET_KEY and TENURE_ALLOWED_HOSTS, no DEBUG |
| TENURE_SECRET_KEY | (generated into $TENURE_DATA_DIR/secret_key unless production) | 50+ random |
| TENURE_HTTPS | = PRODUCTION | 1 behind TLS: secure cookies, HSTS, redirect to https |
| TENURE_ALLOWED_HOSTS | 127.0.0.1,localhost | comma-separated |
| TENURE_BEHIND_PROXY | 0 | 1 behind a TLS proxy that sets X-Forwarded-Proto (and X-Forwarded-For) |
| TENURE_TRUSTED_PROXY | 127.0.0.1 | the proxy whose X-Forwarded-* `tenure serve` believes |
| TENURE_SESSION_IDLE_MINUTES | 30 | a signed-in session ends after this long without a request |
| TENURE_SESSION_MAX_HOURS | 12 | and this long after logging in, however active |
| TENURE_API_TOKEN_DAYS | 90 | how long a new API token lasts, unless chosen (1-365) |
| TENURE_REDIS_URL | (none: the queue uses the database) | redis://host:port/db for the queue |
| TENURE_TIME_ZONE | UTC | the business's time zone (dates without a time mean its midnight) |
| TENURE_CURRENCY | USD | default ISO 4217 currency of imported orders |
| TENURE_TEST_DB_NAME | (derived) | name of the test database, for concurrent test runs |
| TENURE_STATIC_ROOT | (none) | where `collectstatic` copies files, for a front web server |
| TENURE_MAX_BODY_MB | 5 | largest request body (API JSON, forms); larger answers 413 |
| TENURE_MAX_UPLOAD_MB | 256 | largest upload (an import file); larger answers 413 |
| TENURE_WEBHOOKS_ALLOW_PRIVATE | = not PRODUCTION | 1: webhooks may go to private addresses |
| TENURE_WEBHOOKS_RETRY_SCALE | 1 | the webhooks' retry pauses times this (a drill: 0.002) |
| TENURE_BASE_URL | http://127.0.0.1:8000 | the address people reach tenure at (links in emails) |
| TENURE_SMTP_URL | (none: the outbox) | smtp://user:pass@host:587?starttls=1 or smtps://... |
| TENURE_MAIL_FROM | tenure <mail@localhost> | the From of every message |
| TENURE_MAIL_UNSUBSCRIBE_MAILTO | (none) | the address of List-Unsubscribe's mailto: |
| TENURE_MAIL_CAP | 3/7d | marketing messages per customer per window (d, h, m); empty: no cap |
| TENURE_MAIL_QUIET_HOURS | 21:00-08:00 | no marketing in these hours of the customer's own clock |
| TENURE_MAIL_LEASE_SECONDS | 300 | a claim without a result after this: unknown or queued again |
| TENURE_MAIL_SOFT_BOUNCES | 3 | soft bounces that suppress an address |
| TENURE_MAIL_TRACKING | 0 | 1: open and click tracking |
| TENURE_MAIL_BATCH | 200 | messages one sender claims at a time |
| TENURE_DKIM_SELECTOR, _DOMAIN, _KEY_FILE | (none: unsigned) | DKIM signing (PEM key) |
| TENURE_ANALYTICS_ENGINE | duckdb | where `tenure analytics fit` counts: duckdb or spark |
| TENURE_ANALYTICS_EXTRACT_DIR | $TENURE_DATA_DIR/extract/orders | the orders' Parquet extract |
| TENURE_SPARK_REMOTE | (none: local Spark) | sc://host:15002, a Spark Connect server |
| TENURE_LOYALTY_LINK_DAYS | 30 | days a customer's signed points link (`/p/<token>/`) works |
| TENURE_SURVEY_RATE_PER_ADDRESS, _PER_LINK | 60, 20 | a survey's page: requests per 10 minutes |
| TENURE_FEEDBACK_FORM_RATE_PER_ADDRESS, _ANSWERS_PER_ADDRESS | 60, 10 | a feedback form's page |
| TENURE_REFERRAL_RATE_PER_ADDRESS | 60 | the referral link's page |
| TENURE_LOYALTY_PAGE_RATE_PER_ADDRESS, _PER_LINK | 60, 20 | a customer's points page |
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tenure.config.security import production_check, trusted_proxy_checked


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes"}


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    try:
        return int(text) if text else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {text!r}") from None


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("TENURE_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = _env_bool("TENURE_DEBUG")
# Production mode refuses to start without a secret and hosts from the environment; a local
# instance (the demo, a laptop) keeps a generated secret in its data directory instead.
PRODUCTION = _env_bool("TENURE_PRODUCTION")


def _secret_key() -> str:
    if key := os.environ.get("TENURE_SECRET_KEY", ""):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("TENURE_PRODUCTION=1 needs TENURE_SECRET_KEY to be set.")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            return key_file.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
if PRODUCTION and not os.environ.get("TENURE_ALLOWED_HOSTS"):
    raise ImproperlyConfigured("TENURE_PRODUCTION=1 needs TENURE_ALLOWED_HOSTS to be set.")
if PRODUCTION:  # a guessable key forges sessions; debug pages show settings and data
    production_check(secret_key=SECRET_KEY, debug=DEBUG)
ALLOWED_HOSTS = _env_list("TENURE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_q",
    "ninja",
    "auditlog",
    "axes",
    "csp",
    "tenure.history",
    "tenure.events",
    "tenure.jobs",
    "tenure.users",
    "tenure.customers",
    "tenure.orders",
    "tenure.interactions",
    "tenure.feedback",
    "tenure.voices",  # comments, reviews and feedback forms; free-text search
    "tenure.transfer",
    "tenure.insights",
    "tenure.themes",  # themes of what customers wrote, kept across runs
    "tenure.todos",
    "tenure.lifecycle",
    "tenure.loyalty",  # loyalty points: the ledger, lots, balances
    "tenure.referrals",  # referral codes, attribution, rewards for both sides
    "tenure.rewards",  # the rewards catalog and coupons
    "tenure.segments",
    "tenure.notifications",
    "tenure.success",  # onboarding checklists and success plans
    "tenure.webhooks",
    "tenure.mail",
    "tenure.ideas",  # the ideas board: requests, status, "it shipped" emails
    "tenure.playbooks",
    "tenure.reports",  # results reports of accounts and their agency metrics
    "tenure.demo",
    "tenure.workspace",  # saved list views
    "tenure.bulk",  # bulk changes, undo and the trash's restore
    "tenure.api",
    "tenure.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tenure.api.guard.RequestGuardMiddleware",  # body size and NUL, before anything reads them
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenure.api.auth.ApiTokenMiddleware",
    "tenure.config.caching.PrivateWhenSignedInMiddleware",  # after both ways of signing in
    "auditlog.middleware.AuditlogMiddleware",
    "tenure.events.middleware.EventsViaMiddleware",  # events say by which path they came
    "tenure.api.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tenure.config.sessions.SessionTimeoutMiddleware",  # after messages: it leaves one
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# Login attempts are rate-limited by django-axes: 5 failures for one username from one address
# lock that pair out for 15 minutes (answered 429); a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

ROOT_URLCONF = "tenure.config.urls"
WSGI_APPLICATION = "tenure.config.wsgi.application"
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

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
            ]
        },
    }
]

# --- database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'tenure.sqlite3'}"
DATABASE_URL = os.environ.get("TENURE_DATABASE_URL") or _default_sqlite
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and an import read and write side by side; the busy
    # timeout makes a writer wait for another instead of failing at once.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
    }
    _db["CONN_MAX_AGE"] = 0
    # A file (not :memory:) so that subprocesses started by tests see the test database.
    _db["TEST"] = {
        "NAME": os.environ.get("TENURE_TEST_DB_NAME")
        or str(DATA_DIR / f"test_tenure_{os.getpid()}.sqlite3")
    }
else:
    # One test database per run, so that runs side by side do not drop each other's.
    _db["TEST"] = {
        "NAME": os.environ.get("TENURE_TEST_DB_NAME") or f"test_{_db['NAME']}_{os.getpid()}"
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- locale and money -----------------------------------------------------------------------
TIME_ZONE = os.environ.get("TENURE_TIME_ZONE", "UTC")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en-us"
TENURE_CURRENCY = os.environ.get("TENURE_CURRENCY", "USD").upper()

# --- static files (vendored, served by WhiteNoise: no CDN) -----------------------------------
STATIC_URL = "static/"
# Only `collectstatic` needs a root; WhiteNoise serves the apps' static folders directly.
STATIC_ROOT = os.environ.get("TENURE_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "uploads"
# What else forgets a person erased (tenure.privacy.person_erase): functions taking
# identifiers= (their external id and email), returning {kind: count}. By name, because the
# apps that keep such data sit beside privacy, not above it.
PERSON_ERASE_HOOKS = ["tenure.transfer.erasure.uploads_of_person_delete"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Request sizes (tenure.api.guard answers 413 beyond them, before reading the body). A body
# without Content-Length is cut at the same size by Django when read.
TENURE_MAX_BODY_MB = _env_int("TENURE_MAX_BODY_MB", 5)
TENURE_MAX_UPLOAD_MB = _env_int("TENURE_MAX_UPLOAD_MB", 256)
DATA_UPLOAD_MAX_MEMORY_SIZE = TENURE_MAX_BODY_MB * 1024 * 1024

# --- security (sessions, passwords, headers, TLS and the proxy: OWASP ASVS V2, V3, V14) -------
# Passwords: 12 characters at least (ASVS 2.1.1), not common, not all digits, not the username.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions end after TENURE_SESSION_IDLE_MINUTES without a request and TENURE_SESSION_MAX_HOURS
# after logging in (tenure.config.sessions); the cookie itself lives no longer than the latter.
SESSION_IDLE_SECONDS = int(os.environ.get("TENURE_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_MAX_SECONDS = int(os.environ.get("TENURE_SESSION_MAX_HOURS", "12")) * 3600
# A new API token expires (ASVS 3.5): after TENURE_API_TOKEN_DAYS unless its maker chooses.
API_TOKEN_DAYS = int(os.environ.get("TENURE_API_TOKEN_DAYS", "90"))
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # Strict would sign out whoever follows a link to a customer
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # no customer URL leaks to another site
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
HTTPS = _env_bool("TENURE_HTTPS", default=PRODUCTION)
if HTTPS:  # production sits behind TLS
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are sent only over https, to this host alone (ASVS 3.4.4).
    SESSION_COOKIE_NAME = "__Host-tenure_session"
    CSRF_COOKIE_NAME = "__Host-tenure_csrf"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Behind a TLS proxy, `tenure serve` (waitress) believes X-Forwarded-Proto and X-Forwarded-For
# only from TENURE_TRUSTED_PROXY and removes them from everyone else, then tells Django the
# scheme; Django reads the same header too, for other WSGI servers behind the same proxy.
BEHIND_PROXY = _env_bool("TENURE_BEHIND_PROXY")
TRUSTED_PROXY = trusted_proxy_checked(os.environ.get("TENURE_TRUSTED_PROXY") or "127.0.0.1")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp): scripts, styles, images and requests from this site
# only, no inline script or style, no plugins, no framing, forms post here only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # the API docs draw their icons as data: SVGs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy (django-permissions-policy): no page needs these browser features.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- task queue (django-q2): the database by default, Redis when TENURE_REDIS_URL is set -------
REDIS_URL = os.environ.get("TENURE_REDIS_URL", "")
Q_CLUSTER: dict[str, object] = {
    "name": "tenure",
    "workers": int(os.environ.get("TENURE_WORKERS", "2")),
    "timeout": 3600,
    "retry": 3700,  # must exceed timeout, or a long import would be started twice
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "label": "Background jobs",
}
# Domain events (tenure.events): "worker" (the worker follows them within a second; writes never
# wait for their consumers) or "on_commit" (consumers run in the writer's process after its
# commit: a single process without a worker, and the tests).
EVENTS_DELIVERY = os.environ.get("TENURE_EVENTS_DELIVERY", "worker")
if EVENTS_DELIVERY not in ("worker", "on_commit"):
    raise ImproperlyConfigured('TENURE_EVENTS_DELIVERY must be "worker" or "on_commit"')
# Webhooks to loopback, private or reserved addresses (tenure.webhooks.addresses): refused in
# production unless asked for (a webhook URL must not reach into the worker's own network).
WEBHOOKS_ALLOW_PRIVATE = _env_bool("TENURE_WEBHOOKS_ALLOW_PRIVATE", not PRODUCTION)
# The webhooks' retry pauses times this (1: 10 s, 30 s, ... 24 h). A drill or a benchmark of a
# failing receiver runs the whole schedule in minutes with, e.g., 0.002.
WEBHOOKS_RETRY_SCALE = float(os.environ.get("TENURE_WEBHOOKS_RETRY_SCALE", "1"))
if not 0 < WEBHOOKS_RETRY_SCALE <= 1:
    raise ImproperlyConfigured("TENURE_WEBHOOKS_RETRY_SCALE must be above 0 and at most 1")
# Email (tenure.mail). Without TENURE_SMTP_URL, messages go to tenure's own outbox (a page).
BASE_URL = os.environ.get("TENURE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
SMTP_URL = os.environ.get("TENURE_SMTP_URL", "")
MAIL_FROM = os.environ.get("TENURE_MAIL_FROM", "tenure <mail@localhost>")
# The team's own mail (the notifications' daily digest) goes through Django's mail, to the same
# server as the customers' (tenure.mail reads TENURE_SMTP_URL the same way); without one it is
# written to files under the data directory, never to a server nobody configured.
if SMTP_URL:
    _smtp = urlsplit(SMTP_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp.hostname or "localhost"
    EMAIL_USE_SSL = _smtp.scheme == "smtps"
    EMAIL_PORT = _smtp.port or (465 if EMAIL_USE_SSL else 25)
    EMAIL_USE_TLS = parse_qs(_smtp.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
    EMAIL_HOST_USER = unquote(_smtp.username or "")
    EMAIL_HOST_PASSWORD = unquote(_smtp.password or "")
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "team-mail")
DEFAULT_FROM_EMAIL = MAIL_FROM
MAIL_UNSUBSCRIBE_MAILTO = os.environ.get("TENURE_MAIL_UNSUBSCRIBE_MAILTO", "")
MAIL_CAP = os.environ.get("TENURE_MAIL_CAP", "3/7d")
MAIL_QUIET_HOURS = os.environ.get("TENURE_MAIL_QUIET_HOURS", "21:00-08:00")
MAIL_LEASE_SECONDS = _env_int("TENURE_MAIL_LEASE_SECONDS", 300)
MAIL_SOFT_BOUNCES = _env_int("TENURE_MAIL_SOFT_BOUNCES", 3)
MAIL_TRACKING = _env_bool("TENURE_MAIL_TRACKING")
MAIL_BATCH = _env_int("TENURE_MAIL_BATCH", 200)
DKIM_SELECTOR = os.environ.get("TENURE_DKIM_SELECTOR", "")
DKIM_DOMAIN = os.environ.get("TENURE_DKIM_DOMAIN", "")
DKIM_KEY_FILE = os.environ.get("TENURE_DKIM_KEY_FILE", "")
LOYALTY_LINK_DAYS = _env_int("TENURE_LOYALTY_LINK_DAYS", 30)

# --- analytics beside the database (issue 18) --------------------------------------------------
# The engine is checked where it is used (tenure.insights.source), with the setting's name;
# TENURE_SPARK_REMOTE is read by tenure.analytics.engines, which has no Django.
ANALYTICS_ENGINE = os.environ.get("TENURE_ANALYTICS_ENGINE", "duckdb").strip().lower()
ANALYTICS_EXTRACT_DIR = Path(
    os.environ.get("TENURE_ANALYTICS_EXTRACT_DIR") or DATA_DIR / "extract" / "orders"
)

# The public pages' requests counted per address (and per link) in a 10-minute window: 429 past.
SURVEY_RATE_PER_ADDRESS = _env_int("TENURE_SURVEY_RATE_PER_ADDRESS", 60)
SURVEY_RATE_PER_LINK = _env_int("TENURE_SURVEY_RATE_PER_LINK", 20)
FEEDBACK_FORM_RATE_PER_ADDRESS = _env_int("TENURE_FEEDBACK_FORM_RATE_PER_ADDRESS", 60)
FEEDBACK_FORM_ANSWERS_PER_ADDRESS = _env_int("TENURE_FEEDBACK_FORM_ANSWERS_PER_ADDRESS", 10)
REFERRAL_RATE_PER_ADDRESS = _env_int("TENURE_REFERRAL_RATE_PER_ADDRESS", 60)
LOYALTY_PAGE_RATE_PER_ADDRESS = _env_int("TENURE_LOYALTY_PAGE_RATE_PER_ADDRESS", 60)
LOYALTY_PAGE_RATE_PER_LINK = _env_int("TENURE_LOYALTY_PAGE_RATE_PER_LINK", 20)
# A running run whose heartbeat is older than this lost its worker: the sweep fails it or queues
# it again (tenure.jobs.sweep). Runs beat every sixth of it.
RUN_HEARTBEAT_TIMEOUT_SECONDS = float(os.environ.get("TENURE_RUN_HEARTBEAT_TIMEOUT_SECONDS", "120"))
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5

# --- change history (django-auditlog) ----------------------------------------------------------
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_REMOTE_ADDR = True  # who and when is enough; no visitor addresses kept

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TENURE_LOG_LEVEL", "WARNING")},
}
