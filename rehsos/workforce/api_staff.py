"""Staff, their qualifications, certifications and competencies, and staffing ratios
under /api/v1/workforce/.

Lists never carry a birth year or contact details; a staff member's own record does,
and reading it writes an access-log row. Edits carry the row ``version``: a stale one
is a 409 whose body holds the current record."""

import datetime
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from rehsos.core.access import log_access
from rehsos.core.api import Problem
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.models import User
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires, scoped
from rehsos.facilities.models import Facility
from rehsos.workforce import ratios, selectors
from rehsos.workforce.api_base import WorkforcePageQuery, facility_field, jsonable, number
from rehsos.workforce.models import Competency, Qualification, StaffMember
from rehsos.workforce.services import staff as services

router = Router(tags=["workforce: staff"])


# --- schemas --------------------------------------------------------------------------


class StaffRow(Schema):
    public_id: UUID
    version: int
    facility: str = Field(..., description="The centre's code.")
    name: str
    role: str
    employment: str
    position: str
    started_on: datetime.date
    left_on: datetime.date | None
    active: bool


class StaffPage(Schema):
    items: list[StaffRow]
    next: str | None = Field(None, description="Pass as `after` for the next page.")


class QualificationOut(Schema):
    id: int
    level: str
    field: str
    institution: str
    year: int | None


class CertificationOut(Schema):
    id: int
    staff: UUID
    name: str
    issuer: str
    number: str
    issued_on: datetime.date
    expires_on: datetime.date | None
    status: str = Field(..., description="valid, expiring (within 60 days), expired or no_expiry")


class CompetencyOut(Schema):
    id: int
    code: str
    name: str
    level: str
    assessed_on: datetime.date | None


class StaffOut(StaffRow):
    sex: str
    birth_year: int | None
    email: str
    phone: str
    account: str | None = Field(None, description="Username of the linked account.")
    qualifications: list[QualificationOut]
    certifications: list[CertificationOut]
    competencies: list[CompetencyOut]


class StaffIn(Schema):
    facility: str = Field(..., max_length=40, description="The centre's code.")
    name: str = Field(..., max_length=200)
    sex: str = Field(..., max_length=1, description="M or F")
    birth_year: int | None = None
    role: str = Field(..., max_length=24)
    employment: str = Field(..., max_length=12, description="pns, pppk, honorer or volunteer")
    position: str = Field("", max_length=200)
    started_on: datetime.date
    left_on: datetime.date | None = None
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    account: str | None = Field(None, max_length=150, description="Username at the same centre.")


class StaffPatch(Schema):
    version: int = Field(..., description="The version you read (409 if stale).")
    facility: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=200)
    sex: str | None = Field(None, max_length=1)
    birth_year: int | None = None
    role: str | None = Field(None, max_length=24)
    employment: str | None = Field(None, max_length=12)
    position: str | None = Field(None, max_length=200)
    started_on: datetime.date | None = None
    left_on: datetime.date | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    account: str | None = Field(None, max_length=150, description="Empty string: unlink.")


class StaffQuery(WorkforcePageQuery):
    facility: str | None = Field(None, max_length=40)
    role: str | None = Field(None, max_length=24)
    status: str = Field("active", pattern="^(active|left|all)$")
    q: str | None = Field(None, max_length=100)


class StaffVersionQuery(Schema):
    version: int = Field(..., description="The version you read (409 if stale).")


class CertificationIn(Schema):
    name: str = Field(..., max_length=200)
    issuer: str = Field(..., max_length=200)
    number: str = Field("", max_length=100)
    issued_on: datetime.date
    expires_on: datetime.date | None = None


class CertificationPatch(Schema):
    name: str | None = Field(None, max_length=200)
    issuer: str | None = Field(None, max_length=200)
    number: str | None = Field(None, max_length=100)
    issued_on: datetime.date | None = None
    expires_on: datetime.date | None = None


class ExpiringQuery(WorkforcePageQuery):
    within: int = Field(selectors.EXPIRING_DAYS, ge=0, le=3650)
    expired: bool = Field(False, description="The certifications already expired instead.")


class QualificationIn(Schema):
    level: str = Field(..., max_length=12)
    field: str = Field(..., max_length=200)
    institution: str = Field("", max_length=200)
    year: int | None = None


