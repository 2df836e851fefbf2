"""API of the standards app: renovation projects under /api/v1/standards/renovations,
and a partner's portfolio under /api/v1/partners/portfolio (aggregates only)."""

import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rehsos.core.api import Problem, choices_schema
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.models import User
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires, scoped
from rehsos.facilities.models import Facility
from rehsos.partners.models import Agreement, Partner
from rehsos.standards import selectors_renovation as selectors
from rehsos.standards import services_renovation as services
from rehsos.standards.models import (
    Action,
    Assessment,
    Disbursement,
    RenovationProject,
    SupervisionPhoto,
)

# The partner's portfolio is on this router too (path /partners/portfolio): it reads
# standards data, and partners (a lower layer) may not import standards.
router = Router(tags=["standards"])

ProjectStatus = Annotated[
    RenovationProject.Status, choices_schema(RenovationProject.Status, "RenovationProjectStatus")
]
DisbursementStatus = Annotated[
    Disbursement.Status, choices_schema(Disbursement.Status, "DisbursementStatus")
]


# --- output ---------------------------------------------------------------------------


class ProjectOut(Schema):
    public_id: UUID
    version: int
    title: str
    facility: str = Field(..., description="The centre's code.")
    facility_name: str
    status: str
    partner: str | None = Field(None, description="The partner's code.")
    agreement: UUID | None = None
    budget: int = Field(..., description="Whole rupiah.")
    paid_rp: int
    planned_rp: int = Field(..., description="Rupiah in planned tranches not paid yet.")
    starts_on: datetime.date
    planned_end_on: datetime.date
    handed_over_on: datetime.date | None
    closed_on: datetime.date | None
    planned_percent: float | None = Field(None, description="Planned progress today.")
    actual_percent: float = Field(..., description="Progress of the latest report.")
    deviation: float | None = Field(
        None, description="Actual − planned at the latest report, in points."
    )
    behind: bool = Field(..., description="More than 10 points behind the plan.")


class ProjectPage(Schema):
    items: list[ProjectOut]
    next: str | None = Field(None, description="Pass as `after` for the next page.")


class CurvePointOut(Schema):
    day: datetime.date
    planned: float | None
    actual: float | None
    disbursed: float
    events: list[str]


class DayPercent(Schema):
    day: datetime.date
    percent: float


class CurveOut(Schema):
    planned: list[DayPercent]
    actual: list[DayPercent]
    disbursed: list[DayPercent] = Field(..., description="Cumulative % of the budget paid.")
    points: list[CurvePointOut]
    weights_total: float
    latest_report_on: datetime.date | None
    planned_at_latest: float | None
    actual_at_latest: float | None
    deviation: float | None
    behind: bool


class MilestoneOut(Schema):
    name: str
    weight: float
    planned_on: datetime.date
    done_on: datetime.date | None


class DisbursementOut(Schema):
    id: int
    status: str
    planned_on: datetime.date | None
    paid_on: datetime.date | None
    amount: str = Field(..., description="Decimal, in `currency`.")
    currency: str
    rate: str
    amount_rp: int
    note: str


class RenovationPhotoOut(Schema):
    id: int
    caption: str
    taken_on: datetime.date
    content_type: str
    size: int
    url: str


class RenovationReportOut(Schema):
    id: int
    reported_on: datetime.date
    progress: float
    findings: str
    instructions: str
    progress_note: str
    author: str | None
    photos: list[RenovationPhotoOut]


class LinkedAction(Schema):
    public_id: UUID
    title: str
    status: str
    criterion: str | None


class ProjectDetail(ProjectOut):
    scope: str
    contractor: str
    consultant: str
    consultant_user: str | None = Field(None, description="The consultant's username.")
    actions: list[LinkedAction]
    reassessment: UUID | None
    handover_note: str
    closing_note: str
    closing_result: dict
    cancel_reason: str
    curve: CurveOut
    milestones: list[MilestoneOut]
    disbursements: list[DisbursementOut]
    supervision_reports: list[RenovationReportOut]


def _f(value) -> float | None:
    return None if value is None else float(value)


