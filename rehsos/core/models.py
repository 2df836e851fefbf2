"""The shared kernel's data: base fields, users with role and scope, API tokens,
the personal-data access log and background jobs."""

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rehsos.core.roles import PERMISSIONS, REQUIRED_SCOPE, Role, ScopeLevel


class BaseModel(models.Model):
    """Public UUID, timestamps and a row version for optimistic locking."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    scope_level = models.CharField(
        _("scope"), max_length=16, choices=ScopeLevel.choices, default=ScopeLevel.NATION
    )
    province_code = models.CharField(_("province"), max_length=2, blank=True, db_index=True)
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_scope_has_its_key",
                condition=(
                    models.Q(scope_level=ScopeLevel.NATION)
                    | models.Q(scope_level=ScopeLevel.PROVINCE, province_code__regex=r"^\d\d$")
                    | models.Q(scope_level=ScopeLevel.FACILITY, facility__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def actions(self) -> frozenset[str]:
        if not self.is_active or not self.role:
            return frozenset()
        return PERMISSIONS.get(self.role, frozenset())

    @property
    def requires_two_factor(self) -> bool:
        return self.role == Role.NATIONAL_ADMIN

    @property
    def expected_scope(self) -> str:
        return REQUIRED_SCOPE.get(self.role, ScopeLevel.NATION)

    @property
    def scope_label(self) -> str:
        if self.scope_level == ScopeLevel.FACILITY and self.facility_id:
            return str(self.facility)
        if self.scope_level == ScopeLevel.PROVINCE:
            # Through the app registry: core sits below regions and never imports it.
            region = apps.get_model("regions", "Region")
            name = region.objects.filter(code=self.province_code).values_list("name", flat=True)
            return next(iter(name), self.province_code)
        return str(_("Nation"))


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the raw value is shown once."""

    PREFIX = "rhs_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    lookup = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}{self.lookup}…)"

    @classmethod
    def issue(cls, user, name: str, days: int = 90) -> tuple["ApiToken", str]:
        lookup = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        raw = f"{cls.PREFIX}{lookup}_{secret}"
        token = cls.objects.create(
            user=user,
            name=name,
            lookup=lookup,
            digest=_hash_token(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> "ApiToken | None":
        if not raw.startswith(cls.PREFIX) or "_" not in raw[len(cls.PREFIX) :]:
            return None
        lookup = raw[len(cls.PREFIX) :].split("_", 1)[0]
        token = cls.objects.usable().select_related("user").filter(lookup=lookup).first()
        if token is None or not secrets.compare_digest(token.digest, _hash_token(raw)):
            return None
        return token

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class AccessLog(models.Model):
    """One read of one person's record: who, which record, from where."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_type = models.CharField(_("record type"), max_length=64)
    subject_id = models.CharField(_("record"), max_length=64)
    channel = models.CharField(
        _("channel"),
        max_length=8,
        choices=[("page", _("page")), ("api", _("API")), ("cli", _("command line"))],
    )
    via = models.CharField(_("page or endpoint"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-at"]),
            models.Index(fields=["user", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.subject_type}:{self.subject_id}"


class Job(models.Model):
    """A long piece of work done by the task worker, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="jobs",
    )
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    result_file = models.FileField(_("file"), upload_to="jobs/", blank=True)
    # attempts counts the tasks queued for this job; task_id is the latest one.
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} {self.status}"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == self.Status.DONE else None
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class ApiRateCount(models.Model):
    """Requests of one token in one fixed window (per-token rate limiting). One UPSERT
    per request keeps it to a single query and correct across web workers."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    bucket = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "bucket"], name="api_rate_once_per_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.token_id}@{self.bucket}: {self.count}"
