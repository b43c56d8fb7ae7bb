"""Settings for the ICOCA member portal, read from the environment.

Without any environment the portal runs on a laptop: SQLite, a Celery broker
on the file system, e-mail to the console, files on disk under ``var/`` and the
local WESTER ID provider (oidc-provider-mock) on 127.0.0.1:9400.

``PORTAL_ENV=production`` switches on the production rules: a ``SECRET_KEY``
and ``ALLOWED_HOSTS`` are required, cookies are secure, HSTS is on and DEBUG
may not be on. The variables are listed in README.md; they are read with
django-environ (``env.db()``, ``env.email_url()``, ``env.bool()``, ``env.list()``).
An empty variable counts as unset. The Celery beat schedule and the task routes
are in portal/schedule.py.
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import Env
from portal.schedule import CELERY_BEAT_SCHEDULE, CELERY_TASK_ROUTES  # noqa: F401 (settings)
from portal.secret_key import SecretKeyFileError, local_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()  # django-environ; an empty variable is unset, a yes/no one must say yes or no
# Lists are comma-separated, spaces around an item ignored (``cast=str.strip``).
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

PORTAL_ENV = env.str("PORTAL_ENV", default="local")
if PORTAL_ENV not in ("local", "production"):
    raise ImproperlyConfigured("PORTAL_ENV must be 'local' or 'production'")
PRODUCTION = PORTAL_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default=None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", cast=str.strip, default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])

if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY is required when PORTAL_ENV=production")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS is required when PORTAL_ENV=production")
    public = [h for h in ALLOWED_HOSTS if h not in ("127.0.0.1", "localhost", "[::1]")]
    if DEBUG and public:
        raise ImproperlyConfigured("DEBUG must be off on a public host: " + ", ".join(public))
elif not SECRET_KEY:
    # This checkout's own key, generated once into var/secret_key (mode 0600): never a value
    # in the repository, which would let anyone sign this portal's sessions and sandbox answers.
    try:
        SECRET_KEY = local_secret_key(VAR_DIR)
    except (OSError, SecretKeyFileError) as problem:
        raise ImproperlyConfigured(f"SECRET_KEY: {problem}") from None

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", cast=str.strip, default=[])

INSTALLED_APPS = [
    "accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "allauth.usersessions",
    "accounts",
    "cards",
    "billing",
    "billing.payment_methods.providers.sandbox",
    "support",
    "portal",
    "csp",
]

MIDDLEWARE = [
    "portal.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Headers on every response, error pages included (docs/decisions.md: the CSP).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "portal.middleware.MemberCacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.locale.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the member row read without compiling its query (accounts/authentication.py).
    "accounts.middleware.MemberAuthenticationMiddleware",
    "accounts.middleware.ProviderUnavailableMiddleware",
    "accounts.middleware.LocalAccountPagesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sessions.SessionLifetimeMiddleware",
    "portal.limits.LimitMiddleware",  # a limit reached (portal.limits.LimitReached): 429
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
            ],
            # Django's i18n tags, a literal's {% translate %} made once per language.
            "libraries": {"i18n": "portal.templatetags.i18n_once"},
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# PostgreSQL: parameters bound by the server and a statement prepared on its connection once it
# has run DATABASE_PREPARE_THRESHOLD times (psycopg's own default, 5), so the member pages' few
# statements, sent again and again on connections kept for CONN_MAX_AGE, are no longer parsed
# and planned every time (docs/decisions.md). DATABASE_PREPARE_THRESHOLD=off turns it off
# (psycopg's None): for a pooler that cannot keep prepared statements (PgBouncer before 1.21).
_PREPARE_THRESHOLD = env.str("DATABASE_PREPARE_THRESHOLD", default="5").strip().lower()
if _PREPARE_THRESHOLD != "off" and not _PREPARE_THRESHOLD.isdigit():
    raise ImproperlyConfigured(
        f"DATABASE_PREPARE_THRESHOLD={_PREPARE_THRESHOLD!r}: give how many times a statement runs on a "
        "connection before it is prepared (0 or more, 5 by default), or off"
    )
POSTGRESQL_OPTIONS = {
    "server_side_binding": True,
    "prepare_threshold": None if _PREPARE_THRESHOLD == "off" else int(_PREPARE_THRESHOLD),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(POSTGRESQL_OPTIONS)
# A read replica (streaming replication of the primary): the usage history pages read from it
# (portal/routers.py); everything else, the feed import and the receipts included, reads
# and writes the primary.
if "DATABASE_REPLICA_URL" in env:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":  # a replica down fails fast
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
        DATABASES["replica"]["OPTIONS"].update(POSTGRESQL_OPTIONS)
DATABASE_ROUTERS = ["portal.routers.HistoryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.Member"

# --- Redis: cache, rate limits, sessions, Celery ---------------------------
REDIS_URL = env.str("REDIS_URL", default=None)
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down: answered as a miss, so sessions fall back to the database (portal/cache.py).
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # A file cache is shared by every local process, so rate limits hold
    # across the web server and the worker without a server to run.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# cached_db with fewer database round trips per write (accounts/session_store.py)
SESSION_ENGINE = "accounts.session_store"

# --- Sessions and cookies ---------------------------------------------------
SESSION_IDLE_SECONDS = 30 * 60
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# The idle timeout slides when the session is saved: at most once a minute
# (accounts.sessions.session_touch), not on every request.
SESSION_TOUCH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    # __Host-: the browser keeps these cookies only if they are Secure, for path / and
    # without a Domain, so no other host of the domain (nor plain http) can set or overwrite them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# --- Sign-in: allauth, WESTER ID ------------------------------------------
LOGIN_URL = "/"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "accounts.adapters.user_display"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.WesterIdAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}  # staff only; members have no password
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "5/m/ip",
    "reauthenticate": "10/m/user",
}
# The client's address behind the load balancer (portal.limits.client_ip), for allauth's
# limits and the portal's: the number of proxies of ours that append to X-Forwarded-For
# (1 behind one load balancer), or the name of a header that a proxy of ours sets to the
# client's address (e.g. X-Real-IP), which then wins. Neither: the connection's address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default=None)
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
if ALLAUTH_TRUSTED_CLIENT_IP_HEADER and not re.fullmatch(r"[A-Za-z0-9-]+", ALLAUTH_TRUSTED_CLIENT_IP_HEADER):
    raise ImproperlyConfigured(f"TRUSTED_CLIENT_IP_HEADER must be a header name, not {ALLAUTH_TRUSTED_CLIENT_IP_HEADER!r}")
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False

WESTER_ID_PROVIDER_ID = "wester-id"
WESTER_ID_ISSUER = env.str("WESTER_ID_ISSUER", default="http://127.0.0.1:9400")
WESTER_ID_CLIENT_ID = env.str("WESTER_ID_CLIENT_ID", default="icoca-portal-local")
WESTER_ID_CLIENT_SECRET = env.str("WESTER_ID_CLIENT_SECRET", default=None if PRODUCTION else "local-secret")
if PRODUCTION and not ("WESTER_ID_ISSUER" in env and WESTER_ID_CLIENT_ID and WESTER_ID_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "WESTER_ID_ISSUER, WESTER_ID_CLIENT_ID and WESTER_ID_CLIENT_SECRET are required in production"
    )
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": WESTER_ID_PROVIDER_ID,
                "name": "WESTER ID",
                "client_id": WESTER_ID_CLIENT_ID,
                "secret": WESTER_ID_CLIENT_SECRET,
                "settings": {
                    "server_url": WESTER_ID_ISSUER,
                    "oauth_pkce_enabled": True,
                },
            }
        ],
    }
}

# Staff: TOTP required before any member data is shown (accounts.admin_site).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="ICOCA会員メニュー サポート")

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
# The signed-in member's saved language, put in the session at sign-in (portal.locale).
MEMBER_LANGUAGE_SESSION_KEY = "member_language"
LOCALE_PATHS = [BASE_DIR / "locale"]
# One way to write a date in each language (portal/formats/): "10 Sep 2026", 2026/9/10.
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static and stored files ------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "static_root")))
# Stored files (PDFs) are private: they are only served through views that
# check the owner, so there is no public MEDIA_URL.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))


def _file_storage() -> dict[str, object]:
    """Files on disk under MEDIA_ROOT, or, with S3_BUCKET set, an S3-compatible bucket
    (django-storages). Credentials come the usual AWS way (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, or the host's role), never from this file."""
    bucket = env.str("S3_BUCKET", default=None)
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    endpoint = env.str("S3_ENDPOINT_URL", default=None)  # another S3-compatible service (MinIO, a cloud's own)
    if endpoint and not endpoint.startswith("https://") and PRODUCTION:
        raise ImproperlyConfigured("S3_ENDPOINT_URL must be an https:// URL in production")
    encryption = env.str("S3_SERVER_SIDE_ENCRYPTION", default="AES256")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": env.str("S3_REGION", default=None),
            "location": env.str("S3_PREFIX", default=""),  # a folder in a shared bucket
            "default_acl": None,  # the bucket's own: private
            "querystring_auth": True,  # no public URL; files are read through the portal
            "file_overwrite": False,
            # Encrypted at rest by the service (S3_SERVER_SIDE_ENCRYPTION= empty: the bucket's default).
            "object_parameters": {"ServerSideEncryption": encryption} if encryption else {},
        },
    }


