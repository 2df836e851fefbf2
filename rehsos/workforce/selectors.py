"""Reads of the workforce app, always through the user's scope.

Staff are people: a row outside the user's scope answers "not found" exactly as a
missing one does, and nothing here writes their personal data to a log.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound
from rehsos.core.permissions import can, scoped
from rehsos.core.roles import ScopeLevel
from rehsos.facilities.models import Facility
from rehsos.workforce.models import (
    Application,
    Certification,
    InternshipCall,
    ReentryAction,
    StaffMember,
    StaffRole,
    Training,
    TrainingParticipant,
)
from rehsos.workforce.ratios import active_staff

EXPIRING_DAYS = 60  # a certification expiring within this many days is flagged
REENTRY_DUE_DAYS = 30  # re-entry actions due within this many days show on the home page


# --- centres and staff ----------------------------------------------------------------


def facilities_in_scope(user) -> QuerySet:
    return scoped(user, Facility.objects.filter(is_active=True)).order_by("name")


def facility_for(user, code: str) -> Facility:
    facility = facilities_in_scope(user).filter(code=code).first()
    if facility is None:
        raise NotFound(_("No such centre in your scope."))
    return facility


def staff_in_scope(user) -> QuerySet:
    return scoped(user, StaffMember.objects.select_related("facility"))


def active_in_scope(user, on: datetime.date | None = None) -> QuerySet:
    return scoped(user, active_staff(on).select_related("facility"))


def staff_for(user, public_id) -> StaffMember:
    """A staff member in the user's scope (NotFound for one outside it or missing)."""
    staff = staff_in_scope(user).filter(public_id=public_id).first()
    if staff is None:
        raise NotFound(_("No such staff member in your scope."))
    return staff


def staff_list(
    user,
    *,
    facility: Facility | None = None,
    role: str = "",
    status: str = "active",
    q: str = "",
) -> QuerySet:
    rows = staff_in_scope(user)
    today = timezone.localdate()
    if facility is not None:
        rows = rows.filter(facility=facility)
    if role:
        rows = rows.filter(role=role)
    if status == "active":
        rows = rows.filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
    elif status == "left":
        rows = rows.filter(left_on__lte=today)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(position__icontains=q))
    return rows


def counts_by_role(user, facility: Facility | None = None) -> list[tuple[str, str, int]]:
    """(role, label, active staff) in the user's scope, one grouped query."""
    rows = active_in_scope(user)
    if facility is not None:
        rows = rows.filter(facility=facility)
    counts = dict(rows.values_list("role").annotate(n=Count("pk")).order_by())
    return [
        (value, str(label), counts[value])
        for value, label in StaffRole.choices
        if counts.get(value)
    ]


# --- certifications -------------------------------------------------------------------


class CertificationStatus:
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NO_EXPIRY = "no_expiry"


def certification_status(cert: Certification, on: datetime.date | None = None) -> str:
    on = on or timezone.localdate()
    if cert.expires_on is None:
        return CertificationStatus.NO_EXPIRY
    if cert.expires_on < on:
        return CertificationStatus.EXPIRED
    if cert.expires_on <= on + datetime.timedelta(days=EXPIRING_DAYS):
        return CertificationStatus.EXPIRING
    return CertificationStatus.VALID


def certifications_expiring(
    user, *, within: int = EXPIRING_DAYS, expired: bool = False, on: datetime.date | None = None
) -> QuerySet:
    """Certifications of active staff in scope expiring from today to ``within`` days
    ahead (``expired=True``: those already expired instead), soonest first."""
    on = on or timezone.localdate()
    rows = scoped(user, Certification.objects.all()).filter(staff__in=active_staff(on).values("pk"))
    if expired:
        rows = rows.filter(expires_on__lt=on)
    else:
        rows = rows.filter(expires_on__gte=on, expires_on__lte=on + datetime.timedelta(days=within))
    return rows.select_related("staff", "staff__facility").order_by("expires_on", "pk")


def certification_for(user, pk: int) -> Certification:
    cert = scoped(user, Certification.objects.select_related("staff")).filter(pk=pk).first()
    if cert is None:
        raise NotFound(_("No such certification in your scope."))
    return cert


# --- trainings ------------------------------------------------------------------------


