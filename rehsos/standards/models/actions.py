"""Quality improvement plans: every recommendation of an audit becomes an action
due within 90 days, with an owner, a cost, a funding source and the evidence that
closes it; the head attests once a year that the plan is being kept."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel
from rehsos.core.permissions import ScopeFields

ACTION_DUE_DAYS = 90


class Action(BaseModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Funding(models.TextChoices):
        OWN = "own", _("Own budget")
        PARTNER = "partner", _("Partner agreement")
        NONE = "none", _("Not funded yet")

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="standards_actions"
    )
    province_code = models.CharField(max_length=2, db_index=True, editable=False)
    # The recommendation it answers (none: an action the centre added itself).
    finding = models.OneToOneField(
        "standards.Finding",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action",
    )
    criterion = models.ForeignKey(
        "standards.Criterion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
    )
    title = models.CharField(_("action"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        "core.User",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(_("due"))
    cost_estimate = models.DecimalField(
        _("cost estimate (Rp)"), max_digits=16, decimal_places=0, null=True, blank=True
    )
    funding = models.CharField(
        _("funding"), max_length=8, choices=Funding.choices, default=Funding.OWN
    )
    agreement = models.ForeignKey(
        "partners.Agreement",
        verbose_name=_("partner agreement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="standards_actions",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_note = models.TextField(_("how it was closed"), blank=True)
    # The last e-mail reminder that counted this action (one a day at most).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    scope_fields = ScopeFields(province="province_code", facility="facility_id")

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["facility", "status", "due_on"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.facility_id and not self.province_code:
            self.province_code = self.facility.province_code
        super().save(*args, **kwargs)


class ActionEvidence(models.Model):
    """A file that shows an action done (stored privately, checked by content)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to="standards/actions/")
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
        verbose_name = _("action evidence")
        verbose_name_plural = _("action evidence")

    def __str__(self) -> str:
        return self.original_name


class Attestation(models.Model):
    """The head's yearly statement that the improvement plan is being kept."""

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="standards_attestations"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    statement = models.TextField(_("statement"))
    attested_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    attested_at = models.DateTimeField(_("attested at"), auto_now_add=True)
    open_actions = models.PositiveIntegerField(_("open actions"), default=0)
    overdue_actions = models.PositiveIntegerField(_("overdue actions"), default=0)

    class Meta:
        verbose_name = _("attestation")
        verbose_name_plural = _("attestations")
        constraints = [
            models.UniqueConstraint(fields=["facility", "year"], name="attestation_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.year}"