def project_out(project: RenovationProject, curve: selectors.Curve) -> dict:
    return {
        "public_id": project.public_id,
        "version": project.version,
        "title": project.title,
        "facility": project.facility.code,
        "facility_name": project.facility.name,
        "status": project.status,
        "partner": project.partner.code if project.partner_id else None,
        "agreement": project.agreement.public_id if project.agreement_id else None,
        "budget": int(project.budget),
        "paid_rp": int(curve.paid_rp),
        "planned_rp": int(curve.planned_rp),
        "starts_on": project.starts_on,
        "planned_end_on": project.planned_end_on,
        "handed_over_on": project.handed_over_on,
        "closed_on": project.closed_on,
        "planned_percent": _f(curve.planned_today),
        "actual_percent": float(curve.actual[-1][1]) if curve.actual else 0.0,
        "deviation": _f(curve.deviation),
        "behind": curve.behind,
    }


def _photo_url(project, photo) -> str:
    return reverse(
        "api:renovation_photo_file",
        kwargs={"public_id": project.public_id, "attachment_id": photo.pk},
    )


def report_out(project, report) -> dict:
    return {
        "id": report.pk,
        "reported_on": report.reported_on,
        "progress": float(report.progress),
        "findings": report.findings,
        "instructions": report.instructions,
        "progress_note": report.progress_note,
        "author": report.author.username if report.author_id else None,
        "photos": [
            {
                "id": photo.pk,
                "caption": photo.caption,
                "taken_on": photo.taken_on,
                "content_type": photo.content_type,
                "size": photo.size,
                "url": _photo_url(project, photo),
            }
            for photo in report.photos.all()
        ],
    }


def tranche_out(tranche: Disbursement) -> dict:
    return {
        "id": tranche.pk,
        "status": tranche.status,
        "planned_on": tranche.planned_on,
        "paid_on": tranche.paid_on,
        "amount": str(tranche.amount),
        "currency": tranche.currency,
        "rate": str(tranche.rate.normalize()),
        "amount_rp": int(tranche.amount_rp),
        "note": tranche.note,
    }


def detail_out(project: RenovationProject) -> dict:
    project = (
        RenovationProject.objects.select_related(
            "facility", "partner", "agreement", "consultant_user", "reassessment"
        )
        .prefetch_related("actions__criterion")
        .get(pk=project.pk)
    )
    milestones = list(project.milestones.order_by("planned_on", "id"))
    reports = list(
        project.supervision_reports.select_related("author")
        .prefetch_related("photos")
        .order_by("reported_on", "id")
    )
    tranches = list(project.disbursements.order_by("paid_on", "planned_on", "id"))
    curve = selectors.build_curve(project, milestones, reports, tranches)

    def days(points):
        return [{"day": d, "percent": float(v)} for d, v in points]

    return {
        **project_out(project, curve),
        "scope": project.scope,
        "contractor": project.contractor,
        "consultant": project.consultant,
        "consultant_user": project.consultant_user.username if project.consultant_user_id else None,
        "actions": [
            {
                "public_id": a.public_id,
                "title": a.title,
                "status": a.status,
                "criterion": a.criterion.code if a.criterion_id else None,
            }
            for a in project.actions.all()
        ],
        "reassessment": project.reassessment.public_id if project.reassessment_id else None,
        "handover_note": project.handover_note,
        "closing_note": project.closing_note,
        "closing_result": project.closing_result or {},
        "cancel_reason": project.cancel_reason,
        "curve": {
            "planned": days(curve.planned),
            "actual": days(curve.actual),
            "disbursed": days(curve.disbursed),
            "points": [
                {
                    "day": p.day,
                    "planned": _f(p.planned),
                    "actual": _f(p.actual),
                    "disbursed": float(p.disbursed),
                    "events": [str(e) for e in p.events],
                }
                for p in curve.points
            ],
            "weights_total": float(curve.weights_total),
            "latest_report_on": curve.latest_report_on,
            "planned_at_latest": _f(curve.planned_at_latest),
            "actual_at_latest": _f(curve.actual_at_latest),
            "deviation": _f(curve.deviation),
            "behind": curve.behind,
        },
        "milestones": [
            {
                "name": m.name,
                "weight": float(m.weight),
                "planned_on": m.planned_on,
                "done_on": m.done_on,
            }
            for m in milestones
        ],
        "disbursements": [tranche_out(t) for t in tranches],
        "supervision_reports": [report_out(project, r) for r in reports],
    }


