"""Cases, stage moves, referrals, transfers, termination and the event feed.

Every case is reached through ``access.get_case`` (permission, scope, the sensitive-case
rule and the access log); lists through ``access.visible_cases``. Edits carry the row
``version``: a stale one is a 409 whose body holds the current values."""

import datetime
from uuid import UUID

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from rehsos.cases import access
from rehsos.cases.models import Case, CaseEvent, OutgoingReferral, Referral, StageSet, Transfer
from rehsos.cases.services import cases as case_services
from rehsos.cases.services import referrals as referral_services
from rehsos.cases.services import termination as termination_services
from rehsos.cases.services import transfers as transfer_services
from rehsos.cases.services import workflow
from rehsos.core.access import log_access
from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.facilities.models import Facility
from rehsos.registry import selectors as person_selectors

router = Router(tags=["cases"])


def _blank_is_missing(value):
    return None if isinstance(value, str) and not value.strip() else value


# --- lookups by public key (a bad key names its field) ---------------------------------------


def _person(user, public_id, field: str = "person"):
    if public_id is None:
        return None
    try:
        person, _redirected = person_selectors.person_for(user, public_id)
    except NotFound as exc:
        raise ValidationFailed(fields={field: str(exc.message)}) from exc
    return person


def _unit(code, field: str = "unit"):
    if code in (None, ""):
        return None
    unit = Facility.objects.filter(code=code).first()
    if unit is None:
        raise ValidationFailed(fields={field: _("No unit with this code.")})
    return unit


def _staff(username, field: str):
    if username in (None, ""):
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationFailed(fields={field: _("No user with this username.")})
    return user


# --- cases ---------------------------------------------------------------------------------


class CaseIn(Schema):
    person: UUID = Field(description="The person's public id (registry).")
    ppks_type: str = Field(description="PPKS type code, e.g. AMPK (see the PPKS reference).")
    cluster: str | None = Field(None, description="Defaults to the PPKS type's cluster.")
    setting: str = Field(description="family, community or residential")
    unit: str = Field(description="Code of the responsible unit (centre, UPTD or LKS).")
    social_worker: str | None = Field(None, description="Username")
    supervisor: str | None = Field(None, description="Username")
    risk_level: str = "low"
    flag_trafficking: bool = False
    flag_napza: bool = False
    flag_hiv: bool = False
    flag_law: bool = False
    flag_child: bool = Field(False, description="Set automatically for a person under 18.")
    summary: str = Field("", max_length=5000)
    opened_on: datetime.date | None = None


class CasePatch(Schema):
    version: int
    cluster: str | None = None
    ppks_type: str | None = None
    setting: str | None = None
    risk_level: str | None = None
    summary: str | None = Field(None, max_length=5000)
    flag_child: bool | None = None
    flag_trafficking: bool | None = None
    flag_napza: bool | None = None
    flag_hiv: bool | None = None
    flag_law: bool | None = None


class CaseOut(Schema):
    public_id: UUID
    number: str
    version: int
    status: str
    person: UUID
    cluster: str
    ppks_type: str
    setting: str
    unit: str
    province_code: str
    social_worker: str | None
    supervisor: str | None
    risk_level: str
    flags: dict[str, bool]
    stage: str
    stage_entered_at: datetime.datetime
    opened_on: datetime.date
    closed_on: datetime.date | None
    closure_reason: str
    summary: str


def case_out(case: Case) -> dict:
    return {
        "public_id": case.public_id,
        "number": case.number,
        "version": case.version,
        "status": case.status,
        "person": case.person.public_id,
        "cluster": case.cluster,
        "ppks_type": case.ppks_type.code,
        "setting": case.setting,
        "unit": case.unit.code,
        "province_code": case.province_code,
        "social_worker": case.social_worker.username if case.social_worker_id else None,
        "supervisor": case.supervisor.username if case.supervisor_id else None,
        "risk_level": case.risk_level,
        "flags": {field: getattr(case, field) for field in case_services.FLAG_FIELDS},
        "stage": case.stage.code,
        "stage_entered_at": case.stage_entered_at,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "closure_reason": case.closure_reason,
        "summary": case.summary,
    }


