"""ArkID settings: every knob is an ``ARKID_*`` environment variable with an embedded default.

The defaults run a complete IdP on one machine with nothing else installed: SQLite in
``var/``, a local-memory cache, and Celery on a filesystem broker with an embedded beat.
Set ``ARKID_DATABASE_URL`` and ``ARKID_REDIS_URL`` to run on PostgreSQL and Redis.
``settings_local.py`` at the project root, when present, is applied last (ArkID v1's
documented override mechanism). docs/configuration.md lists every variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from arkid.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("ARKID_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENVIRONMENT = env("ARKID_ENV", "development")  # "production" makes missing secrets fatal
DEBUG = env_bool("ARKID_DEBUG", False)

# --- Secret key -----------------------------------------------------------------------
# Never a committed default (ArkID v1 shipped one). Without ARKID_SECRET_KEY a random key
# is generated once into var/ for this installation; production must pass its own, since
# replicas have to share it.
_KNOWN_WEAK_KEYS = {"", "changeme", "secret", "arkid", "insecure"}


def _load_secret_key() -> str:
    key = env("ARKID_SECRET_KEY")
    if key is not None:
        weak = key.lower() in _KNOWN_WEAK_KEYS or key.startswith("django-insecure") or len(key) < 32
        if weak and not DEBUG:
            raise ImproperlyConfigured(
                "ARKID_SECRET_KEY is a default or too short (need 32+ random characters). "
                "Generate one: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return key
    if ENVIRONMENT == "production":
        raise ImproperlyConfigured("ARKID_SECRET_KEY must be set when ARKID_ENV=production.")
    key_file = VAR_DIR / "secret_key"
    try:
        # O_EXCL: two processes starting at once cannot both write a key; 0o600 from the start.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _load_secret_key()

ALLOWED_HOSTS = env_list("ARKID_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
BASE_URL = env("ARKID_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("ARKID_CSRF_TRUSTED_ORIGINS", [BASE_URL])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "apps.core",
    "apps.audit",
    "apps.directory",
    "apps.storage",
    "apps.accounts",
    "apps.permissions",
    "apps.oidc",
    "apps.ldap_server",
    "apps.dingtalk",
    "apps.ops",
    "apps.portal",
    "apps.console",
    "apps.api",
]

MIDDLEWARE = [
    "apps.ops.middleware.UntrustedProxyHeaderMiddleware",  # before anything asks is_secure()
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ (the API docs' assets from drf-spectacular-sidecar) with DEBUG off, no CDN.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestContextMiddleware",
    "apps.ops.middleware.MetricsMiddleware",  # inside the request context: its log line has the id
    "apps.core.middleware.RejectNulMiddleware",
    # Answers the token check apps call on every request from its cached answer, skipping the
    # browser middleware below it never uses (apps/permissions/api/fast_lane.py).
    "apps.permissions.api.fast_lane.TokenCheckFastLane",
    # The OAuth endpoints machines call skip the browser middleware too (apps/core/lanes.py).
    "apps.core.lanes.ApiLaneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# URL names served by ApiLaneMiddleware: endpoints that authenticate every request by its own
# credentials, never a session, and answer in a language-independent format.
ARKID_API_LANE_ROUTES = (
    "oauth2_provider:token",
    "oauth2_provider:user-info",
    "oauth2_provider:introspect",
    "oauth2_provider:revoke-token",
)

ROOT_URLCONF = "arkid.urls"
WSGI_APPLICATION = "arkid.wsgi.application"
AUTH_USER_MODEL = "directory.User"
# W004 asks for unique=True on the username field; ours is unique through a Lower() database
# constraint (case-insensitive), which Django's check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env("ARKID_DATABASE_URL", f"sqlite:///{VAR_DIR / 'arkid.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("ARKID_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the Celery worker read while the web server writes; the busy timeout turns
    # short write contention into a wait instead of "database is locked". Connections are
    # kept (ARKID_DB_CONN_MAX_AGE, as on PostgreSQL): a new one parses the whole schema on its
    # first statement, which cost a token request more than the rest of its work together.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if not env_bool("ARKID_DB_JIT", False):
        # PostgreSQL's JIT compiles a query whose estimated cost is high, which costs
        # ~270 ms on a directory search that runs in ~100 ms without it: for short OLTP
        # queries it only adds latency. ARKID_DB_JIT=true keeps the server's setting.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    # The planner's default random_page_cost (4) models spinning disks: a subtree filter (the
    # memberships of a few hundred groups) then reads all memberships instead of the group_id
    # index, 325 ms instead of 41 ms at 200k memberships. 1.1 suits SSDs and data held in RAM;
    # ARKID_DB_RANDOM_PAGE_COST=server keeps the server's setting.
    _page_cost = env("ARKID_DB_RANDOM_PAGE_COST", "1.1")
    if _page_cost != "server":
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c random_page_cost={float(_page_cost):g}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery, locks --------------------------------------------------------------
REDIS_URL = env("ARKID_REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("ARKID_CACHE_PREFIX", "arkid"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Whether every process (web workers, Celery) sees the same cache. Caches whose staleness
# would be a security bug (API tokens, permission results) are used only then: with the
# embedded local-memory cache, a revocation in one web worker could not reach another.
SHARED_CACHE = env_bool("ARKID_SHARED_CACHE", bool(REDIS_URL))

CELERY_BROKER_URL = env("ARKID_CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery" / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control in the cwd
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("ARKID_CELERY_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "audit-purge-expired": {"task": "audit.purge_expired_events", "schedule": 6 * 3600},
    "accounts-purge-expired-tokens": {"task": "accounts.purge_expired_tokens", "schedule": 3600},
    "accounts-purge-unused-avatars": {"task": "accounts.purge_unused_avatars", "schedule": 24 * 3600},
    "oidc-purge-expired": {"task": "oidc.purge_expired", "schedule": 3600},
}

# --- Authentication -------------------------------------------------------------------
PASSWORD_HASHERS = [
    "apps.accounts.hashers.ArkidArgon2PasswordHasher",
    # Accepted on login and upgraded to Argon2id then (Django re-hashes on a match).
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    # OAuth client secrets only (long random strings): see apps.oidc.hashers. Last, so it
    # never hashes a user password.
    "apps.oidc.hashers.ClientSecretHasher",
]
ARGON2_TIME_COST = env_int("ARKID_ARGON2_TIME_COST", 3)  # OWASP minimum is 2 passes at 19 MiB
ARGON2_MEMORY_COST = env_int("ARKID_ARGON2_MEMORY_COST", 24576)  # KiB (24 MiB); ~30-40 ms/hash on 2 cores
ARGON2_PARALLELISM = env_int("ARKID_ARGON2_PARALLELISM", 1)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "apps.accounts.password_policy.ConfiguredPolicyValidator"},  # config/ password_config
]
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.ArkidBackend"]
ADMIN_PASSWORD = env("ARKID_ADMIN_PASSWORD")
API_TOKEN_LIFETIME = env_int("ARKID_API_TOKEN_LIFETIME", 7 * 24 * 3600)  # seconds
INVITATION_LIFETIME = env_int("ARKID_INVITATION_LIFETIME", 3 * 24 * 3600)  # seconds
LOGIN_URL = "/login/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("ARKID_SECURE_COOKIES", BASE_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("ARKID_SESSION_AGE", 12 * 3600)

# --- OAuth 2.0 / OpenID Connect provider (apps.oidc; see docs/oidc.md) ----------------
OAUTH2_PROVIDER_APPLICATION_MODEL = "oidc.Application"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "apps.oidc.validator.ArkidValidator",
    "OAUTH2_SERVER_CLASS": "oauthlib.openid.Server",
    "OAUTH2_BACKEND_CLASS": "apps.oidc.backend.OAuthLibCore",  # oauthlib gets headers, not the environ
    "OIDC_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "SCOPES_BACKEND_CLASS": "apps.oidc.claims.Scopes",
    "DEFAULT_SCOPES": ["openid"],
    "CLIENT_SECRET_HASHER": "arkid_client_sha256",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("ARKID_OAUTH_ACCESS_TOKEN_LIFETIME", 3600),
    "ID_TOKEN_EXPIRE_SECONDS": env_int("ARKID_OAUTH_ID_TOKEN_LIFETIME", 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("ARKID_OAUTH_REFRESH_TOKEN_LIFETIME", 30 * 24 * 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,  # no access tokens in query strings
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,  # RFC 9207 iss in authorization responses
    "OIDC_ISS_ENDPOINT": BASE_URL,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "OAUTH_DEVICE_VERIFICATION_URI": f"{BASE_URL}/oauth/device/",
    "ACCESS_TOKEN_GENERATOR": "apps.oidc.generators.generate_token",  # 256 bits, one read
}

# --- Secrets at rest ------------------------------------------------------------------
# Comma-separated Fernet keys, newest first; older keys still decrypt (rotation). When
# unset, a key is derived from SECRET_KEY (see apps.core.crypto).
ENCRYPTION_KEYS = env_list("ARKID_ENCRYPTION_KEYS", [])

# --- Network and audit ----------------------------------------------------------------
# Only these proxies may set X-Forwarded-For; anything else is the client itself.
TRUSTED_PROXIES = env_list("ARKID_TRUSTED_PROXIES", [])
AUDIT_RETENTION_DAYS = env_int("ARKID_AUDIT_RETENTION_DAYS", 365)

# --- Production server, reverse proxy, observability (docs/operations.md) ---------------
# Name of the header the TLS-terminating proxy sets to "https" (e.g. X-Forwarded-Proto).
# Believed only from ARKID_TRUSTED_PROXIES (apps.ops.middleware.UntrustedProxyHeaderMiddleware).
_PROXY_SSL_HEADER = env("ARKID_PROXY_SSL_HEADER")
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env_bool("ARKID_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^ping/$", r"^ready/$", r"^metrics$"]  # probes and scrapes speak plain HTTP
SECURE_HSTS_SECONDS = env_int("ARKID_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ARKID_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("ARKID_HSTS_PRELOAD", False)
METRICS_ENABLED = env_bool("ARKID_METRICS", True)
METRICS_TOKEN = env("ARKID_METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("ARKID_METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
REQUEST_LOG = env_bool("ARKID_REQUEST_LOG", False)
LOG_FORMAT = env("ARKID_LOG_FORMAT", "plain")  # "json": one JSON object per line, with request ids
WORKER_HEARTBEAT_FILE = env("ARKID_WORKER_HEARTBEAT_FILE", str(VAR_DIR / "worker-heartbeat"))

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.permissions.IsArkidAdmin"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": None,
    # Per client IP, on the endpoints that take a password or key without a token.
    "DEFAULT_THROTTLE_RATES": {
        "credentials": env("ARKID_THROTTLE_CREDENTIALS", "30/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ArkID API",
    "DESCRIPTION": "Directory, accounts and administration API (ArkID v1 compatible paths).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- I18n, static ----------------------------------------------------------------------
LANGUAGE_CODE = env("ARKID_LANGUAGE_CODE", "zh-hans")
# Each console area keeps its own catalogue (apps/console/<area>/locale) so that areas built
# side by side never edit one .po file; the console shell's strings are in apps/console/locale.
CONSOLE_AREAS = ("accounts", "groups", "applications", "subadmins", "config", "audit", "sync", "storage")
LOCALE_PATHS = [BASE_DIR / "apps" / "console" / area / "locale" for area in CONSOLE_AREAS]
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = env("ARKID_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("ARKID_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start when it is missing
# Compressed copies are made by collectstatic; no manifest, so a missing collectstatic never breaks a page.
# Uploaded files (avatars) when the file storage is the local disk (apps.storage).
MEDIA_ROOT = Path(env("ARKID_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DEFAULT_PHONE_REGION = env("ARKID_DEFAULT_PHONE_REGION", "CN")
COMPANY_NAME = env("ARKID_COMPANY_NAME", "ArkID")
# What LDAP apps are told to connect to (the LDAP service itself is a separate component).
LDAP_URL = env("ARKID_LDAP_URL", "ldap://127.0.0.1:10389")
LDAP_BASE_DN = env("ARKID_LDAP_BASE_DN", "dc=example,dc=org")
# The LDAP server (python manage.py ldap_server; docs/ldap.md).
LDAP_ADMIN_PASSWORD = env("ARKID_LDAP_ADMIN_PASSWORD", "")  # empty: cn=admin,<base> cannot bind
LDAP_ALLOW_ANONYMOUS = env_bool("ARKID_LDAP_ALLOW_ANONYMOUS", False)
LDAP_POSIX = env_bool("ARKID_LDAP_POSIX", False)
LDAP_TLS_CERT = env("ARKID_LDAP_TLS_CERT", "")  # PEM files; both set: StartTLS and LDAPS
LDAP_TLS_KEY = env("ARKID_LDAP_TLS_KEY", "")
LDAP_MAX_CONNECTIONS = env_int("ARKID_LDAP_MAX_CONNECTIONS", 1000)
LDAP_IDLE_TIMEOUT = env_int("ARKID_LDAP_IDLE_TIMEOUT", 300)  # seconds
LDAP_SIZE_LIMIT = env_int("ARKID_LDAP_SIZE_LIMIT", 1000)  # entries per search without paging
LDAP_TIME_LIMIT = env_int("ARKID_LDAP_TIME_LIMIT", 30)  # seconds per search
LDAP_BIND_CACHE_SECONDS = env_int("ARKID_LDAP_BIND_CACHE_SECONDS", 0)  # 0: every user bind hashes
LDAP_METRICS_PORT = env_int("ARKID_LDAP_METRICS_PORT", 0)  # 0: the LDAP process serves no metrics
# The metrics port listens here; 0.0.0.0 in a container so Prometheus can scrape it.
LDAP_METRICS_HOST = os.environ.get("ARKID_LDAP_METRICS_HOST", "127.0.0.1")

# --- DingTalk (apps.dingtalk) ---------------------------------------------------------
# Values set here win over the admin config (config/dingtalk/); unset ones fall back to it.
DINGTALK_OAPI_BASE = env("ARKID_DINGTALK_OAPI_BASE", "https://oapi.dingtalk.com")
DINGTALK_API_BASE = env("ARKID_DINGTALK_API_BASE", "https://api.dingtalk.com")
DINGTALK_LOGIN_BASE = env("ARKID_DINGTALK_LOGIN_BASE", "https://login.dingtalk.com")
DINGTALK_APP_KEY = env("ARKID_DINGTALK_APP_KEY")
DINGTALK_APP_SECRET = env("ARKID_DINGTALK_APP_SECRET")
DINGTALK_CORP_ID = env("ARKID_DINGTALK_CORP_ID")
DINGTALK_CALLBACK_TOKEN = env("ARKID_DINGTALK_CALLBACK_TOKEN")
DINGTALK_CALLBACK_AES_KEY = env("ARKID_DINGTALK_CALLBACK_AES_KEY")
DINGTALK_SYNC_INTERVAL = env("ARKID_DINGTALK_SYNC_INTERVAL")  # minutes; 0 = no scheduled sync
DINGTALK_PUSH_BACK = env("ARKID_DINGTALK_PUSH_BACK")  # true/false: write local changes to DingTalk
DINGTALK_RATE_LIMIT = float(env("ARKID_DINGTALK_RATE_LIMIT", "15"))  # calls/s per app and API; 0 = off
DINGTALK_TIMEOUT = float(env("ARKID_DINGTALK_TIMEOUT", "10"))  # seconds per HTTP call
CELERY_BEAT_SCHEDULE["dingtalk-sync-tick"] = {"task": "dingtalk.sync_tick", "schedule": 60}
CELERY_BEAT_SCHEDULE["dingtalk-outbox-tick"] = {"task": "dingtalk.outbox_tick", "schedule": 30}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "apps.core.jsonlog.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain"}
    },
    "root": {"handlers": ["console"], "level": env("ARKID_LOG_LEVEL", "INFO")},
}

# --- Accounts: brute-force guard, verification codes, MFA (apps.accounts) ---------------
LOCKOUT_ACCOUNT_DELAY_AFTER = env_int("ARKID_LOCKOUT_ACCOUNT_DELAY_AFTER", 3)
LOCKOUT_ACCOUNT_THRESHOLD = env_int("ARKID_LOCKOUT_ACCOUNT_THRESHOLD", 10)
LOCKOUT_IP_DELAY_AFTER = env_int("ARKID_LOCKOUT_IP_DELAY_AFTER", 20)
LOCKOUT_IP_THRESHOLD = env_int("ARKID_LOCKOUT_IP_THRESHOLD", 100)
LOCKOUT_BASE_DELAY = env_int("ARKID_LOCKOUT_BASE_DELAY", 1)  # seconds, doubled per failure
LOCKOUT_MAX_DELAY = env_int("ARKID_LOCKOUT_MAX_DELAY", 60)
LOCKOUT_DURATION = env_int("ARKID_LOCKOUT_DURATION", 900)
LOCKOUT_WINDOW = env_int("ARKID_LOCKOUT_WINDOW", 3600)  # failures older than this are forgotten
CODE_TTL = env_int("ARKID_CODE_TTL", 300)  # seconds a verification code is valid
CODE_MAX_ATTEMPTS = env_int("ARKID_CODE_MAX_ATTEMPTS", 5)
CODE_TOKEN_TTL = env_int("ARKID_CODE_TOKEN_TTL", 1200)  # seconds the sms_token/email_token is valid
CODE_RESEND_INTERVAL = env_int("ARKID_CODE_RESEND_INTERVAL", 60)  # per address
CODE_MAX_PER_ADDRESS = env_int("ARKID_CODE_MAX_PER_ADDRESS", 10)  # per day
CODE_MAX_PER_IP = env_int("ARKID_CODE_MAX_PER_IP", 30)  # per hour
CODE_MAX_PER_ACCOUNT = env_int("ARKID_CODE_MAX_PER_ACCOUNT", 10)  # per hour
CODE_CAPTCHA_AFTER = env_int("ARKID_CODE_CAPTCHA_AFTER", 3)  # sends per IP per hour without a captcha
# --- end accounts ----------------------------------------------------------------------

# --- settings_local.py: applied last ---------------------------------------------------
_local = BASE_DIR / "settings_local.py"
if _local.exists():
    exec(compile(_local.read_text(), str(_local), "exec"))  # noqa: S102 - ops-controlled file, v1's mechanism
