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
    "sozu.web",  # first: its templates override allauth's and the admin's
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
    "sozu.wallet",
    # --- dashboard (issue 11): staff accounts, 2FA and passkeys, htmx, the web shell ---
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # dashboard: static files, also under gunicorn
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # --- dashboard (issue 11) ---
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sozu.orgs.middleware.CurrentOrganizationMiddleware",
    "sozu.web.middleware.ContentSecurityPolicyMiddleware",
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
                "sozu.web.context_processors.dashboard",
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

# --- Dashboard (issue 11): static files, staff accounts, sessions, security headers ---------
#: Front-end packages pinned in package.json, installed by bin/setup (`npm ci`) into
#: node_modules; served from there under static/vendor/ (never copied into the repository).
NODE_MODULES_DIR = Path(
    os.environ.get("SOZU_NODE_MODULES", BASE_DIR.parent.parent / "node_modules")
)
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES_DIR / "htmx.org" / "dist"),
    ("vendor/chart.js", NODE_MODULES_DIR / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
except OSError:  # a read-only deployment: collectstatic makes it where it is allowed to
    pass
#: gunicorn serves what `collectstatic` put in STATIC_ROOT (`sozu start` runs it); the test
#: live server and `sozu start --dev` (runserver) serve the finders' files themselves.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_ADAPTER = "sozu.web.accounts.StaffAccountAdapter"  # no public sign-up
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "none"  # staff are created by owners or the CLI, not by sign-up
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = int(os.environ.get("SOZU_STEP_UP_SECONDS", "300"))
#: Failed sign-ins are limited per address and per account; see docs/dashboard.md.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "reauthenticate": "10/m/user",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_PASSKEY_SIGNUP_ENABLED = False
MFA_TOTP_ISSUER = os.environ.get("SOZU_TOTP_ISSUER", "Sozu")
#: WebAuthn over plain http is only for the local machine (127.0.0.1, localhost).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = os.environ.get("SOZU_ENV", "local") != "production"
#: A fresh second factor for approving, executing and changing settings: this many seconds.
SOZU_STEP_UP_SECONDS = ACCOUNT_REAUTHENTICATION_TIMEOUT

#: Rate limits and sessions need a cache that every gunicorn worker shares: files in VAR_DIR.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("SOZU_CACHE_DIR", str(VAR_DIR / "cache")),
    }
}
#: Idle sessions end: every request pushes the expiry 30 minutes (SOZU_SESSION_IDLE_SECONDS).
SESSION_COOKIE_AGE = int(os.environ.get("SOZU_SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if os.environ.get("SOZU_ENV", "local") == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
#: The same policy on every page: nothing but this origin; no inline scripts anywhere.
SOZU_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
EMAIL_BACKEND = os.environ.get(
    "SOZU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("SOZU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("SOZU_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("SOZU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SOZU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("SOZU_EMAIL_USE_TLS", "1") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("SOZU_EMAIL_FROM", "Sozu <no-reply@sozu.local>")

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

# --- The wallet (issue 13): SEP-10 and exchange rates ---------------------------------------
#: The domain serving /.well-known/stellar.toml: SEP-10 challenges are pinned to it.
SOZU_HOME_DOMAIN = os.environ.get("SOZU_HOME_DOMAIN", "localhost:8080")
#: The domain of the SEP-10 endpoint (/auth), when it is not the home domain.
SOZU_WEB_AUTH_DOMAIN = os.environ.get("SOZU_WEB_AUTH_DOMAIN", "")
#: The Horizon URL published in stellar.toml, when clients reach it at another address.
SOZU_PUBLIC_HORIZON_URL = os.environ.get("SOZU_PUBLIC_HORIZON_URL", "")
SOZU_SEP10_CHALLENGE_SECONDS = int(os.environ.get("SOZU_SEP10_CHALLENGE_SECONDS", "300"))
#: A wallet's session token lives this long; it signs in again with a new challenge after.
SOZU_SEP10_TOKEN_SECONDS = int(os.environ.get("SOZU_SEP10_TOKEN_SECONDS", "900"))
#: How long she has to sign what the server built for her wallet.
#: How long a wallet invitation (link or code) stays valid.
SOZU_WALLET_INVITATION_HOURS = int(os.environ.get("SOZU_WALLET_INVITATION_HOURS", "72"))
SOZU_WALLET_SIGN_SECONDS = int(os.environ.get("SOZU_WALLET_SIGN_SECONDS", "300"))
#: Sponsored creations built at the same time each take one of at most this many channel
#: accounts (their own sequence numbers; opened by the sponsor on first use, 2 XLM each).
SOZU_WALLET_SPONSOR_CHANNELS = int(os.environ.get("SOZU_WALLET_SPONSOR_CHANNELS", "16"))
#: The most Sozu pays per operation when it fee-bumps a wallet's transaction (stroops).
SOZU_WALLET_MAX_FEE_PER_OP = int(os.environ.get("SOZU_WALLET_MAX_FEE_PER_OP", "10000"))
#: USDC→ARS quotes (display only): CriptoYa first, DolarApi as the fallback.
SOZU_CRIPTOYA_URL = os.environ.get("SOZU_CRIPTOYA_URL", "https://criptoya.com")
SOZU_DOLARAPI_URL = os.environ.get("SOZU_DOLARAPI_URL", "https://dolarapi.com")
#: On the local network only: a fixed rate (pesos per USDC); empty shows USDC only.
SOZU_MANUAL_USDC_ARS = os.environ.get("SOZU_MANUAL_USDC_ARS", "1450")
SOZU_RATE_REFRESH_SECONDS = int(os.environ.get("SOZU_RATE_REFRESH_SECONDS", "300"))
SOZU_RATE_STALE_MINUTES = int(os.environ.get("SOZU_RATE_STALE_MINUTES", "30"))
SOZU_RATE_TIMEOUT_SECONDS = float(os.environ.get("SOZU_RATE_TIMEOUT_SECONDS", "5"))
#: Passkeys: the WebAuthn RP id (a domain; empty: the request's host name) and how long a
#: sign-up or sign-in challenge can be answered.
SOZU_WEBAUTHN_RP_ID = os.environ.get("SOZU_WEBAUTHN_RP_ID", "")
SOZU_WEBAUTHN_CHALLENGE_SECONDS = int(os.environ.get("SOZU_WEBAUTHN_CHALLENGE_SECONDS", "300"))
#: Sign-ups and sign-ins started per client address in 10 minutes.
SOZU_WEBAUTHN_BEGIN_LIMIT = int(os.environ.get("SOZU_WEBAUTHN_BEGIN_LIMIT", "30"))

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

# --- credit reports and the wallet's loan API (issue 12) ---
#: A PDF report longer than this is refused (CSV and XLSX have no limit).
SOZU_REPORT_PDF_MAX_ROWS = int(os.environ.get("SOZU_REPORT_PDF_MAX_ROWS", "5000"))
#: How long a staff-issued wallet token is good for (the wallet itself signs in with SEP-10).
SOZU_WALLET_TOKEN_TTL_SECONDS = int(os.environ.get("SOZU_WALLET_TOKEN_TTL_SECONDS", "3600"))
#: Who may call /api/v1/wallet/…: classes tried in order (the wallet's SEP-10 JWT, then a
#: staff-issued token).
SOZU_WALLET_AUTHENTICATORS = [
    "sozu.credit.wallet_auth.Sep10Authenticator",
    "sozu.credit.wallet_auth.SignedTokenAuthenticator",
]