STORAGES = {
    "default": _file_storage(),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail -----------------------------------------------------------------
# EMAIL_URL: console: (the default), locmem:, file:FOLDER, smtp://, smtps:// (TLS from the first
# byte, port 465) or smtp+tls:// (STARTTLS, port 587); parsed by django-environ under its own
# names for these schemes (its smtps is STARTTLS, so ours is its smtp+ssl).
def _email_url() -> str:
    """EMAIL_URL under django-environ's names for its scheme."""
    schemes = {"console": "consolemail:", "locmem": "memorymail:", "file": "filemail:///",
               "smtp": "smtp:", "smtps": "smtp+ssl:", "smtp+tls": "smtp+tls:"}
    scheme, _colon, rest = env.str("EMAIL_URL", default="console:").partition(":")
    if scheme not in schemes:
        raise ImproperlyConfigured("EMAIL_URL must start with console:, locmem:, file:, smtp:, smtps: or smtp+tls:")
    if scheme == "file":
        rest = rest or str(VAR_DIR / "mail")
    return schemes[scheme] + rest


_email = env.email_url_config(_email_url())
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or str(VAR_DIR / "mail")
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or (465 if _email.get("EMAIL_USE_SSL") else 587)
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ICOCA会員メニュー <no-reply@icoca.example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # An unacknowledged message (a worker killed mid-task: acks_late) goes back
    # to the queue after the visibility timeout; it must exceed every task's
    # time limit. The reliability tests set it low to see redelivery happen.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "socket_connect_timeout": 5,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# --- Load tests ----------------------------------------------------------------
# /load/baseline, the bare view a load run compares the member pages with (python -m loadtest).
LOAD_BASELINE_VIEW = env.bool("LOAD_BASELINE_VIEW", default=False)
if PRODUCTION and LOAD_BASELINE_VIEW:
    raise ImproperlyConfigured("LOAD_BASELINE_VIEW is for load tests on a test system, not production")

# --- Usage history partitions (PostgreSQL) -----------------------------------
USAGE_PARTITIONS_AHEAD_MONTHS = env.int("USAGE_PARTITIONS_AHEAD_MONTHS", default=3)
USAGE_PARTITIONS_MARGIN_MONTHS = env.int("USAGE_PARTITIONS_MARGIN_MONTHS", default=3)

# --- Payment provider -----------------------------------------------------------
# Card numbers are typed into the provider's own pages; the portal gets a
# token (billing/payment_methods/providers/base.py). Locally: the sandbox provider at
# /sandbox-pay/, with its own store for card numbers (test cards in README.md).
SANDBOX_PROVIDER = "billing.payment_methods.providers.sandbox.SandboxProvider"
# Production names its provider: the sandbox takes no money, so it is never a default there.
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="" if PRODUCTION else SANDBOX_PROVIDER)
if not PAYMENT_PROVIDER:
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER is required in production: the payment gateway's provider class "
        f"(or {SANDBOX_PROVIDER}, which takes no money, for a test system)"
    )