class CompetencyIn(Schema):
    code: str = Field("", max_length=40, description="SKKNI unit code, if any.")
    name: str = Field(..., max_length=200)
    level: str = Field(..., max_length=12, description="basic, intermediate or advanced")
    assessed_on: datetime.date | None = None


class TrainingRecordOut(Schema):
    training: UUID
    title: str
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date
    hours: int | None
    result: str
    pre_score: float | None
    score: float | None


class RequirementOut(Schema):
    criterion: str
    catalogue: str
    version: int
    residents: int | None
    residents_per_staff: int
    required: int | None


class RoleRatioOut(Schema):
    role: str
    required: int | None
    actual: int
    shortfall: int | None
    status: str = Field(..., description="met, short or unknown (no capacity recorded)")
    requirements: list[RequirementOut]


class CentreRatiosOut(Schema):
    facility: str
    name: str
    staff_by_role: dict[str, int]
    status: str
    shortfall: int
    roles: list[RoleRatioOut]


class RatioPage(Schema):
    items: list[CentreRatiosOut]
    next: str | None = None


class RatioQuery(WorkforcePageQuery):
    facility: str | None = Field(None, max_length=40, description="One centre's code.")


class RoleSummaryOut(Schema):
    role: str
    centres: int
    centres_short: int
    centres_unknown: int
    required: int
    actual: int
    shortfall: int


# --- conversions ----------------------------------------------------------------------


def row_out(staff: StaffMember) -> dict:
    today = timezone.localdate()
    return {
        "public_id": staff.public_id,
        "version": staff.version,
        "facility": staff.facility.code,
        "name": staff.name,
        "role": staff.role,
        "employment": staff.employment,
        "position": staff.position,
        "started_on": staff.started_on,
        "left_on": staff.left_on,
        "active": staff.started_on <= today and (staff.left_on is None or staff.left_on > today),
    }


def certification_out(cert, staff_id=None) -> dict:
    return {
        "id": cert.pk,
        "staff": staff_id or cert.staff.public_id,
        "name": cert.name,
        "issuer": cert.issuer,
        "number": cert.number,
        "issued_on": cert.issued_on,
        "expires_on": cert.expires_on,
        "status": selectors.certification_status(cert),
    }


def staff_out(staff: StaffMember) -> dict:
    return {
        **row_out(staff),
        "sex": staff.sex,
        "birth_year": staff.birth_year,
        "email": staff.email,
        "phone": staff.phone,
        "account": staff.user.username if staff.user_id else None,
        "qualifications": [
            {
                "id": q.pk,
                "level": q.level,
                "field": q.field,
                "institution": q.institution,
                "year": q.year,
            }
            for q in staff.qualifications.all()
        ],
        "certifications": [
            certification_out(c, staff.public_id)
            for c in staff.certifications.order_by("expires_on", "pk")
        ],
        "competencies": [
            {
                "id": c.pk,
                "code": c.code,
                "name": c.name,
                "level": c.level,
                "assessed_on": c.assessed_on,
            }
            for c in staff.competencies.all()
        ],
    }


def _account(code: str | None, facility: Facility | None):
    if not code:
        return None
    account = User.objects.filter(username=code, facility=facility).first()
    if account is None:
        raise ValidationFailed(
            fields={"account": _("No account with this username at the centre.")}
        )
    return account


def _staff(request, public_id) -> StaffMember:
    return selectors.staff_for(request.auth, public_id)


# --- staff ----------------------------------------------------------------------------


@router.get(
    "/workforce/staff",
    response={200: StaffPage, 403: Problem, 422: Problem},
    summary="Staff in your scope, by name (no birth year, no contact details)",
)
@requires("workforce.view")
def list_staff(request, query: Query[StaffQuery]):
    user = request.auth
    rows = selectors.staff_list(
        user,
        facility=facility_field(user, query.facility),
        role=query.role or "",
        status=query.status,
        q=query.q or "",
    )
    page = keyset_page(rows, order=("name", "id"), after=query.after, limit=query.limit)
    return {"items": [row_out(s) for s in page.items], "next": page.next_cursor}


