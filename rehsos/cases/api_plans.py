"""Intervention plans, services delivered and group sessions.

Plans are edited with their row version (409 with both versions when stale); approval
is the case's supervisor's or a head's, never the author's. Service lists page by
keyset, newest first."""

import datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import Count, Q
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from rehsos.cases import access
from rehsos.cases.models import GroupSession, Plan, ServiceRecord
from rehsos.cases.services import delivery
from rehsos.cases.services import plans as plan_services
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires, scoped

router = Router(tags=["plans and services"])


# --- schemas ------------------------------------------------------------------------------


class GoalIn(Schema):
    domain: str
    statement: str
    indicator: str
    baseline: str = ""
    target: str
    target_date: datetime.date | None = None


class PlannedServiceIn(Schema):
    component: str = Field(..., description="ATENSI component code, e.g. TERAPI")
    description: str
    frequency: str = ""
    provider: str = ""


class PlanIn(Schema):
    family_participation: str = ""
    community_participation: str = ""
    review_on: datetime.date | None = None
    goals: list[GoalIn] | None = Field(
        None, description="Leave out to start from the latest revision's goals."
    )
    planned_services: list[PlannedServiceIn] | None = None
    copy_previous: bool = True


class PlanPatch(Schema):
    version: int
    family_participation: str | None = None
    community_participation: str | None = None
    review_on: datetime.date | None = None
    goals: list[GoalIn] | None = Field(None, description="Replaces every goal when given.")
    planned_services: list[PlannedServiceIn] | None = None


class VersionIn(Schema):
    version: int


class PlanDecisionIn(Schema):
    version: int
    note: str = ""


class AttainmentIn(Schema):
    goal: int
    attainment: int = Field(..., description="-2 much less … 0 as expected … +2 much more")
    note: str = ""


class ReviewIn(Schema):
    version: int
    reviewed_on: datetime.date
    summary: str
    next_review_on: datetime.date | None = None
    attainments: list[AttainmentIn]


class GoalOut(Schema):
    id: int
    domain: str
    statement: str
    indicator: str
    baseline: str
    target: str
    target_date: datetime.date | None
    attainment: int | None
    attainment_note: str
    reviewed_on: datetime.date | None


class PlannedServiceOut(Schema):
    id: int
    component: str
    description: str
    frequency: str
    provider: str


class PlanOut(Schema):
    public_id: UUID
    case: UUID
    revision: int
    status: str
    version: int
    family_participation: str
    community_participation: str
    review_on: datetime.date | None
    created_by: str | None
    submitted_at: datetime.datetime | None
    approved_by: str | None
    approved_at: datetime.datetime | None
    approval_note: str
    goals: list[GoalOut]
    planned_services: list[PlannedServiceOut]


class ReviewOut(Schema):
    id: int
    reviewed_on: datetime.date
    reviewer: str | None
    summary: str
    next_review_on: datetime.date | None


def _username(user) -> str | None:
    return user.username if user else None


def plan_out(plan: Plan) -> dict:
    return {
        "public_id": plan.public_id,
        "case": plan.case.public_id,
        "revision": plan.revision,
        "status": plan.status,
        "version": plan.version,
        "family_participation": plan.family_participation,
        "community_participation": plan.community_participation,
        "review_on": plan.review_on,
        "created_by": _username(plan.created_by),
        "submitted_at": plan.submitted_at,
        "approved_by": _username(plan.approved_by),
        "approved_at": plan.approved_at,
        "approval_note": plan.approval_note,
        "goals": [
            {
                "id": g.pk,
                "domain": g.domain,
                "statement": g.statement,
                "indicator": g.indicator,
                "baseline": g.baseline,
                "target": g.target,
                "target_date": g.target_date,
                "attainment": g.attainment,
                "attainment_note": g.attainment_note,
                "reviewed_on": g.reviewed_on,
            }
            for g in plan.goals.all()
        ],
        "planned_services": [
            {
                "id": s.pk,
                "component": s.component.code,
                "description": s.description,
                "frequency": s.frequency,
                "provider": s.provider,
            }
            for s in plan.planned_services.all()
        ],
    }