# /sandbox-pay/ exists only while the sandbox is the provider.
SANDBOX_PAY_ENABLED = PAYMENT_PROVIDER == SANDBOX_PROVIDER
# In production the sandbox (which takes no money and registers any test card) runs only on a
# system that says it is a test system.
PAYMENT_SANDBOX_ALLOWED = env.bool("PAYMENT_SANDBOX_ALLOWED", default=not PRODUCTION)
if PRODUCTION and SANDBOX_PAY_ENABLED and not PAYMENT_SANDBOX_ALLOWED:
    raise ImproperlyConfigured(
        f"PAYMENT_PROVIDER is the sandbox ({SANDBOX_PROVIDER}), which takes no money: name the payment "
        "gateway's provider class, or set PAYMENT_SANDBOX_ALLOWED=1 if this is a test system"
    )
# The key the sandbox signs its answers with (a real gateway's merchant key).
SANDBOX_PAY_SECRET = env.str(
    "SANDBOX_PAY_SECRET", default=hmac.new(SECRET_KEY.encode(), b"sandbox-pay", "sha256").hexdigest()
)
SANDBOX_PAY_STORE = Path(env.str("SANDBOX_PAY_STORE", default=str(VAR_DIR / "sandbox-pay.sqlite3")))

# --- Content-Security-Policy and Permissions-Policy (docs/decisions.md) ----------
# No inline script or style anywhere: every script and style sheet is a file under
# /static/. Forms may only go to the portal itself and to the two sites a form post
# redirects to: the payment provider's card page (registering a card) and WESTER ID
# (sign-in, sign-out). Chromium checks form-action on each redirect of a form post.
def _origin(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ImproperlyConfigured(f"Not an http(s) URL: {url!r}")
    return f"{parsed.scheme}://{parsed.netloc}"


# The payment provider's own pages (its card-entry page), e.g. https://pay.gateway.example;
# empty for the sandbox, which is served by the portal (/sandbox-pay/).
PAYMENT_PROVIDER_ORIGIN = env.str("PAYMENT_PROVIDER_ORIGIN", default="")
if PRODUCTION and not SANDBOX_PAY_ENABLED and not PAYMENT_PROVIDER_ORIGIN:
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER_ORIGIN (https://..., where the provider's card page is) is required in production"
    )
PORTAL_FORM_ACTION_ORIGINS = [
    "'self'",
    *([_origin(PAYMENT_PROVIDER_ORIGIN)] if PAYMENT_PROVIDER_ORIGIN else []),
    _origin(WESTER_ID_ISSUER),
    # More sites a sign-in or sign-out redirects through (WESTER ID's authorize or
    # end-session endpoint on another host), comma separated.
    *(_origin(url) for url in env.list("PORTAL_FORM_ACTION_EXTRA", cast=str.strip, default=[])),
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the QR code allauth draws when staff set up TOTP (an inline SVG image).
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": list(dict.fromkeys(PORTAL_FORM_ACTION_ORIGINS)),
        # Browsers post what they block here when set (a collector of the operator's).
        "report-uri": env.list("CSP_REPORT_URI", cast=str.strip, default=[]) or None,
    }
}
# Nothing the portal does needs a device feature: all off, for the portal and any frame.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera", "display-capture",
        "encrypted-media", "fullscreen", "geolocation", "gyroscope", "hid", "idle-detection",
        "magnetometer", "microphone", "midi", "payment", "picture-in-picture",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}