# --- input ----------------------------------------------------------------------------


class ProjectIn(Schema):
    facility: str = Field(..., max_length=40, description="The centre's code.")
    title: str = Field(..., max_length=300)
    scope: str = Field(..., max_length=20000)
    budget: int = Field(..., ge=1, description="Whole rupiah.")
    starts_on: datetime.date
    planned_end_on: datetime.date
    actions: list[UUID] = Field(
        default_factory=list, max_length=500, description="Actions of the centre it closes."
    )
    partner: str | None = Field(None, max_length=40, description="The partner's code.")
    agreement: UUID | None = Field(None, description="Must belong to the partner.")
    contractor: str = Field("", max_length=200)
    consultant: str = Field("", max_length=200)
    consultant_user: str | None = Field(
        None, max_length=150, description="Username of a standards assessor."
    )


class ProjectPatch(Schema):
    version: int = Field(..., description="The project's version you read (409 if stale).")
    facility: str | None = Field(None, max_length=40)
    title: str | None = Field(None, max_length=300)
    scope: str | None = Field(None, max_length=20000)
    budget: int | None = Field(None, ge=1)
    starts_on: datetime.date | None = None
    planned_end_on: datetime.date | None = None
    actions: list[UUID] | None = Field(None, max_length=500)
    partner: str | None = Field(None, max_length=40, description='"" removes the partner.')
    agreement: UUID | None = None
    contractor: str | None = Field(None, max_length=200)
    consultant: str | None = Field(None, max_length=200)
    consultant_user: str | None = Field(None, max_length=150, description='"" removes it.')


class RenovationStatusIn(Schema):
    to: str = Field(..., max_length=12, description="tendering, in_progress, planned, cancelled")
    version: int
    reason: str = Field("", max_length=4000, description="Needed to cancel.")


class MilestoneIn(Schema):
    name: str = Field(..., max_length=200)
    weight: Decimal = Field(..., ge=0, le=100, max_digits=5, decimal_places=2)
    planned_on: datetime.date
    done_on: datetime.date | None = None


class MilestonesIn(Schema):
    version: int = Field(..., description="The project's version you read (409 if stale).")
    milestones: list[MilestoneIn] = Field(..., max_length=60)


class DisbursementIn(Schema):
    status: DisbursementStatus = Disbursement.Status.PAID
    amount: Decimal = Field(..., gt=0, max_digits=18, decimal_places=2)
    currency: str = Field("IDR", min_length=3, max_length=3)
    rate: Decimal | None = Field(
        None, gt=0, max_digits=14, decimal_places=6, description="Rupiah per unit; IDR: 1."
    )
    paid_on: datetime.date | None = Field(None, description="For a payment.")
    planned_on: datetime.date | None = Field(None, description="For a planned tranche.")
    note: str = Field("", max_length=200, description="Needed beyond the budget.")


class PayIn(Schema):
    disbursement: int = Field(..., description="The planned tranche's id.")
    paid_on: datetime.date
    amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2)
    rate: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=6)
    note: str | None = Field(None, max_length=200)


class RenovationReportIn(Schema):
    reported_on: datetime.date
    progress: Decimal = Field(..., ge=0, le=100, max_digits=5, decimal_places=2)
    findings: str = Field("", max_length=20000)
    instructions: str = Field("", max_length=20000)
    progress_note: str = Field(
        "", max_length=20000, description="Needed when the progress is lower than before."
    )


class HandoverIn(Schema):
    handed_over_on: datetime.date
    note: str = Field(..., max_length=20000)
    version: int


class ReassessmentIn(Schema):
    assessment: UUID
    version: int


class RenovationCloseIn(Schema):
    version: int
    note: str = Field("", max_length=20000, description="Needed when gaps remain open.")


class RenovationListQuery(Schema):
    status: ProjectStatus | None = None
    facility: str | None = Field(None, max_length=40)
    partner: str | None = Field(None, max_length=40)
    after: str | None = Field(None, max_length=300)
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)


# --- lookups --------------------------------------------------------------------------


