"""Residential stays, occupancy and aftercare visits under /api/v1/."""

import datetime
from uuid import UUID

from django.conf import settings
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from rehsos.cases import access
from rehsos.cases.models import AftercareVisit, Stay
from rehsos.cases.services import aftercare, stays
from rehsos.core.api import Problem
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires

router = Router(tags=["stays and aftercare"])


class StayOut(Schema):
    public_id: UUID
    version: int
    case: UUID
    facility: str = Field(..., description="The centre's code.")
    cluster: str
    admitted_on: datetime.date
    planned_discharge_on: datetime.date | None
    discharged_on: datetime.date | None
    discharge_reason: str
    room: str
    capacity_override: bool
    capacity_override_reason: str


class StayPage(Schema):
    items: list[StayOut]
    next: str | None = Field(None, description="Pass as `after` for the next page.")


class AdmitIn(Schema):
    facility: str = Field(..., max_length=40, description="The centre's code.")
    admitted_on: datetime.date | None = Field(None, description="Default: today.")
    planned_discharge_on: datetime.date | None = None
    room: str = Field("", max_length=40)
    setting_reason: str = Field(
        "", max_length=1000, description="Needed when the case is not residential yet."
    )
    override_reason: str = Field(
        "",
        max_length=1000,
        description="Admit beyond the capacity (cases.override_capacity only).",
    )


class DischargeIn(Schema):
    reason: Stay.DischargeReason
    discharged_on: datetime.date | None = Field(None, description="Default: today.")
    version: int | None = Field(None, description="The stay's version you read (409 if stale).")


class StaysPageQuery(Schema):
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)


class RangeQuery(Schema):
    date_from: str | None = Field(None, alias="from", description="YYYY-MM-DD; default 30 days ago")
    date_to: str | None = Field(None, alias="to", description="YYYY-MM-DD; default today")


class OccupancyDayOut(Schema):
    day: datetime.date
    total: int
    percent: float | None
    clusters: dict[str, int]


class OccupancyOut(Schema):
    facility: str
    date_from: datetime.date = Field(..., alias="from")
    date_to: datetime.date = Field(..., alias="to")
    capacity: int | None
    cluster_capacity: dict[str, int]
    days: list[OccupancyDayOut]


class VisitOut(Schema):
    public_id: UUID
    version: int
    case: UUID
    months_after: int
    due_on: datetime.date
    visited_on: datetime.date | None
    outcome: str
    note: str


class VisitPage(Schema):
    items: list[VisitOut]
    next: str | None = None


class VisitPatch(Schema):
    version: int = Field(..., description="The visit's version you read (409 if stale).")
    visited_on: datetime.date | None = None
    outcome: str | None = Field(
        None, max_length=12, description="One of the aftercare outcomes; required with a visit."
    )
    note: str = Field("", max_length=4000)
    due_on: datetime.date | None = Field(None, description="Reschedule a visit not yet made.")
    lost: bool = Field(False, description="Mark as lost to follow-up.")


def stay_out(stay: Stay, case_id=None) -> dict:
    return {
        "public_id": stay.public_id,
        "version": stay.version,
        "case": case_id or stay.case.public_id,
        "facility": stay.facility.code,
        "cluster": stay.cluster,
        "admitted_on": stay.admitted_on,
        "planned_discharge_on": stay.planned_discharge_on,
        "discharged_on": stay.discharged_on,
        "discharge_reason": stay.discharge_reason,
        "room": stay.room,
        "capacity_override": bool(stay.capacity_override_reason),
        "capacity_override_reason": stay.capacity_override_reason,
    }


def visit_out(visit: AftercareVisit, case_id=None) -> dict:
    return {
        "public_id": visit.public_id,
        "version": visit.version,
        "case": case_id or visit.case.public_id,
        "months_after": visit.months_after,
        "due_on": visit.due_on,
        "visited_on": visit.visited_on,
        "outcome": visit.outcome,
        "note": visit.note,
    }


def _jsonable(data: dict) -> dict:
    return {k: (str(v) if isinstance(v, UUID | datetime.date) else v) for k, v in data.items()}


@router.get(
    "/cases/{public_id}/stays",
    response={200: StayPage, 403: Problem, 404: Problem, 422: Problem},
    summary="A case's residential stays, newest first",
)
@requires("cases.view")
def list_stays(request, public_id: UUID, query: Query[StaysPageQuery]):
    case = access.get_case(request, public_id)
    page = keyset_page(
        case.stays.select_related("facility"),
        order=("admitted_on", "id"),
        after=query.after,
        limit=query.limit,
        descending=True,
    )
    return {"items": [stay_out(s, case.public_id) for s in page.items], "next": page.next_cursor}


