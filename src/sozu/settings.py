"""Django settings, read from the environment with safe zero-setup defaults."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
#: Where the zero-setup defaults keep their files (SQLite database, local network ledger).
VAR_DIR = Path(os.environ.get("SOZU_VAR_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("SOZU_DEBUG", "0") == "1"
_secret = os.environ.get("SOZU_SECRET_KEY", "")
if not _secret:
    if os.environ.get("SOZU_ENV", "local") == "production":
        raise ImproperlyConfigured("SOZU_SECRET_KEY must be set in production")
    _secret = "insecure-local-only-key-change-me"  # noqa: S105 - local defaults only
SECRET_KEY = _secret
ALLOWED_HOSTS = [h for h in os.environ.get("SOZU_ALLOWED_HOSTS", "*").split(",") if h]

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
    "sozu.credit",
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

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sozu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
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
HORIZON_URL = os.environ.get("HORIZON_URL", "http://127.0.0.1:8000").rstrip("/")
NETWORK_PASSPHRASE = os.environ.get("NETWORK_PASSPHRASE", "Sozu Local Network ; 2026")
#: USDC issuer. Empty means: ask the local network (it creates its issuer at first start).
USDC_ISSUER = os.environ.get("USDC_ISSUER", "")
USDC_CODE = os.environ.get("USDC_CODE", "USDC")
#: Single-org deployments may keep the org wallet secret in the environment.
ORG_DISBURSEMENT_SECRET = os.environ.get("ORG_DISBURSEMENT_SECRET", "")
#: Key that encrypts per-organization wallet secrets at rest (Fernet, urlsafe base64, 32 bytes).
SOZU_MASTER_KEY = os.environ.get("SOZU_MASTER_KEY", "")
#: Dotted path to a callable(public_key) -> Signer, to sign with a KMS or a signing service.
SOZU_SIGNER_BACKEND = os.environ.get("SOZU_SIGNER_BACKEND", "")
#: How long POST /api/v1/payouts waits for the ledger before answering 202.
SOZU_PAYOUT_WAIT_SECONDS = float(os.environ.get("SOZU_PAYOUT_WAIT_SECONDS", "20"))
HORIZON_TIMEOUT_SECONDS = int(os.environ.get("HORIZON_TIMEOUT_SECONDS", "35"))

# --- Webhooks and metrics ----------------------------------------------------------------
#: Accept plain-HTTP webhook URLs to 127.0.0.1/localhost (development and tests; HTTPS otherwise).
SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = os.environ.get("SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP", "0") == "1"
#: Bearer token that /metrics requires; empty leaves /metrics open (e.g. behind a private network).
SOZU_METRICS_TOKEN = os.environ.get("SOZU_METRICS_TOKEN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "sozu.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SOZU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
