"""Assessment instruments (their definitions and the JSON schema of their answers)
and assessments of a case, scored on save, edited with a row version."""

import datetime
from typing import Annotated, Any
from uuid import UUID

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from rehsos.cases import access
from rehsos.cases.instruments import builtin
from rehsos.cases.instruments import versions as instrument_versions
from rehsos.cases.instruments.forms import answers_json_schema
from rehsos.cases.instruments.schema import validate_definition
from rehsos.cases.models import Assessment, Instrument, InstrumentVersion
from rehsos.cases.services import assessments as services
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import can, requires

router = Router(tags=["assessments"])


def _answers_doc() -> dict:
    """The answers of every built-in instrument, for the API docs (an instrument added
    by an administrator publishes its schema at /instruments/{code}/versions/{n})."""
    variants = []
    for data in builtin.builtin_definitions():
        schema = answers_json_schema(validate_definition(data))
        schema["title"] = f"{data['code']}: {schema.get('title', '')}"
        variants.append(schema)
    return {
        "type": "object",
        "description": (
            "Item code → answer value, checked against the instrument version's definition "
            "(an unknown item or a value outside the scale is a 422 naming `answers.<item>`). "
            "Items hidden by a skip rule are ignored. The schema of any version is at "
            "GET /instruments/{code}/versions/{n}; the built-in instruments are listed here."
        ),
        "additionalProperties": True,
        "anyOf": variants,
    }


Answers = Annotated[dict[str, Any], WithJsonSchema(_answers_doc())]


# --- instruments ---------------------------------------------------------------------------


class PageQuery(Schema):
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)


class AssessmentQuery(PageQuery):
    instrument: str | None = Field(None, max_length=40, description="Only this instrument")


class InstrumentOut(Schema):
    code: str
    name_id: str
    name_en: str
    clusters: list[str]
    is_builtin: bool
    current_version: int | None = Field(None, description="The published version in use")
    versions: list[dict]


class InstrumentPage(Schema):
    items: list[InstrumentOut]
    next: str | None


class VersionOut(Schema):
    code: str
    version: int
    status: str
    published_at: datetime.datetime | None
    definition: dict
    answers_schema: dict = Field(..., description="JSON schema of the answers to this version")


@router.get("/instruments", response=InstrumentPage, summary="Assessment instruments")
@requires("cases.view")
def list_instruments(request, query: Query[PageQuery]):
    manage = can(request.auth, "cases.manage_instruments")
    page = keyset_page(
        Instrument.objects.prefetch_related("versions"),
        order=("code",),
        after=query.after,
        limit=query.limit,
    )
    items = []
    for instrument in page.items:
        versions = sorted(instrument.versions.all(), key=lambda v: v.version)
        shown = [v for v in versions if manage or v.status != InstrumentVersion.Status.DRAFT]
        published = [v.version for v in versions if v.status == InstrumentVersion.Status.PUBLISHED]
        items.append(
            {
                "code": instrument.code,
                "name_id": instrument.name_id,
                "name_en": instrument.name_en,
                "clusters": instrument.clusters,
                "is_builtin": instrument.is_builtin,
                "current_version": max(published) if published else None,
                "versions": [{"version": v.version, "status": v.status} for v in shown],
            }
        )
    return {"items": items, "next": page.next_cursor}


@router.get(
    "/instruments/{code}/versions/{number}",
    response=VersionOut,
    summary="An instrument version: its definition and the JSON schema of its answers",
)
@requires("cases.view")
def get_version(request, code: str, number: int):
    version = instrument_versions.get_version(code, number)
    if version.status == InstrumentVersion.Status.DRAFT and not can(
        request.auth, "cases.manage_instruments"
    ):
        raise NotFound(_("No such instrument version."))
    definition = services.definition_of(version)
    return {
        "code": code,
        "version": version.version,
        "status": version.status,
        "published_at": version.published_at,
        "definition": version.definition,
        "answers_schema": answers_json_schema(definition),
    }


# --- assessments ---------------------------------------------------------------------------


class AssessmentIn(Schema):
    instrument: str = Field(..., description="Instrument code, e.g. barthel")
    version: int | None = Field(
        None, description="Instrument version; the published one in use when left out"
    )
    assessed_on: datetime.date
    answers: Answers = Field(default_factory=dict)
    note: str = ""


