"""Reads of the improvement plans, always through the user's scope: a centre's user
sees their own centre, a provincial officer the centres of the province, national
users every centre. "Not in your scope" and "does not exist" are the same NotFound."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound
from rehsos.core.permissions import can, require, scoped
from rehsos.core.roles import Role, ScopeLevel
from rehsos.facilities.models import Facility
from rehsos.partners.models import Agreement
from rehsos.standards import scoring
from rehsos.standards.models import Action, ActionEvidence, Assessment, Attestation, Criterion
from rehsos.standards.services_actions import FUNDING_AGREEMENT_STATUSES, OPEN_STATUSES

DUE_SOON_DAYS = 14


def facilities_in_scope(user) -> QuerySet:
    return scoped(user, Facility.objects.filter(is_active=True)).order_by("name")


def facility_for(user, code: str) -> Facility:
    facility = facilities_in_scope(user).filter(code=code).first()
    if facility is None:
        raise NotFound(_("No such centre in your scope."))
    return facility


def actions_visible_to(user) -> QuerySet:
    return scoped(user, Action.objects.all())


def action_for(user, public_id, *, write: bool = False) -> Action:
    """An action in the user's scope (NotFound otherwise); ``write`` also requires
    ``standards.manage_actions``."""
    if write:
        require(user, "standards.manage_actions")
    action = (
        actions_visible_to(user)
        .select_related("facility", "owner", "criterion", "agreement", "agreement__partner")
        .select_related("finding", "finding__assessment")
        .filter(public_id=public_id)
        .first()
    )
    if action is None:
        raise NotFound(_("No such action in your scope."))
    return action


def evidence_for(user, action: Action, pk: int) -> ActionEvidence:
    evidence = ActionEvidence.objects.filter(action=action, pk=pk).first()
    if evidence is None:
        raise NotFound(_("No such file on this action."))
    return evidence


def is_overdue(action: Action, today: datetime.date) -> bool:
    return action.status in OPEN_STATUSES and action.due_on < today


@dataclass(frozen=True)
class ActionFilters:
    status: str = ""  # a status, "active" (open or in progress) or "" for all
    overdue: bool = False
    funding: str = ""
    owner: int | None = None
    q: str = ""


def filter_actions(queryset: QuerySet, filters: ActionFilters, today: datetime.date) -> QuerySet:
    if filters.status == "active":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status in Action.Status.values:
        queryset = queryset.filter(status=filters.status)
    if filters.overdue:
        queryset = queryset.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    if filters.funding in Action.Funding.values:
        queryset = queryset.filter(funding=filters.funding)
    if filters.owner:
        queryset = queryset.filter(owner_id=filters.owner)
    if filters.q:
        queryset = queryset.filter(
            Q(title__icontains=filters.q)
            | Q(description__icontains=filters.q)
            | Q(criterion__code__iexact=filters.q)
        )
    return queryset


def plan_of(facility: Facility, filters: ActionFilters, today: datetime.date) -> QuerySet:
    """The centre's actions with what the plan page shows, in due order."""
    return (
        filter_actions(Action.objects.filter(facility=facility), filters, today)
        .select_related("owner", "criterion", "agreement", "agreement__partner")
        .annotate(evidence_count=Count("evidence"))
        .order_by("due_on", "pk")
    )


def owner_choices(facility: Facility) -> QuerySet:
    """Who may own an action of the centre: its active users and national users."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(facility=facility) | Q(scope_level=ScopeLevel.NATION))
        .exclude(role__in=[Role.PARTNER_VIEWER, Role.EMPLOYER])
        .order_by("first_name", "last_name", "username")
    )


def agreement_choices() -> QuerySet:
    return (
        Agreement.objects.filter(status__in=FUNDING_AGREEMENT_STATUSES)
        .select_related("partner")
        .order_by("partner__name", "title")
    )


def criterion_choices(facility: Facility) -> QuerySet:
    """The criteria of the version of the centre's latest submitted assessment."""
    latest = scoring.latest_assessments([facility.pk]).get(facility.pk)
    if latest is None:
        return Criterion.objects.none()
    version_id = Assessment.objects.filter(pk=latest).values_list("version_id", flat=True)
    return Criterion.objects.filter(version_id__in=version_id).order_by("order", "code")


# --- what is due ------------------------------------------------------------------


def due_actions(user, today: datetime.date, within_days: int = DUE_SOON_DAYS) -> QuerySet:
    """Open actions in the user's scope that are overdue or due within ``within_days``."""
    return actions_visible_to(user).filter(
        status__in=OPEN_STATUSES, due_on__lte=today + datetime.timedelta(days=within_days)
    )


def due_counts(queryset: QuerySet, today: datetime.date) -> dict[str, int]:
    return queryset.aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        due_soon=Count("pk", filter=Q(due_on__gte=today)),
    )


def attestation_due(user, today: datetime.date) -> QuerySet:
    """Centres in scope that have an improvement plan (any action) and no attestation
    for this year yet."""
    return (
        facilities_in_scope(user)
        .filter(Exists(Action.objects.filter(facility=OuterRef("pk"))))
        .exclude(Exists(Attestation.objects.filter(facility=OuterRef("pk"), year=today.year)))
    )


@dataclass(frozen=True)
class AttestationStatus:
    year: int
    current: Attestation | None  # this year's
    last: Attestation | None  # the latest, any year
    has_plan: bool
    may_attest: bool  # the user is the head of the centre and it is not done this year

    @property
    def due(self) -> bool:
        return self.has_plan and self.current is None


def attestation_status(user, facility: Facility, today: datetime.date | None = None):
    today = today or timezone.localdate()
    last = (
        Attestation.objects.filter(facility=facility)
        .select_related("attested_by")
        .order_by("-year")
        .first()
    )
    current = last if last is not None and last.year == today.year else None
    has_plan = Action.objects.filter(facility=facility).exists()
    may_attest = (
        current is None and can(user, "standards.attest") and user.facility_id == facility.pk
    )
    return AttestationStatus(today.year, current, last, has_plan, may_attest)


def attestations_of(facility: Facility) -> QuerySet:
    return (
        Attestation.objects.filter(facility=facility)
        .select_related("attested_by")
        .order_by("-year")
    )