def _jsonable(data):
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    if isinstance(data, UUID | datetime.date | Decimal):
        return str(data)
    return data


def _plans():
    return Plan.objects.select_related("case", "created_by", "approved_by").prefetch_related(
        "goals", "planned_services__component"
    )


def plan_for(request, plan_id, action: str) -> Plan:
    """The plan through its case's checks (scope, sensitive-case team, access log)."""
    plan = _plans().filter(public_id=plan_id).first()
    if plan is None:
        raise NotFound(_not_found_plan())
    plan.case = access.get_case(request, plan.case.public_id, action)
    return plan


def _not_found_plan():
    from django.utils.translation import gettext as _

    return _("No such plan in your scope.")


def _with_current(request, plan: Plan, write):
    """Run a plan write; a stale version answers 409 with the current plan."""
    try:
        return write()
    except Conflict as exc:
        current = _plans().get(pk=plan.pk)
        exc.extra = {**exc.extra, "current": _jsonable(plan_out(current))}
        raise


# --- plans ------------------------------------------------------------------------------


@router.get("/cases/{public_id}/plans", response=list[PlanOut], summary="A case's plan revisions")
@requires("cases.view")
def list_plans(request, public_id: UUID):
    case = access.get_case(request, public_id, "cases.view")
    plans = _plans().filter(case=case).order_by("revision")
    return [plan_out(p) for p in plans]


@router.post(
    "/cases/{public_id}/plans", response={201: PlanOut}, summary="Start a plan revision (draft)"
)
@requires("cases.edit")
def create_plan(request, public_id: UUID, payload: PlanIn):
    case = access.get_case(request, public_id, "cases.edit")
    data = payload.dict(exclude={"copy_previous"}, exclude_unset=True)
    plan = plan_services.create_plan(request.auth, case, data, copy_previous=payload.copy_previous)
    return Status(201, plan_out(_plans().get(pk=plan.pk)))


@router.get("/plans/{plan_id}", response=PlanOut, summary="A plan with its goals and services")
@requires("cases.view")
def get_plan(request, plan_id: UUID):
    return plan_out(plan_for(request, plan_id, "cases.view"))


@router.patch("/plans/{plan_id}", response=PlanOut, summary="Edit a draft (with its row version)")
@requires("cases.edit")
def edit_plan(request, plan_id: UUID, payload: PlanPatch):
    plan = plan_for(request, plan_id, "cases.edit")
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    _with_current(
        request, plan, lambda: plan_services.update_plan(request.auth, plan, data, version=version)
    )
    return plan_out(_plans().get(pk=plan.pk))


@router.post("/plans/{plan_id}/submit", response=PlanOut, summary="Submit for approval")
@requires("cases.edit")
def submit_plan(request, plan_id: UUID, payload: VersionIn):
    plan = plan_for(request, plan_id, "cases.edit")
    _with_current(
        request,
        plan,
        lambda: plan_services.submit_plan(request.auth, plan, version=payload.version),
    )
    return plan_out(_plans().get(pk=plan.pk))


@router.post(
    "/plans/{plan_id}/approve",
    response=PlanOut,
    summary="Approve (the case's supervisor or a head; not the author)",
)
@requires("cases.edit")
def approve_plan(request, plan_id: UUID, payload: PlanDecisionIn):
    plan = plan_for(request, plan_id, "cases.edit")
    _with_current(
        request,
        plan,
        lambda: plan_services.approve_plan(
            request.auth, plan, version=payload.version, note=payload.note
        ),
    )
    return plan_out(_plans().get(pk=plan.pk))