def _reloaded(case: Case) -> dict:
    fresh = Case.objects.select_related(
        "person", "ppks_type", "unit", "stage", "social_worker", "supervisor"
    ).get(pk=case.pk)
    return case_out(fresh)


class CaseListParams(Schema):
    cluster: str | None = None
    stage: str | None = Field(None, description="Stage code")
    risk: str | None = None
    worker: str | None = Field(None, description="Username of the social worker")
    status: str | None = Field(None, description="open or closed")
    unit: str | None = Field(None, description="Unit code")
    limit: int = Field(50, ge=1, le=200)
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")

    _blank = field_validator(
        "cluster", "stage", "risk", "worker", "status", "unit", "after", mode="before"
    )(_blank_is_missing)


class CasePage(Schema):
    items: list[CaseOut]
    next: str | None


@router.get("/cases", response=CasePage, summary="Cases visible to you, newest first")
@requires("cases.view")
def list_cases(request, params: Query[CaseListParams]):
    queryset = access.visible_cases(request.auth).select_related(
        "person", "ppks_type", "unit", "stage", "social_worker", "supervisor"
    )
    if params.cluster:
        queryset = queryset.filter(cluster=params.cluster)
    if params.stage:
        queryset = queryset.filter(stage__code=params.stage)
    if params.risk:
        queryset = queryset.filter(risk_level=params.risk)
    if params.worker:
        queryset = queryset.filter(social_worker__username=params.worker)
    if params.status:
        queryset = queryset.filter(status=params.status)
    if params.unit:
        queryset = queryset.filter(unit__code=params.unit)
    page = keyset_page(
        queryset, order=("id",), after=params.after, limit=params.limit, descending=True
    )
    if page.items:
        log_access(request, [case.person for case in page.items], purpose="case list")
    return {"items": [case_out(case) for case in page.items], "next": page.next_cursor}


@router.post("/cases", response={201: CaseOut}, summary="Open a case")
@requires("cases.open")
def open_case(request, payload: CaseIn):
    user = request.auth
    case = case_services.open_case(
        user,
        person=_person(user, payload.person),
        ppks_type=payload.ppks_type,
        cluster=payload.cluster or None,
        setting=payload.setting,
        unit=_unit(payload.unit),
        social_worker=_staff(payload.social_worker, "social_worker"),
        supervisor=_staff(payload.supervisor, "supervisor"),
        risk_level=payload.risk_level,
        flags={field: getattr(payload, field) for field in case_services.FLAG_FIELDS},
        summary=payload.summary,
        opened_on=payload.opened_on,
    )
    log_access(request, case.person, purpose=f"case {case.number}")
    return Status(201, _reloaded(case))


@router.get("/cases/{public_id}", response=CaseOut, summary="A case")
@requires("cases.view")
def get_case(request, public_id: UUID):
    return case_out(access.get_case(request, public_id))


@router.patch("/cases/{public_id}", response=CaseOut, summary="Edit a case (with its version)")
@requires("cases.edit")
def edit_case(request, public_id: UUID, payload: CasePatch):
    case = access.get_case(request, public_id, "cases.edit")
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    data = {k: v for k, v in data.items() if v is not None or k == "summary"}
    if data.get("summary") is None:
        data.pop("summary", None)
    case = case_services.update_case(request.auth, case, data, version=version)
    return _reloaded(case)


class AssignIn(Schema):
    version: int
    social_worker: str | None = None
    supervisor: str | None = None


@router.post("/cases/{public_id}/assign", response=CaseOut, summary="Assign worker and supervisor")
@requires("cases.assign")
def assign(request, public_id: UUID, payload: AssignIn):
    case = access.get_case(request, public_id, "cases.assign")
    case = case_services.assign(
        request.auth,
        case,
        social_worker=_staff(payload.social_worker, "social_worker"),
        supervisor=_staff(payload.supervisor, "supervisor"),
        version=payload.version,
    )
    return _reloaded(case)


