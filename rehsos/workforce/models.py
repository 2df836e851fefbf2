"""Staff and instructors of the centres, their qualifications, certifications and
competencies; trainings; and overseas internships (calls with eligibility rules,
applications, scored selection with a written rationale, cohorts with host
institutions, reports, and the re-entry action plan tracked to completion)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel
from rehsos.core.permissions import ScopeFields


class StaffRole(models.TextChoices):
    SOCIAL_WORKER = "social_worker", _("Social worker")
    INSTRUCTOR = "instructor", _("Instructor")
    CAREGIVER = "caregiver", _("Caregiver")
    NURSE = "nurse", _("Nurse")
    DOCTOR = "doctor", _("Doctor")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    COUNSELLOR = "counsellor", _("Counsellor")
    THERAPIST = "therapist", _("Therapist")
    ADDICTION_COUNSELLOR = "addiction_counsellor", _("Addiction counsellor")
    MANAGER = "manager", _("Manager")
    ADMINISTRATOR = "administrator", _("Administrative staff")
    SUPPORT = "support", _("Support staff")


class StaffMember(BaseModel):
    class Employment(models.TextChoices):
        CIVIL_SERVANT = "pns", _("Civil servant (PNS)")
        CONTRACT = "pppk", _("Government contract (PPPK)")
        NON_PERMANENT = "honorer", _("Non-permanent")
        VOLUNTEER = "volunteer", _("Volunteer")

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="staff_members"
    )
    province_code = models.CharField(max_length=2, db_index=True, editable=False)
    user = models.OneToOneField(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="staff_record"
    )
    name = models.CharField(_("name"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("Male")), ("F", _("Female"))])
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    role = models.CharField(_("role"), max_length=24, choices=StaffRole.choices)
    employment = models.CharField(_("employment"), max_length=12, choices=Employment.choices)
    position = models.CharField(_("position"), max_length=200, blank=True)
    started_on = models.DateField(_("started on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    scope_fields = ScopeFields(province="province_code", facility="facility_id")

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["facility", "name"]
        indexes = [models.Index(fields=["facility", "role"])]
        constraints = [
            models.CheckConstraint(
                name="staff_left_after_start",
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("started_on")),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.facility_id and not self.province_code:
            self.province_code = self.facility.province_code
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.left_on is None


# Rows that belong to one staff member are scoped through their staff member.
_THROUGH_STAFF = ScopeFields(province="staff__province_code", facility="staff__facility_id")
_THROUGH_APPLICATION = ScopeFields(
    province="application__staff__province_code", facility="application__staff__facility_id"
)


class Qualification(models.Model):
    class Level(models.TextChoices):
        SMA = "sma", _("Senior high school")
        D3 = "d3", _("Diploma (D3)")
        D4 = "d4", _("Applied bachelor (D4)")
        S1 = "s1", _("Bachelor (S1)")
        S2 = "s2", _("Master (S2)")
        S3 = "s3", _("Doctorate (S3)")
        PROFESSIONAL = "profession", _("Professional education")

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="qualifications")
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    field = models.CharField(_("field"), max_length=200)
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)

    scope_fields = _THROUGH_STAFF

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return f"{self.level} {self.field}"


class Certification(models.Model):
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="certifications")
    name = models.CharField(_("certification"), max_length=200)
    issuer = models.CharField(_("issuer"), max_length=200)
    number = models.CharField(_("number"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    scope_fields = _THROUGH_STAFF

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["staff", "expires_on"]
        indexes = [models.Index(fields=["expires_on"])]

    def __str__(self) -> str:
        return self.name


class Competency(models.Model):
    class Level(models.TextChoices):
        BASIC = "basic", _("Basic")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="competencies")
    # An SKKNI unit code where there is one, else a short name.
    code = models.CharField(_("code"), max_length=40, blank=True)
    name = models.CharField(_("competency"), max_length=200)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)

    scope_fields = _THROUGH_STAFF

    class Meta:
        verbose_name = _("competency")
        verbose_name_plural = _("competencies")

    def __str__(self) -> str:
        return self.name


class Training(BaseModel):
    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        WORKSHOP = "workshop", _("Workshop")
        TOT = "tot", _("Training of trainers")
        STUDY_VISIT = "study_visit", _("Study visit")
        ONLINE = "online", _("Online course")

    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("held at"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trainings_held",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    hours = models.PositiveIntegerField(_("hours"), null=True, blank=True)
    competencies = models.CharField(_("competencies taught"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                name="training_ends_after_start",
                condition=models.Q(ends_on__gte=models.F("starts_on")),
            )
        ]

    def __str__(self) -> str:
        return self.title


class TrainingParticipant(models.Model):
    class Result(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        COMPLETED = "completed", _("Completed")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        ABSENT = "absent", _("Did not attend")

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="participants")
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="trainings")
    result = models.CharField(
        _("result"), max_length=12, choices=Result.choices, default=Result.ENROLLED
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    pre_score = models.DecimalField(
        _("pre-test score"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    scope_fields = _THROUGH_STAFF

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["training", "staff"], name="training_participant_once")
        ]

    def __str__(self) -> str:
        return f"{self.training_id}/{self.staff_id}"


class InternshipCall(BaseModel):
    """A call for overseas internships (e.g. trainers to Japan). ``eligibility`` is a
    list of rules checked against each applicant, e.g.
    ``[{"rule": "role_in", "roles": ["instructor", "caregiver"]},
    {"rule": "min_service_years", "years": 2}, {"rule": "max_age", "years": 45},
    {"rule": "facility_model"}]``; ``scoring`` a list of criteria with weights and
    maximum points, e.g. ``[{"code": "motivation", "label": "...", "weight": 30,
    "max": 10}, ...]``.

    The rules: ``role_in`` {roles}, ``employment_in`` {employments},
    ``min_service_years`` {years}, ``max_age`` / ``min_age`` {years},
    ``facility_model``, ``facility_in`` {facilities: centre codes},
    ``has_certification`` {name}, ``has_competency`` {code or name, min_level},
    ``min_qualification`` {level}, ``not_previously_selected``; each at most once,
    ages and service counted at ``closes_on``. Scoring weights add up to 100. Both
    shapes are checked (errors name ``eligibility[i].<key>``, ``scoring[i].<key>``)
    and the rules decided in :mod:`rehsos.workforce.eligibility`."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for applications")
        SELECTION = "selection", _("Selection")
        DECIDED = "decided", _("Decided")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=300)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreement = models.ForeignKey(
        "partners.Agreement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    country = models.CharField(_("country"), max_length=2, default="JP")
    description = models.TextField(_("description"), blank=True)
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"))
    places = models.PositiveIntegerField(_("places"))
    eligibility = models.JSONField(_("eligibility rules"), default=list, blank=True)
    scoring = models.JSONField(_("scoring criteria"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )

    class Meta:
        verbose_name = _("internship call")
        verbose_name_plural = _("internship calls")
        ordering = ["-opens_on"]
        constraints = [
            models.CheckConstraint(
                name="call_closes_after_opening",
                condition=models.Q(closes_on__gte=models.F("opens_on")),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Application(BaseModel):
    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        INELIGIBLE = "ineligible", _("Not eligible")
        SELECTED = "selected", _("Selected")
        RESERVE = "reserve", _("Reserve")
        REJECTED = "rejected", _("Not selected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    call = models.ForeignKey(InternshipCall, on_delete=models.PROTECT, related_name="applications")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="applications")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    # The applicant's own account, or the head of centre who applied for them.
    submitted_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    motivation = models.TextField(_("motivation"), blank=True)
    # Rule code → {"ok": bool, "reason": str}, kept as checked on submission.
    eligibility_result = models.JSONField(default=dict, blank=True)
    eligible = models.BooleanField(_("eligible"), default=False)
    # Criterion code → points, entered by the selection panel.
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=12, choices=Decision.choices, default=Decision.PENDING
    )
    rationale = models.TextField(_("rationale"), blank=True)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Placement, once selected.
    host_institution = models.CharField(_("host institution"), max_length=200, blank=True)
    placement_starts_on = models.DateField(_("placement starts"), null=True, blank=True)
    placement_ends_on = models.DateField(_("placement ends"), null=True, blank=True)

    scope_fields = ScopeFields(province="staff__province_code", facility="staff__facility_id")

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(fields=["call", "staff"], name="application_once"),
            models.CheckConstraint(
                name="application_placement_in_order",
                condition=models.Q(placement_starts_on__isnull=True)
                | models.Q(placement_ends_on__isnull=True)
                | models.Q(placement_ends_on__gte=models.F("placement_starts_on")),
            ),
        ]
        indexes = [models.Index(fields=["call", "decision"])]

    def __str__(self) -> str:
        return f"{self.call_id}/{self.staff_id}"


class InternshipReport(models.Model):
    class Kind(models.TextChoices):
        DURING = "during", _("During the internship")
        FINAL = "final", _("Final report")
        FOLLOW_UP = "follow_up", _("Follow-up after return")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reported_on = models.DateField(_("date"))
    text = models.TextField(_("report"))
    author = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_fields = _THROUGH_APPLICATION

    class Meta:
        verbose_name = _("internship report")
        verbose_name_plural = _("internship reports")
        ordering = ["application", "reported_on"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"


class ReentryAction(models.Model):
    """One step of the re-entry plan: what the returnee will change at home."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="reentry_actions"
    )
    what = models.CharField(_("what will change"), max_length=300)
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)

    scope_fields = _THROUGH_APPLICATION

    class Meta:
        verbose_name = _("re-entry action")
        verbose_name_plural = _("re-entry actions")
        ordering = ["application", "due_on"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.what
