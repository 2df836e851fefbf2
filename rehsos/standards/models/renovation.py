"""Renovation projects: from an audit's gaps to the works, the consultant's
supervision reports and the re-audit that proves the gaps closed."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel
from rehsos.core.permissions import ScopeFields


class RenovationProject(BaseModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        TENDERING = "tendering", _("Tendering")
        IN_PROGRESS = "in_progress", _("Works in progress")
        HANDED_OVER = "handed_over", _("Handed over")
        CLOSED = "closed", _("Closed (re-audited)")
        CANCELLED = "cancelled", _("Cancelled")

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="renovations"
    )
    province_code = models.CharField(max_length=2, db_index=True, editable=False)
    title = models.CharField(_("title"), max_length=300)
    scope = models.TextField(_("scope of works"))
    # The gaps it closes: the actions of the improvement plan it carries out.
    actions = models.ManyToManyField(
        "standards.Action", verbose_name=_("gaps it closes"), related_name="renovations", blank=True
    )
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renovations",
    )
    agreement = models.ForeignKey(
        "partners.Agreement",
        verbose_name=_("agreement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renovations",
    )
    budget = models.DecimalField(_("budget (Rp)"), max_digits=16, decimal_places=0)
    contractor = models.CharField(_("contractor"), max_length=200, blank=True)
    consultant = models.CharField(_("supervising consultant"), max_length=200, blank=True)
    consultant_user = models.ForeignKey(
        "core.User",
        verbose_name=_("consultant's account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    starts_on = models.DateField(_("starts on"))
    planned_end_on = models.DateField(_("planned end"))
    handed_over_on = models.DateField(_("handed over on"), null=True, blank=True)
    handover_note = models.TextField(_("handover"), blank=True)
    # The re-assessment that shows the gaps closed.
    reassessment = models.ForeignKey(
        "standards.Assessment",
        verbose_name=_("re-assessment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renovations_proved",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    # What the closing found, kept as it was on the day: the linked actions proven
    # closed by the re-assessment and those still open, with the reason.
    closing_result = models.JSONField(_("closing result"), default=dict, blank=True)
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)

    scope_fields = ScopeFields(province="province_code", facility="facility_id")

    class Meta:
        verbose_name = _("renovation project")
        verbose_name_plural = _("renovation projects")
        ordering = ["-starts_on"]
        indexes = [
            models.Index(fields=["facility", "status"], name="renovation_facility_status"),
            models.Index(fields=["partner", "status"], name="renovation_partner_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.facility_id and not self.province_code:
            self.province_code = self.facility.province_code
        super().save(*args, **kwargs)


class Milestone(models.Model):
    """A step of the works with its share of the whole (``weight`` %, all a project's
    milestones summing to 100): the planned S-curve is the weights accumulated by
    planned date."""

    project = models.ForeignKey(
        RenovationProject, on_delete=models.CASCADE, related_name="milestones"
    )
    name = models.CharField(_("milestone"), max_length=200)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    planned_on = models.DateField(_("planned"))
    done_on = models.DateField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "planned_on", "id"]

    def __str__(self) -> str:
        return self.name


class Disbursement(models.Model):
    """A tranche of money for the works: planned (with the date it is due) or paid.
    ``amount_rp`` is ``amount × rate`` rounded to whole rupiah."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PAID = "paid", _("Paid")

    project = models.ForeignKey(
        RenovationProject, on_delete=models.CASCADE, related_name="disbursements"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PAID
    )
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="IDR")
    rate = models.DecimalField(_("rate to Rp"), max_digits=14, decimal_places=6, default=1)
    amount_rp = models.DecimalField(_("amount (Rp)"), max_digits=16, decimal_places=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["project", "paid_on", "planned_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="disbursement_has_its_date",
                condition=(
                    models.Q(status="paid", paid_on__isnull=False)
                    | models.Q(status="planned", planned_on__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.paid_on or self.planned_on} {self.amount_rp}"


class SupervisionReport(models.Model):
    project = models.ForeignKey(
        RenovationProject, on_delete=models.CASCADE, related_name="supervision_reports"
    )
    reported_on = models.DateField(_("date"))
    progress = models.DecimalField(_("actual progress (%)"), max_digits=5, decimal_places=2)
    findings = models.TextField(_("findings"), blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    # Why the progress is lower than in the report before it (required then).
    progress_note = models.TextField(_("why the progress is lower"), blank=True)
    author = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("supervision report")
        verbose_name_plural = _("supervision reports")
        ordering = ["project", "reported_on", "id"]

    def __str__(self) -> str:
        return f"{self.reported_on} {self.progress}%"


class SupervisionPhoto(models.Model):
    report = models.ForeignKey(SupervisionReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("file"), upload_to="standards/supervision/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    taken_on = models.DateField(_("taken on"))
    uploaded_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("supervision photo")
        verbose_name_plural = _("supervision photos")

    def __str__(self) -> str:
        return self.original_name


class RenovationEvent(models.Model):
    """The project's history: created, edited, status changes, the plan replaced,
    money recorded, reports, handover, the re-assessment linked, closing."""

    project = models.ForeignKey(RenovationProject, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=32)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("renovation event")
        verbose_name_plural = _("renovation events")
        ordering = ["project", "at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind}"