@router.post("/plans/{plan_id}/return", response=PlanOut, summary="Return to the author")
@requires("cases.edit")
def return_plan(request, plan_id: UUID, payload: PlanDecisionIn):
    plan = plan_for(request, plan_id, "cases.edit")
    _with_current(
        request,
        plan,
        lambda: plan_services.return_plan(
            request.auth, plan, version=payload.version, note=payload.note
        ),
    )
    return plan_out(_plans().get(pk=plan.pk))


@router.get("/plans/{plan_id}/reviews", response=list[ReviewOut], summary="The plan's reviews")
@requires("cases.view")
def list_reviews(request, plan_id: UUID):
    plan = plan_for(request, plan_id, "cases.view")
    return [_review_out(r) for r in plan.reviews.select_related("reviewer")]


def _review_out(review) -> dict:
    return {
        "id": review.pk,
        "reviewed_on": review.reviewed_on,
        "reviewer": _username(review.reviewer),
        "summary": review.summary,
        "next_review_on": review.next_review_on,
    }


@router.post(
    "/plans/{plan_id}/reviews",
    response={201: ReviewOut},
    summary="Review the approved plan: attainment of every goal",
)
@requires("cases.edit")
def review_plan(request, plan_id: UUID, payload: ReviewIn):
    plan = plan_for(request, plan_id, "cases.edit")
    review = _with_current(
        request,
        plan,
        lambda: plan_services.review_plan(
            request.auth,
            plan,
            version=payload.version,
            reviewed_on=payload.reviewed_on,
            summary=payload.summary,
            next_review_on=payload.next_review_on,
            attainments=[a.dict() for a in payload.attainments],
        ),
    )
    return Status(201, _review_out(review))


# --- services delivered -------------------------------------------------------------------


class ServiceIn(Schema):
    component: str = Field(..., description="ATENSI component code in force on the date")
    delivered_on: datetime.date
    description: str
    provider_kind: str = "staff"
    provider_name: str = ""
    quantity: Decimal = Decimal(1)
    unit_of_measure: str = ""
    cost_rp: int = Field(0, description="Whole rupiah")
    assistance: str = Field("", description="'' (none), cash or in_kind")
    assistance_amount_rp: int = 0
    assistance_items: str = ""


class ServicePatch(Schema):
    component: str | None = None
    delivered_on: datetime.date | None = None
    description: str | None = None
    provider_kind: str | None = None
    provider_name: str | None = None
    quantity: Decimal | None = None
    unit_of_measure: str | None = None
    cost_rp: int | None = None
    assistance: str | None = None
    assistance_amount_rp: int | None = None
    assistance_items: str | None = None


class ServiceOut(Schema):
    id: int
    case: UUID
    component: str
    delivered_on: datetime.date
    description: str
    provider_kind: str
    provider_name: str
    quantity: float
    unit_of_measure: str
    cost_rp: int
    assistance: str
    assistance_amount_rp: int
    assistance_items: str
    group_session: UUID | None
    attended: bool
    recorded_by: str | None
    recorded_at: datetime.datetime


class ComponentTotal(Schema):
    component: str
    services: int
    cost_rp: int
    assistance_rp: int


class ServicePage(Schema):
    items: list[ServiceOut]
    next: str | None
    totals: list[ComponentTotal]


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=500)
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")

    @field_validator("after", mode="before")
    @classmethod
    def blank_is_missing(cls, value):
        return None if isinstance(value, str) and not value.strip() else value


def service_out(record: ServiceRecord) -> dict:
    return {
        "id": record.pk,
        "case": record.case.public_id,
        "component": record.component.code,
        "delivered_on": record.delivered_on,
        "description": record.description,
        "provider_kind": record.provider_kind,
        "provider_name": record.provider_name,
        "quantity": float(record.quantity),
        "unit_of_measure": record.unit_of_measure,
        "cost_rp": int(record.cost_rp),
        "assistance": record.assistance,
        "assistance_amount_rp": int(record.assistance_amount_rp),
        "assistance_items": record.assistance_items,
        "group_session": record.group_session.public_id if record.group_session_id else None,
        "attended": record.attended,
        "recorded_by": _username(record.recorded_by),
        "recorded_at": record.recorded_at,
    }


