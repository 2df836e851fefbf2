"""The standards catalogue under /api/v1/standards/catalogues.

Reading needs ``standards.view``; every change ``standards.manage_catalogue``. Criteria
change only in a draft version (409 ``not_a_draft`` otherwise); every change to a
draft carries the draft's row ``version`` you read (409 ``conflict`` when it moved on,
with ``current_version``). Bad values answer 422 problem+json naming each field.

XLSX round trip: ``GET …/export`` downloads a version; ``POST …/import`` (multipart,
field ``file``) checks a workbook against a draft. A file with problems answers 422
with ``errors``: one ``{row, column, cell, field, message}`` per problem, nothing
changed. A valid file answers 200 with the differences and a ``token``; ``POST
…/import/confirm`` with that token applies it (409 when the draft changed since).
"""

import datetime
from decimal import Decimal
from uuid import UUID

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rehsos.core.api import Problem, problem
from rehsos.core.permissions import requires
from rehsos.standards import selectors_catalogue as selectors
from rehsos.standards import services_catalogue as services
from rehsos.standards import xlsx_catalogue as xlsx
from rehsos.standards.models import CatalogueVersion, Criterion

router = Router(tags=["standards catalogue"])

VIEW = "standards.view"
MANAGE = services.MANAGE
BASE = "/standards/catalogues"
VERSION = BASE + "/{code}/versions/{number}"


class CatalogueOut(Schema):
    code: str
    name_id: str
    name_en: str
    clusters: list[str]
    description: str
    in_force: int | None = Field(None, description="The version in force today.")
    draft: int | None = Field(None, description="The draft version, if any.")
    versions: int


class CatalogueIn(Schema):
    code: str = Field(..., max_length=40, description="Lower-case letters, digits, hyphens.")
    name_id: str = Field(..., max_length=200)
    name_en: str = Field(..., max_length=200)
    clusters: list[str] = Field(default_factory=list, description="ANAK, LU, PD, KPN, TS-KPO")
    description: str = Field("", max_length=4000)


class CatalogueVersionOut(Schema):
    catalogue: str
    number: int
    status: str = Field(..., description="draft, adopted or retired")
    in_force: bool = Field(..., description="In force today (by its dates).")
    effective_from: datetime.date | None
    effective_to: datetime.date | None = Field(None, description="Its last day in force.")
    adopted_at: datetime.datetime | None
    adopted_by: str | None
    source_note: str
    notes: str
    version: int = Field(..., description="The row version: send it with every change.")
    criteria: int


class CriterionOut(Schema):
    code: str
    domain: str
    order: int
    text_id: str
    text_en: str
    guidance_id: str
    guidance_en: str
    evidence_id: str
    evidence_en: str
    weight: float
    scale: str
    critical: bool
    reference: str
    staff_role: str
    residents_per_staff: int | None


class CriterionFields(Schema):
    domain: str | None = Field(None, max_length=10, description="ACC, ROOM, EQP, STF, SVC, …")
    text_id: str | None = Field(None, max_length=services.TEXT_MAX)
    text_en: str | None = Field(None, max_length=services.TEXT_MAX)
    guidance_id: str | None = Field(None, max_length=services.LONG_TEXT_MAX)
    guidance_en: str | None = Field(None, max_length=services.LONG_TEXT_MAX)
    evidence_id: str | None = Field(None, max_length=services.LONG_TEXT_MAX)
    evidence_en: str | None = Field(None, max_length=services.LONG_TEXT_MAX)
    weight: Decimal | None = Field(None, description="0 or more, at most two decimals.")
    scale: str | None = Field(None, max_length=10, description="four or yes_no")
    critical: bool | None = None
    reference: str | None = Field(None, max_length=services.REFERENCE_MAX)
    staff_role: str | None = Field(None, max_length=32, description="A workforce staff role.")
    residents_per_staff: int | None = Field(None, description="Only with a staff role.")


class CriterionIn(CriterionFields):
    code: str = Field(..., max_length=services.CODE_MAX)
    version: int = Field(..., description="The draft's row version you read (409 if stale).")
    position: int | None = Field(
        None, ge=1, description="1-based place; default: after its domain's criteria."
    )


class CriterionPatch(CriterionFields):
    code: str | None = Field(None, max_length=services.CODE_MAX)
    version: int = Field(..., description="The draft's row version you read (409 if stale).")