def trainings(user, *, q: str = "", year: int | None = None) -> QuerySet:
    """Training events are not personal data: every reader of the workforce sees them
    all; their participants are filtered by scope (``participants_in_scope``)."""
    rows = Training.objects.select_related("facility", "partner")
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(provider__icontains=q))
    if year:
        rows = rows.filter(starts_on__year=year)
    return rows.annotate(n_participants=Count("participants")).order_by("-starts_on", "-pk")


def training_for(user, public_id) -> Training:
    training = (
        Training.objects.select_related("facility", "partner").filter(public_id=public_id).first()
    )
    if training is None:
        raise NotFound(_("No such training."))
    return training


def may_edit_training(user, training: Training) -> bool:
    """Nation-scoped managers edit every training; others those held at a centre in
    their scope."""
    if not can(user, "workforce.manage"):
        return False
    if user.scope_level == ScopeLevel.NATION:
        return True
    return training.facility_id is not None and (
        facilities_in_scope(user).filter(pk=training.facility_id).exists()
    )


def participants_in_scope(user, training: Training) -> QuerySet:
    return (
        scoped(user, TrainingParticipant.objects.filter(training=training))
        .select_related("staff", "staff__facility")
        .order_by("staff__name", "pk")
    )


def participant_for(user, pk: int) -> TrainingParticipant:
    row = (
        scoped(user, TrainingParticipant.objects.select_related("training", "staff"))
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound(_("No such participant in your scope."))
    return row


@dataclass(frozen=True)
class TrainingSummary:
    participants: int
    completed: int  # completed or passed
    passed: int
    failed: int
    absent: int
    scored: int  # with both a pre-test and a post-test score
    mean_pre: Decimal | None
    mean_post: Decimal | None
    mean_gain: Decimal | None

    @property
    def completion(self) -> Decimal | None:
        """% of participants who completed (or passed) the training."""
        if not self.participants:
            return None
        return _pct(self.completed, self.participants)


def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _round(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def training_summary(training: Training) -> TrainingSummary:
    """Completion and scores over all participants, in one aggregate query."""
    result = TrainingParticipant.Result
    decimal = DecimalField(max_digits=6, decimal_places=2)
    both = Q(score__isnull=False, pre_score__isnull=False)
    figures = TrainingParticipant.objects.filter(training=training).aggregate(
        participants=Count("pk"),
        completed=Count("pk", filter=Q(result__in=[result.COMPLETED, result.PASSED])),
        passed=Count("pk", filter=Q(result=result.PASSED)),
        failed=Count("pk", filter=Q(result=result.FAILED)),
        absent=Count("pk", filter=Q(result=result.ABSENT)),
        scored=Count("pk", filter=both),
        mean_pre=Avg("pre_score", filter=both),
        mean_post=Avg("score", filter=both),
        mean_gain=Avg(
            ExpressionWrapper(F("score") - F("pre_score"), output_field=decimal), filter=both
        ),
    )
    return TrainingSummary(
        participants=figures["participants"],
        completed=figures["completed"],
        passed=figures["passed"],
        failed=figures["failed"],
        absent=figures["absent"],
        scored=figures["scored"],
        mean_pre=_round(figures["mean_pre"]),
        mean_post=_round(figures["mean_post"]),
        mean_gain=_round(figures["mean_gain"]),
    )


def training_history(staff: StaffMember) -> QuerySet:
    return (
        TrainingParticipant.objects.filter(staff=staff)
        .select_related("training", "training__partner")
        .order_by("-training__starts_on", "-pk")
    )


# --- internships ----------------------------------------------------------------------


def calls(user) -> QuerySet:
    """Calls a reader may see: drafts only for those who run internships."""
    rows = InternshipCall.objects.select_related("partner", "agreement")
    if not can(user, "workforce.manage_internships"):
        rows = rows.exclude(status=InternshipCall.Status.DRAFT)
    return rows.order_by("-opens_on", "-pk")


def call_for(user, public_id) -> InternshipCall:
    call = calls(user).filter(public_id=public_id).first()
    if call is None:
        raise NotFound(_("No such call."))
    return call


def open_calls(on: datetime.date | None = None) -> QuerySet:
    on = on or timezone.localdate()
    return InternshipCall.objects.filter(
        status=InternshipCall.Status.OPEN, opens_on__lte=on, closes_on__gte=on
    ).order_by("closes_on", "pk")


def applications_in_scope(user) -> QuerySet:
    return scoped(user, Application.objects.select_related("call", "staff", "staff__facility"))


def ranked(rows: QuerySet) -> QuerySet:
    """Highest total first; unscored after the scored; then the earliest submission."""
    return rows.order_by(F("total").desc(nulls_last=True), "submitted_at", "pk")


def call_applications(user, call: InternshipCall) -> QuerySet:
    return ranked(applications_in_scope(user).filter(call=call))


def application_for(user, public_id) -> Application:
    row = applications_in_scope(user).filter(public_id=public_id).first()
    if row is None:
        raise NotFound(_("No such application in your scope."))
    return row


def own_applications(user) -> QuerySet:
    """The applications of the staff record linked to the user's account."""
    return (
        Application.objects.filter(staff__user=user)
        .select_related("call", "staff", "staff__facility")
        .order_by("-submitted_at", "-pk")
    )


def own_application_for(user, public_id) -> Application:
    row = own_applications(user).filter(public_id=public_id).first()
    if row is None:
        raise NotFound(_("No such application of yours."))
    return row


def cohort(user, call: InternshipCall) -> QuerySet:
    return (
        applications_in_scope(user)
        .filter(call=call, decision=Application.Decision.SELECTED)
        .order_by("placement_starts_on", "staff__name", "pk")
    )


# --- re-entry plans -------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    """Progress of re-entry plans: dropped actions leave the denominator."""

    actions: int
    done: int
    dropped: int
    overdue: int

    @property
    def counted(self) -> int:
        return self.actions - self.dropped

    @property
    def percent(self) -> Decimal | None:
        return _pct(self.done, self.counted) if self.counted else None

    @property
    def complete(self) -> bool:
        return self.counted > 0 and self.done == self.counted


_OPEN = [ReentryAction.Status.PLANNED, ReentryAction.Status.IN_PROGRESS]


def completion_by_application(
    application_ids, on: datetime.date | None = None
) -> dict[int, Completion]:
    """Each application's re-entry completion, one grouped query for any number."""
    on = on or timezone.localdate()
    rows = (
        ReentryAction.objects.filter(application_id__in=application_ids)
        .values("application_id")
        .annotate(
            actions=Count("pk"),
            done=Count("pk", filter=Q(status=ReentryAction.Status.DONE)),
            dropped=Count("pk", filter=Q(status=ReentryAction.Status.DROPPED)),
            overdue=Count("pk", filter=Q(status__in=_OPEN, due_on__lt=on)),
        )
        .order_by()
    )
    found = {
        row["application_id"]: Completion(
            row["actions"], row["done"], row["dropped"], row["overdue"]
        )
        for row in rows
    }
    return {pk: found.get(pk, Completion(0, 0, 0, 0)) for pk in application_ids}


def cohort_completion(per_returnee: dict[int, Completion]) -> Completion:
    """A cohort's completion: the actions of all its returnees pooled."""
    values = per_returnee.values()
    return Completion(
        actions=sum(c.actions for c in values),
        done=sum(c.done for c in values),
        dropped=sum(c.dropped for c in values),
        overdue=sum(c.overdue for c in values),
    )


def reentry_actions(application: Application) -> QuerySet:
    return application.reentry_actions.order_by("due_on", "pk")


def reentry_action_for(user, pk: int) -> ReentryAction:
    row = (
        scoped(user, ReentryAction.objects.select_related("application", "application__staff"))
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound(_("No such re-entry action in your scope."))
    return row


def own_reentry_action_for(user, pk: int) -> ReentryAction:
    row = (
        ReentryAction.objects.select_related("application", "application__staff")
        .filter(pk=pk, application__staff__user=user)
        .first()
    )
    if row is None:
        raise NotFound(_("No such re-entry action of yours."))
    return row


def reentry_due(
    user, *, within: int = REENTRY_DUE_DAYS, on: datetime.date | None = None
) -> QuerySet:
    """Open re-entry actions due within ``within`` days (or overdue): those in the
    user's scope for readers of the workforce, else the user's own."""
    on = on or timezone.localdate()
    rows = ReentryAction.objects.filter(
        status__in=_OPEN, due_on__lte=on + datetime.timedelta(days=within)
    )
    if can(user, "workforce.view"):
        rows = scoped(user, rows)
    else:
        rows = rows.filter(application__staff__user=user)
    return rows.select_related("application", "application__staff", "application__call").order_by(
        "due_on", "pk"
    )