# --- stages --------------------------------------------------------------------------------


class StageOut(Schema):
    code: str
    order: int
    name_id: str
    name_en: str
    requirements: list[str]
    movers: list[str]
    is_closing: bool
    is_aftercare: bool
    target_days: int | None


class StageSetOut(Schema):
    code: str
    version: int
    name: str
    is_default: bool
    effective_from: datetime.date
    effective_to: datetime.date | None
    stages: list[StageOut]


@router.get("/case-stages", response=list[StageSetOut], summary="Stage lists in force")
@requires("cases.view")
def case_stages(request):
    sets = StageSet.objects.in_force().prefetch_related("stages").order_by("-is_default", "code")
    return [
        {
            "code": s.code,
            "version": s.version,
            "name": s.name,
            "is_default": s.is_default,
            "effective_from": s.effective_from,
            "effective_to": s.effective_to,
            "stages": sorted(s.stages.all(), key=lambda stage: stage.order),
        }
        for s in sets
    ]


class MoveIn(Schema):
    to_stage: str = Field(description="Stage code")
    reason: str = Field("", max_length=2000)
    version: int


class TransitionOut(Schema):
    kind: str
    from_stage: str | None
    to_stage: str
    reason: str
    at: datetime.datetime
    days_in_previous: int | None
    actor: str | None


def _transition_out(t) -> dict:
    return {
        "kind": t.kind,
        "from_stage": t.from_stage.code if t.from_stage_id else None,
        "to_stage": t.to_stage.code,
        "reason": t.reason,
        "at": t.at,
        "days_in_previous": t.days_in_previous,
        "actor": t.actor.username if t.actor_id else None,
    }


@router.post("/cases/{public_id}/moves", response={201: CaseOut}, summary="Move to a stage")
@requires("cases.move")
def move(request, public_id: UUID, payload: MoveIn):
    """Forward, every requirement of every stage entered must hold (a 422 lists what is
    missing in `missing`); back, a reason is required."""
    case = access.get_case(request, public_id, "cases.move")
    case = workflow.move_stage(
        request.auth, case, payload.to_stage, reason=payload.reason, version=payload.version
    )
    return Status(201, _reloaded(case))


@router.get(
    "/cases/{public_id}/moves", response=list[TransitionOut], summary="The case's stage history"
)
@requires("cases.view")
def moves(request, public_id: UUID):
    case = access.get_case(request, public_id)
    return [_transition_out(t) for t in workflow.history(case)]


class CloseIn(Schema):
    version: int
    reason: str = Field("", max_length=2000)


@router.post("/cases/{public_id}/close", response=CaseOut, summary="Close (approved termination)")
@requires("cases.move")
def close(request, public_id: UUID, payload: CloseIn):
    case = access.get_case(request, public_id, "cases.move")
    case = workflow.close_case(request.auth, case, reason=payload.reason, version=payload.version)
    return _reloaded(case)


class ReopenIn(Schema):
    reason: str = Field(max_length=2000)
    to_stage: str | None = Field(None, description="Stage code (default: where it closed)")
    version: int | None = None


@router.post("/cases/{public_id}/reopen", response=CaseOut, summary="Reopen with a reason")
@requires("cases.move")
def reopen(request, public_id: UUID, payload: ReopenIn):
    case = access.get_case(request, public_id, "cases.move")
    case = workflow.reopen_case(
        request.auth,
        case,
        reason=payload.reason,
        to_stage=payload.to_stage or None,
        version=payload.version,
    )
    return _reloaded(case)


# --- termination ---------------------------------------------------------------------------


class TerminationIn(Schema):
    goals_met: str = Field(description="all, most, some or none")
    reason: str = Field(description="Closure reason code: completed, died, moved, lost…")
    summary: str = Field(max_length=10000)
    recommendations: str = Field("", max_length=10000)
    version: int | None = Field(None, description="Required to rewrite an existing summary")