class DraftIn(Schema):
    notes: str = Field("", max_length=4000, description="What this version changes.")


class AdoptIn(Schema):
    effective_from: datetime.date = Field(..., description="The first day it is in force.")
    version: int = Field(..., description="The draft's row version you read.")


class RetireIn(Schema):
    on: datetime.date | None = Field(
        None, description="Withdrawn from this day (its last day is the day before); default today."
    )
    version: int = Field(..., description="The version's row version you read.")


class OrderIn(Schema):
    codes: list[str] = Field(..., max_length=xlsx.MAX_ROWS, description="Every code, once.")
    version: int


class StampQuery(Schema):
    version: int = Field(..., description="The draft's row version you read.")


class ConfirmIn(Schema):
    token: str = Field(..., max_length=1000, description="The token of the preview.")


class CatalogueFieldChangeOut(Schema):
    field: str
    label: str
    before: str
    after: str


class ChangedOut(Schema):
    code: str
    changes: list[CatalogueFieldChangeOut]


class DiffOut(Schema):
    added: list[dict]
    removed: list[dict]
    changed: list[ChangedOut]
    moved: list[str]
    unchanged: int


class VersionsDiffOut(DiffOut):
    before: int
    after: int


class PreviewOut(DiffOut):
    token: str = Field(..., description="Send it to …/import/confirm to apply the file.")
    import_id: UUID
    file_name: str
    sha256: str
    draft_version: int = Field(..., description="The draft's row version the preview is for.")
    rows: int
    ignored_columns: list[str]


class ConfirmOut(Schema):
    import_id: UUID
    added: int
    updated: int
    removed: int
    version: CatalogueVersionOut


class DiffQuery(Schema):
    before: int = Field(..., alias="from", description="The earlier version's number.")
    after: int = Field(..., alias="to", description="The later version's number.")


# --- shaping -----------------------------------------------------------------------------


def catalogue_out(row: selectors.CatalogueRow) -> dict:
    c = row.catalogue
    return {
        "code": c.code,
        "name_id": c.name_id,
        "name_en": c.name_en,
        "clusters": list(c.clusters or []),
        "description": c.description,
        "in_force": row.in_force.number if row.in_force else None,
        "draft": row.draft.number if row.draft else None,
        "versions": row.versions,
    }


def version_out(version: CatalogueVersion, criteria: int | None = None) -> dict:
    if criteria is None:
        criteria = getattr(version, "criteria_count", None)
    if criteria is None:
        criteria = version.criteria.count()
    return {
        "catalogue": version.catalogue.code,
        "number": version.number,
        "status": version.status,
        "in_force": selectors.is_in_force(version, timezone.localdate()),
        "effective_from": version.effective_from,
        "effective_to": version.effective_to,
        "adopted_at": version.adopted_at,
        "adopted_by": version.adopted_by.username if version.adopted_by else None,
        "source_note": version.source_note,
        "notes": version.notes,
        "version": version.version,
        "criteria": criteria,
    }


def criterion_out(criterion: Criterion) -> dict:
    values = services.criterion_values(criterion)
    values["weight"] = float(values["weight"])
    values["order"] = criterion.order
    return values


def _row_out(row: dict) -> dict:
    return {**row, "weight": float(row["weight"]) if row.get("weight") is not None else None}


def diff_out(changes: selectors.Diff) -> dict:
    return {
        "added": [_row_out(r) for r in changes.added],
        "removed": [_row_out(r) for r in changes.removed],
        "changed": [
            {"code": c.code, "changes": [vars(f) for f in c.changes]} for c in changes.changed
        ],
        "moved": list(changes.moved),
        "unchanged": changes.unchanged,
    }


def _rejected(request, exc: xlsx.ImportRejected):
    return problem(
        request,
        422,
        exc.title,
        code=exc.code,
        detail=str(exc.message),
        errors=[e.as_dict() for e in exc.rows],
    )


def _catalogue_row(user, code: str) -> selectors.CatalogueRow:
    catalogue = selectors.catalogue_for(user, code)
    return next(r for r in selectors.catalogue_rows(user) if r.catalogue.pk == catalogue.pk)


def _values(payload: CriterionFields) -> dict:
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    data.pop("position", None)
    return {k: ("" if v is None and k != "residents_per_staff" else v) for k, v in data.items()}


# --- catalogues --------------------------------------------------------------------------


