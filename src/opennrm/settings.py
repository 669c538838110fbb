"""Django settings for OpenNRM.

Every deployment-specific value comes from the environment (``OPENNRM_*``, read
only here, with django-environ). Defaults are the safe production ones; the
demo and the tests opt in to local conveniences explicitly.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from opennrm.crypto.keys import development_key as _development_data_key

PACKAGE_DIR = Path(__file__).resolve().parent

env = environ.Env()

DEBUG: bool = env.bool("OPENNRM_DEBUG", default=False)
DATA_DIR = Path(env.str("OPENNRM_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()

_secret = env.str("OPENNRM_SECRET_KEY", default="")
# Without a configured key an ephemeral random one is used (sessions end on
# restart). The deploy check in opennrm.core.checks refuses this in production.
SECRET_KEY_IS_EPHEMERAL = not _secret
SECRET_KEY = _secret or secrets.token_urlsafe(50)

ALLOWED_HOSTS: list[str] = env.list(
    "OPENNRM_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("OPENNRM_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma: counts grouped as the page's language writes them
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",  # sign-in throttling
    "ninja",  # serves the API docs' Swagger UI from /static (the CSP forbids CDNs)
    "opennrm.core",
    "opennrm.accounts",
    "opennrm.audit",
    "opennrm.cases",
    "opennrm.screenings",
    "opennrm.online",
    "opennrm.stats",
    "opennrm.referrals",
    "opennrm.directory",
    "opennrm.notifications",
    "opennrm.exchange",
    "opennrm.casework",
    "opennrm.dataprotection",
    "opennrm.crypto",
    "opennrm.httpguard",
    "opennrm.web",
    "django_tasks",  # background jobs (DEP 14 backport); the queue lives in the database:
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "opennrm.core.middleware.RequestHygieneMiddleware",  # NUL/surrogates -> 422; API 404/405 shape
    "opennrm.core.middleware.PrivateResponsesMiddleware",  # Cache-Control: no-store when signed in
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "opennrm.httpguard.body.BodyTooLargeMiddleware",  # chunked body past the limit -> 413
    "opennrm.httpguard.busy.DatabaseBusyMiddleware",  # "database is locked" -> 503, nothing saved
    "opennrm.httpguard.signin.HtmxSignInMiddleware",  # htmx sent to sign in -> 401, form kept
    "opennrm.accounts.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opennrm.urls"
WSGI_APPLICATION = "opennrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opennrm.web.context.nav",
                "opennrm.notifications.context.unread_notifications",
            ],
        },
    }
]

# --- database -------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'opennrm.sqlite3'}"
DATABASES = {"default": env.db_url("OPENNRM_DATABASE_URL", default=_default_sqlite)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # transactions queue on a file lock instead of racing in SQLite's busy handler, where a
    # long import batch could lose to many short writers until it timed out
    # (``opennrm/core/db_sqlite/base.py``)
    DATABASES["default"]["ENGINE"] = "opennrm.core.db_sqlite"
    DATABASES["default"]["WRITE_QUEUE"] = env.bool("OPENNRM_SQLITE_WRITE_QUEUE", default=True)
    # ... for at most this many seconds, then the transaction fails with "database is locked"
    # (a page answers 503 "busy, nothing saved"; an import retries): a transaction held open
    # for ever (a stuck or stopped process) must not freeze every writer. 20 s: as SQLite's
    # own busy timeout below; far above the longest wait measured with the queue (1.03 s,
    # 50 writers beside a 200,000-post import; 13.6 s without it: bench/README.md "Imports");
    # below gunicorn's 30 s worker timeout, so a user gets an answer, not a killed worker.
    # 0: no limit.
    DATABASES["default"]["WRITE_WAIT"] = env.float("OPENNRM_SQLITE_WRITE_WAIT", default=20.0)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # writers take the lock at BEGIN, so concurrent requests queue instead of failing
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # tests run in memory, as Django does for its own SQLite engine (tools that look for
    # that engine's name, such as pytest-django's per-worker databases, then see it too)
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("OPENNRM_DB_CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while locked out
    "django.contrib.auth.backends.ModelBackend",
]
# After 5 failed passwords for one user name from one address, wait 15 minutes.
AXES_FAILURE_LIMIT = env.int("OPENNRM_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("OPENNRM_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_STR_CALLABLE = "opennrm.core.logging.axes_client"  # no user name or address in logs
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
OTP_TOTP_ISSUER = env.str("OPENNRM_OTP_ISSUER", default="OpenNRM")
# Administrators manage devices (e.g. remove a lost phone's) but never see their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Set to False only for a throwaway local demo; production refuses it (core.checks).
OPENNRM_REQUIRE_2FA: bool = env.bool("OPENNRM_REQUIRE_2FA", default=True)
# Two-person rule for the most sensitive admin actions (second-factor removal, a role change
# to a case role, another user's password): a second administrator approves them.
OPENNRM_TWO_PERSON_ADMIN: bool = env.bool("OPENNRM_TWO_PERSON_ADMIN", default=not DEBUG)

# --- security headers and cookies ------------------------------------------
SECURE_COOKIES: bool = env.bool("OPENNRM_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("OPENNRM_SESSION_SECONDS", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_SSL_REDIRECT: bool = env.bool("OPENNRM_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("OPENNRM_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
_proxy = env.str("OPENNRM_PROXY_SSL_HEADER", default="")
if _proxy:
    SECURE_PROXY_SSL_HEADER = (_proxy, "https")
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Request bodies: refuse oversized uploads before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("OPENNRM_MAX_BODY_BYTES", default=1_000_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# larger uploads wait for their view encrypted under a key of their own, never as a plain
# temporary file (opennrm.crypto.uploads); attachments stay in memory (casework.uploads)
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "opennrm.crypto.uploads.EncryptedTemporaryUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("uk", _("Ukrainian")), ("ru", _("Russian"))]
# the project's catalogue; the ingest library keeps the sentences of its problem codes in
# its own, which `opennrm monitor` reads without Django (opennrm.monitoring.problems)
LOCALE_PATHS = [PACKAGE_DIR / "locale", PACKAGE_DIR / "monitoring" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("OPENNRM_TIME_ZONE", default="Europe/Kyiv")

# --- static files -------------------------------------------------------------
STATIC_URL = "/static/"
# Static files are served from the installed package (WhiteNoise finders); a
# collected copy (``opennrm manage collectstatic``) is only needed behind a CDN.
STATIC_ROOT = env.str("OPENNRM_STATIC_ROOT", default="") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- NRM rules (defaults; each jurisdiction can override them in the database) ---
OPENNRM_REFLECTION_DAYS: int = env.int("OPENNRM_REFLECTION_DAYS", default=30)
OPENNRM_RG_DECISION_WORKING_DAYS: int = env.int("OPENNRM_RG_DECISION_WORKING_DAYS", default=5)
OPENNRM_GRANT_MAX_DAYS: int = env.int("OPENNRM_GRANT_MAX_DAYS", default=365)
# statistics: small counts hidden below this; the epsilon each year's data may ever spend
OPENNRM_STATS_THRESHOLD: int = env.int("OPENNRM_STATS_THRESHOLD", default=5)
OPENNRM_STATS_EPSILON_PER_YEAR: float = env.float("OPENNRM_STATS_EPSILON_PER_YEAR", default=4.0)
# Referrals: hours the receiving service has to answer, per service type ("default" for
# the rest), and the days a completed referral's recipient keeps its view of the case.
OPENNRM_REFERRAL_RESPONSE_HOURS: dict[str, int] = {
    key: int(value)
    for key, value in env.dict(
        "OPENNRM_REFERRAL_RESPONSE_HOURS",
        default={
            "default": "72",
            "shelter": "24",
            "child_protection": "24",
            "medical": "48",
            "interpretation": "48",
        },
    ).items()
}
OPENNRM_REFERRAL_ACCESS_TAIL_DAYS: int = env.int("OPENNRM_REFERRAL_ACCESS_TAIL_DAYS", default=7)
# API tokens: the longest lifetime in days per role ("default" for the other roles),
# e.g. OPENNRM_API_TOKEN_MAX_DAYS=default=30,admin=7,auditor=14,analyst=90
OPENNRM_API_TOKEN_MAX_DAYS: dict[str, int] = {
    key: int(value)
    for key, value in env.dict(
        "OPENNRM_API_TOKEN_MAX_DAYS",
        default={"default": "30", "admin": "7", "auditor": "14", "analyst": "90"},
    ).items()
}

# Database triggers that make the audit table append-only (off only in the test suite).
OPENNRM_AUDIT_DB_TRIGGERS: bool = env.bool("OPENNRM_AUDIT_DB_TRIGGERS", default=True)
# Signed audit checkpoints (opennrm.audit.anchor): the Ed25519 signing key lives outside
# the database, in a file or in the environment; old public keys stay accepted for verifying.
OPENNRM_AUDIT_KEY_FILE: str = env.str("OPENNRM_AUDIT_KEY_FILE", default="")
OPENNRM_AUDIT_SIGNING_KEY: str = env.str("OPENNRM_AUDIT_SIGNING_KEY", default="")
OPENNRM_AUDIT_VERIFY_KEYS: list[str] = env.list("OPENNRM_AUDIT_VERIFY_KEYS", default=[])
OPENNRM_AUDIT_SYSLOG_ADDRESS: str = env.str("OPENNRM_AUDIT_SYSLOG_ADDRESS", default="/dev/log")
# RFC 3161 time-stamps of audit checkpoints (optional): the authority's URL, and the PEM
# bundle of its trusted root certificate(s) that `opennrm audit verify` checks stamps with.
OPENNRM_AUDIT_TSA_URL: str = env.str("OPENNRM_AUDIT_TSA_URL", default="")
OPENNRM_AUDIT_TSA_CA_FILE: str = env.str("OPENNRM_AUDIT_TSA_CA_FILE", default="")
OPENNRM_AUDIT_TSA_TIMEOUT: float = env.float("OPENNRM_AUDIT_TSA_TIMEOUT", default=10.0)

# Online monitoring: a model directory written by `opennrm monitor train` (trusted
# input); empty means the indicator flags alone score posts.
OPENNRM_MONITORING_MODEL: str = env.str("OPENNRM_MONITORING_MODEL", default="")
OPENNRM_MAX_UPLOAD_BYTES: int = env.int("OPENNRM_MAX_UPLOAD_BYTES", default=50_000_000)
# Background jobs (imports): queued in the database, run by `opennrm worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Uploaded files wait here (private, mode 0700) for the worker; each is removed when done.
OPENNRM_IMPORT_DIR = Path(
    env.str("OPENNRM_IMPORT_DIR", default=str(DATA_DIR / "imports"))
).resolve()
# Posts per batch, scored together (campaigns and networks are found within a batch) ...
OPENNRM_IMPORT_BATCH_POSTS: int = env.int("OPENNRM_IMPORT_BATCH_POSTS", default=1000)
# ... and written in short transactions of this many posts (the write lock is held that long).
OPENNRM_IMPORT_WRITE_POSTS: int = env.int("OPENNRM_IMPORT_WRITE_POSTS", default=200)
# campaigns grow across batches and imports (the agency's campaign index); off: per batch
OPENNRM_CAMPAIGN_INDEX: bool = env.bool("OPENNRM_CAMPAIGN_INDEX", default=True)
# Retention of online monitoring (GDPR art. 5(1)(e); Directive (EU) 2016/680 art. 4(1)(e)):
# posts imported more than this many days ago are erased with their contact mentions,
# labels, emptied contacts, groups and finished imports, unless a case was opened from
# them (`opennrm online purge`, and the worker every OPENNRM_MONITORING_PURGE_HOURS).
# 0 turns the erasure off. A year lets a campaign be recognised when it comes back.
OPENNRM_MONITORING_RETENTION_DAYS: int = env.int("OPENNRM_MONITORING_RETENTION_DAYS", default=365)
# how often each `opennrm worker` erases what is past that period (0: never; use cron)
OPENNRM_MONITORING_PURGE_HOURS: float = env.float("OPENNRM_MONITORING_PURGE_HOURS", default=24.0)
# posts erased per transaction (the write lock is held that long)
OPENNRM_MONITORING_PURGE_BATCH: int = env.int("OPENNRM_MONITORING_PURGE_BATCH", default=200)
# An import whose worker wrote nothing for this long lost its worker: it is continued in a
# new run (at most OPENNRM_IMPORT_MAX_ATTEMPTS tries in all), else marked failed.
OPENNRM_IMPORT_STALE_SECONDS: int = env.int("OPENNRM_IMPORT_STALE_SECONDS", default=600)
OPENNRM_IMPORT_MAX_ATTEMPTS: int = env.int("OPENNRM_IMPORT_MAX_ATTEMPTS", default=3)
# An import's write that finds the database locked (SQLite under many writers) is tried
# again for this many seconds before the import gives up (below the stale time above).
OPENNRM_IMPORT_LOCK_PATIENCE: int = env.int("OPENNRM_IMPORT_LOCK_PATIENCE", default=300)
# A compressed (gzip) WARC is read until it has unpacked to this many bytes, then the rest of
# the file is skipped and reported, the posts before it kept: a few hundred KB of gzip can
# unpack to gigabytes (a "zip bomb": zeros pack about 1000 to 1, so one upload at the limit
# could unpack to 50 GB, and a file given to `opennrm online import` to any size), which
# streams in bounded memory but holds the worker for as long as reading takes (about 1 GB
# a second). Default 50 times the upload limit (2.5 GB, a few seconds to read): a crawl's
# HTML unpacks to 5-10 times its gzip size, so an honest upload fits five times over.
OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES: int = env.int(
    "OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES", default=50 * OPENNRM_MAX_UPLOAD_BYTES
)

# Case attachments (opennrm.casework): Fernet keys (comma-separated; the first encrypts,
# all decrypt), the largest file, where the encrypted files live, and a ClamAV socket.
OPENNRM_FILE_KEYS: list[str] = env.list("OPENNRM_FILE_KEYS", default=[])
OPENNRM_ATTACHMENT_MAX_BYTES: int = env.int("OPENNRM_ATTACHMENT_MAX_BYTES", default=10_000_000)
OPENNRM_ATTACHMENT_DIR = Path(
    env.str("OPENNRM_ATTACHMENT_DIR", default=str(DATA_DIR / "attachments"))
).resolve()
OPENNRM_CLAMD_SOCKET: str = env.str("OPENNRM_CLAMD_SOCKET", default="")

# Backup, retention, data-subject rights (opennrm.dataprotection): the backup key is 32
# random bytes in base64 (`opennrm backup --generate-key`), never stored with the backups;
# retention is days per case state, counted from entering it ("closed=1826,withdrawn=1096").
OPENNRM_BACKUP_KEY: str = env.str("OPENNRM_BACKUP_KEY", default="")
OPENNRM_RETENTION_DAYS: str = env.str(
    "OPENNRM_RETENTION_DAYS", default="closed=1826,withdrawn=1096"
)

# Personal data encrypted at rest (opennrm.crypto): Fernet keys, comma-separated; the first
# encrypts, all decrypt (`opennrm keys rotate` moves every row to the first). Without any,
# a public development key is used and the deploy check refuses production (opennrm.E020).
_data_keys = [k for k in env.list("OPENNRM_DATA_KEYS", default=[]) if k.strip()]
OPENNRM_DATA_KEYS_ARE_DEVELOPMENT = not _data_keys
OPENNRM_DATA_KEYS: list[str] = _data_keys or [_development_data_key()]

# --- e-mail (notifications; never personal data in a message) -------------------
# The console backend prints messages to standard output (the demo); production sets
# django.core.mail.backends.smtp.EmailBackend and the SMTP server below.
EMAIL_BACKEND = env.str(
    "OPENNRM_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.str("OPENNRM_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("OPENNRM_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("OPENNRM_EMAIL_USER", default="")
EMAIL_HOST_PASSWORD = env.str("OPENNRM_EMAIL_PASSWORD", default="")
EMAIL_USE_TLS: bool = env.bool("OPENNRM_EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("OPENNRM_EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("OPENNRM_EMAIL_FROM", default="OpenNRM <noreply@localhost>")
# The address users open OpenNRM at; e-mails link to the inbox there.
OPENNRM_BASE_URL: str = env.str("OPENNRM_BASE_URL", default="http://127.0.0.1:8000")
# `opennrm notify`: remind this many working days before a reasonable-grounds decision
# is due, and this many days before a reflection period ends.
OPENNRM_NOTIFY_RG_WORKING_DAYS: int = env.int("OPENNRM_NOTIFY_RG_WORKING_DAYS", default=1)
OPENNRM_NOTIFY_REFLECTION_DAYS: int = env.int("OPENNRM_NOTIFY_REFLECTION_DAYS", default=3)

# Transnational referral: this deployment's id and its key file (private keys, mode 0600,
# made by `opennrm exchange keys generate`; never in the database).
OPENNRM_DEPLOYMENT_ID: str = env.str("OPENNRM_DEPLOYMENT_ID", default="")
OPENNRM_EXCHANGE_KEY_FILE: str = env.str("OPENNRM_EXCHANGE_KEY_FILE", default="")
OPENNRM_EXCHANGE_PACKAGE_DAYS: int = env.int("OPENNRM_EXCHANGE_PACKAGE_DAYS", default=14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # no case reference or personal datum in a log line (opennrm.core.logging)
    "filters": {"redact": {"()": "opennrm.core.logging.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("OPENNRM_LOG_LEVEL", default="WARNING")},
}