class TerminationOut(Schema):
    public_id: UUID
    version: int
    goals_met: str
    reason: str
    summary: str
    recommendations: str
    written_by: str | None
    approved_by: str | None
    approved_at: datetime.datetime | None


def _termination_out(t) -> dict:
    return {
        "public_id": t.public_id,
        "version": t.version,
        "goals_met": t.goals_met,
        "reason": t.reason,
        "summary": t.summary,
        "recommendations": t.recommendations,
        "written_by": t.written_by.username if t.written_by_id else None,
        "approved_by": t.approved_by.username if t.approved_by_id else None,
        "approved_at": t.approved_at,
    }


@router.get("/cases/{public_id}/termination", response=TerminationOut, summary="Termination")
@requires("cases.view")
def get_termination(request, public_id: UUID):
    case = access.get_case(request, public_id)
    termination = getattr(case, "termination", None)
    if termination is None:
        raise NotFound(_("The termination summary is not written."))
    return _termination_out(termination)


@router.post(
    "/cases/{public_id}/termination",
    response={200: TerminationOut, 201: TerminationOut},
    summary="Write (or rewrite, before approval) the termination summary",
)
@requires("cases.edit")
def write_termination(request, public_id: UUID, payload: TerminationIn):
    case = access.get_case(request, public_id, "cases.edit")
    existed = hasattr(case, "termination")
    termination = termination_services.write_summary(request.auth, case, **payload.dict())
    return Status(200 if existed else 201, _termination_out(termination))


class ApproveIn(Schema):
    version: int | None = None


@router.post(
    "/cases/{public_id}/termination/approve",
    response=TerminationOut,
    summary="Approve the termination (head of the unit)",
)
@requires("cases.approve")
def approve_termination(request, public_id: UUID, payload: ApproveIn):
    case = access.get_case(request, public_id, "cases.approve")
    termination = termination_services.approve(request.auth, case, version=payload.version)
    return _termination_out(termination)


# --- transfers -----------------------------------------------------------------------------


class TransferIn(Schema):
    to_unit: str = Field(description="Code of the receiving unit")
    reason: str = Field(max_length=2000)


class TransferOut(Schema):
    public_id: UUID
    case: UUID
    case_number: str
    cluster: str
    from_unit: str
    to_unit: str
    status: str
    reason: str
    decision_note: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None


def _transfer_out(t: Transfer) -> dict:
    return {
        "public_id": t.public_id,
        "case": t.case.public_id,
        "case_number": t.case.number,
        "cluster": t.case.cluster,
        "from_unit": t.from_unit.code,
        "to_unit": t.to_unit.code,
        "status": t.status,
        "reason": t.reason,
        "decision_note": t.decision_note,
        "created_at": t.created_at,
        "decided_at": t.decided_at,
    }


@router.post(
    "/cases/{public_id}/transfers", response={201: TransferOut}, summary="Ask for a transfer"
)
@requires("cases.transfer")
def request_transfer(request, public_id: UUID, payload: TransferIn):
    case = access.get_case(request, public_id, "cases.transfer")
    transfer = transfer_services.request_transfer(
        request.auth, case, to_unit=_unit(payload.to_unit, "to_unit"), reason=payload.reason
    )
    return Status(201, _transfer_out(transfer))


class TransferListParams(Schema):
    direction: str = Field("incoming", pattern="^(incoming|outgoing)$")
    pending_only: bool = True


@router.get("/transfers", response=list[TransferOut], summary="Transfers to or from your units")
@requires("cases.transfer")
def list_transfers(request, params: Query[TransferListParams]):
    if params.direction == "incoming":
        rows = transfer_services.incoming(request.auth, pending_only=params.pending_only)
    else:
        rows = transfer_services.outgoing(request.auth, pending_only=params.pending_only)
    return [_transfer_out(t) for t in rows[:500]]


