"""Overseas internships under /api/v1/workforce/: calls, applications, scores,
decisions, placements, reports and re-entry actions; ``/workforce/me/…`` for an
applicant's own.

A decision without its rationale, or one that would select more applicants than the
call has places, is a 422 naming the field (``rationale``, ``decision``)."""

import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from rehsos.core.api import Problem
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.permissions import can, requires
from rehsos.partners.models import Agreement, Partner
from rehsos.workforce import selectors
from rehsos.workforce.api_base import jsonable, number
from rehsos.workforce.models import (
    Application,
    InternshipCall,
    InternshipReport,
    ReentryAction,
    StaffMember,
)
from rehsos.workforce.services import internships as services
from rehsos.workforce.services import returns

router = Router(tags=["workforce: internships"])


# --- schemas --------------------------------------------------------------------------


class CallOut(Schema):
    public_id: UUID
    version: int
    title: str
    partner: str | None
    agreement: UUID | None
    country: str
    description: str
    opens_on: datetime.date
    closes_on: datetime.date
    places: int
    eligibility: list[dict]
    scoring: list[dict]
    status: str


class CallIn(Schema):
    title: str = Field(..., max_length=300)
    partner: str | None = Field(None, max_length=40, description="The partner's code.")
    agreement: UUID | None = Field(None, description="The agreement's public id.")
    country: str = Field("JP", max_length=2)
    description: str = Field("", max_length=10000)
    opens_on: datetime.date
    closes_on: datetime.date
    places: int
    eligibility: list = Field(
        default_factory=list, description='Rules, e.g. [{"rule": "max_age", "years": 45}]'
    )
    scoring: list = Field(
        default_factory=list,
        description='Criteria [{"code", "label", "weight", "max"}], weights adding to 100',
    )


class CallPatch(Schema):
    version: int = Field(..., description="The version you read (409 if stale).")
    title: str | None = Field(None, max_length=300)
    partner: str | None = Field(None, max_length=40)
    agreement: UUID | None = None
    country: str | None = Field(None, max_length=2)
    description: str | None = Field(None, max_length=10000)
    opens_on: datetime.date | None = None
    closes_on: datetime.date | None = None
    places: int | None = None
    eligibility: list | None = None
    scoring: list | None = None


class InternshipStatusIn(Schema):
    status: str = Field(..., max_length=12, description="open, selection, decided or closed")
    version: int


class ApplicationOut(Schema):
    public_id: UUID
    version: int
    call: UUID
    staff: UUID
    name: str
    role: str
    facility: str
    submitted_at: datetime.datetime
    motivation: str
    eligible: bool
    eligibility_result: dict[str, dict]
    scores: dict[str, float]
    total: float | None = Field(..., description="Σ weight × points ÷ max, out of 100")
    decision: str
    rationale: str
    decided_at: datetime.datetime | None
    host_institution: str
    placement_starts_on: datetime.date | None
    placement_ends_on: datetime.date | None


class ApplyIn(Schema):
    staff: UUID | None = Field(
        None, description="A staff member of your centre (head); empty: yourself."
    )
    motivation: str = Field("", max_length=5000)


class ScoresIn(Schema):
    version: int
    scores: dict[str, float] = Field(..., description="Criterion code → points (0..max).")


class InternshipDecisionIn(Schema):
    version: int | None = None
    decision: str = Field(..., max_length=12, description="selected, reserve or rejected")
    rationale: str = Field("", max_length=2000, description="Required: why.")


class BatchDecisionIn(InternshipDecisionIn):
    application: UUID


class BatchIn(Schema):
    decisions: list[BatchDecisionIn] = Field(..., max_length=1000)


class PlacementIn(Schema):
    version: int
    host_institution: str = Field(..., max_length=200)
    placement_starts_on: datetime.date
    placement_ends_on: datetime.date


class InternshipWithdrawIn(Schema):
    version: int
    reason: str = Field("", max_length=2000)


class VersionIn(Schema):
    version: int


class InternshipReportIn(Schema):
    kind: str = Field(..., max_length=12, description="during, final or follow_up")
    reported_on: datetime.date
    text: str = Field(..., max_length=20000)


class InternshipReportOut(Schema):
    id: int
    kind: str
    reported_on: datetime.date
    text: str
    author: str | None


class ReentryIn(Schema):
    what: str = Field(..., max_length=300)
    due_on: datetime.date


