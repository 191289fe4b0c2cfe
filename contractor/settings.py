"""Django settings for Contractor, read from CONTRACTOR_* environment variables."""

import os
import secrets
import tempfile
from pathlib import Path

from contractor.dburl import parse_database_url
from contractor.startup import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"CONTRACTOR_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    return env(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Debug pages show tracebacks, settings and URL lists to whoever asks: a developer turns them on, never a default.
DEBUG = env_bool("DEBUG", False)


def secret_key() -> str:
    """CONTRACTOR_SECRET_KEY, else what CONTRACTOR_SECRET_KEY_FILE holds (default var/secret-key, which
    scripts/serve makes), else the development key: with DEBUG off manage.py and the WSGI application refuse to
    start with that one (contractor/startup.py)."""
    path = Path(env("SECRET_KEY_FILE", str(BASE_DIR / "var" / "secret-key")))
    from_file = path.read_text().strip() if path.is_file() else ""
    return env("SECRET_KEY") or from_file or DEVELOPMENT_SECRET_KEY


SECRET_KEY = secret_key()
# Error reports never show frame locals, settings or the environment, even on a developer's debug page.
DEFAULT_EXCEPTION_REPORTER_FILTER = "contractor.reporting.ExceptionReporterFilter"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Plugins are Django apps; each one's AppConfig subclasses contractor.plugins.PluginConfig.
PLUGINS = env_list(
    "PLUGINS", "plugins.manual,plugins.ipmi,plugins.libvirt,plugins.containers,plugins.aws,plugins.redfish"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API reference's Swagger UI files, served from here: it works offline
    "contractor.user",
    "contractor.site",
    "contractor.blueprint",
    "contractor.building",
    "contractor.utilities",
    "contractor.configuration",  # no models: its ready() registers the config check the models' clean() calls
    "contractor.subcontracting",
    "contractor.foreman",
    "contractor.discovery",
    "contractor.boot",
    "contractor.dns",
    "contractor.webhooks",
    "contractor.console",
    *PLUGINS,
    "auditlog",
    "axes",  # login lockout (contractor/user/backends.py)
    "contractor.audit",  # last: it registers every app's models, plugins' foundation types too, and their admins
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "contractor.audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out login with a 429
]

ROOT_URLCONF = "contractor.urls"
WSGI_APPLICATION = "contractor.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": parse_database_url(env("DATABASE_URL", "sqlite:///db.sqlite3"), BASE_DIR)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes share one SQLite file (gunicorn workers, foreman workers, the webhook sender):
    # WAL lets readers run beside the one writer; every transaction begins IMMEDIATE, so it takes the write
    # lock up front and waits for it (up to `timeout` seconds) instead of failing when it later writes; a
    # foreman step therefore reads its job only after any other worker's step on it has committed.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    # The test database is a file, not pytest-django's in-memory one, so that the processes the end-to-end
    # tests start share it: a new name for each run (never a stale -wal file of an earlier run beside it),
    # in the temp directory; the run deletes it at its end.
    _test_name = f"contractor-test-{os.getpid()}-{secrets.token_hex(4)}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", str(Path(tempfile.gettempdir()) / _test_name))}
else:
    # A server process keeps its connection for a while instead of opening one per request (PostgreSQL starts
    # a backend process for each connection); it is checked before it is reused.
    DATABASES["default"]["CONN_MAX_AGE"] = int(env("DB_CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The foreman's and the subcontractor protocol's hot statements are prepared once per PostgreSQL connection
# (contractor/db.py: execute_prepared); false sends each whole, for a pool that shares server sessions between
# clients (PgBouncer in transaction mode).
CONTRACTOR_DB_PREPARE = env_bool("DB_PREPARE", True)
if CONTRACTOR_DB_PREPARE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # ... each planned once: PostgreSQL would otherwise keep planning the foreman's write for every batch of steps
    # (its plan made for the values looked cheaper than the generic one, by less than the planning cost). Only
    # prepared statements have a cached plan, so nothing else is touched.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "user.User"
# Logins (the admin's, the API's session login at /api-auth/login/) go through django-axes first: a client (by
# address) that fails CONTRACTOR_LOGIN_FAILURE_LIMIT times is locked out with 429s for
# CONTRACTOR_LOGIN_LOCKOUT_SECONDS, doubled for each failure past the limit (contractor/user/backends.py).
AUTHENTICATION_BACKENDS = ["contractor.user.backends.LoginLockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
CONTRACTOR_LOGIN_LOCKOUT_SECONDS = float(env("LOGIN_LOCKOUT_SECONDS", "60"))
AXES_COOLOFF_TIME = "contractor.user.backends.login_cooloff"
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))  # filled by collectstatic (scripts/serve)
# WhiteNoise (its middleware above) serves STATIC_ROOT from the app server itself, with DEBUG off too.

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "contractor.api.authentication.ThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["contractor.api.permissions.ModelPermissions"],
    # Every body is a JSON object (or a form): a list, string, number or null is a 400 before any view runs.
    "DEFAULT_PARSER_CLASSES": [
        "contractor.api.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Failed token authentications per client address before it gets 429s with a growing Retry-After.
    "DEFAULT_THROTTLE_RATES": {"auth-failure": env("AUTH_FAILURE_RATE", "10/min")},
    "DEFAULT_PAGINATION_CLASS": "contractor.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "contractor.api.filters.FilterBackend",
        "contractor.api.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "contractor.api.exceptions.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Contractor API",
    "DESCRIPTION": "Sites, blueprints, foundations, structures, addresses and the jobs that build them.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The errors every operation can answer, and the /boot/ endpoints (plain Django views): contractor/api/schema.py.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "contractor.api.schema.error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "FoundationStateEnum": "contractor.building.choices.FoundationState",
        "StructureStateEnum": "contractor.building.choices.StructureState",
        "JobStateEnum": "contractor.foreman.choices.JobState",
    },
}