# --- Limits on what one member or one address can make the portal do ----------------------
# (portal/limits.py, portal/document_limits.py; docs/decisions.md). (amount, seconds).
PORTAL_LIMITS = {
    "document_requests_hour": (10, 3600),  # new document requests of a member, rolling
    "document_requests_day": (30, 24 * 3600),
    "documents_in_progress": 3,  # a member's documents pending or rendering at once
    "history_csv": (30, 3600),  # history CSV exports of a member, per clock hour
    # Sign-in starts (the form post that sends a visitor to WESTER ID) per client address and
    # clock minute: generous, as a mobile carrier's NAT puts many members behind one address.
    "sign_in_start": (env.int("SIGN_IN_START_PER_MINUTE", default=60), 60),
}

# --- The operator -------------------------------------------------------------
PORTAL_OPERATOR_NAME = env.str("PORTAL_OPERATOR_NAME", default="西日本旅客鉄道株式会社")
PORTAL_OPERATOR_NAME_EN = env.str("PORTAL_OPERATOR_NAME_EN", default="West Japan Railway Company")
PORTAL_SITE_NAME = _("ICOCA会員メニュー")
# Where members reach the portal, for the links in e-mails (https:// in production).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not PORTAL_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured("PORTAL_BASE_URL (https://..., the address members use) is required in production")

# モバイルICOCAサポートセンター: its phone number and hours, on every page that sends a
# member to it (help, the lost-device pages, a failed document, a failed sign-in). Required
# in production; locally numbers that are obviously not real ones.
DEMO_SUPPORT_CENTER_PHONE = "0570-000-000"
SUPPORT_CENTER_PHONE = env.str("SUPPORT_CENTER_PHONE", default=None if PRODUCTION else DEMO_SUPPORT_CENTER_PHONE)
SUPPORT_CENTER_HOURS = env.str("SUPPORT_CENTER_HOURS", default=None if PRODUCTION else "9:00〜20:00（年中無休・デモ）")
SUPPORT_CENTER_HOURS_EN = env.str(
    "SUPPORT_CENTER_HOURS_EN", default=None if PRODUCTION else "9:00–20:00, every day (demo)"
)
if PRODUCTION and (
    not (SUPPORT_CENTER_PHONE and SUPPORT_CENTER_HOURS and SUPPORT_CENTER_HOURS_EN)
    or SUPPORT_CENTER_PHONE == DEMO_SUPPORT_CENTER_PHONE
):
    raise ImproperlyConfigured(
        "SUPPORT_CENTER_PHONE, SUPPORT_CENTER_HOURS and SUPPORT_CENTER_HOURS_EN (the support center's "
        "phone number and opening hours, in Japanese and English) are required in production"
    )