class ReentryPatch(Schema):
    what: str | None = Field(None, max_length=300)
    due_on: datetime.date | None = None
    status: str | None = Field(
        None, max_length=12, description="planned, in_progress, done, dropped"
    )
    done_on: datetime.date | None = None
    result: str | None = Field(None, max_length=5000)


class ReentryOut(Schema):
    id: int
    application: UUID
    what: str
    due_on: datetime.date
    status: str
    done_on: datetime.date | None
    result: str


class CompletionOut(Schema):
    actions: int
    done: int
    dropped: int
    overdue: int
    percent: float | None = Field(..., description="done ÷ (actions − dropped) × 100")


class InternshipPlanOut(Schema):
    completion: CompletionOut
    actions: list[ReentryOut]


class CohortRow(Schema):
    application: UUID
    staff: UUID
    name: str
    facility: str
    host_institution: str
    placement_starts_on: datetime.date | None
    placement_ends_on: datetime.date | None
    completion: CompletionOut


class CohortOut(Schema):
    call: UUID
    places: int
    completion: CompletionOut
    members: list[CohortRow]


# --- conversions ----------------------------------------------------------------------


def call_out(call: InternshipCall) -> dict:
    return {
        "public_id": call.public_id,
        "version": call.version,
        "title": call.title,
        "partner": call.partner.code if call.partner_id else None,
        "agreement": call.agreement.public_id if call.agreement_id else None,
        "country": call.country,
        "description": call.description,
        "opens_on": call.opens_on,
        "closes_on": call.closes_on,
        "places": call.places,
        "eligibility": call.eligibility or [],
        "scoring": call.scoring or [],
        "status": call.status,
    }


def application_out(a: Application) -> dict:
    return {
        "public_id": a.public_id,
        "version": a.version,
        "call": a.call.public_id,
        "staff": a.staff.public_id,
        "name": a.staff.name,
        "role": a.staff.role,
        "facility": a.staff.facility.code,
        "submitted_at": a.submitted_at,
        "motivation": a.motivation,
        "eligible": a.eligible,
        "eligibility_result": a.eligibility_result or {},
        "scores": {k: float(v) for k, v in (a.scores or {}).items()},
        "total": number(a.total),
        "decision": a.decision,
        "rationale": a.rationale,
        "decided_at": a.decided_at,
        "host_institution": a.host_institution,
        "placement_starts_on": a.placement_starts_on,
        "placement_ends_on": a.placement_ends_on,
    }


def completion_out(c: selectors.Completion) -> dict:
    return {
        "actions": c.actions,
        "done": c.done,
        "dropped": c.dropped,
        "overdue": c.overdue,
        "percent": number(c.percent),
    }


def reentry_out(action: ReentryAction, application_id=None) -> dict:
    return {
        "id": action.pk,
        "application": application_id or action.application.public_id,
        "what": action.what,
        "due_on": action.due_on,
        "status": action.status,
        "done_on": action.done_on,
        "result": action.result,
    }


def report_out(report: InternshipReport) -> dict:
    return {
        "id": report.pk,
        "kind": report.kind,
        "reported_on": report.reported_on,
        "text": report.text,
        "author": report.author.get_username() if report.author_id else None,
    }


def _refs(data: dict) -> dict:
    if "partner" in data:
        code = data["partner"]
        data["partner"] = Partner.objects.filter(code=code).first() if code else None
        if code and data["partner"] is None:
            raise ValidationFailed(fields={"partner": _("No such partner.")})
    if "agreement" in data:
        key = data["agreement"]
        data["agreement"] = Agreement.objects.filter(public_id=key).first() if key else None
        if key and data["agreement"] is None:
            raise ValidationFailed(fields={"agreement": _("No such agreement.")})
    return data


def _conflict_with_current(exc: Conflict, application: Application) -> Conflict:
    current = Application.objects.select_related("call", "staff", "staff__facility").get(
        pk=application.pk
    )
    exc.extra = {**exc.extra, "current": jsonable(application_out(current))}
    return exc


# --- calls ----------------------------------------------------------------------------


@router.get(
    "/workforce/calls",
    response={200: list[CallOut], 403: Problem},
    summary="Internship calls, newest first (drafts only for the internships team)",
)
@requires("workforce.view")
def list_calls(request):
    return [call_out(c) for c in selectors.calls(request.auth)[:500]]


