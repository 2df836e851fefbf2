"""Assessments of a centre against one catalogue version: a self-assessment by the
centre or an external audit by assessors. One ``Answer`` per criterion (saved as the
assessor goes), evidence files per answer, findings, and schedules."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel
from rehsos.core.permissions import ScopeFields


class Assessment(BaseModel):
    class Kind(models.TextChoices):
        SELF = "self", _("Self-assessment")
        EXTERNAL = "external", _("External audit")

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        CLOSED = "closed", _("Closed")

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="standards_assessments"
    )
    province_code = models.CharField(max_length=2, db_index=True, editable=False)
    version = models.ForeignKey(
        "standards.CatalogueVersion", on_delete=models.PROTECT, related_name="assessments"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    started_on = models.DateField(_("started on"))
    visit_on = models.DateField(_("visit date"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lead = models.ForeignKey(
        "core.User",
        verbose_name=_("lead assessor"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    assessors = models.ManyToManyField(
        "core.User", verbose_name=_("assessors"), related_name="standards_assessments", blank=True
    )
    # The re-assessment this one repeats (a re-audit after renovation works).
    follows = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="followed_by"
    )
    summary = models.TextField(_("summary"), blank=True)
    # Scores computed on submit (the live figures are computed by ``scoring``).
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("no critical criterion failed"), null=True, blank=True)
    # ``version`` above is the catalogue version (it shadows BaseModel's row version), so
    # edits of the assessment's own fields (title, visit, summary, assessors) carry this.
    row_version = models.PositiveIntegerField(default=1, editable=False)
    # The last reopening of a submitted assessment (the audit log keeps every one).
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)

    scope_fields = ScopeFields(province="province_code", facility="facility_id")

    class Meta:
        verbose_name = _("standards assessment")
        verbose_name_plural = _("standards assessments")
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["facility", "kind", "-started_on"]),
            models.Index(fields=["status", "-started_on"], name="assessment_status_started"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {self.started_on}"

    def save(self, *args, **kwargs):
        if self.facility_id and not self.province_code:
            self.province_code = self.facility.province_code
        super().save(*args, **kwargs)


class Answer(models.Model):
    """The rating of one criterion. ``rating`` null and ``not_applicable`` false:
    not rated yet. ``revision`` grows with every save so a resumed form can tell
    which of two saves is newer."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(
        "standards.Criterion", on_delete=models.PROTECT, related_name="answers"
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    justification = models.TextField(_("why not applicable"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="answer_per_criterion"
            ),
            models.CheckConstraint(
                condition=models.Q(not_applicable=False) | models.Q(rating__isnull=True),
                name="answer_na_has_no_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.criterion_id}"

    @property
    def is_answered(self) -> bool:
        return self.not_applicable or self.rating is not None


class Evidence(models.Model):
    """A photo or document that supports an answer, checked by content on upload and
    stored privately. ``valid_from`` is the date the evidence shows the situation
    (a photo's day, a certificate's date), not the upload date."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="standards/evidence/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"))
    uploaded_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["answer", "-valid_from"]

    def __str__(self) -> str:
        return self.original_name


class Finding(models.Model):
    class Kind(models.TextChoices):
        STRENGTH = "strength", _("Strength")
        ADVICE = "advice", _("Advice")
        RECOMMENDATION = "recommendation", _("Recommendation (non-conformance)")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    criterion = models.ForeignKey(
        "standards.Criterion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("finding"))
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["assessment", "kind", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Schedule(models.Model):
    """A recurring assessment: the next one is due ``interval_months`` after the last
    submitted one (a yearly self-assessment, an external audit every two years)."""

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.CASCADE, related_name="standards_schedules"
    )
    catalogue = models.ForeignKey(
        "standards.Catalogue", on_delete=models.PROTECT, related_name="schedules"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Assessment.Kind.choices)
    interval_months = models.PositiveSmallIntegerField(_("every (months)"), default=12)
    next_due = models.DateField(_("next due"))
    assessor = models.ForeignKey(
        "core.User",
        verbose_name=_("assessor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The ``next_due`` for which the "due soon" and the "overdue" reminders went out,
    # so each is sent once per due date (a moved due date is reminded again).
    reminded_due = models.DateField(null=True, blank=True, editable=False)
    reminded_overdue = models.DateField(null=True, blank=True, editable=False)

    scope_fields = ScopeFields(province="facility__province_code", facility="facility_id")

    class Meta:
        verbose_name = _("assessment schedule")
        verbose_name_plural = _("assessment schedules")
        ordering = ["next_due"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "catalogue", "kind"], name="schedule_once")
        ]
        indexes = [models.Index(fields=["next_due"], name="schedule_next_due")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.kind} {self.next_due}"
