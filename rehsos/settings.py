"""Settings for rehsos, read from the environment with safe defaults.

Development (the default) runs on an SQLite file under ./var. Production is
``REHSOS_ENV=production``: DEBUG is off, a real SECRET_KEY and secure cookies are
required, and the process refuses to start without them.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from rehsos.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("REHSOS_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_str("REHSOS_ENV", "development").lower()
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"REHSOS_ENV must be development, test or production, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session ends after 30 minutes without a request, and at the latest when the browser closes.
SESSION_COOKIE_AGE = env_int("REHSOS_SESSION_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True


def check_production_settings() -> list[str]:
    """Problems that make a production start unsafe, one line each."""
    problems = []
    if not PRODUCTION:
        return problems
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if DEBUG:
        problems.append("DEBUG must be off in production")
    if not SESSION_COOKIE_SECURE or not CSRF_COOKIE_SECURE:
        problems.append("SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE must be true in production")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the host names the site is served on")
    if not env_str("DATABASE_URL"):
        problems.append("DATABASE_URL must point at the production database")
    if not env_str("REHSOS_IDENTIFIER_KEYS") or not env_str("REHSOS_BLIND_INDEX_KEY"):
        problems.append(
            "REHSOS_IDENTIFIER_KEYS and REHSOS_BLIND_INDEX_KEY must be set "
            "(NIK and KK are stored encrypted; see README, 'Identifier keys')"
        )
    return problems


_problems = check_production_settings()
if _problems:
    raise ImproperlyConfigured(
        "rehsos refuses to start in production: " + "; ".join(_problems) + "."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Listed so /api/v1/docs renders with the Swagger UI assets shipped in the ninja
    # package; without it ninja falls back to a template that loads them from a CDN.
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "auditlog",
    "django_tasks",
    "django_tasks_db",
    "bootstrap",
    "rehsos.core",
    "rehsos.regions",
    "rehsos.facilities",
    "rehsos.partners",
    "rehsos.registry",
    "rehsos.cases",
    "rehsos.standards",
    "rehsos.workforce",
    "rehsos.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "rehsos.core.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rehsos.core.error_pages.DomainErrorMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rehsos.urls"
WSGI_APPLICATION = "rehsos.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "rehsos" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rehsos.core.context_processors.shell",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'rehsos.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", _default_db)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Lockout: five failed logins for one username lock it for 30 minutes.
AXES_FAILURE_LIMIT = env_int("REHSOS_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("REHSOS_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rehsos.core.views.auth.locked_out"
AXES_VERBOSE = False
# Lock per account, not per address: ministry offices share one NAT address, so an
# address lock would shut out a whole centre (axes.W006 is about that choice).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_ENABLE_ACCESS_FAILURE_LOG = True

OTP_TOTP_ISSUER = "rehsos"
# The Django admin lists authenticator devices; never with their secret keys.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "rehsos" / "locale"]
LANGUAGE_COOKIE_NAME = "rehsos_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "rehsos" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "files")},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "rehsos_cache",
    }
}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# django-auditlog: every domain model is registered in its app's ready();
# framework bookkeeping (sessions, the task queue, logs themselves) is not.
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# API: personal tokens are rate limited per token.
REHSOS_API_RATE = env_str("REHSOS_API_RATE", "600/minute")
REHSOS_API_PAGE_MAX = 500

# Bulk import of persons (rehsos.registry.importers): the largest file accepted, in MB,
# and the processes that check rows of a large file (0: two, or one on a one-core machine).
REHSOS_IMPORT_MAX_MB = env_int("REHSOS_IMPORT_MAX_MB", 512)
REHSOS_IMPORT_WORKERS = env_int("REHSOS_IMPORT_WORKERS", 0)

# Deduplication (rehsos.registry.dedup): the Splink backend (duckdb on one machine,
# spark for national scale), the probability from which a pair goes to the review
# queue, the one from which pairs form a cluster, and the single-registration check's.
REHSOS_DEDUP_BACKEND = env_str("REHSOS_DEDUP_BACKEND", "duckdb")
REHSOS_DEDUP_THRESHOLD = float(env_str("REHSOS_DEDUP_THRESHOLD", "0.9"))
REHSOS_DEDUP_CLUSTER_THRESHOLD = float(env_str("REHSOS_DEDUP_CLUSTER_THRESHOLD", "0.95"))
REHSOS_DEDUP_CHECK_THRESHOLD = float(env_str("REHSOS_DEDUP_CHECK_THRESHOLD", "0.5"))
# Below this many persons the model is not re-estimated; the last trained (or the
# built-in) parameters score the pairs.
REHSOS_DEDUP_MIN_TRAINING = env_int("REHSOS_DEDUP_MIN_TRAINING", 1000)
REHSOS_DEDUP_THREADS = env_int("REHSOS_DEDUP_THREADS", 2)
REHSOS_DEDUP_MEMORY = env_str("REHSOS_DEDUP_MEMORY", "1500MB")
REHSOS_DEDUP_SPARK_MASTER = env_str("REHSOS_DEDUP_SPARK_MASTER", "local[2]")

# Case management (rehsos.cases): aftercare visits after termination (months), the days
# after intake by which the first assessment is due, the largest attachment (MB), and
# how long a break-the-glass access to a sensitive case lasts (minutes).
REHSOS_AFTERCARE_MONTHS = [
    int(month) for month in env_str("REHSOS_AFTERCARE_MONTHS", "1,3,6,12").split(",")
]
REHSOS_ASSESSMENT_DUE_DAYS = env_int("REHSOS_ASSESSMENT_DUE_DAYS", 14)
REHSOS_ATTACHMENT_MAX_MB = env_int("REHSOS_ATTACHMENT_MAX_MB", 20)
REHSOS_BREAK_GLASS_MINUTES = env_int("REHSOS_BREAK_GLASS_MINUTES", 60)
# Days from a plan's approval to its first review; days a worker may still correct a
# service record they entered; minutes between runs of the overdue-work alerts.
REHSOS_PLAN_REVIEW_DAYS = env_int("REHSOS_PLAN_REVIEW_DAYS", 90)
REHSOS_SERVICE_EDIT_DAYS = env_int("REHSOS_SERVICE_EDIT_DAYS", 7)
REHSOS_ALERT_MINUTES = env_int("REHSOS_ALERT_MINUTES", 15)
# The address users reach rehsos at (links in e-mails).
REHSOS_SITE_URL = env_str("REHSOS_SITE_URL", "http://127.0.0.1:8000")

# E-mail (overdue-work reminders): sent only when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_PORT == 587
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "rehsos@localhost")
REHSOS_EMAIL_ENABLED = bool(EMAIL_HOST)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
