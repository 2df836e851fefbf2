"""The registry: the one place a person exists in rehsos.

Persons, households (KK) with membership history, guardians, consent (UU PDP),
data-subject requests, the person timeline, and the bookkeeping of duplicate
detection and merges. NIK and KK are stored sealed (AES-GCM) with a keyed blind
index for exact lookup (see identifiers.py); search keys are derived on save.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel
from rehsos.core.permissions import ScopeFields


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class DatePrecision(models.TextChoices):
    EXACT = "exact", _("Exact")
    MONTH = "month", _("Month and year known")
    YEAR = "year", _("Year known")
    ESTIMATED = "estimated", _("Estimated")


class Difficulty(models.IntegerChoices):
    """Washington Group answer scale; wording fixed by the WG-SS."""

    NONE = 1, _("No difficulty")
    SOME = 2, _("Some difficulty")
    A_LOT = 3, _("A lot of difficulty")
    CANNOT = 4, _("Cannot do at all")


WG_DOMAINS = (
    ("wg_seeing", _("Seeing, even if wearing glasses")),
    ("wg_hearing", _("Hearing, even if using a hearing aid")),
    ("wg_walking", _("Walking or climbing steps")),
    ("wg_cognition", _("Remembering or concentrating")),
    ("wg_selfcare", _("Self-care, such as washing all over or dressing")),
    ("wg_communication", _("Communicating, for example understanding or being understood")),
)


class Education(models.TextChoices):
    NONE = "none", _("No schooling")
    SD = "sd", _("Primary (SD)")
    SMP = "smp", _("Junior secondary (SMP)")
    SMA = "sma", _("Senior secondary (SMA/SMK)")
    DIPLOMA = "diploma", _("Diploma (D1–D4)")
    S1 = "s1", _("Bachelor (S1)")
    S2 = "s2", _("Postgraduate (S2/S3)")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Not married")
    MARRIED = "married", _("Married")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class Religion(models.TextChoices):
    ISLAM = "islam", _("Islam")
    PROTESTANT = "protestant", _("Protestant")
    CATHOLIC = "catholic", _("Catholic")
    HINDU = "hindu", _("Hindu")
    BUDDHIST = "buddhist", _("Buddhist")
    CONFUCIAN = "confucian", _("Confucian")
    BELIEF = "belief", _("Indigenous belief (kepercayaan)")


class PersonQuerySet(models.QuerySet):
    def live(self):
        """Persons that are not merged into another record."""
        return self.filter(merged_into__isnull=True)


class Person(BaseModel):
    full_name = models.CharField(_("full name"), max_length=200)
    other_names = models.JSONField(
        _("other names"), default=list, blank=True, help_text=_("Aliases and former names.")
    )
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    name_phonetic = models.CharField(max_length=200, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_date_precision = models.CharField(
        _("precision of the date of birth"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.EXACT,
    )
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    birth_place = models.CharField(_("place of birth"), max_length=120, blank=True)
    nik_sealed = models.CharField(max_length=120, blank=True, editable=False)
    nik_index = models.CharField(max_length=64, blank=True, editable=False)
    kk_sealed = models.CharField(max_length=120, blank=True, editable=False)
    kk_index = models.CharField(max_length=64, blank=True, editable=False)
    mother_name = models.CharField(_("mother's name"), max_length=200, blank=True)
    village = models.ForeignKey(
        "regions.Region",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # person_village_idx (Meta) serves it
    )
    province_code = models.CharField(_("province"), max_length=2, editable=False)
    address = models.CharField(_("street address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    education = models.CharField(
        _("education"), max_length=10, choices=Education.choices, blank=True
    )
    marital_status = models.CharField(
        _("marital status"), max_length=10, choices=MaritalStatus.choices, blank=True
    )
    religion = models.CharField(_("religion"), max_length=12, choices=Religion.choices, blank=True)
    wg_seeing = models.PositiveSmallIntegerField(
        WG_DOMAINS[0][1], choices=Difficulty.choices, null=True, blank=True
    )
    wg_hearing = models.PositiveSmallIntegerField(
        WG_DOMAINS[1][1], choices=Difficulty.choices, null=True, blank=True
    )
    wg_walking = models.PositiveSmallIntegerField(
        WG_DOMAINS[2][1], choices=Difficulty.choices, null=True, blank=True
    )
    wg_cognition = models.PositiveSmallIntegerField(
        WG_DOMAINS[3][1], choices=Difficulty.choices, null=True, blank=True
    )
    wg_selfcare = models.PositiveSmallIntegerField(
        WG_DOMAINS[4][1], choices=Difficulty.choices, null=True, blank=True
    )
    wg_communication = models.PositiveSmallIntegerField(
        WG_DOMAINS[5][1], choices=Difficulty.choices, null=True, blank=True
    )
    has_disability = models.BooleanField(
        _("disability (WG-SS)"),
        null=True,
        editable=False,
        help_text=_("Derived: any domain answered 'a lot of difficulty' or 'cannot do at all'."),
    )
    photo = models.ImageField(_("photo"), upload_to="persons/photos/", blank=True)
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("registering centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_system = models.CharField(_("source system"), max_length=40, blank=True)
    source_id = models.CharField(_("id in the source system"), max_length=64, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        db_index=False,  # person_merged_into_idx (Meta): only the few merged records
    )
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PersonQuerySet.as_manager()
    scope_fields = ScopeFields(province="province_code", facility="facility")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # Every index is paid for by every write (a bulk import of a million persons
        # above all), so each one here has a reader. Exact-lookup columns are declared
        # here rather than with db_index, which on PostgreSQL adds a varchar_pattern_ops
        # twin for LIKE that nothing uses. The scope filter on a province is served by
        # the (province_code, facility) index.
        indexes = [
            models.Index(fields=["province_code", "facility"]),
            models.Index(fields=["birth_year", "name_phonetic"]),
            # Equality and the region filter's LIKE 'NN.NN.%' (village_id is the code):
            # pattern ops serve both on PostgreSQL; SQLite ignores opclasses.
            models.Index(
                fields=["village"], name="person_village_idx", opclasses=["varchar_pattern_ops"]
            ),
            # The blind indexes of NIK and KK: exact lookup only.
            models.Index(fields=["nik_index"], name="person_nik_index_idx"),
            models.Index(fields=["kk_index"], name="person_kk_index_idx"),
            models.Index(
                fields=["merged_into"],
                name="person_merged_into_idx",
                condition=Q(merged_into__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "source_id"],
                condition=~Q(source_id=""),
                name="person_unique_source_id",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    def derive(self) -> None:
        """Fill the derived columns from the entered ones."""
        from rehsos.registry import names

        self.province_code = self.village_id[:2]
        self.name_key = names.key(self.full_name)[:200]
        self.name_phonetic = names.phonetic(self.full_name)[:200]
        self.birth_year = self.birth_date.year if self.birth_date else None
        answers = [getattr(self, field) for field, _label in WG_DOMAINS]
        if any(a is not None for a in answers):
            self.has_disability = any(a in (Difficulty.A_LOT, Difficulty.CANNOT) for a in answers)
        else:
            self.has_disability = None

    def save(self, *args, **kwargs):
        self.derive()
        super().save(*args, **kwargs)


class PersonEvent(models.Model):
    """One entry of a person's timeline; later modules add their own kinds."""

    # The (person, -at) index below serves the foreign key too.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "-at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