@router.get(BASE, response=list[CatalogueOut], summary="Every standards catalogue")
@requires(VIEW)
def list_catalogues(request):
    return [catalogue_out(row) for row in selectors.catalogue_rows(request.auth)]


@router.post(
    BASE,
    response={201: CatalogueOut, 403: Problem, 422: Problem},
    summary="A new catalogue (with an empty draft version 1)",
)
@requires(MANAGE)
def create_catalogue(request, payload: CatalogueIn):
    catalogue = services.create_catalogue(user=request.auth, **payload.dict())
    return Status(201, catalogue_out(_catalogue_row(request.auth, catalogue.code)))


@router.get(BASE + "/{code}", response={200: CatalogueOut, 404: Problem}, summary="One catalogue")
@requires(VIEW)
def get_catalogue(request, code: str):
    return catalogue_out(_catalogue_row(request.auth, code))


@router.get(
    BASE + "/{code}/versions",
    response={200: list[CatalogueVersionOut], 404: Problem},
    summary="A catalogue's versions, newest first",
)
@requires(VIEW)
def list_versions(request, code: str):
    catalogue = selectors.catalogue_for(request.auth, code)
    versions = selectors.versions_of(catalogue)
    out = []
    for version in versions:
        version.catalogue = catalogue
        out.append(version_out(version))
    return out


