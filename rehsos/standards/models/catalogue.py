"""The international-standard catalogue: versioned per facility function.

A ``Catalogue`` is one line of standards (e.g. "Residential centre for older
persons"); each ``CatalogueVersion`` is a whole, immutable-once-adopted set of
criteria (draft → adopted → retired, with effective dates). Assessments are made
against one version, so a later version never changes an earlier score.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel


class Domain(models.TextChoices):
    """The eight domains every catalogue is organised by (fixed: reports compare
    them across catalogues and centres)."""

    ACCESS = "ACC", _("Site and building accessibility")
    ROOMS = "ROOM", _("Rooms and furniture")
    EQUIPMENT = "EQP", _("Equipment and instruments")
    STAFFING = "STF", _("Staffing and competency")
    SERVICES = "SVC", _("Services and programme")
    SAFETY = "SAFE", _("Safety, health and emergency")
    GOVERNANCE = "GOV", _("Governance, records and data protection")
    PARTICIPATION = "PART", _("Family and community participation")


class Scale(models.TextChoices):
    """Rating scales. Each level's value is the share of the weight it earns
    (:data:`SCALE_LEVELS`)."""

    FOUR = "four", _("Not met / partly met / met / exceeds")
    YES_NO = "yes_no", _("Not met / met")


# scale → ((rating, label, share of the weight earned), ...); rating 0 is "not met".
SCALE_LEVELS: dict[str, tuple[tuple[int, str, Decimal], ...]] = {
    Scale.FOUR: (
        (0, _("Not met"), Decimal("0")),
        (1, _("Partly met"), Decimal("0.5")),
        (2, _("Met"), Decimal("1")),
        (3, _("Exceeds"), Decimal("1")),
    ),
    Scale.YES_NO: ((0, _("Not met"), Decimal("0")), (2, _("Met"), Decimal("1"))),
}
# A rating at or above this counts as "met" (for "% of criteria met" and critical checks).
MET_AT_LEAST = 2


class Catalogue(BaseModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    # The facility functions (clusters) the catalogue applies to; empty: every centre.
    clusters = models.JSONField(_("functions"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("standards catalogue")
        verbose_name_plural = _("standards catalogues")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_en


class CatalogueVersion(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ADOPTED = "adopted", _("Adopted")
        RETIRED = "retired", _("Retired")

    catalogue = models.ForeignKey(Catalogue, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    adopted_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    adopted_at = models.DateTimeField(_("adopted at"), null=True, blank=True)
    # Where the text comes from, shown on every page and report of the version, e.g.
    # "Starter draft written by the rehsos team from public references, for the
    # ministry to adopt".
    source_note = models.TextField(_("source"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")
        ordering = ["catalogue", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "number"], name="catalogue_version_once"),
            # One draft at a time per catalogue: two drafts would diverge, and adopting
            # one would silently drop the other's edits.
            models.UniqueConstraint(
                fields=["catalogue"],
                condition=models.Q(status="draft"),
                name="catalogue_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.catalogue.code} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Criterion(models.Model):
    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("code"), max_length=20)
    domain = models.CharField(_("domain"), max_length=4, choices=Domain.choices)
    order = models.PositiveIntegerField(_("order"), default=0)
    text_id = models.TextField(_("criterion (Indonesian)"))
    text_en = models.TextField(_("criterion (English)"))
    guidance_id = models.TextField(_("guidance (Indonesian)"), blank=True)
    guidance_en = models.TextField(_("guidance (English)"), blank=True)
    # ``evidence_required`` is the Indonesian text; ``evidence_required_en`` its English.
    evidence_required = models.TextField(_("evidence required"), blank=True)
    evidence_required_en = models.TextField(_("evidence required (English)"), blank=True)
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    scale = models.CharField(_("rating scale"), max_length=8, choices=Scale.choices)
    critical = models.BooleanField(_("critical"), default=False)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    # Staffing criteria may state a ratio that the workforce app checks against the
    # centre's staff: one ``staff_role`` per ``residents_per_staff`` residents.
    staff_role = models.CharField(_("staff role"), max_length=32, blank=True)
    residents_per_staff = models.PositiveIntegerField(
        _("residents per staff member"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["version", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="criterion_code_once")
        ]

    def __str__(self) -> str:
        return self.code

    def text(self, language: str) -> str:
        return self.text_id if language.startswith("id") else self.text_en

    def guidance(self, language: str) -> str:
        return self.guidance_id if language.startswith("id") else self.guidance_en

    def evidence(self, language: str) -> str:
        return self.evidence_required if language.startswith("id") else self.evidence_required_en


class CatalogueImport(BaseModel):
    """An XLSX uploaded into a draft version: checked, previewed as a diff, then
    applied on confirmation. The preview holds the file's SHA-256 and the draft's row
    version it was computed against; a confirmation after the draft changed (or with
    another file) is refused. The file is kept (private storage) as the record of what
    changed the catalogue."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Awaiting confirmation")
        APPLIED = "applied", _("Applied")
        STALE = "stale", _("Refused: the draft changed after the preview")
        EXPIRED = "expired", _("Expired without confirmation")

    catalogue_version = models.ForeignKey(
        CatalogueVersion, on_delete=models.CASCADE, related_name="imports"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PREVIEW
    )
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.CharField(_("stored file"), max_length=300, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # The draft's ``version`` (row version) the preview was computed against.
    base_version = models.PositiveIntegerField(_("draft row version"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    # Counts of the preview: added, removed, changed, moved, unchanged.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("catalogue import")
        verbose_name_plural = _("catalogue imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.catalogue_version} ← {self.original_name}"