@router.post(
    "/workforce/staff",
    response={201: StaffOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a staff member",
)
@requires("workforce.manage")
def create_staff(request, payload: StaffIn):
    user = request.auth
    data = payload.dict()
    data["facility"] = facility_field(user, payload.facility)
    data["account"] = _account(payload.account, data["facility"])
    staff = services.create_staff(user, **data)
    return Status(201, staff_out(staff))


@router.get(
    "/workforce/staff/{public_id}",
    response={200: StaffOut, 403: Problem, 404: Problem},
    summary="A staff member with qualifications, certifications and competencies",
)
@requires("workforce.view")
def get_staff(request, public_id: UUID):
    staff = _staff(request, public_id)
    log_access(request, staff, purpose="staff record")
    return staff_out(staff)


@router.patch(
    "/workforce/staff/{public_id}",
    response={200: StaffOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change a staff record (give the version you read)",
)
@requires("workforce.manage")
def patch_staff(request, public_id: UUID, payload: StaffPatch):
    user = request.auth
    staff = _staff(request, public_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if "facility" in data:
        data["facility"] = facility_field(user, data["facility"]) or staff.facility
    if "account" in data:
        data["account"] = _account(data["account"], data.get("facility") or staff.facility)
    try:
        staff = services.update_staff(user, staff, version=version, **data)
    except Conflict as exc:
        current = StaffMember.objects.select_related("facility").get(pk=staff.pk)
        exc.extra = {**exc.extra, "current": jsonable(row_out(current))}
        raise
    return staff_out(staff)


@router.delete(
    "/workforce/staff/{public_id}",
    response={204: None, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Delete a record entered by mistake (409 when it has a history)",
)
@requires("workforce.manage")
def delete_staff(request, public_id: UUID, query: Query[StaffVersionQuery]):
    staff = _staff(request, public_id)
    services.delete_staff(request.auth, staff, version=query.version)
    return Status(204, None)


@router.get(
    "/workforce/staff/{public_id}/trainings",
    response={200: list[TrainingRecordOut], 403: Problem, 404: Problem},
    summary="A staff member's training history, newest first",
)
@requires("workforce.view")
def staff_trainings(request, public_id: UUID):
    staff = _staff(request, public_id)
    return [
        {
            "training": p.training.public_id,
            "title": p.training.title,
            "kind": p.training.kind,
            "starts_on": p.training.starts_on,
            "ends_on": p.training.ends_on,
            "hours": p.training.hours,
            "result": p.result,
            "pre_score": number(p.pre_score),
            "score": number(p.score),
        }
        for p in selectors.training_history(staff)
    ]


# --- certifications, qualifications, competencies -------------------------------------


@router.get(
    "/workforce/staff/{public_id}/certifications",
    response={200: list[CertificationOut], 403: Problem, 404: Problem},
    summary="A staff member's certifications, soonest expiry first",
)
@requires("workforce.view")
def list_certifications(request, public_id: UUID):
    staff = _staff(request, public_id)
    return [
        certification_out(c, staff.public_id)
        for c in staff.certifications.order_by("expires_on", "pk")
    ]


@router.post(
    "/workforce/staff/{public_id}/certifications",
    response={201: CertificationOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a certification",
)
@requires("workforce.manage")
def add_certification(request, public_id: UUID, payload: CertificationIn):
    staff = _staff(request, public_id)
    cert = services.add_certification(request.auth, staff, **payload.dict())
    return Status(201, certification_out(cert, staff.public_id))


@router.patch(
    "/workforce/certifications/{int:pk}",
    response={200: CertificationOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Correct or renew a certification",
)
@requires("workforce.manage")
def patch_certification(request, pk: int, payload: CertificationPatch):
    cert = selectors.certification_for(request.auth, pk)
    cert = services.update_certification(request.auth, cert, **payload.dict(exclude_unset=True))
    return certification_out(cert)


@router.delete(
    "/workforce/certifications/{int:pk}",
    response={204: None, 403: Problem, 404: Problem, 422: Problem},
    summary="Remove a certification",
)
@requires("workforce.manage")
def delete_certification(request, pk: int):
    cert = selectors.certification_for(request.auth, pk)
    services.remove_certification(request.auth, cert)
    return Status(204, None)


@router.get(
    "/workforce/certifications/expiring",
    response={200: list[CertificationOut], 403: Problem, 422: Problem},
    summary="Certifications of active staff in scope expiring soon (or expired)",
)
@requires("workforce.view")
def expiring(request, query: Query[ExpiringQuery]):
    """Expiring within `within` days (60 by default), soonest first; `expired=true`
    lists those already expired. At most `limit` rows."""
    rows = selectors.certifications_expiring(
        request.auth, within=query.within, expired=query.expired
    )
    return [certification_out(c) for c in rows[: query.limit]]


@router.post(
    "/workforce/staff/{public_id}/qualifications",
    response={201: QualificationOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a qualification",
)
@requires("workforce.manage")
def add_qualification(request, public_id: UUID, payload: QualificationIn):
    staff = _staff(request, public_id)
    row = services.add_qualification(request.auth, staff, **payload.dict())
    return Status(
        201,
        {
            "id": row.pk,
            "level": row.level,
            "field": row.field,
            "institution": row.institution,
            "year": row.year,
        },
    )


@router.delete(
    "/workforce/qualifications/{int:pk}",
    response={204: None, 403: Problem, 404: Problem, 422: Problem},
    summary="Remove a qualification",
)
@requires("workforce.manage")
def delete_qualification(request, pk: int):
    row = scoped(request.auth, Qualification.objects.select_related("staff")).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("Not found in your scope."))
    services.remove_qualification(request.auth, row)
    return Status(204, None)


@router.post(
    "/workforce/staff/{public_id}/competencies",
    response={201: CompetencyOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a competency (SKKNI unit code or name, and level)",
)
@requires("workforce.manage")
def add_competency(request, public_id: UUID, payload: CompetencyIn):
    staff = _staff(request, public_id)
    row = services.add_competency(request.auth, staff, **payload.dict())
    return Status(
        201,
        {
            "id": row.pk,
            "code": row.code,
            "name": row.name,
            "level": row.level,
            "assessed_on": row.assessed_on,
        },
    )


@router.delete(
    "/workforce/competencies/{int:pk}",
    response={204: None, 403: Problem, 404: Problem, 422: Problem},
    summary="Remove a competency",
)
@requires("workforce.manage")
def delete_competency(request, pk: int):
    row = scoped(request.auth, Competency.objects.select_related("staff")).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("Not found in your scope."))
    services.remove_competency(request.auth, row)
    return Status(204, None)


# --- staffing ratios ------------------------------------------------------------------


def centre_out(centre: ratios.CentreRatios) -> dict:
    return {
        "facility": centre.code,
        "name": centre.name,
        "staff_by_role": centre.staff_by_role,
        "status": centre.status,
        "shortfall": centre.shortfall,
        "roles": [
            {
                "role": r.role,
                "required": r.required,
                "actual": r.actual,
                "shortfall": r.shortfall,
                "status": r.status,
                "requirements": [
                    {
                        "criterion": q.criterion.code,
                        "catalogue": q.criterion.catalogue,
                        "version": q.criterion.version,
                        "residents": q.residents,
                        "residents_per_staff": q.criterion.residents_per_staff,
                        "required": q.required,
                    }
                    for q in r.requirements
                ],
            }
            for r in centre.roles
        ],
    }


@router.get(
    "/workforce/ratios",
    response={200: RatioPage, 403: Problem, 422: Problem},
    summary="Staffing ratios of the centres in your scope, by centre code",
)
@requires("workforce.view")
def list_ratios(request, query: Query[RatioQuery]):
    """For each centre: the staff each current staffing criterion requires
    (⌈residents ÷ residents per staff⌉), the active staff of the role and the
    shortfall. Computed with grouped queries for the whole page of centres."""
    user = request.auth
    facilities = selectors.facilities_in_scope(user)
    if query.facility:
        facilities = facilities.filter(pk=facility_field(user, query.facility).pk)
    page = keyset_page(facilities, order=("code",), after=query.after, limit=query.limit)
    found = ratios.centre_ratios(Facility.objects.filter(pk__in=[f.pk for f in page.items]))
    return {
        "items": [centre_out(found[f.pk]) for f in page.items],
        "next": page.next_cursor,
    }


@router.get(
    "/workforce/ratios/summary",
    response={200: list[RoleSummaryOut], 403: Problem},
    summary="Staffing ratios per role over every centre in your scope",
)
@requires("workforce.view")
def ratio_summary(request):
    overview = ratios.overview(selectors.facilities_in_scope(request.auth))
    return [
        {
            "role": r.role,
            "centres": r.centres,
            "centres_short": r.centres_short,
            "centres_unknown": r.centres_unknown,
            "required": r.required,
            "actual": r.actual,
            "shortfall": r.shortfall,
        }
        for r in overview.roles
    ]