if not re.fullmatch(r"0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}", SUPPORT_CENTER_PHONE or ""):
    raise ImproperlyConfigured(
        f"SUPPORT_CENTER_PHONE must be a Japanese phone number with hyphens like 0570-000-000, "
        f"not {SUPPORT_CENTER_PHONE!r}"
    )

# --- Documents: receipts and refund statements (billing/documents/) -------------
# The operator's qualified-invoice registration number (適格請求書発行事業者登録番号),
# printed on every receipt: "T" and 13 digits. Required in production; locally a
# number that is obviously not a real one.
DEMO_INVOICE_REGISTRATION_NUMBER = "T1234567890123"
PORTAL_INVOICE_REGISTRATION_NUMBER = env.str(
    "PORTAL_INVOICE_REGISTRATION_NUMBER", default=None if PRODUCTION else DEMO_INVOICE_REGISTRATION_NUMBER
)
if not PORTAL_INVOICE_REGISTRATION_NUMBER or (PRODUCTION and PORTAL_INVOICE_REGISTRATION_NUMBER == DEMO_INVOICE_REGISTRATION_NUMBER):
    raise ImproperlyConfigured("PORTAL_INVOICE_REGISTRATION_NUMBER (T + 13 digits) is required in production")
if not re.fullmatch(r"T[0-9]{13}", PORTAL_INVOICE_REGISTRATION_NUMBER):
    raise ImproperlyConfigured(
        f"PORTAL_INVOICE_REGISTRATION_NUMBER must be T followed by 13 digits, not {PORTAL_INVOICE_REGISTRATION_NUMBER!r}"
    )
DOCUMENT_RENDER_MAX_RETRIES = env.int("DOCUMENT_RENDER_MAX_RETRIES", default=5)
DOCUMENT_EMAIL_MAX_RETRIES = env.int("DOCUMENT_EMAIL_MAX_RETRIES", default=6)
DOCUMENT_RETRY_BACKOFF_SECONDS = env.int("DOCUMENT_RETRY_BACKOFF_SECONDS", default=30)
# The monthly statements (1st of the month): beat sends one task, which sends the statements of
# DOCUMENT_MONTHLY_CHUNK members and then itself for the next ones, waiting while more than
# DOCUMENT_MONTHLY_QUEUE_LIMIT messages wait on the ``documents`` queue: neither the task's
# memory nor the broker's grows with the number of members.
DOCUMENT_MONTHLY_CHUNK = env.int("DOCUMENT_MONTHLY_CHUNK", default=500)
DOCUMENT_MONTHLY_QUEUE_LIMIT = env.int("DOCUMENT_MONTHLY_QUEUE_LIMIT", default=2000)
DOCUMENT_MONTHLY_PAUSE_SECONDS = env.int("DOCUMENT_MONTHLY_PAUSE_SECONDS", default=15)
# Tests only: seconds each render waits before starting, to stop a worker mid-render.
DOCUMENT_TEST_RENDER_DELAY = env.float("DOCUMENT_TEST_RENDER_DELAY", default=0.0)
if PRODUCTION and DOCUMENT_TEST_RENDER_DELAY:
    raise ImproperlyConfigured("DOCUMENT_TEST_RENDER_DELAY is for tests only")

# --- Logging: one JSON line per request and per task ----------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "portal.logging.ContextFilter"}},
    "formatters": {"json": {"()": "portal.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The request log line comes from portal.middleware; Django's own
        # per-request lines would repeat it (and carry raw URLs).
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "celery": {"level": "INFO"},
        "weasyprint.progress": {"level": "WARNING"},  # a line per rendering step otherwise
        "fontTools": {"level": "WARNING"},
    },
}

# templates.W003 reports the one library name given two modules on purpose: "i18n", Django's tags
# with portal.templatetags.i18n_once's {% translate %} (TEMPLATES above). Any other name given
# twice fails portal/tests/test_i18n_once.py, which runs the same check.
SILENCED_SYSTEM_CHECKS: list[str] = ["templates.W003"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The history index carries amount and kind for PostgreSQL's index-only month totals
    # (cards/0004); SQLite, on a laptop, builds it without them, as intended.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