def _facility(user, code: str) -> Facility:
    facility = scoped(user, Facility.objects.filter(code=code)).first()
    if facility is None:
        raise ValidationFailed(
            fields={"facility": _("%(code)s: not a centre in your scope.") % {"code": code}}
        )
    return facility


def _actions(ids) -> list[Action]:
    found = list(Action.objects.filter(public_id__in=list(ids)))
    missing = {str(i) for i in ids} - {str(a.public_id) for a in found}
    if missing:
        raise ValidationFailed(
            fields={"actions": _("Unknown actions: %(ids)s") % {"ids": ", ".join(sorted(missing))}}
        )
    return found


def _partner(code):
    if not code:
        return None
    partner = Partner.objects.filter(code=code).first()
    if partner is None:
        raise ValidationFailed(fields={"partner": _("%(code)s: no such partner.") % {"code": code}})
    return partner


def _agreement(public_id):
    if public_id is None:
        return None
    agreement = Agreement.objects.select_related("partner").filter(public_id=public_id).first()
    if agreement is None:
        raise ValidationFailed(fields={"agreement": _("No such agreement.")})
    return agreement


def _consultant(username):
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationFailed(
            fields={"consultant_user": _("%(name)s: no such user.") % {"name": username}}
        )
    return user


# --- projects -------------------------------------------------------------------------


@router.get(
    "/standards/renovations",
    response={200: ProjectPage, 403: Problem, 422: Problem},
    summary="Renovation projects in your scope, newest start first",
)
@requires("standards.view")
def list_projects(request, query: Query[RenovationListQuery]):
    projects = selectors.project_list(
        request.auth,
        status=query.status or "",
        facility=query.facility or "",
        partner=query.partner or "",
    ).select_related("agreement")
    page = keyset_page(
        projects, order=("starts_on", "id"), after=query.after, limit=query.limit, descending=True
    )
    curves = selectors.curves_for(page.items)
    return {
        "items": [project_out(p, curves[p.pk]) for p in page.items],
        "next": page.next_cursor,
    }


@router.post(
    "/standards/renovations",
    response={201: ProjectDetail, 403: Problem, 422: Problem},
    summary="Create a renovation project",
)
@requires("standards.manage_renovation")
def create_project(request, payload: ProjectIn):
    """The actions must be actions of the centre; the agreement must belong to the
    partner (an agreement alone names its partner); the consultant's account must be a
    standards assessor."""
    user = request.auth
    project = services.create_project(
        user,
        facility=_facility(user, payload.facility),
        title=payload.title,
        scope=payload.scope,
        budget=payload.budget,
        starts_on=payload.starts_on,
        planned_end_on=payload.planned_end_on,
        actions=_actions(payload.actions),
        partner=_partner(payload.partner),
        agreement=_agreement(payload.agreement),
        contractor=payload.contractor,
        consultant=payload.consultant,
        consultant_user=_consultant(payload.consultant_user),
    )
    return Status(201, detail_out(project))


@router.get(
    "/standards/renovations/{public_id}",
    response={200: ProjectDetail, 403: Problem, 404: Problem},
    summary="A renovation project with its S-curve, milestones, money and reports",
)
@requires("standards.view")
def get_project(request, public_id: UUID):
    return detail_out(selectors.project_for(request.auth, public_id))


@router.patch(
    "/standards/renovations/{public_id}",
    response={200: ProjectDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change a project's fields (not its status)",
)
@requires("standards.manage_renovation")
def patch_project(request, public_id: UUID, payload: ProjectPatch):
    """Only the fields given change. A stale `version` answers 409 with `current`."""
    user = request.auth
    project = selectors.project_for(user, public_id)
    given = payload.dict(exclude_unset=True)
    version = given.pop("version")
    changes = {}
    for name, value in given.items():
        if name == "facility":
            changes[name] = _facility(user, value or "")
        elif name == "actions":
            changes[name] = _actions(value or [])
        elif name == "partner":
            changes[name] = _partner(value)
        elif name == "agreement":
            changes[name] = _agreement(value)
        elif name == "consultant_user":
            changes[name] = _consultant(value)
        elif value is None:
            raise ValidationFailed(fields={name: _("This field cannot be emptied.")})
        else:
            changes[name] = value
    try:
        project = services.update_project(user, project, version=version, **changes)
    except Conflict as exc:
        exc.extra = {**exc.extra, "current": _jsonable(detail_out(project))}
        raise
    return detail_out(project)


def _jsonable(data):
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_jsonable(v) for v in data]
    if isinstance(data, UUID | datetime.date | Decimal):
        return str(data)
    return data