class Household(BaseModel):
    """A family card (Kartu Keluarga)."""

    kk_sealed = models.CharField(max_length=120, blank=True, editable=False)
    kk_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    village = models.ForeignKey(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    province_code = models.CharField(max_length=2, db_index=True, editable=False)
    address = models.CharField(_("street address"), max_length=300, blank=True)
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope_fields = ScopeFields(province="province_code", facility="facility")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["kk_index"], condition=~Q(kk_index=""), name="household_unique_kk"
            )
        ]

    def __str__(self) -> str:
        return str(_("Household %(id)s")) % {"id": str(self.public_id)[:8]}

    def save(self, *args, **kwargs):
        self.province_code = self.village_id[:2]
        super().save(*args, **kwargs)


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Husband / wife")
    CHILD = "child", _("Child")
    CHILD_IN_LAW = "child_in_law", _("Son / daughter-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    PARENT = "parent", _("Parent")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    OTHER_FAMILY = "other_family", _("Other family")
    OTHER = "other", _("Other")


class HouseholdMembership(models.Model):
    """A person on a KK from ``start`` until ``end``; one open membership per person."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    relationship = models.CharField(
        _("relationship to the head"), max_length=16, choices=Relationship.choices
    )
    start = models.DateField(_("from"), default=timezone.localdate)
    end = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(end__isnull=True), name="one_open_household"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id}"


class Guardian(models.Model):
    """Who may act for a minor or for an adult who needs a guardian."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="guardians")
    guardian = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="wards"
    )
    name = models.CharField(_("guardian's name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    relationship = models.CharField(_("relationship"), max_length=60)
    basis = models.CharField(
        _("basis"),
        max_length=20,
        choices=[
            ("parent", _("Parent")),
            ("court", _("Court order")),
            ("family", _("Family agreement")),
            ("institution", _("Institution (LKS / centre)")),
        ],
    )
    start = models.DateField(_("from"), default=timezone.localdate)
    end = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["-start", "-id"]

    def __str__(self) -> str:
        return self.name or str(self.guardian)


class Purpose(models.TextChoices):
    CASE_MANAGEMENT = "case_management", _("Case management and rehabilitation services")
    REFERRAL = "referral", _("Referral to other services")
    EMPLOYMENT = "employment", _("Sharing a profile with employers")
    PARTNER_REPORTING = "partner_reporting", _("Partner and donor reporting")
    RESEARCH = "research", _("Research and evaluation")
    PHOTO = "photo", _("Keeping a photo")


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    CONTRACT = "contract", _("Contract")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    VITAL_INTEREST = "vital_interest", _("Vital interest")
    PUBLIC_TASK = "public_task", _("Public task")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")


class ConsentQuerySet(models.QuerySet):
    def in_force(self, at=None):
        at = at or timezone.now()
        return self.filter(given_at__lte=at).filter(
            Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=at)
        )


class Consent(BaseModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    lawful_basis = models.CharField(_("lawful basis"), max_length=24, choices=LawfulBasis.choices)
    given_by = models.CharField(
        _("given by"),
        max_length=10,
        choices=[
            ("self", _("The person")),
            ("parent", _("A parent")),
            ("guardian", _("A guardian")),
        ],
    )
    giver_name = models.CharField(_("name of the parent or guardian"), max_length=200, blank=True)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    scope = models.CharField(_("scope"), max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["person", "purpose"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.get_lawful_basis_display()})"


class DataRequest(BaseModel):
    """A data-subject request under UU PDP: access/export, correction, erasure."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Access / copy of the data")
        CORRECTION = "correction", _("Correction")
        ERASURE = "erasure", _("Erasure or anonymisation")
        OBJECTION = "objection", _("Objection")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="open")
    details = models.JSONField(_("details"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_status_display()}"


class MatchPair(models.Model):
    """A scored candidate duplicate, awaiting or after review."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("To review")
        SAME = "same", _("Same person")
        DIFFERENT = "different", _("Different persons")
        UNSURE = "unsure", _("Not sure")

    left = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("match probability"))
    weight = models.FloatField(_("match weight"))
    explanation = models.JSONField(_("explanation"), default=list)
    cluster = models.CharField(max_length=64, blank=True, db_index=True)
    province_code = models.CharField(max_length=2, db_index=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default="pending", db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)

    scope_fields = ScopeFields(province="province_code", facility="left__facility")

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="match_pair_once"),
            models.CheckConstraint(
                condition=Q(left__lt=models.F("right")), name="match_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.left_id}~{self.right_id} {self.probability:.3f}"


class Merge(models.Model):
    """A merge of one record into a survivor, with what is needed to undo it exactly."""

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    chosen = models.JSONField(default=dict)
    snapshot = models.JSONField(default=dict)
    moved = models.JSONField(default=list)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


from rehsos.registry.models_import import ImportBatch  # noqa: E402, F401
from rehsos.registry.models_search import SearchPosting, SearchVariant, SearchWord  # noqa: E402, F401