@router.post(
    "/cases/{public_id}/stays",
    response={201: StayOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Admit the case to a centre",
)
@requires("cases.edit")
def admit(request, public_id: UUID, payload: AdmitIn):
    """The centre must be in your scope. A full centre answers 409 `capacity_exceeded`
    with `capacity`, `occupied` and `may_override`; a user holding
    cases.override_capacity admits anyway with an `override_reason`."""
    case = access.get_case(request, public_id, "cases.edit")
    try:
        facility = stays.facility_for(request.auth, payload.facility)
    except NotFound as exc:  # name the field, as for any bad input
        raise ValidationFailed(fields={"facility": str(exc.message)}) from exc
    stay = stays.admit(
        request.auth,
        case,
        facility=facility,
        admitted_on=payload.admitted_on,
        planned_discharge_on=payload.planned_discharge_on,
        room=payload.room,
        setting_reason=payload.setting_reason,
        override_reason=payload.override_reason,
    )
    return Status(201, stay_out(stay, case.public_id))


@router.post(
    "/stays/{public_id}/discharge",
    response={200: StayOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Discharge a stay",
)
@requires("cases.edit")
def discharge(request, public_id: UUID, payload: DischargeIn):
    stay = stays.stay_for(request.auth, public_id)
    case = access.get_case(request, stay.case.public_id, "cases.edit")
    try:
        stay = stays.discharge(
            request.auth,
            stay,
            discharged_on=payload.discharged_on,
            reason=payload.reason,
            version=payload.version,
        )
    except Conflict as exc:
        current = Stay.objects.select_related("facility").get(pk=stay.pk)
        exc.extra = {**exc.extra, "current": _jsonable(stay_out(current, case.public_id))}
        raise
    return Status(200, stay_out(stay, case.public_id))


@router.get(
    "/facilities/{code}/occupancy",
    response={200: OccupancyOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Beds used per day and cluster at a centre",
    by_alias=True,
)
@requires("cases.view")
def occupancy(request, code: str, query: Query[RangeQuery]):
    """A stay occupies a bed from its admission day up to the day before its
    discharge. At most 366 days at once."""
    facility = stays.facility_for(request.auth, code)
    today = timezone.localdate()
    start, end = stays.parse_range(
        query.date_from or (today - datetime.timedelta(days=29)), query.date_to or today
    )
    table = stays.occupancy(facility, start, end)
    return {
        "facility": facility.code,
        "from": start,
        "to": end,
        "capacity": table.capacity,
        "cluster_capacity": table.cluster_capacity,
        "days": [
            {
                "day": day.day,
                "total": day.total,
                "percent": day.percent,
                "clusters": {cell.cluster: cell.used for cell in day.cells},
            }
            for day in table.days
        ],
    }


@router.get(
    "/cases/{public_id}/aftercare-visits",
    response={200: VisitPage, 403: Problem, 404: Problem, 422: Problem},
    summary="A case's aftercare visits, by due date",
)
@requires("cases.view")
def list_visits(request, public_id: UUID, query: Query[StaysPageQuery]):
    case = access.get_case(request, public_id)
    page = keyset_page(
        case.aftercare_visits.all(), order=("due_on", "id"), after=query.after, limit=query.limit
    )
    return {"items": [visit_out(v, case.public_id) for v in page.items], "next": page.next_cursor}


@router.patch(
    "/aftercare-visits/{public_id}",
    response={200: VisitOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Record a visit's outcome, reschedule it, or mark it lost to follow-up",
)
@requires("cases.edit")
def patch_visit(request, public_id: UUID, payload: VisitPatch):
    """Give `visited_on` and `outcome` to record the visit, `due_on` alone to
    reschedule it, or `lost: true`."""
    visit = aftercare.visit_for(request.auth, public_id)
    case = access.get_case(request, visit.case.public_id, "cases.edit")
    user, version = request.auth, payload.version
    try:
        if payload.lost:
            visit = aftercare.mark_lost(user, visit, note=payload.note, version=version)
        elif payload.due_on is not None and payload.visited_on is None and not payload.outcome:
            visit = aftercare.reschedule(user, visit, due_on=payload.due_on, version=version)
        else:
            visit = aftercare.record_visit(
                user,
                visit,
                visited_on=payload.visited_on,
                outcome=payload.outcome or "",
                note=payload.note,
                version=version,
            )
    except Conflict as exc:
        current = AftercareVisit.objects.get(pk=visit.pk)
        exc.extra = {**exc.extra, "current": _jsonable(visit_out(current, case.public_id))}
        raise
    return Status(200, visit_out(visit, case.public_id))
