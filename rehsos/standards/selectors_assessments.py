"""Reads of assessments: what a user may see, the rows of the assessment form, the
home page's work list and the centre page's latest scores.

Every read goes through :func:`assessments_visible_to` (the user's scope); a row that
is missing or out of scope is the same ``NotFound``.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound
from rehsos.core.permissions import can, scoped
from rehsos.standards import scoring
from rehsos.standards.models import (
    SCALE_LEVELS,
    Answer,
    Assessment,
    Criterion,
    Domain,
    Evidence,
    Finding,
    Schedule,
)
from rehsos.standards.services_schedules import DUE_SOON_DAYS

HOME_LIMIT = 10


def assessments_visible_to(user) -> QuerySet:
    if not can(user, "standards.view"):
        return Assessment.objects.none()
    return scoped(
        user,
        Assessment.objects.select_related("facility", "version__catalogue", "lead", "follows"),
    )


def assessment_for(user, public_id) -> Assessment:
    assessment = assessments_visible_to(user).filter(public_id=public_id).first()
    if assessment is None:
        raise NotFound(_("No such assessment in your scope."))
    return assessment


def assigned_to(user) -> Q:
    return Q(lead=user) | Q(assessors=user)


def filtered(
    queryset: QuerySet,
    *,
    user,
    kind: str = "",
    status: str = "",
    facility: str = "",
    mine: bool = False,
) -> QuerySet:
    if kind in Assessment.Kind.values:
        queryset = queryset.filter(kind=kind)
    if status in Assessment.Status.values:
        queryset = queryset.filter(status=status)
    if facility:
        queryset = queryset.filter(facility__code=facility)
    if mine:
        queryset = queryset.filter(pk__in=Assessment.objects.filter(assigned_to(user)).values("pk"))
    return queryset


# --- the form -------------------------------------------------------------------------


@dataclass
class Level:
    rating: int
    label: str


@dataclass
class FormRow:
    criterion: Criterion
    answer: Answer | None
    text: str
    other_text: str
    guidance: str
    other_guidance: str
    levels: list[Level]
    evidence: list[Evidence]

    @property
    def answered(self) -> bool:
        return self.answer is not None and self.answer.is_answered

    @property
    def choice(self) -> str:
        """The chosen button: a rating, ``na``, or "" (not rated)."""
        if self.answer is None:
            return ""
        if self.answer.not_applicable:
            return "na"
        return "" if self.answer.rating is None else str(self.answer.rating)


@dataclass
class DomainGroup:
    domain: str
    label: str
    rows: list[FormRow] = field(default_factory=list)
    total: int = 0
    answered: int = 0


def form_groups(
    assessment: Assessment, *, language: str, unrated_only: bool = False
) -> tuple[list[DomainGroup], int, int]:
    """The criteria by domain (catalogue order) with their answers and evidence, the
    text in ``language`` first; and (answered, total) over the whole assessment. Three
    queries whatever the number of criteria."""
    other = "en" if language.startswith("id") else "id"
    answers = {
        a.criterion_id: a
        for a in Answer.objects.filter(assessment=assessment)
        .select_related("answered_by")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("uploaded_by").order_by(
                    "-valid_from", "-pk"
                ),
            )
        )
    }
    groups: dict[str, DomainGroup] = {}
    answered = total = 0
    criteria = Criterion.objects.filter(version_id=assessment.version_id).order_by("order", "code")
    for criterion in criteria:
        answer = answers.get(criterion.pk)
        group = groups.get(criterion.domain)
        if group is None:
            group = groups[criterion.domain] = DomainGroup(
                criterion.domain, str(Domain(criterion.domain).label)
            )
        done = answer is not None and answer.is_answered
        group.total += 1
        total += 1
        if done:
            group.answered += 1
            answered += 1
        if unrated_only and done:
            continue
        group.rows.append(
            FormRow(
                criterion=criterion,
                answer=answer,
                text=criterion.text(language),
                other_text=criterion.text(other),
                guidance=criterion.guidance(language),
                other_guidance=criterion.guidance(other),
                levels=[Level(r, str(label)) for r, label, _s in SCALE_LEVELS[criterion.scale]],
                evidence=list(answer.evidence.all()) if answer else [],
            )
        )
    order = {code: i for i, code in enumerate(Domain.values)}
    ordered = sorted(groups.values(), key=lambda g: order.get(g.domain, len(order)))
    return ordered, answered, total


def evidence_of(assessment: Assessment) -> QuerySet:
    return (
        Evidence.objects.filter(answer__assessment=assessment)
        .select_related("answer__criterion", "uploaded_by")
        .order_by("answer__criterion__order", "answer__criterion__code", "-valid_from", "-pk")
    )


def evidence_for(assessment: Assessment, evidence_id: int) -> Evidence:
    evidence = (
        Evidence.objects.select_related("answer__assessment", "answer__criterion")
        .filter(pk=evidence_id, answer__assessment=assessment)
        .first()
    )
    if evidence is None:
        raise NotFound(_("No such evidence in this assessment."))
    return evidence


def findings_of(assessment: Assessment) -> QuerySet:
    return (
        Finding.objects.filter(assessment=assessment)
        .select_related("criterion", "created_by")
        .order_by("kind", "pk")
    )


def finding_for(assessment: Assessment, finding_id: int) -> Finding:
    finding = (
        Finding.objects.select_related("assessment")
        .filter(pk=finding_id, assessment=assessment)
        .first()
    )
    if finding is None:
        raise NotFound(_("No such finding in this assessment."))
    return finding


# --- schedules ------------------------------------------------------------------------


def schedules_visible_to(user) -> QuerySet:
    if not can(user, "standards.view"):
        return Schedule.objects.none()
    return scoped(
        user, Schedule.objects.select_related("facility", "catalogue", "assessor")
    ).order_by("next_due", "pk")


def schedule_for(user, pk: int) -> Schedule:
    schedule = schedules_visible_to(user).filter(pk=pk).first()
    if schedule is None:
        raise NotFound(_("No such schedule in your scope."))
    return schedule


def due_schedules(user, *, today: datetime.date | None = None) -> QuerySet:
    """Schedules due within ``DUE_SOON_DAYS`` or overdue that concern the user: the
    ones they are the assessor of, and (for those who plan or run a centre's
    assessments) those of the centres in their scope."""
    today = today or timezone.localdate()
    due = schedules_visible_to(user).filter(
        next_due__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
    )
    if can(user, "standards.self_assess"):
        return due
    return due.filter(assessor=user)


# --- home and centre panels -----------------------------------------------------------


def in_progress_for(user) -> QuerySet:
    """Assessments in progress the user works on: in their scope for the centres'
    staff and administrators, assigned ones for assessors."""
    running = assessments_visible_to(user).filter(status=Assessment.Status.IN_PROGRESS)
    if can(user, "standards.self_assess"):
        return running.order_by("started_on", "pk")
    if can(user, "standards.audit"):
        mine = Assessment.objects.filter(assigned_to(user)).values("pk")
        return running.filter(pk__in=mine).order_by("started_on", "pk")
    return running.none()


def with_progress(assessments: list[Assessment]) -> list[Assessment]:
    """Set ``answered`` and ``criteria`` on each (two grouped queries)."""
    if not assessments:
        return assessments
    ids = [a.pk for a in assessments]
    answered = dict(
        Answer.objects.filter(assessment_id__in=ids)
        .filter(Q(rating__isnull=False) | Q(not_applicable=True))
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values_list("assessment_id", "n")
        .order_by()
    )
    criteria = dict(
        Criterion.objects.filter(version_id__in={a.version_id for a in assessments})
        .values("version_id")
        .annotate(n=Count("pk"))
        .values_list("version_id", "n")
        .order_by()
    )
    for a in assessments:
        a.answered = answered.get(a.pk, 0)
        a.criteria = criteria.get(a.version_id, 0)
    return assessments


def latest_scores(facility) -> dict[str, Assessment | None]:
    """The centre's latest submitted self-assessment and external audit (with their
    stored score), keyed by kind."""
    found = {}
    for kind in Assessment.Kind.values:
        latest = scoring.latest_assessments(facility_ids=[facility.pk], kind=kind)
        found[kind] = latest.get(facility.pk)
    rows = {
        a.pk: a
        for a in Assessment.objects.filter(pk__in=[i for i in found.values() if i]).select_related(
            "version__catalogue"
        )
    }
    return {kind: rows.get(pk) if pk else None for kind, pk in found.items()}