class CaseDecisionIn(Schema):
    note: str = Field("", max_length=2000)


@router.post("/transfers/{public_id}/accept", response=TransferOut, summary="Accept a transfer")
@requires("cases.transfer")
def accept_transfer(request, public_id: UUID, payload: CaseDecisionIn):
    transfer = transfer_services.transfer_for(request.auth, public_id)
    return _transfer_out(transfer_services.accept(request.auth, transfer, note=payload.note))


@router.post("/transfers/{public_id}/decline", response=TransferOut, summary="Decline a transfer")
@requires("cases.transfer")
def decline_transfer(request, public_id: UUID, payload: CaseDecisionIn):
    transfer = transfer_services.transfer_for(request.auth, public_id)
    return _transfer_out(transfer_services.decline(request.auth, transfer, note=payload.note))


@router.post("/transfers/{public_id}/cancel", response=TransferOut, summary="Cancel a transfer")
@requires("cases.transfer")
def cancel_transfer(request, public_id: UUID, payload: CaseDecisionIn):
    transfer = transfer_services.transfer_for(request.auth, public_id)
    return _transfer_out(transfer_services.cancel(request.auth, transfer, note=payload.note))


# --- incoming referrals --------------------------------------------------------------------


class ReferralIn(Schema):
    source: str = Field(description="police, hospital, court, family, community, lks, …")
    source_name: str = Field(max_length=200)
    source_contact: str = Field("", max_length=200)
    source_reference: str = Field("", max_length=80)
    referred_on: datetime.date | None = None
    unit: str = Field(description="Code of the unit the person is referred to")
    person: UUID | None = None
    cluster: str
    ppks_type: str | None = None
    reason: str = Field(max_length=5000)
    urgency: str = "medium"


class ReferralPatch(Schema):
    version: int
    person: UUID


class ReferralOut(Schema):
    public_id: UUID
    version: int
    status: str
    source: str
    source_name: str
    source_contact: str
    source_reference: str
    referred_on: datetime.date
    unit: str
    person: UUID | None
    cluster: str
    ppks_type: str | None
    reason: str
    urgency: str
    screening_note: str
    decline_reason: str
    decided_at: datetime.datetime | None
    case: UUID | None


def _referral_out(r: Referral) -> dict:
    return {
        "public_id": r.public_id,
        "version": r.version,
        "status": r.status,
        "source": r.source,
        "source_name": r.source_name,
        "source_contact": r.source_contact,
        "source_reference": r.source_reference,
        "referred_on": r.referred_on,
        "unit": r.unit.code,
        "person": r.person.public_id if r.person_id else None,
        "cluster": r.cluster,
        "ppks_type": r.ppks_type.code if r.ppks_type_id else None,
        "reason": r.reason,
        "urgency": r.urgency,
        "screening_note": r.screening_note,
        "decline_reason": r.decline_reason,
        "decided_at": r.decided_at,
        "case": r.case.public_id if r.case_id else None,
    }


def _referral(request, public_id) -> Referral:
    referral = referral_services.referral_for(request.auth, public_id)
    if referral.person_id:
        log_access(request, referral.person, purpose="referral")
    return referral


class ReferralListParams(Schema):
    status: str | None = None
    limit: int = Field(50, ge=1, le=200)
    after: str | None = Field(None, max_length=300)

    _blank = field_validator("status", "after", mode="before")(_blank_is_missing)


class ReferralPage(Schema):
    items: list[ReferralOut]
    next: str | None


@router.get("/referrals", response=ReferralPage, summary="Incoming referrals, newest first")
@requires("cases.referrals")
def list_referrals(request, params: Query[ReferralListParams]):
    queryset = referral_services.queue(request.auth, status=params.status).select_related("case")
    page = keyset_page(
        queryset, order=("id",), after=params.after, limit=params.limit, descending=True
    )
    persons = [r.person for r in page.items if r.person_id]
    if persons:
        log_access(request, persons, purpose="referral queue")
    return {"items": [_referral_out(r) for r in page.items], "next": page.next_cursor}