# Values every config sees last, so no site or blueprint can override them. scripts/serve sets CONTRACTOR_HOST from
# its bind address and CONTRACTOR_PORT; a process started otherwise defaults to the same port.
CONTRACTOR_HOST = env("HOST", f"http://127.0.0.1:{env('PORT', '8000')}")
# Kernels and initrds: served read-only at /boot/files/ from this folder (relative: the project's).
CONTRACTOR_BOOT_FILES = env("BOOT_FILES", "var/boot-files")
# The discovery image an unknown MAC booting from a dynamic pool gets (docs/discovery.md): a folder of
# CONTRACTOR_BOOT_FILES holding scripts/build-installer's vmlinuz and initrd.img ("" turns discovery boots off),
# and the kernel arguments it boots with besides its discovery= and mac=.
CONTRACTOR_DISCOVERY_IMAGE = env("DISCOVERY_IMAGE", "contractor-installer")
CONTRACTOR_DISCOVERY_KERNEL_ARGS = env("DISCOVERY_KERNEL_ARGS", "console=ttyS0 no_timer_check")
CONTRACTOR_GLOBALS = {
    "__contractor_host": CONTRACTOR_HOST,
    "__boot_files": env("BOOT_FILES_URL", CONTRACTOR_HOST + "/boot/files/"),
    "__pxe_location": env("PXE_LOCATION", CONTRACTOR_HOST + "/boot/files/"),
}

# Webhook events (with their deliveries and attempt logs) older than this many days are pruned by the webhook sender
# once nothing waits for them (a pending delivery to a live subscription, an awaited acknowledgement); 0 keeps all.
CONTRACTOR_EVENT_RETENTION_DAYS = float(env("EVENT_RETENTION_DAYS", "90"))

# The audit log (contractor/audit, django-auditlog): changes stored as JSON values, not their text.
AUDITLOG_STORE_JSON_CHANGES = True

# CONTRACTOR_LOG_LEVEL (DEBUG, INFO, WARNING...) sets what every process logs, the foreman and webhook workers
# included: INFO gives a line per job started, step outcome (not a plain message), end and delivery attempt.
LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# Subcontractor protocol (read at call time by contractor.subcontracting and contractor.boot).
CONTRACTOR_TASK_LEASE_SECONDS = float(env("TASK_LEASE_SECONDS", "300"))  # a leased task is handed out again after
CONTRACTOR_TASK_MAX_ATTEMPTS = int(env("TASK_MAX_ATTEMPTS", "3"))  # leases that may run out before the task fails
CONTRACTOR_SUBCONTRACTOR_ALIVE_SECONDS = float(env("SUBCONTRACTOR_ALIVE_SECONDS", "60"))  # polled within: alive
CONTRACTOR_TASK_UNCLAIMED_SECONDS = float(env("TASK_UNCLAIMED_SECONDS", "3600"))  # never leased by then: job errors
FOREMAN_WAITING_POLL_SECONDS = float(env("FOREMAN_WAITING_POLL_SECONDS", "5"))  # a blocked job looks again after
CONTRACTOR_PXE_BOOT_FILE = env("PXE_BOOT_FILE", "undionly.kpxe")  # what a PXE ROM loads over TFTP
CONTRACTOR_PXE_EFI_BOOT_FILE = env("PXE_EFI_BOOT_FILE", "ipxe.efi")  # what a UEFI PXE client (x86-64) loads
CONTRACTOR_PXE_TFTP_SERVER = env("PXE_TFTP_SERVER", "")  # the TFTP server in the PXE plan (empty: dnsmasq's own)
