"""Django settings, read from the environment with safe zero-setup defaults."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sozu.deployment import MIN_MASTER_KEY_LENGTH, production_reasons

BASE_DIR = Path(__file__).resolve().parent
#: Where the zero-setup defaults keep their files (SQLite database, local network ledger).
VAR_DIR = Path(os.environ.get("SOZU_VAR_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("SOZU_DEBUG", "0") == "1"

#: The embedded local network (`sozu localnet`): the only Horizon on which no real money moves.
LOCAL_HORIZON_URL = "http://127.0.0.1:8000"
HORIZON_URL = os.environ.get("HORIZON_URL", LOCAL_HORIZON_URL).rstrip("/")
NETWORK_PASSPHRASE = os.environ.get("NETWORK_PASSPHRASE", "Sozu Local Network ; 2026")
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sozu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}

#: Production is decided by what the process talks to, not by remembering SOZU_ENV=production:
#: a Horizon that is not a local network (or a real network's passphrase), or DEBUG off with a
#: database that is not on this machine (an SQLite file, or a server on loopback).
#: The reasons found (empty: a local configuration).
SOZU_PRODUCTION = production_reasons(
    env=os.environ.get("SOZU_ENV", ""),
    debug=DEBUG,
    horizon_url=HORIZON_URL,
    passphrase=NETWORK_PASSPHRASE,
    database=DATABASES["default"],
)
if SOZU_PRODUCTION:
    _missing = [
        name
        for name in ("SOZU_SECRET_KEY", "SOZU_MASTER_KEY", "SOZU_ALLOWED_HOSTS")
        if not os.environ.get(name, "").strip()
    ]
    if _missing:
        raise ImproperlyConfigured(
            f"{', '.join(_missing)} must be set: this is a production configuration "
            f"({'; '.join(SOZU_PRODUCTION)}). For development on this machine use the local "
            "network (HORIZON_URL unset) and SQLite, or SOZU_DEBUG=1 with a local database."
        )
    if len(os.environ["SOZU_MASTER_KEY"].strip()) < MIN_MASTER_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"SOZU_MASTER_KEY must be at least {MIN_MASTER_KEY_LENGTH} characters in production "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
SECRET_KEY = os.environ.get("SOZU_SECRET_KEY", "").strip() or "insecure-local-only-key-change-me"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SOZU_ALLOWED_HOSTS", "" if SOZU_PRODUCTION else "*").split(",")
    if h.strip()
]
if SOZU_PRODUCTION and "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("SOZU_ALLOWED_HOSTS must name the hosts, not '*', in production")

if SOZU_PRODUCTION:
    # Browsers only ever talk to production over HTTPS (TLS usually ends at a proxy).
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SOZU_HSTS_SECONDS", "31536000"))
    SECURE_CONTENT_TYPE_NOSNIFF = True
    #: The header the TLS-terminating proxy sets (and strips from clients) to say "this was
    #: HTTPS". Empty when Sozu is not behind such a proxy: a client could forge it otherwise.
    _proxy_header = os.environ.get("SOZU_PROXY_SSL_HEADER", "X-Forwarded-Proto").strip()
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sozu.audit",
    "sozu.orgs",
    "sozu.beneficiaries",
    "sozu.disbursements",
    "sozu.webhooks",
    "sozu.observability",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sozu.urls"
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
                "django.template.context_processors.i18n",
            ],
        },
    },
]
WSGI_APPLICATION = "sozu.wsgi.application"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The zero-setup default lives under VAR_DIR: make sure it exists on a fresh checkout.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Several threads (API, worker pool) share one file: wait for the write lock instead of
    # failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Tests use a file too: an in-memory shared-cache database fails with "table is locked"
    # as soon as the engine's threads write concurrently.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-sozu-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "es-ar"
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "America/Argentina/Buenos_Aires"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# --- Stellar -----------------------------------------------------------------------------
#: The embedded local network is the default; testnet/pubnet only change these two values.
#: HORIZON_URL and NETWORK_PASSPHRASE are read at the top: they decide whether this is production.
#: USDC issuer. Empty means: ask the local network (it creates its issuer at first start).
USDC_ISSUER = os.environ.get("USDC_ISSUER", "")
USDC_CODE = os.environ.get("USDC_CODE", "USDC")
#: Single-org deployments may keep the org wallet secret in the environment.
ORG_DISBURSEMENT_SECRET = os.environ.get("ORG_DISBURSEMENT_SECRET", "")
#: Key that encrypts stored wallet, channel and webhook secrets at rest: a random string (32+
#: characters in production) from which HKDF-SHA256 derives the Fernet key.
SOZU_MASTER_KEY = os.environ.get("SOZU_MASTER_KEY", "")
#: Dotted path to a callable(public_key) -> Signer, to sign with a KMS or a signing service.
SOZU_SIGNER_BACKEND = os.environ.get("SOZU_SIGNER_BACKEND", "")
#: How long POST /api/v1/payouts waits for the ledger before answering 202.
SOZU_PAYOUT_WAIT_SECONDS = float(os.environ.get("SOZU_PAYOUT_WAIT_SECONDS", "20"))
HORIZON_TIMEOUT_SECONDS = int(os.environ.get("HORIZON_TIMEOUT_SECONDS", "35"))

# --- Admin --------------------------------------------------------------------------------
#: Where Django's admin is served (e.g. "ops-7f3a/"); empty turns the admin off.
SOZU_ADMIN_PATH = os.environ.get("SOZU_ADMIN_PATH", "admin/").strip().strip("/")
SOZU_ADMIN_PATH = SOZU_ADMIN_PATH + "/" if SOZU_ADMIN_PATH else ""

# --- Webhooks and metrics ----------------------------------------------------------------
#: Accept plain-HTTP webhook URLs to 127.0.0.1/localhost (development and tests; HTTPS otherwise).
SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = os.environ.get("SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP", "0") == "1"
#: Bearer token that /metrics requires.
SOZU_METRICS_TOKEN = os.environ.get("SOZU_METRICS_TOKEN", "")
#: Without a token /metrics is open only in a local configuration; in production it refuses
#: every scrape unless SOZU_METRICS_OPEN=1 (e.g. a port reachable only from a private network).
SOZU_METRICS_OPEN = os.environ.get("SOZU_METRICS_OPEN", "0" if SOZU_PRODUCTION else "1") == "1"
#: How long a scrape's database counts are reused, so scrapes cannot hammer the database.
SOZU_METRICS_CACHE_SECONDS = float(os.environ.get("SOZU_METRICS_CACHE_SECONDS", "15"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "sozu.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SOZU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