class AssessmentPatch(Schema):
    version: int = Field(..., description="The row version you read (409 when stale)")
    assessed_on: datetime.date | None = None
    answers: Answers | None = Field(
        None, description="Answers to change (merged into the saved ones; null removes one)"
    )
    note: str | None = None


class AssessmentOut(Schema):
    public_id: UUID
    version: int
    case: UUID
    instrument: str
    instrument_version: int
    assessed_on: datetime.date
    answers: dict
    is_complete: bool
    missing_items: list[str]
    score: float | None
    band: str
    subscores: dict
    note: str


class AssessmentPage(Schema):
    items: list[AssessmentOut]
    next: str | None


def assessment_out(assessment: Assessment, case_public_id=None) -> dict:
    return {
        "public_id": assessment.public_id,
        "version": assessment.version,
        "case": case_public_id or assessment.case.public_id,
        "instrument": assessment.instrument_version.instrument.code,
        "instrument_version": assessment.instrument_version.version,
        "assessed_on": assessment.assessed_on,
        "answers": assessment.answers,
        "is_complete": assessment.is_complete,
        "missing_items": assessment.missing_items,
        "score": None if assessment.score is None else float(assessment.score),
        "band": assessment.band,
        "subscores": assessment.subscores,
        "note": assessment.note,
    }


def _jsonable(data: dict) -> dict:
    return {k: (str(v) if isinstance(v, UUID | datetime.date) else v) for k, v in data.items()}


@router.post(
    "/cases/{public_id}/assessments",
    response={201: AssessmentOut},
    summary="Record an assessment (scored when complete)",
)
@requires("cases.edit")
def record(request, public_id: UUID, payload: AssessmentIn):
    case = access.get_case(request, public_id, "cases.edit")
    if payload.version is None:
        version = services.current_version(payload.instrument)
    else:
        version = (
            InstrumentVersion.objects.select_related("instrument")
            .filter(instrument__code=payload.instrument, version=payload.version)
            .first()
        )
    if version is None:
        raise ValidationFailed(
            fields={"instrument": _("No published instrument version has this code and number.")}
        )
    assessment = services.record_assessment(
        request.auth,
        case=case,
        instrument_version=version,
        assessed_on=payload.assessed_on,
        answers=payload.answers,
        note=payload.note,
    )
    return Status(201, assessment_out(assessment, case.public_id))


@router.get(
    "/cases/{public_id}/assessments",
    response=AssessmentPage,
    summary="A case's assessments, oldest first",
)
@requires("cases.view")
def list_for_case(request, public_id: UUID, query: Query[AssessmentQuery]):
    case = access.get_case(request, public_id, "cases.view")
    queryset = Assessment.objects.filter(case=case).select_related("instrument_version__instrument")
    if query.instrument:
        queryset = queryset.filter(instrument_version__instrument__code=query.instrument)
    page = keyset_page(queryset, order=("assessed_on", "id"), after=query.after, limit=query.limit)
    return {
        "items": [assessment_out(a, case.public_id) for a in page.items],
        "next": page.next_cursor,
    }


def _assessment(request, public_id: UUID, action: str) -> Assessment:
    found = (
        Assessment.objects.select_related("case", "instrument_version__instrument")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such assessment in your scope."))
    found.case = access.get_case(request, found.case.public_id, action)
    return found


@router.get(
    "/assessments/{public_id}", response=AssessmentOut, summary="An assessment with its scores"
)
@requires("cases.view")
def get_assessment(request, public_id: UUID):
    return assessment_out(_assessment(request, public_id, "cases.view"))


@router.patch(
    "/assessments/{public_id}",
    response=AssessmentOut,
    summary="Edit an assessment with its row version (scores computed again)",
)
@requires("cases.edit")
def edit_assessment(request, public_id: UUID, payload: AssessmentPatch):
    assessment = _assessment(request, public_id, "cases.edit")
    data = payload.dict(exclude_unset=True)
    try:
        assessment = services.update_assessment(
            request.auth,
            assessment,
            version=data["version"],
            answers=data.get("answers"),
            assessed_on=data.get("assessed_on"),
            note=data.get("note"),
            replace=False,
        )
    except Conflict as exc:
        current = Assessment.objects.select_related("case", "instrument_version__instrument").get(
            pk=assessment.pk
        )
        exc.extra = {**exc.extra, "current": _jsonable(assessment_out(current))}
        raise
    return assessment_out(assessment)
