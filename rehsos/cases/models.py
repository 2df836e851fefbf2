"""The PROGRES 5.0 NP / ATENSI case: one rehabilitation episode of one person.

Reference data (clusters' PPKS types, the stage list with its rules, the seven
ATENSI service components, assessment instruments) are versioned rows with
effective dates, not constants: regulations change.

Scope: a case belongs to its responsible unit (a centre, a provincial unit or an
LKS — all ``facilities.Facility``) and that unit's province. Rows hanging off a
case are scoped through it.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel
from rehsos.core.permissions import ScopeFields

CASE_SCOPE = ScopeFields(province="case__province_code", facility="case__unit")


# --- reference data -----------------------------------------------------------------


class Cluster(models.TextChoices):
    ANAK = "ANAK", _("Children")
    LU = "LU", _("Elderly")
    PD = "PD", _("Persons with disabilities")
    KPN = "KPN", _("Victims of drug abuse (NAPZA)")
    TS_KPO = "TS-KPO", _("Socially excluded and victims of trafficking")
    OTHER = "LAIN", _("Other PPKS (disaster victims and others)")


class ReferenceQuerySet(models.QuerySet):
    def in_force(self, on=None):
        """Rows in force on a date (today by default)."""
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.filter(
            Q(effective_from__lte=on), Q(effective_to__isnull=True) | Q(effective_to__gt=on)
        )


class ReferenceRow(models.Model):
    """A row of reference data with its two names and the dates it is in force."""

    code = models.CharField(_("code"), max_length=40)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("in force until"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_id if (get_language() or "id").startswith("id") else self.name_en


class PpksType(ReferenceRow):
    """The 26 PPKS types of Permensos 8/2012, each with its default cluster."""

    number = models.PositiveSmallIntegerField(_("number"))
    cluster = models.CharField(_("cluster"), max_length=8, choices=Cluster.choices)

    class Meta:
        verbose_name = _("PPKS type")
        verbose_name_plural = _("PPKS types")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="ppks_code_from")
        ]


class ServiceComponent(ReferenceRow):
    """The seven ATENSI direct-service components."""

    number = models.PositiveSmallIntegerField(_("number"))

    class Meta:
        verbose_name = _("ATENSI service component")
        verbose_name_plural = _("ATENSI service components")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="component_code_from")
        ]


class StageSet(models.Model):
    """A versioned list of case-management stages (default: the classic seven)."""

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("in force until"), null=True, blank=True)
    is_default = models.BooleanField(_("default for new cases"), default=False)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage list")
        verbose_name_plural = _("stage lists")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="stageset_code_version"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_stageset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Stage(models.Model):
    """One stage of a stage list with the rules for entering it.

    ``requirements`` names checks from :mod:`rehsos.cases.services.stage_rules`
    that must hold before a case may ENTER this stage (e.g. ``plan_approved``
    before intervention); ``movers`` lists the roles that may move a case into it
    (empty: anyone who may work on the case)."""

    stage_set = models.ForeignKey(StageSet, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.CharField(_("code"), max_length=40)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    requirements = models.JSONField(_("requirements to enter"), default=list, blank=True)
    movers = models.JSONField(_("roles that may move a case here"), default=list, blank=True)
    is_closing = models.BooleanField(_("closes the case"), default=False)
    is_aftercare = models.BooleanField(_("aftercare stage"), default=False)
    target_days = models.PositiveSmallIntegerField(_("usual days in stage"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["stage_set", "order"]
        constraints = [
            models.UniqueConstraint(fields=["stage_set", "order"], name="stage_order"),
            models.UniqueConstraint(fields=["stage_set", "code"], name="stage_code"),
        ]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_id if (get_language() or "id").startswith("id") else self.name_en


# --- the case -----------------------------------------------------------------------


class Setting(models.TextChoices):
    FAMILY = "family", _("Family-based")
    COMMUNITY = "community", _("Community-based")
    RESIDENTIAL = "residential", _("Residential")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ClosureReason(models.TextChoices):
    COMPLETED = "completed", _("Rehabilitation completed")
    REFERRED = "referred", _("Referred to another service")
    MOVED = "moved", _("Moved away")
    WITHDREW = "withdrew", _("Withdrew or refused services")
    LOST = "lost", _("Lost contact")
    DIED = "died", _("Died")
    DUPLICATE = "duplicate", _("Opened in error or duplicate")
    OTHER = "other", _("Other")


SENSITIVITY_FLAGS = (
    ("flag_child", _("Child")),
    ("flag_trafficking", _("Trafficking")),
    ("flag_napza", _("NAPZA")),
    ("flag_hiv", _("HIV")),
    ("flag_law", _("In conflict with the law")),
)


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=CaseStatus.OPEN)

    def sensitive(self):
        condition = Q()
        for field, _label in SENSITIVITY_FLAGS:
            condition |= Q(**{field: True})
        return self.filter(condition)


class Case(BaseModel):
    number = models.CharField(_("case number"), max_length=40, unique=True)
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="cases"
    )
    cluster = models.CharField(_("cluster"), max_length=8, choices=Cluster.choices)
    ppks_type = models.ForeignKey(
        PpksType, verbose_name=_("PPKS type"), on_delete=models.PROTECT, related_name="+"
    )
    setting = models.CharField(_("setting"), max_length=12, choices=Setting.choices)
    unit = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    province_code = models.CharField(_("province"), max_length=2, editable=False)
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("social worker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    flag_child = models.BooleanField(_("child"), default=False)
    flag_trafficking = models.BooleanField(_("trafficking"), default=False)
    flag_napza = models.BooleanField(_("NAPZA"), default=False)
    flag_hiv = models.BooleanField(_("HIV"), default=False)
    flag_law = models.BooleanField(_("in conflict with the law"), default=False)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    status = models.CharField(
        _("status"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=12, choices=ClosureReason.choices, blank=True
    )
    summary = models.TextField(_("presenting problem"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CaseQuerySet.as_manager()
    scope_fields = ScopeFields(province="province_code", facility="unit")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            # The centre's board (by stage), the caseload, the national indicators. The
            # board's columns read their longest-waiting cases straight from case_board.
            models.Index(
                fields=["unit", "status", "stage", "stage_entered_at", "id"], name="case_board"
            ),
            models.Index(fields=["social_worker", "status"], name="case_caseload"),
            models.Index(fields=["province_code", "status", "cluster"], name="case_province"),
            models.Index(fields=["status", "cluster", "stage"], name="case_national"),
            models.Index(fields=["person"], name="case_person"),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_closed_has_date_and_reason",
                condition=Q(status="open", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False) & ~Q(closure_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_sensitive(self) -> bool:
        return any(getattr(self, field) for field, _label in SENSITIVITY_FLAGS)

    @property
    def flags(self) -> list[str]:
        return [str(label) for field, label in SENSITIVITY_FLAGS if getattr(self, field)]

    def save(self, *args, **kwargs):
        if self.unit_id and not self.province_code:
            self.province_code = self.unit.province_code
        super().save(*args, **kwargs)


class CaseNumberSeries(models.Model):
    """The last sequence number given in one case-number series (regency code and year,
    ``3175-2026``). The opening service increments it with an UPDATE, which locks the
    row on PostgreSQL and the database on SQLite: two openings never get one number."""

    series = models.CharField(max_length=20, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number series")
        verbose_name_plural = _("case number series")

    def __str__(self) -> str:
        return f"{self.series}: {self.last}"


class Transition(models.Model):
    """One move of a case between stages (or its closing / reopening)."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Opened")
        FORWARD = "forward", _("Moved forward")
        BACK = "back", _("Moved back")
        CLOSE = "close", _("Closed")
        REOPEN = "reopen", _("Reopened")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    days_in_previous = models.PositiveIntegerField(null=True, blank=True)

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        ordering = ["case", "at", "pk"]
        indexes = [
            models.Index(fields=["case", "at"], name="transition_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.get_kind_display()}"


class CaseEvent(models.Model):
    """The case's event feed: what happened, in order. Pages build the timeline from
    it and partners' systems poll it (``/api/v1/case-events?after=<id>``); the data
    carries ids and codes, never names or identifiers."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    scope_fields = CASE_SCOPE

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind}"


# --- referrals and transfers -----------------------------------------------------------


class ReferralSource(models.TextChoices):
    POLICE = "police", _("Police")
    HOSPITAL = "hospital", _("Hospital or health service")
    COURT = "court", _("Court or prosecutor")
    FAMILY = "family", _("Family")
    COMMUNITY = "community", _("Community")
    LKS = "lks", _("LKS")
    CENTRE = "centre", _("Another centre")
    SERASI = "serasi", _("SERASI desk")
    SELF = "self", _("The person themself")
    OTHER = "other", _("Other")


class Referral(BaseModel):
    """An incoming referral: screened, then accepted as a case or declined."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        SCREENING = "screening", _("In screening")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    class DeclineReason(models.TextChoices):
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        CAPACITY = "capacity", _("No capacity")
        OTHER_SERVICE = "other_service", _("Better served elsewhere")
        DUPLICATE = "duplicate", _("Already served")
        NO_CONSENT = "no_consent", _("No consent")
        OTHER = "other", _("Other")

    source = models.CharField(_("referred by"), max_length=12, choices=ReferralSource.choices)
    source_name = models.CharField(_("referring organisation or person"), max_length=200)
    source_contact = models.CharField(_("contact of the referrer"), max_length=200, blank=True)
    source_reference = models.CharField(_("referrer's reference"), max_length=80, blank=True)
    referred_on = models.DateField(_("referred on"))
    unit = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("referred to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    province_code = models.CharField(_("province"), max_length=2, editable=False)
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    cluster = models.CharField(_("cluster"), max_length=8, choices=Cluster.choices)
    ppks_type = models.ForeignKey(
        PpksType,
        verbose_name=_("PPKS type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason for referral"))
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    screening_note = models.TextField(_("screening note"), blank=True)
    decline_reason = models.CharField(
        _("reason for declining"), max_length=16, choices=DeclineReason.choices, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    case = models.OneToOneField(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="referral"
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_fields = ScopeFields(province="province_code", facility="unit")

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["unit", "status", "referred_on"], name="referral_queue")]
        constraints = [
            models.CheckConstraint(
                name="referral_declined_has_reason",
                condition=~Q(status="declined") | ~Q(decline_reason=""),
            )
        ]

    def save(self, *args, **kwargs):
        if self.unit_id and not self.province_code:
            self.province_code = self.unit.province_code
        super().save(*args, **kwargs)


class OutgoingReferral(BaseModel):
    """A referral from a case to another service, with its outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        SERVED = "served", _("Served")
        DECLINED = "declined", _("Declined")
        NO_RESPONSE = "no_response", _("No response")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outgoing_referrals")
    service_name = models.CharField(_("service referred to"), max_length=200)
    to_unit = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("unit in rehsos"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    service_kind = models.CharField(_("kind of service"), max_length=100, blank=True)
    referred_on = models.DateField(_("referred on"))
    reason = models.TextField(_("reason"))
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_on = models.DateField(_("outcome on"), null=True, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("outgoing referral")
        verbose_name_plural = _("outgoing referrals")


class Transfer(BaseModel):
    """A case moving to another unit: the receiving unit accepts or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the receiving unit")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    from_unit = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("receiving unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_province_code = models.CharField(max_length=2, editable=False)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    # Both the sending and the receiving unit see a transfer.
    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="one_pending_transfer"
            )
        ]

    def save(self, *args, **kwargs):
        if self.to_unit_id and not self.to_province_code:
            self.to_province_code = self.to_unit.province_code
        super().save(*args, **kwargs)


# --- assessments ------------------------------------------------------------------------


class Instrument(models.Model):
    """An assessment instrument (WG-SS, Barthel, ASSIST, a ministry form…)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    clusters = models.JSONField(_("clusters"), default=list, blank=True)
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)

    class Meta:
        verbose_name = _("assessment instrument")
        verbose_name_plural = _("assessment instruments")
        ordering = ["code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_id if (get_language() or "id").startswith("id") else self.name_en


class InstrumentVersion(models.Model):
    """One version of an instrument's definition (items, scales, skip rules, scoring,
    bands), validated by :mod:`rehsos.cases.instruments.schema`. A published
    version never changes: a change is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    definition = models.JSONField(_("definition"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        ordering = ["instrument", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="instrument_version")
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} v{self.version}"


class Assessment(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    instrument_version = models.ForeignKey(
        InstrumentVersion, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="+"
    )
    assessed_on = models.DateField(_("assessed on"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    answers = models.JSONField(_("answers"), default=dict)
    is_complete = models.BooleanField(_("complete"), default=False)
    missing_items = models.JSONField(_("missing items"), default=list, blank=True)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2, null=True, blank=True)
    band = models.CharField(_("band"), max_length=40, blank=True)
    subscores = models.JSONField(_("sub-scores"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["case", "assessed_on", "pk"]
        indexes = [models.Index(fields=["case", "assessed_on"], name="assessment_case")]


# --- intervention plan -----------------------------------------------------------------


class LifeDomain(models.TextChoices):
    HEALTH = "health", _("Physical and mental health")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial well-being")
    FAMILY = "family", _("Family relationships and care")
    EDUCATION = "education", _("Education")
    LIVELIHOOD = "livelihood", _("Work and livelihood")
    HOUSING = "housing", _("Housing and basic needs")
    DOCUMENTS = "documents", _("Civil documents and legal matters")
    PARTICIPATION = "participation", _("Social participation")
    SPIRITUAL = "spiritual", _("Mental-spiritual life")
    INDEPENDENCE = "independence", _("Daily living and independence")


class Plan(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for approval")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Superseded")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans")
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    family_participation = models.TextField(_("who in the family takes part"), blank=True)
    community_participation = models.TextField(_("who in the community takes part"), blank=True)
    review_on = models.DateField(_("next review on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approval_note = models.TextField(_("approval note"), blank=True)

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("intervention plan")
        verbose_name_plural = _("intervention plans")
        ordering = ["case", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["case", "revision"], name="plan_revision"),
            models.CheckConstraint(
                name="plan_approved_has_approver",
                condition=~Q(status="approved") | Q(approved_at__isnull=False),
            ),
        ]


class Attainment(models.IntegerChoices):
    """Goal attainment at review (a five-point scale in the manner of GAS)."""

    MUCH_LESS = -2, _("Much less than expected")
    LESS = -1, _("Less than expected")
    EXPECTED = 0, _("As expected")
    MORE = 1, _("More than expected")
    MUCH_MORE = 2, _("Much more than expected")


class Goal(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    domain = models.CharField(_("life domain"), max_length=16, choices=LifeDomain.choices)
    statement = models.TextField(_("goal"))
    indicator = models.CharField(_("indicator"), max_length=300)
    baseline = models.CharField(_("baseline"), max_length=200, blank=True)
    target = models.CharField(_("target"), max_length=200)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    attainment = models.SmallIntegerField(
        _("attainment"), choices=Attainment.choices, null=True, blank=True
    )
    attainment_note = models.TextField(_("attainment note"), blank=True)
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)

    scope_fields = ScopeFields(province="plan__case__province_code", facility="plan__case__unit")

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["plan", "pk"]

    def __str__(self) -> str:
        return self.statement[:60]


class PlannedService(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="planned_services")
    component = models.ForeignKey(
        ServiceComponent,
        verbose_name=_("ATENSI component"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300)
    frequency = models.CharField(_("frequency"), max_length=100, blank=True)
    provider = models.CharField(_("provider"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("planned service")
        verbose_name_plural = _("planned services")

    def __str__(self) -> str:
        return self.description


class PlanReview(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("reviewed on"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    summary = models.TextField(_("summary"))
    next_review_on = models.DateField(_("next review on"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")
        ordering = ["plan", "reviewed_on"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.reviewed_on}"


# --- services delivered -----------------------------------------------------------------


class ProviderKind(models.TextChoices):
    STAFF = "staff", _("Centre staff")
    PARTNER = "partner", _("Partner")
    LKS = "lks", _("LKS")
    OTHER = "other", _("Other")


class AssistanceKind(models.TextChoices):
    NONE = "", _("No assistance")
    CASH = "cash", _("Cash")
    IN_KIND = "in_kind", _("In kind")


class GroupSession(BaseModel):
    """One group activity (a class, a group therapy) for many participants."""

    unit = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    province_code = models.CharField(max_length=2, editable=False)
    component = models.ForeignKey(
        ServiceComponent,
        verbose_name=_("ATENSI component"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_on = models.DateField(_("held on"))
    # The class it is for: the quick attendance page lists the unit's open cases of
    # this cluster and setting (blank: all of them).
    cluster = models.CharField(_("cluster"), max_length=8, choices=Cluster.choices, blank=True)
    setting = models.CharField(_("setting"), max_length=12, choices=Setting.choices, blank=True)
    topic = models.CharField(_("topic"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    provider_kind = models.CharField(
        _("provider"), max_length=8, choices=ProviderKind.choices, default=ProviderKind.STAFF
    )
    provider_name = models.CharField(_("provider name"), max_length=200, blank=True)
    duration_hours = models.DecimalField(
        _("hours"), max_digits=5, decimal_places=2, default=Decimal("1")
    )
    cost_rp = models.DecimalField(_("cost (Rp)"), max_digits=14, decimal_places=0, default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    scope_fields = ScopeFields(province="province_code", facility="unit")

    class Meta:
        verbose_name = _("group session")
        verbose_name_plural = _("group sessions")

    def save(self, *args, **kwargs):
        if self.unit_id and not self.province_code:
            self.province_code = self.unit.province_code
        super().save(*args, **kwargs)


class ServiceRecord(models.Model):
    """A service delivered to one case: one of the seven ATENSI components. A group
    session gives one record per participant, with their attendance."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    component = models.ForeignKey(
        ServiceComponent,
        verbose_name=_("ATENSI component"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    delivered_on = models.DateField(_("delivered on"))
    description = models.CharField(_("description"), max_length=300)
    provider_kind = models.CharField(
        _("provider"), max_length=8, choices=ProviderKind.choices, default=ProviderKind.STAFF
    )
    provider_name = models.CharField(_("provider name"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=1)
    unit_of_measure = models.CharField(_("unit"), max_length=30, blank=True)
    cost_rp = models.DecimalField(_("cost (Rp)"), max_digits=14, decimal_places=0, default=0)
    assistance = models.CharField(
        _("assistance"), max_length=8, choices=AssistanceKind.choices, blank=True, default=""
    )
    assistance_amount_rp = models.DecimalField(
        _("assistance value (Rp)"), max_digits=14, decimal_places=0, default=0
    )
    assistance_items = models.CharField(_("items given"), max_length=300, blank=True)
    group_session = models.ForeignKey(
        GroupSession, on_delete=models.CASCADE, null=True, blank=True, related_name="records"
    )
    attended = models.BooleanField(_("attended"), default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("service delivered")
        verbose_name_plural = _("services delivered")
        indexes = [models.Index(fields=["case", "delivered_on"], name="service_case")]
        constraints = [
            models.UniqueConstraint(
                fields=["group_session", "case"],
                condition=Q(group_session__isnull=False),
                name="one_record_per_session_participant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.delivered_on}: {self.description}"


# --- notes, conferences, attachments, tasks ---------------------------------------------


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body_html = models.TextField(_("note"))
    written_at = models.DateTimeField(auto_now_add=True)

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["case", "-written_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.written_at:%Y-%m-%d}"


class Conference(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conferences")
    held_on = models.DateField(_("held on"))
    attendees = models.JSONField(
        _("attendees"), default=list, help_text=_("Name, role and organisation of each attendee.")
    )
    agenda = models.TextField(_("agenda"), blank=True)
    decisions = models.TextField(_("decisions"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("case conference")
        verbose_name_plural = _("case conferences")
        ordering = ["case", "-held_on"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.held_on}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        REFERRAL_LETTER = "referral", _("Referral letter")
        CONSENT = "consent", _("Signed consent")
        REPORT = "report", _("Report")
        MEDICAL = "medical", _("Medical document")
        COURT = "court", _("Court or police document")
        PHOTO = "photo", _("Photo")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    # Stored under the private files storage (var/files), never under the web root.
    file = models.FileField(_("file"), upload_to="cases/attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["case", "-uploaded_at"]

    def __str__(self) -> str:
        return self.title


class Task(BaseModel):
    """A to-do or reminder; the worker generates the overdue alerts (with a
    ``source_key`` so a rule never makes the same task twice)."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("Task")
        ASSESSMENT_DUE = "assessment_due", _("Assessment not done")
        PLAN_REVIEW = "plan_review", _("Plan review due")
        AFTERCARE_VISIT = "aftercare_visit", _("Aftercare visit due")
        TRANSFER_WAITING = "transfer_waiting", _("Transfer waiting for a decision")
        APPROVAL_WAITING = "approval_waiting", _("Approval waiting")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    unit = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    province_code = models.CharField(max_length=2, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_tasks",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MANUAL)
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    source_key = models.CharField(max_length=120, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_fields = ScopeFields(province="province_code", facility="unit")

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="task_assignee"),
            models.Index(fields=["unit", "status", "due_on"], name="task_unit"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"], condition=~Q(source_key=""), name="task_source_key"
            )
        ]

    def save(self, *args, **kwargs):
        if self.unit_id and not self.province_code:
            self.province_code = self.unit.province_code
        super().save(*args, **kwargs)


# --- residential stays -----------------------------------------------------------------


class Stay(BaseModel):
    class DischargeReason(models.TextChoices):
        COMPLETED = "completed", _("Programme completed")
        FAMILY = "family", _("Returned to family")
        TRANSFERRED = "transferred", _("Transferred")
        HOSPITAL = "hospital", _("Admitted to hospital")
        ABSCONDED = "absconded", _("Left without notice")
        DIED = "died", _("Died")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stays")
    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("centre"), on_delete=models.PROTECT, related_name="+"
    )
    province_code = models.CharField(max_length=2, editable=False)
    cluster = models.CharField(_("cluster"), max_length=8, choices=Cluster.choices)
    admitted_on = models.DateField(_("admitted on"))
    planned_discharge_on = models.DateField(_("planned discharge"), null=True, blank=True)
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    discharge_reason = models.CharField(
        _("discharge reason"), max_length=12, choices=DischargeReason.choices, blank=True
    )
    room = models.CharField(_("room or bed"), max_length=40, blank=True)
    capacity_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("capacity override by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    capacity_override_reason = models.TextField(_("reason for exceeding capacity"), blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    scope_fields = ScopeFields(province="province_code", facility="facility")

    class Meta:
        verbose_name = _("residential stay")
        verbose_name_plural = _("residential stays")
        ordering = ["-admitted_on"]
        indexes = [
            models.Index(fields=["facility", "admitted_on", "discharged_on"], name="stay_occupancy")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(discharged_on__isnull=True), name="one_open_stay"
            ),
            models.CheckConstraint(
                name="stay_dates_in_order",
                condition=Q(discharged_on__isnull=True)
                | Q(discharged_on__gte=models.F("admitted_on")),
            ),
        ]

    def save(self, *args, **kwargs):
        if self.facility_id and not self.province_code:
            self.province_code = self.facility.province_code
        super().save(*args, **kwargs)


# --- termination and aftercare ----------------------------------------------------------


class Termination(BaseModel):
    class GoalsMet(models.TextChoices):
        ALL = "all", _("All goals met")
        MOST = "most", _("Most goals met")
        SOME = "some", _("Some goals met")
        NONE = "none", _("No goals met")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="termination")
    goals_met = models.CharField(_("goals met"), max_length=8, choices=GoalsMet.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=ClosureReason.choices)
    summary = models.TextField(_("termination summary"))
    recommendations = models.TextField(_("recommendations for aftercare"), blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("termination summary")
        verbose_name_plural = _("termination summaries")


class AftercareOutcome(models.TextChoices):
    WITH_FAMILY = "with_family", _("Living with family")
    IN_SCHOOL = "in_school", _("In school")
    WORKING = "working", _("Working")
    INDEPENDENT = "independent", _("Living independently")
    RELAPSED = "relapsed", _("Relapsed")
    REREFERRED = "rereferred", _("Re-referred")
    LOST = "lost", _("Lost to follow-up")
    DIED = "died", _("Died")


class AftercareVisit(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="aftercare_visits")
    months_after = models.PositiveSmallIntegerField(_("months after termination"))
    due_on = models.DateField(_("due on"))
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=AftercareOutcome.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("aftercare visit")
        verbose_name_plural = _("aftercare visits")
        ordering = ["case", "due_on"]
        indexes = [models.Index(fields=["due_on", "visited_on"], name="aftercare_due")]
        constraints = [
            models.UniqueConstraint(fields=["case", "months_after"], name="aftercare_once"),
            models.CheckConstraint(
                name="aftercare_visited_has_outcome",
                condition=Q(visited_on__isnull=True) | ~Q(outcome=""),
            ),
        ]


# --- break the glass --------------------------------------------------------------------


class GlassBreak(models.Model):
    """Someone outside a sensitive case's team opened it, with a reason. The head of
    the case's unit sees every one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="glass_breaks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    seen_by_head_at = models.DateTimeField(null=True, blank=True)

    scope_fields = CASE_SCOPE

    class Meta:
        verbose_name = _("break-the-glass access")
        verbose_name_plural = _("break-the-glass accesses")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "case", "expires_at"], name="glass_user_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.user_id}"