def _stale(exc: Conflict, project) -> Conflict:
    exc.extra = {**exc.extra, "current": _jsonable(detail_out(project))}
    return exc


@router.post(
    "/standards/renovations/{public_id}/status",
    response={200: ProjectDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Move the project: tendering, works in progress, back to planned, cancelled",
)
@requires("standards.manage_renovation")
def change_status(request, public_id: UUID, payload: RenovationStatusIn):
    """Works start only when the milestones' weights sum to 100, with a contractor and
    a consultant named. Cancelling needs a reason."""
    project = selectors.project_for(request.auth, public_id)
    try:
        project = services.change_status(
            request.auth, project, to=payload.to, version=payload.version, reason=payload.reason
        )
    except Conflict as exc:
        raise _stale(exc, project) from None
    return detail_out(project)


# --- milestones -----------------------------------------------------------------------


@router.get(
    "/standards/renovations/{public_id}/milestones",
    response={200: list[MilestoneOut], 403: Problem, 404: Problem},
    summary="The project's milestones by planned date",
)
@requires("standards.view")
def list_milestones(request, public_id: UUID):
    project = selectors.project_for(request.auth, public_id)
    return [
        {
            "name": m.name,
            "weight": float(m.weight),
            "planned_on": m.planned_on,
            "done_on": m.done_on,
        }
        for m in project.milestones.order_by("planned_on", "id")
    ]


@router.put(
    "/standards/renovations/{public_id}/milestones",
    response={200: ProjectDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Replace the project's milestones",
)
@requires("standards.manage_renovation")
def put_milestones(request, public_id: UUID, payload: MilestonesIn):
    """The weights may not pass 100 and must be exactly 100 once works have started.
    Errors name the row: `milestones.<n>.<field>`."""
    project = selectors.project_for(request.auth, public_id)
    try:
        services.set_milestones(
            request.auth,
            project,
            milestones=[m.dict() for m in payload.milestones],
            version=payload.version,
        )
    except Conflict as exc:
        raise _stale(exc, project) from None
    return detail_out(project)


# --- money ----------------------------------------------------------------------------


@router.get(
    "/standards/renovations/{public_id}/disbursements",
    response={200: list[DisbursementOut], 403: Problem, 404: Problem},
    summary="The project's planned and paid tranches",
)
@requires("standards.view")
def list_disbursements(request, public_id: UUID):
    project = selectors.project_for(request.auth, public_id)
    return [tranche_out(t) for t in project.disbursements.order_by("paid_on", "planned_on", "id")]


@router.post(
    "/standards/renovations/{public_id}/disbursements",
    response={201: DisbursementOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Record a payment or plan a tranche, in any currency",
)
@requires("standards.manage_renovation")
def add_disbursement(request, public_id: UUID, payload: DisbursementIn):
    """`amount_rp` = `amount` × `rate`, rounded half up to whole rupiah. When the money
    planned and paid would pass the budget, `note` must say why."""
    project = selectors.project_for(request.auth, public_id)
    tranche = services.add_disbursement(request.auth, project, **payload.dict())
    return Status(201, tranche_out(tranche))


@router.post(
    "/standards/renovations/{public_id}/disbursements/pay",
    response={200: DisbursementOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Record a planned tranche as paid",
)
@requires("standards.manage_renovation")
def pay_disbursement(request, public_id: UUID, payload: PayIn):
    project = selectors.project_for(request.auth, public_id)
    tranche = services.disbursement_for(project, payload.disbursement)
    tranche = services.pay_disbursement(
        request.auth,
        tranche,
        paid_on=payload.paid_on,
        amount=payload.amount,
        rate=payload.rate,
        note=payload.note,
    )
    return tranche_out(tranche)


# --- supervision ----------------------------------------------------------------------


@router.get(
    "/standards/renovations/{public_id}/supervision-reports",
    response={200: list[RenovationReportOut], 403: Problem, 404: Problem},
    summary="The project's supervision reports by date, with their photos",
)
@requires("standards.view")
def list_reports(request, public_id: UUID):
    project = selectors.project_for(request.auth, public_id)
    reports = (
        project.supervision_reports.select_related("author")
        .prefetch_related("photos")
        .order_by("reported_on", "id")
    )
    return [report_out(project, r) for r in reports]


@router.post(
    "/standards/renovations/{public_id}/supervision-reports",
    response={201: RenovationReportOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Write a supervision report (the project's consultant)",
)
@requires("standards.supervise")
def add_report(request, public_id: UUID, payload: RenovationReportIn):
    """Only the project's consultant (or a renovation manager) may report. Progress
    lower than an earlier report's needs `progress_note`. Add photos with
    `POST …/photos`."""
    project = selectors.project_for(request.auth, public_id)
    report = services.add_supervision_report(request.auth, project, **payload.dict())
    return Status(201, report_out(project, report))


@router.post(
    "/standards/renovations/{public_id}/photos",
    response={201: RenovationReportOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Upload photos of a supervision report (JPEG or PNG; multipart)",
)
@requires("standards.supervise")
def upload_photos(
    request,
    public_id: UUID,
    report: Form[int],
    files: File[list[UploadedFile]],
    caption: Form[str] = "",
    taken_on: Form[datetime.date | None] = None,
):
    """The type is decided by the content; a file of another type or above the size
    limit answers 422 naming `photos`, and none of the files is stored."""
    project = selectors.project_for(request.auth, public_id)
    found = services.report_for(project, report)
    services.add_photos(request.auth, found, photos=files, caption=caption, taken_on=taken_on)
    found = (
        project.supervision_reports.select_related("author")
        .prefetch_related("photos")
        .get(pk=found.pk)
    )
    return Status(201, report_out(project, found))


@router.get(
    "/standards/renovations/{public_id}/photos/{attachment_id}",
    response={200: None, 403: Problem, 404: Problem},
    summary="A supervision photo (permission-checked)",
    url_name="renovation_photo_file",
)
@requires("standards.view")
def photo_file(request, public_id: UUID, attachment_id: int):
    project = selectors.project_for(request.auth, public_id)
    photo = SupervisionPhoto.objects.filter(pk=attachment_id, report__project=project).first()
    if photo is None:
        raise NotFound(_("No such photo on this project."))
    try:
        handle = services.open_photo(photo)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; tell the administrator.")) from None
    response = FileResponse(
        handle, as_attachment=False, filename=photo.original_name, content_type=photo.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- handover, re-assessment, closing ---------------------------------------------------


@router.post(
    "/standards/renovations/{public_id}/handover",
    response={200: ProjectDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Record the handover (the latest report must show 100 %)",
)
@requires("standards.manage_renovation")
def hand_over(request, public_id: UUID, payload: HandoverIn):
    project = selectors.project_for(request.auth, public_id)
    try:
        project = services.hand_over(request.auth, project, **payload.dict())
    except Conflict as exc:
        raise _stale(exc, project) from None
    return detail_out(project)


@router.post(
    "/standards/renovations/{public_id}/reassessment",
    response={200: ProjectDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Link the re-assessment made after the handover",
)
@requires("standards.manage_renovation")
def link_reassessment(request, public_id: UUID, payload: ReassessmentIn):
    project = selectors.project_for(request.auth, public_id)
    assessment = Assessment.objects.filter(public_id=payload.assessment).first()
    if assessment is None:
        raise ValidationFailed(fields={"assessment": _("No such assessment.")})
    try:
        project = services.link_reassessment(
            request.auth, project, assessment=assessment, version=payload.version
        )
    except Conflict as exc:
        raise _stale(exc, project) from None
    return detail_out(project)


@router.post(
    "/standards/renovations/{public_id}/close",
    response={200: ProjectDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Close the project against its re-assessment",
)
@requires("standards.manage_renovation")
def close(request, public_id: UUID, payload: RenovationCloseIn):
    """Gaps whose criterion the re-assessment rates met are marked done; the others
    stay open and are listed in `closing_result.open` (a `note` is needed then)."""
    project = selectors.project_for(request.auth, public_id)
    try:
        project = services.close_project(
            request.auth, project, version=payload.version, note=payload.note
        )
    except Conflict as exc:
        raise _stale(exc, project) from None
    return detail_out(project)


# --- the partner's portfolio -----------------------------------------------------------


class PortfolioProjectOut(Schema):
    title: str
    scope: str
    status: str
    starts_on: datetime.date
    planned_end_on: datetime.date
    handed_over_on: datetime.date | None
    closed_on: datetime.date | None
    agreement: str
    budget: int
    paid_rp: int
    planned_rp: int
    planned_percent: float | None
    actual_percent: float
    deviation: float | None
    behind: bool
    gaps_proven: int | None
    gaps_open: int | None


class PortfolioCentreOut(Schema):
    code: str
    name: str
    province: str
    kind: str
    is_model: bool
    score: float | None = Field(None, description="Latest standards score, %.")
    met_percent: float | None
    passed: bool | None = Field(None, description="No critical criterion failed.")
    critical_gaps: int | None = Field(None, description="Critical criteria failed, latest.")
    assessed_on: datetime.date | None
    assessment_kind: str
    actions_open: int
    actions_overdue: int
    funded_actions: int
    funded_open: int
    funded_cost: int
    budget: int
    paid_rp: int
    planned_percent: float | None = Field(None, description="Budget-weighted, today.")
    actual_percent: float | None = Field(None, description="Budget-weighted, latest reports.")
    projects: list[PortfolioProjectOut]


class PortfolioOut(Schema):
    partner: dict | None
    message: str = ""
    budget: int = 0
    paid_rp: int = 0
    centres: list[PortfolioCentreOut] = Field(default_factory=list)


def _portfolio_centre(c: selectors.PortfolioCentre) -> dict:
    return {
        "code": c.code,
        "name": c.name,
        "province": c.province,
        "kind": c.kind,
        "is_model": c.is_model,
        "score": _f(c.score),
        "met_percent": _f(c.met_percent),
        "passed": c.passed,
        "critical_gaps": c.critical_gaps,
        "assessed_on": c.assessed_on,
        "assessment_kind": c.assessment_kind,
        "actions_open": c.actions_open,
        "actions_overdue": c.actions_overdue,
        "funded_actions": c.funded_actions,
        "funded_open": c.funded_open,
        "funded_cost": int(c.funded_cost),
        "budget": int(c.budget),
        "paid_rp": int(c.paid),
        "planned_percent": _f(c.planned_percent),
        "actual_percent": _f(c.actual_percent),
        "projects": [
            {
                "title": p.title,
                "scope": p.scope,
                "status": p.status,
                "starts_on": p.starts_on,
                "planned_end_on": p.planned_end_on,
                "handed_over_on": p.handed_over_on,
                "closed_on": p.closed_on,
                "agreement": p.agreement,
                "budget": int(p.budget),
                "paid_rp": int(p.paid),
                "planned_rp": int(p.planned_rp),
                "planned_percent": _f(p.planned_percent),
                "actual_percent": float(p.actual_percent),
                "deviation": _f(p.deviation),
                "behind": p.behind,
                "gaps_proven": p.gaps_proven,
                "gaps_open": p.gaps_open,
            }
            for p in c.projects
        ],
    }


@router.get(
    "/partners/portfolio",
    response={200: PortfolioOut, 403: Problem},
    summary="The centres your partner funds: scores, gaps, renovation progress, money",
    tags=["partners"],
)
@requires("partners.portfolio")
def portfolio(request):
    """Aggregates only: no person is named. An account not linked to a partner gets
    `partner: null` and a message saying whom to ask."""
    partner = selectors.partner_of(request.auth)
    if partner is None:
        return {
            "partner": None,
            "message": str(selectors.NO_PARTNER_MESSAGE),
            "centres": [],
        }
    result = selectors.partner_portfolio(partner)
    return {
        "partner": {"code": partner.code, "name": partner.name, "acronym": partner.acronym},
        "budget": int(result.budget),
        "paid_rp": int(result.paid),
        "centres": [_portfolio_centre(c) for c in result.centres],
    }
