"""A bulk import of persons: the uploaded file, its progress and its outcome.

One row per file imported (or checked, for a dry run). The import runs in two
passes — validation, then the commit in batches — and the row records where it
stands, so a crash or a killed worker leaves a batch that the next run resumes:
``checkpoint`` is the last source row up to which every batch has committed,
written in the same transaction as the batch that completes it. On PostgreSQL two
batches are written at once, so one may commit before the one before it: its row
range waits in ``committed_ranges`` until the gap closes, and a resumed run skips
those rows too.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel


class ImportBatch(BaseModel):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Checking rows")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        REFUSED = "refused", _("File refused")
        FAILED = "failed", _("Stopped (can be resumed)")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    file = models.FileField(_("file"), upload_to="imports/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    encoding = models.CharField(max_length=16, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    source_system = models.CharField(_("source system"), max_length=40, blank=True)
    dry_run = models.BooleanField(_("dry run (check only)"), default=False)
    language = models.CharField(_("language of the report"), max_length=8, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The importing user's centre: new persons are registered there."),
    )
    default_village = models.CharField(
        _("village used when a row has none"), max_length=13, blank=True
    )
    job = models.ForeignKey(
        "core.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    columns = models.JSONField(
        _("columns"), default=dict, blank=True, help_text=_("Field → the header as written.")
    )
    problems = models.JSONField(
        _("problems with the file"), default=list, blank=True, help_text=_("One line each.")
    )
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected rows"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    validated = models.BooleanField(default=False, editable=False)
    checkpoint = models.PositiveIntegerField(
        _("last committed row"), default=0, help_text=_("Row number the import resumes after.")
    )
    committed_ranges = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="[after, last] row ranges committed beyond the checkpoint (batches that "
        "finished ahead of an earlier one); folded into the checkpoint once contiguous.",
    )
    unindexed = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="[first, last] id ranges of the persons this import created that are not "
        "in the search index yet: they are indexed after the last batch.",
    )
    rejects_file = models.FileField(_("rejects report"), upload_to="imports/", blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("person import")
        verbose_name_plural = _("person imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.REFUSED}

    @property
    def can_resume(self) -> bool:
        """Stopped, or left half way by a worker or command that died (its job is over)."""
        if self.status == self.Status.FAILED:
            return True
        if self.is_finished:
            return False
        return self.job is None or self.job.is_finished