@router.post(
    BASE + "/{code}/versions",
    response={201: CatalogueVersionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="A new draft: a copy of the latest version",
)
@requires(MANAGE)
def create_draft(request, code: str, payload: DraftIn):
    """409 `draft_exists` when the catalogue has a draft already (one at a time)."""
    catalogue = selectors.catalogue_for(request.auth, code)
    draft = services.new_draft(user=request.auth, catalogue=catalogue, notes=payload.notes)
    return Status(201, version_out(draft))


@router.get(
    BASE + "/{code}/diff",
    response={200: VersionsDiffOut, 404: Problem, 422: Problem},
    summary="The differences between two versions",
    by_alias=True,
)
@requires(VIEW)
def diff_versions(request, code: str, query: Query[DiffQuery]):
    before = selectors.version_for(request.auth, code, query.before)
    after = selectors.version_for(request.auth, code, query.after)
    return {
        "before": before.number,
        "after": after.number,
        **diff_out(selectors.diff_versions(before, after)),
    }


# --- a version ---------------------------------------------------------------------------


@router.get(VERSION, response={200: CatalogueVersionOut, 404: Problem}, summary="One version")
@requires(VIEW)
def get_version(request, code: str, number: int):
    return version_out(selectors.version_for(request.auth, code, number))


@router.delete(
    VERSION,
    response={204: None, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Discard a draft version",
)
@requires(MANAGE)
def discard_draft(request, code: str, number: int, query: Query[StampQuery]):
    version = selectors.version_for(request.auth, code, number)
    services.discard_draft(user=request.auth, version=version, expected_version=query.version)
    return Status(204, None)


@router.get(
    VERSION + "/criteria",
    response={200: list[CriterionOut], 404: Problem},
    summary="A version's criteria, in order (all of them: a version has a few hundred)",
)
@requires(VIEW)
def list_criteria(request, code: str, number: int):
    version = selectors.version_for(request.auth, code, number)
    return [criterion_out(c) for c in selectors.criteria_of(version)]


@router.post(
    VERSION + "/criteria",
    response={201: CriterionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Add a criterion to a draft",
)
@requires(MANAGE)
def add_criterion(request, code: str, number: int, payload: CriterionIn):
    version = selectors.version_for(request.auth, code, number)
    criterion = services.add_criterion(
        user=request.auth,
        version=version,
        data=_values(payload),
        expected_version=payload.version,
        position=payload.position,
    )
    return Status(201, criterion_out(criterion))


@router.get(
    VERSION + "/criteria/{criterion}",
    response={200: CriterionOut, 404: Problem},
    summary="One criterion",
)
@requires(VIEW)
def get_criterion(request, code: str, number: int, criterion: str):
    version = selectors.version_for(request.auth, code, number)
    return criterion_out(selectors.criterion_for(version, criterion))


@router.patch(
    VERSION + "/criteria/{criterion}",
    response={200: CriterionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change a criterion of a draft (only the fields sent)",
)
@requires(MANAGE)
def update_criterion(request, code: str, number: int, criterion: str, payload: CriterionPatch):
    version = selectors.version_for(request.auth, code, number)
    row = selectors.criterion_for(version, criterion)
    row = services.update_criterion(
        user=request.auth, criterion=row, data=_values(payload), expected_version=payload.version
    )
    return criterion_out(row)


@router.delete(
    VERSION + "/criteria/{criterion}",
    response={204: None, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Delete a criterion from a draft",
)
@requires(MANAGE)
def delete_criterion(request, code: str, number: int, criterion: str, query: Query[StampQuery]):
    version = selectors.version_for(request.auth, code, number)
    row = selectors.criterion_for(version, criterion)
    services.delete_criterion(user=request.auth, criterion=row, expected_version=query.version)
    return Status(204, None)


@router.put(
    VERSION + "/order",
    response={200: CatalogueVersionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Put a draft's criteria in a new order (every code once)",
)
@requires(MANAGE)
def reorder(request, code: str, number: int, payload: OrderIn):
    version = selectors.version_for(request.auth, code, number)
    services.reorder_criteria(
        user=request.auth, version=version, codes=payload.codes, expected_version=payload.version
    )
    return version_out(selectors.version_for(request.auth, code, number))


@router.post(
    VERSION + "/adopt",
    response={200: CatalogueVersionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Adopt a draft from a date",
)
@requires(MANAGE)
def adopt(request, code: str, number: int, payload: AdoptIn):
    """The version adopted before ends the day before `effective_from` and is retired on
    that day (at once when the day is today or past)."""
    version = selectors.version_for(request.auth, code, number)
    adopted = services.adopt(
        user=request.auth,
        version=version,
        effective_from=payload.effective_from,
        expected_version=payload.version,
    )
    return version_out(adopted)


@router.post(
    VERSION + "/retire",
    response={200: CatalogueVersionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Withdraw an adopted version from a date",
)
@requires(MANAGE)
def retire(request, code: str, number: int, payload: RetireIn):
    version = selectors.version_for(request.auth, code, number)
    retired = services.retire(
        user=request.auth, version=version, on=payload.on, expected_version=payload.version
    )
    return version_out(retired)


# --- XLSX --------------------------------------------------------------------------------


@router.get(
    VERSION + "/export",
    response={200: None, 404: Problem},
    summary="The version as an Excel workbook (Criteria and README sheets)",
)
@requires(VIEW)
def export(request, code: str, number: int):
    version = selectors.version_for(request.auth, code, number)
    response = HttpResponse(xlsx.export_version(version), content_type=xlsx.uploads.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{xlsx.export_filename(version)}"'
    return response


@router.post(
    VERSION + "/import",
    response={200: PreviewOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Check an XLSX against a draft: its row errors (422) or its differences (200)",
)
@requires(MANAGE)
def import_file(request, code: str, number: int, file: File[UploadedFile]):
    """Nothing changes here. 422 `import_rejected` lists every problem of the file
    (`row`, `column`, `cell`, `message`); a file that is not an XLSX answers 422 on
    `file`. 200 gives the differences and the `token` to confirm them with."""
    version = selectors.version_for(request.auth, code, number)
    try:
        preview = xlsx.preview_import(user=request.auth, version=version, upload=file)
    except xlsx.ImportRejected as exc:
        return _rejected(request, exc)
    record = preview.record
    return {
        **diff_out(preview.diff),
        "token": preview.token,
        "import_id": record.public_id,
        "file_name": record.original_name,
        "sha256": record.sha256,
        "draft_version": record.base_version,
        "rows": record.rows,
        "ignored_columns": preview.ignored_columns,
    }


@router.post(
    VERSION + "/import/confirm",
    response={200: ConfirmOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Apply a previewed XLSX to the draft",
)
@requires(MANAGE)
def confirm_import(request, code: str, number: int, payload: ConfirmIn):
    """409 `import_stale` when the draft changed after the preview (upload again);
    409 `import_closed` when the preview was applied or expired."""
    version = selectors.version_for(request.auth, code, number)
    try:
        record = xlsx.confirm_import(user=request.auth, version=version, token=payload.token)
    except xlsx.ImportRejected as exc:
        return _rejected(request, exc)
    applied = record.summary.get("applied", {})
    return {
        "import_id": record.public_id,
        "added": applied.get("added", 0),
        "updated": applied.get("updated", 0),
        "removed": applied.get("removed", 0),
        "version": version_out(selectors.version_for(request.auth, code, number)),
    }