@router.post("/referrals", response={201: ReferralOut}, summary="Receive a referral")
@requires("cases.referrals")
def receive_referral(request, payload: ReferralIn):
    user = request.auth
    data = payload.dict()
    referral = referral_services.receive(
        user,
        **{
            **data,
            "unit": _unit(payload.unit),
            "person": _person(user, payload.person),
            "ppks_type": payload.ppks_type or None,
        },
    )
    return Status(201, _referral_out(referral))


@router.get("/referrals/{public_id}", response=ReferralOut, summary="A referral")
@requires("cases.referrals")
def get_referral(request, public_id: UUID):
    return _referral_out(_referral(request, public_id))


@router.patch("/referrals/{public_id}", response=ReferralOut, summary="Link the referred person")
@requires("cases.referrals")
def edit_referral(request, public_id: UUID, payload: ReferralPatch):
    referral = _referral(request, public_id)
    person = _person(request.auth, payload.person)
    referral = referral_services.link_person(
        request.auth, referral, person, version=payload.version
    )
    log_access(request, person, purpose="referral")
    return _referral_out(referral)


class ScreenIn(Schema):
    note: str = Field(max_length=5000)
    version: int | None = None


@router.post("/referrals/{public_id}/screen", response=ReferralOut, summary="Screen a referral")
@requires("cases.referrals")
def screen_referral(request, public_id: UUID, payload: ScreenIn):
    referral = _referral(request, public_id)
    return _referral_out(
        referral_services.screen(request.auth, referral, note=payload.note, version=payload.version)
    )


class AcceptIn(Schema):
    setting: str
    person: UUID | None = None
    ppks_type: str | None = None
    social_worker: str | None = None
    supervisor: str | None = None
    risk_level: str | None = None
    flag_trafficking: bool = False
    flag_napza: bool = False
    flag_hiv: bool = False
    flag_law: bool = False
    flag_child: bool = False
    summary: str = Field("", max_length=5000)
    version: int | None = None


@router.post(
    "/referrals/{public_id}/accept", response=ReferralOut, summary="Accept: opens the case"
)
@requires("cases.referrals")
def accept_referral(request, public_id: UUID, payload: AcceptIn):
    user = request.auth
    referral = _referral(request, public_id)
    referral = referral_services.accept(
        user,
        referral,
        setting=payload.setting,
        person=_person(user, payload.person),
        ppks_type=payload.ppks_type or None,
        social_worker=_staff(payload.social_worker, "social_worker"),
        supervisor=_staff(payload.supervisor, "supervisor"),
        risk_level=payload.risk_level or None,
        flags={field: getattr(payload, field) for field in case_services.FLAG_FIELDS},
        summary=payload.summary,
        version=payload.version,
    )
    return _referral_out(referral)


class DeclineIn(Schema):
    decline_reason: str = Field(description="not_eligible, capacity, other_service, …")
    note: str = Field("", max_length=5000)
    version: int | None = None


@router.post("/referrals/{public_id}/decline", response=ReferralOut, summary="Decline a referral")
@requires("cases.referrals")
def decline_referral(request, public_id: UUID, payload: DeclineIn):
    referral = _referral(request, public_id)
    return _referral_out(
        referral_services.decline(
            request.auth,
            referral,
            reason=payload.decline_reason,
            note=payload.note,
            version=payload.version,
        )
    )


# --- outgoing referrals --------------------------------------------------------------------


class OutgoingIn(Schema):
    service_name: str = Field("", max_length=200)
    to_unit: str | None = Field(None, description="Code of a unit in rehsos, if it is one")
    service_kind: str = Field("", max_length=100)
    referred_on: datetime.date | None = None
    reason: str = Field(max_length=5000)


class OutcomeIn(Schema):
    outcome: str = Field(description="pending, accepted, served, declined, no_response")
    outcome_on: datetime.date | None = None
    note: str = Field("", max_length=5000)
    version: int