@router.post(
    "/workforce/calls",
    response={201: CallOut, 403: Problem, 422: Problem},
    summary="Create a call (a draft)",
)
@requires("workforce.manage_internships")
def create_call(request, payload: CallIn):
    """Bad rules or criteria are named by their place, e.g. `eligibility[1].years`."""
    call = services.create_call(request.auth, **_refs(payload.dict()))
    return Status(201, call_out(call))


@router.get(
    "/workforce/calls/{public_id}",
    response={200: CallOut, 403: Problem, 404: Problem},
    summary="A call",
)
@requires("workforce.view")
def get_call(request, public_id: UUID):
    return call_out(selectors.call_for(request.auth, public_id))


@router.patch(
    "/workforce/calls/{public_id}",
    response={200: CallOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change a call (rules and criteria only while a draft)",
)
@requires("workforce.manage_internships")
def patch_call(request, public_id: UUID, payload: CallPatch):
    call = selectors.call_for(request.auth, public_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    try:
        call = services.update_call(request.auth, call, version=version, **_refs(data))
    except Conflict as exc:
        exc.extra = {
            **exc.extra,
            "current": jsonable(call_out(InternshipCall.objects.get(pk=call.pk))),
        }
        raise
    return call_out(call)


@router.post(
    "/workforce/calls/{public_id}/status",
    response={200: CallOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Move a call on: draft → open → selection → decided → closed",
)
@requires("workforce.manage_internships")
def call_status(request, public_id: UUID, payload: InternshipStatusIn):
    call = selectors.call_for(request.auth, public_id)
    return call_out(
        services.set_status(request.auth, call, status=payload.status, version=payload.version)
    )


@router.get(
    "/workforce/calls/{public_id}/applications",
    response={200: list[ApplicationOut], 403: Problem, 404: Problem},
    summary="Applications in your scope, ranked by total (unscored last)",
)
@requires("workforce.view")
def list_applications(request, public_id: UUID):
    call = selectors.call_for(request.auth, public_id)
    return [application_out(a) for a in selectors.call_applications(request.auth, call)]


@router.post(
    "/workforce/calls/{public_id}/applications",
    response={201: ApplicationOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Apply: for yourself (linked account) or, as head of centre, for your staff",
)
@requires("workforce.apply")
def apply(request, public_id: UUID, payload: ApplyIn):
    """Eligibility is checked now; every rule's result is stored with its reason."""
    user = request.auth
    call = selectors.call_for(user, public_id)  # not open: a 422 on `call` from the service
    staff = None
    if payload.staff is not None:
        staff = StaffMember.objects.filter(public_id=payload.staff, user=user).first()
        if staff is None and can(user, "workforce.manage"):
            staff = selectors.active_in_scope(user).filter(public_id=payload.staff).first()
        if staff is None:
            raise ValidationFailed(fields={"staff": _("No such staff member in your scope.")})
    application = services.submit_application(
        user, call, staff=staff, motivation=payload.motivation
    )
    return Status(201, application_out(application))


@router.post(
    "/workforce/calls/{public_id}/decisions",
    response={200: list[ApplicationOut], 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Record several decisions at once, all or none",
)
@requires("workforce.manage_internships")
def decide_many(request, public_id: UUID, payload: BatchIn):
    """Each needs a rationale (`decisions[i].rationale`); too many selected for the
    places is a 422 on `decision`."""
    call = selectors.call_for(request.auth, public_id)
    rows = {
        str(a.public_id): a
        for a in Application.objects.filter(
            call=call, public_id__in=[d.application for d in payload.decisions]
        ).select_related("call")
    }
    items, errors = [], {}
    for i, d in enumerate(payload.decisions):
        row = rows.get(str(d.application))
        if row is None:
            errors[f"decisions[{i}].application"] = _("The application is not one of this call.")
            continue
        items.append(
            services.DecisionInput(row, d.decision, d.rationale, d.version, f"decisions[{i}].")
        )
    if errors:
        raise ValidationFailed(fields=errors)
    done = services.decide_many(request.auth, call, items)
    fresh = Application.objects.select_related("call", "staff", "staff__facility").filter(
        pk__in=[a.pk for a in done]
    )
    return [application_out(a) for a in selectors.ranked(fresh)]


@router.get(
    "/workforce/calls/{public_id}/cohort",
    response={200: CohortOut, 403: Problem, 404: Problem},
    summary="The cohort: selected applicants, placements and re-entry completion",
)
@requires("workforce.view")
def cohort(request, public_id: UUID):
    call = selectors.call_for(request.auth, public_id)
    rows = list(selectors.cohort(request.auth, call))
    completion = selectors.completion_by_application([a.pk for a in rows])
    return {
        "call": call.public_id,
        "places": call.places,
        "completion": completion_out(selectors.cohort_completion(completion)),
        "members": [
            {
                "application": a.public_id,
                "staff": a.staff.public_id,
                "name": a.staff.name,
                "facility": a.staff.facility.code,
                "host_institution": a.host_institution,
                "placement_starts_on": a.placement_starts_on,
                "placement_ends_on": a.placement_ends_on,
                "completion": completion_out(completion[a.pk]),
            }
            for a in rows
        ],
    }


# --- one application ------------------------------------------------------------------


def _application(request, public_id) -> Application:
    return selectors.application_for(request.auth, public_id)


@router.get(
    "/workforce/applications/{public_id}",
    response={200: ApplicationOut, 403: Problem, 404: Problem},
    summary="An application with its eligibility, scores and decision",
)
@requires("workforce.view")
def get_application(request, public_id: UUID):
    return application_out(_application(request, public_id))


@router.put(
    "/workforce/applications/{public_id}/scores",
    response={200: ApplicationOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="The panel's points per criterion (replace); the total follows",
)
@requires("workforce.manage_internships")
def put_scores(request, public_id: UUID, payload: ScoresIn):
    """Points outside 0..max are a 422 on `scores.<code>`."""
    application = _application(request, public_id)
    try:
        application = services.enter_scores(
            request.auth, application, points=payload.scores, version=payload.version
        )
    except Conflict as exc:
        raise _conflict_with_current(exc, application) from None
    return application_out(_application(request, public_id))


@router.post(
    "/workforce/applications/{public_id}/decision",
    response={200: ApplicationOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Decide: selected, reserve or rejected, with a written rationale",
)
@requires("workforce.manage_internships")
def decide(request, public_id: UUID, payload: InternshipDecisionIn):
    application = _application(request, public_id)
    try:
        services.decide(
            request.auth,
            application,
            decision=payload.decision,
            rationale=payload.rationale,
            version=payload.version,
        )
    except Conflict as exc:
        raise _conflict_with_current(exc, application) from None
    return application_out(_application(request, public_id))


@router.put(
    "/workforce/applications/{public_id}/placement",
    response={200: ApplicationOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Host institution and placement dates of a selected applicant",
)
@requires("workforce.manage_internships")
def put_placement(request, public_id: UUID, payload: PlacementIn):
    application = _application(request, public_id)
    try:
        services.set_placement(
            request.auth,
            application,
            host_institution=payload.host_institution,
            starts_on=payload.placement_starts_on,
            ends_on=payload.placement_ends_on,
            version=payload.version,
        )
    except Conflict as exc:
        raise _conflict_with_current(exc, application) from None
    return application_out(_application(request, public_id))


@router.post(
    "/workforce/applications/{public_id}/recheck",
    response={200: ApplicationOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Check the eligibility rules again (before a decision)",
)
@requires("workforce.manage_internships")
def recheck(request, public_id: UUID, payload: VersionIn):
    application = _application(request, public_id)
    services.recheck_eligibility(request.auth, application, version=payload.version)
    return application_out(_application(request, public_id))


@router.post(
    "/workforce/applications/{public_id}/withdraw",
    response={200: ApplicationOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Withdraw your own (or, as head, your staff member's) application",
)
@requires("workforce.apply")
def withdraw(request, public_id: UUID, payload: InternshipWithdrawIn):
    user = request.auth
    application = selectors.own_applications(user).filter(public_id=public_id).first()
    if application is None and can(user, "workforce.view"):
        application = selectors.applications_in_scope(user).filter(public_id=public_id).first()
    if application is None:
        raise NotFound(_("No such application of yours."))
    services.withdraw(user, application, version=payload.version, reason=payload.reason)
    application.refresh_from_db()
    return application_out(application)


# --- reports and the re-entry plan ----------------------------------------------------


def _plan(application: Application) -> dict:
    completion = selectors.completion_by_application([application.pk])[application.pk]
    return {
        "completion": completion_out(completion),
        "actions": [
            reentry_out(a, application.public_id) for a in selectors.reentry_actions(application)
        ],
    }


@router.get(
    "/workforce/applications/{public_id}/reports",
    response={200: list[InternshipReportOut], 403: Problem, 404: Problem},
    summary="Reports during and after the internship",
)
@requires("workforce.view")
def list_reports(request, public_id: UUID):
    application = _application(request, public_id)
    return [report_out(r) for r in application.reports.select_related("author")]


@router.post(
    "/workforce/applications/{public_id}/reports",
    response={201: InternshipReportOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a report (a manager of the returnee's centre)",
)
@requires("workforce.manage")
def add_report(request, public_id: UUID, payload: InternshipReportIn):
    application = _application(request, public_id)
    return Status(201, report_out(returns.add_report(request.auth, application, **payload.dict())))


@router.get(
    "/workforce/applications/{public_id}/reentry-actions",
    response={200: InternshipPlanOut, 403: Problem, 404: Problem},
    summary="The re-entry plan and its completion",
)
@requires("workforce.view")
def get_plan(request, public_id: UUID):
    return _plan(_application(request, public_id))


@router.post(
    "/workforce/applications/{public_id}/reentry-actions",
    response={201: ReentryOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a step to the re-entry plan (a manager of the returnee's centre)",
)
@requires("workforce.manage")
def add_reentry(request, public_id: UUID, payload: ReentryIn):
    application = _application(request, public_id)
    action = returns.add_reentry_action(request.auth, application, **payload.dict())
    return Status(201, reentry_out(action, application.public_id))


@router.patch(
    "/workforce/reentry-actions/{int:pk}",
    response={200: ReentryOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Update a re-entry action: status, done on, result (a manager)",
)
@requires("workforce.manage")
def patch_reentry(request, pk: int, payload: ReentryPatch):
    action = selectors.reentry_action_for(request.auth, pk)
    action = returns.update_reentry_action(request.auth, action, **payload.dict(exclude_unset=True))
    return reentry_out(action)


# --- the applicant's own --------------------------------------------------------------


@router.get(
    "/workforce/me/calls",
    response={200: list[CallOut], 403: Problem},
    summary="Calls open for applications now",
)
@requires("workforce.apply")
def my_calls(request):
    return [call_out(c) for c in selectors.open_calls().select_related("partner", "agreement")]


@router.get(
    "/workforce/me/applications",
    response={200: list[ApplicationOut], 403: Problem},
    summary="Your own applications (your account linked to your staff record)",
)
@requires("workforce.apply")
def my_applications(request):
    return [application_out(a) for a in selectors.own_applications(request.auth)]


@router.get(
    "/workforce/me/applications/{public_id}/reentry-actions",
    response={200: InternshipPlanOut, 403: Problem, 404: Problem},
    summary="Your re-entry plan and its completion",
)
@requires("workforce.apply")
def my_plan(request, public_id: UUID):
    return _plan(selectors.own_application_for(request.auth, public_id))


@router.post(
    "/workforce/me/applications/{public_id}/reports",
    response={201: InternshipReportOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add your report during or after the internship",
)
@requires("workforce.apply")
def my_report(request, public_id: UUID, payload: InternshipReportIn):
    application = selectors.own_application_for(request.auth, public_id)
    return Status(201, report_out(returns.add_report(request.auth, application, **payload.dict())))


@router.post(
    "/workforce/me/applications/{public_id}/reentry-actions",
    response={201: ReentryOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a step to your re-entry plan",
)
@requires("workforce.apply")
def my_reentry(request, public_id: UUID, payload: ReentryIn):
    application = selectors.own_application_for(request.auth, public_id)
    action = returns.add_reentry_action(request.auth, application, **payload.dict())
    return Status(201, reentry_out(action, application.public_id))


@router.patch(
    "/workforce/me/reentry-actions/{int:pk}",
    response={200: ReentryOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Update a step of your re-entry plan",
)
@requires("workforce.apply")
def my_reentry_patch(request, pk: int, payload: ReentryPatch):
    action = selectors.own_reentry_action_for(request.auth, pk)
    action = returns.update_reentry_action(request.auth, action, **payload.dict(exclude_unset=True))
    return reentry_out(action)