def _records():
    return ServiceRecord.objects.select_related("case", "component", "group_session", "recorded_by")


def record_for(request, service_id: int, action: str) -> ServiceRecord:
    record = _records().filter(pk=service_id).first()
    if record is None:
        from django.utils.translation import gettext as _

        raise NotFound(_("No such service record in your scope."))
    record.case = access.get_case(request, record.case.public_id, action)
    return record


@router.get(
    "/cases/{public_id}/services",
    response=ServicePage,
    summary="Services delivered to a case, newest first, with totals per component",
)
@requires("cases.view")
def list_services(request, public_id: UUID, params: Query[PageParams]):
    case = access.get_case(request, public_id, "cases.view")
    page = keyset_page(
        _records().filter(case=case),
        order=("delivered_on", "id"),
        after=params.after,
        limit=params.limit,
        descending=True,
    )
    return {
        "items": [service_out(r) for r in page.items],
        "next": page.next_cursor,
        "totals": delivery.component_totals(case),
    }


@router.post("/cases/{public_id}/services", response={201: ServiceOut}, summary="Record a service")
@requires("cases.edit")
def record_service(request, public_id: UUID, payload: ServiceIn):
    case = access.get_case(request, public_id, "cases.edit")
    record = delivery.record_service(request.auth, case, payload.dict())
    return Status(201, service_out(_records().get(pk=record.pk)))


@router.get("/services/{service_id}", response=ServiceOut, summary="One service record")
@requires("cases.view")
def get_service(request, service_id: int):
    return service_out(record_for(request, service_id, "cases.view"))


@router.patch(
    "/services/{service_id}",
    response=ServiceOut,
    summary="Correct one's own recent service record (audited)",
)
@requires("cases.edit")
def edit_service(request, service_id: int, payload: ServicePatch):
    record = record_for(request, service_id, "cases.edit")
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    delivery.update_service(request.auth, record, data)
    return service_out(_records().get(pk=record.pk))


@router.delete(
    "/services/{service_id}", response={204: None}, summary="Delete one's own recent record"
)
@requires("cases.edit")
def delete_service(request, service_id: int):
    record = record_for(request, service_id, "cases.edit")
    delivery.delete_service(request.auth, record)
    return Status(204, None)


# --- group sessions -------------------------------------------------------------------


class ParticipantIn(Schema):
    case: UUID
    attended: bool = True


class GroupSessionIn(Schema):
    unit: str | None = Field(None, description="Facility code; your own centre by default")
    component: str
    held_on: datetime.date
    topic: str
    description: str = ""
    provider_kind: str = "staff"
    provider_name: str = ""
    duration_hours: Decimal = Decimal(1)
    cost_rp: int = Field(0, description="Whole rupiah, shared among those who attended")
    cluster: str = ""
    setting: str = ""
    participants: list[ParticipantIn] = []


class AttendanceIn(Schema):
    version: int
    participants: list[ParticipantIn]


class ParticipantOut(Schema):
    case: UUID
    attended: bool
    service: int


class GroupSessionOut(Schema):
    public_id: UUID
    version: int
    unit: str
    component: str
    held_on: datetime.date
    topic: str
    description: str
    provider_kind: str
    provider_name: str
    duration_hours: float
    cost_rp: int
    cluster: str
    setting: str
    participants: list[ParticipantOut]


class GroupSessionSummary(Schema):
    public_id: UUID
    version: int
    unit: str
    component: str
    held_on: datetime.date
    topic: str
    cluster: str
    setting: str
    participants: int
    attended: int


class GroupSessionPage(Schema):
    items: list[GroupSessionSummary]
    next: str | None