class OutgoingOut(Schema):
    public_id: UUID
    version: int
    case: UUID
    service_name: str
    to_unit: str | None
    service_kind: str
    referred_on: datetime.date
    reason: str
    outcome: str
    outcome_on: datetime.date | None
    outcome_note: str


def _outgoing_out(o: OutgoingReferral) -> dict:
    return {
        "public_id": o.public_id,
        "version": o.version,
        "case": o.case.public_id,
        "service_name": o.service_name,
        "to_unit": o.to_unit.code if o.to_unit_id else None,
        "service_kind": o.service_kind,
        "referred_on": o.referred_on,
        "reason": o.reason,
        "outcome": o.outcome,
        "outcome_on": o.outcome_on,
        "outcome_note": o.outcome_note,
    }


@router.get(
    "/cases/{public_id}/outgoing-referrals",
    response=list[OutgoingOut],
    summary="The case's referrals to other services",
)
@requires("cases.view")
def list_outgoing(request, public_id: UUID):
    case = access.get_case(request, public_id)
    rows = case.outgoing_referrals.select_related("to_unit").order_by("referred_on", "pk")
    return [_outgoing_out(o) for o in rows]


@router.post(
    "/cases/{public_id}/outgoing-referrals",
    response={201: OutgoingOut},
    summary="Refer the person to another service",
)
@requires("cases.referrals")
def create_outgoing(request, public_id: UUID, payload: OutgoingIn):
    case = access.get_case(request, public_id, "cases.referrals")
    outgoing = referral_services.refer_out(
        request.auth,
        case,
        service_name=payload.service_name,
        to_unit=_unit(payload.to_unit, "to_unit"),
        service_kind=payload.service_kind,
        referred_on=payload.referred_on,
        reason=payload.reason,
    )
    return Status(201, _outgoing_out(outgoing))


@router.patch("/outgoing-referrals/{public_id}", response=OutgoingOut, summary="Record the outcome")
@requires("cases.referrals")
def record_outcome(request, public_id: UUID, payload: OutcomeIn):
    outgoing = referral_services.outgoing_for(request.auth, public_id)
    outgoing = referral_services.record_outcome(
        request.auth,
        outgoing,
        outcome=payload.outcome,
        outcome_on=payload.outcome_on,
        note=payload.note,
        version=payload.version,
    )
    return _outgoing_out(outgoing)


# --- the event feed --------------------------------------------------------------------------


class EventParams(Schema):
    after: int | None = Field(None, ge=0, description="The id of the last event you have")
    limit: int = Field(100, ge=1, le=1000)
    case: UUID | None = Field(None, description="Only this case's events")


class CaseEventOut(Schema):
    id: int
    case: UUID
    case_number: str
    kind: str
    at: datetime.datetime
    data: dict


class CaseEventPage(Schema):
    items: list[CaseEventOut]
    next: int | None = Field(description="Pass as `after` on the next call")
    more: bool = Field(description="More events are waiting beyond this page")


@router.get(
    "/case-events",
    response=CaseEventPage,
    summary="The event feed of the cases visible to you, oldest first",
)
@requires("cases.view")
def case_events(request, params: Query[EventParams]):
    """For partners' systems: poll with `after` set to the last id received. Events
    carry ids, kinds, codes and times — never names or free text."""
    cases = access.visible_cases(request.auth)
    if params.case:
        cases = cases.filter(public_id=params.case)
    queryset = CaseEvent.objects.filter(case__in=cases.values("pk")).select_related("case")
    if params.after:
        queryset = queryset.filter(pk__gt=params.after)
    rows = list(queryset.order_by("pk")[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {
        "items": [
            {
                "id": e.pk,
                "case": e.case.public_id,
                "case_number": e.case.number,
                "kind": e.kind,
                "at": e.at,
                "data": e.data,
            }
            for e in rows
        ],
        "next": rows[-1].pk if rows else params.after,
        "more": more,
    }


__all__ = ["router"]