def session_out(session: GroupSession) -> dict:
    records = session.records.select_related("case").order_by("pk")
    return {
        "public_id": session.public_id,
        "version": session.version,
        "unit": session.unit.code,
        "component": session.component.code,
        "held_on": session.held_on,
        "topic": session.topic,
        "description": session.description,
        "provider_kind": session.provider_kind,
        "provider_name": session.provider_name,
        "duration_hours": float(session.duration_hours),
        "cost_rp": int(session.cost_rp),
        "cluster": session.cluster,
        "setting": session.setting,
        "participants": [
            {"case": r.case.public_id, "attended": r.attended, "service": r.pk} for r in records
        ],
    }


def participants_of(user, items) -> list[dict]:
    """Participants with their cases resolved among the cases the user may see (a case
    not found stays ``None``: the service names it)."""
    ids = [item.case for item in items]
    found = {c.public_id: c for c in access.visible_cases(user).filter(public_id__in=ids)}
    return [{"case": found.get(item.case), "attended": item.attended} for item in items]


def sessions_for(user):
    return scoped(user, GroupSession.objects.select_related("unit", "component"))


def session_for(request, session_id) -> GroupSession:
    session = sessions_for(request.auth).filter(public_id=session_id).first()
    if session is None:
        from django.utils.translation import gettext as _

        raise NotFound(_("No such group session in your scope."))
    return session


def unit_for(user, code: str | None):
    """The unit a session is held at: the given facility in scope, else the user's own."""
    from django.utils.translation import gettext as _

    from rehsos.facilities.models import Facility

    if not code:
        if user.facility_id:
            return user.facility
        raise ValidationFailed(fields={"unit": _("Choose the unit that held the session.")})
    unit = scoped(user, Facility.objects.all()).filter(code=code).first()
    if unit is None:
        raise ValidationFailed(fields={"unit": _("No such unit in your scope.")})
    return unit


@router.post(
    "/group-sessions",
    response={201: GroupSessionOut},
    summary="Record a group session with its participants' attendance",
)
@requires("cases.edit")
def create_session(request, payload: GroupSessionIn):
    unit = unit_for(request.auth, payload.unit)
    data = payload.dict(exclude={"unit", "participants"})
    session = delivery.create_group_session(
        request.auth,
        unit=unit,
        data=data,
        participants=participants_of(request.auth, payload.participants),
    )
    return Status(201, session_out(sessions_for(request.auth).get(pk=session.pk)))


@router.get("/group-sessions", response=GroupSessionPage, summary="Group sessions, newest first")
@requires("cases.view")
def list_sessions(request, params: Query[PageParams]):
    sessions = sessions_for(request.auth).annotate(
        n_participants=Count("records"),
        n_attended=Count("records", filter=Q(records__attended=True)),
    )
    page = keyset_page(
        sessions, order=("held_on", "id"), after=params.after, limit=params.limit, descending=True
    )
    return {
        "items": [
            {
                "public_id": s.public_id,
                "version": s.version,
                "unit": s.unit.code,
                "component": s.component.code,
                "held_on": s.held_on,
                "topic": s.topic,
                "cluster": s.cluster,
                "setting": s.setting,
                "participants": s.n_participants,
                "attended": s.n_attended,
            }
            for s in page.items
        ],
        "next": page.next_cursor,
    }


@router.get("/group-sessions/{session_id}", response=GroupSessionOut, summary="A group session")
@requires("cases.view")
def get_session(request, session_id: UUID):
    return session_out(session_for(request, session_id))


@router.put(
    "/group-sessions/{session_id}/attendance",
    response=GroupSessionOut,
    summary="Replace the attendance (with the session's row version)",
)
@requires("cases.edit")
def put_attendance(request, session_id: UUID, payload: AttendanceIn):
    session = session_for(request, session_id)
    try:
        delivery.set_attendance(
            request.auth,
            session,
            version=payload.version,
            participants=participants_of(request.auth, payload.participants),
        )
    except Conflict as exc:
        current = sessions_for(request.auth).get(pk=session.pk)
        exc.extra = {**exc.extra, "current": _jsonable(session_out(current))}
        raise
    return session_out(sessions_for(request.auth).get(pk=session.pk))
