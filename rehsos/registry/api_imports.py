"""/api/v1/ endpoints of the bulk import of persons.

Upload a CSV or XLSX (``POST /person-imports``, multipart): the file is checked at
once — a file that cannot be imported answers 422 problem+json naming every
problem — and a background job checks every row and imports the valid ones. Poll
the import (``GET /person-imports/{id}``) for its progress and counts; download
the rejects report when it has one. Users see their own imports; national
administrators see all.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rehsos.core.api import Problem
from rehsos.core.errors import NotFound
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.registry.importers import columns, jobs, runner
from rehsos.registry.models_import import ImportBatch

router = Router(tags=["person imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportProblem(Problem):
    """A problem that can list every problem with an uploaded file."""

    problems: list[str] | None = Field(None, description="Every problem with the file.")


class ImportOut(Schema):
    id: UUID
    file_name: str
    format: str
    status: str = Field(..., description="queued, validating, importing, done, refused, failed")
    dry_run: bool
    source_system: str
    columns: dict[str, str] = Field(..., description="Field → the header as written in the file")
    rows: int | None = Field(None, description="Data rows (an estimate until checked)")
    valid: int
    rejected: int
    warnings: int
    created: int = Field(..., description="Persons created (would be, in a dry run)")
    updated: int
    unchanged: int
    checkpoint: int = Field(..., description="Last row committed; a resumed run goes on after it")
    problems: list[str]
    percent: int | None = Field(None, description="Progress of the background job")
    message: str = ""
    created_at: datetime
    finished_at: datetime | None
    url: str
    page: str
    job: str | None = Field(None, description="The background job, for its progress")
    rejects_report: str | None = Field(None, description="XLSX of rejected rows and warnings")


class ImportPage(Schema):
    items: list[ImportOut]
    next: str | None = Field(None, description="Cursor of the next page (pass it as after=)")


class ImportsListQuery(Schema):
    after: str | None = Field(None, description="The `next` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


class TemplateQuery(Schema):
    language: Literal["id", "en"] = Field("id", description="id: Indonesian headers; en: English")
    format: Literal["xlsx", "csv"] = "xlsx"


def _out(request, batch: ImportBatch) -> dict:
    job = batch.job
    absolute = request.build_absolute_uri
    return {
        "id": batch.public_id,
        "file_name": batch.original_name,
        "format": batch.format,
        "status": batch.status,
        "dry_run": batch.dry_run,
        "source_system": batch.source_system,
        "columns": batch.columns or {},
        "rows": batch.rows_total,
        "valid": batch.rows_valid,
        "rejected": batch.rows_rejected,
        "warnings": batch.warnings,
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "checkpoint": batch.checkpoint,
        "problems": batch.problems or [],
        "percent": 100
        if batch.status == ImportBatch.Status.DONE
        else (job.percent if job else None),
        "message": job.message if job and not batch.is_finished else "",
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
        "url": absolute(reverse("api:person_import", args=[batch.public_id])),
        "page": absolute(reverse("registry:import_detail", args=[batch.public_id])),
        "job": absolute(reverse("api:job", args=[job.public_id])) if job else None,
        "rejects_report": (
            absolute(reverse("api:person_import_rejects", args=[batch.public_id]))
            if batch.rejects_file
            else None
        ),
    }


@router.get(
    "/person-imports/template",
    response={200: None},
    summary="The import template (XLSX or CSV) with Indonesian or English headers",
    url_name="person_import_template",
)
@requires("persons.import")
def template(request, query: Query[TemplateQuery]):
    if query.format == "csv":
        response = HttpResponse(columns.template_csv(query.language), content_type="text/csv")
    else:
        response = HttpResponse(columns.template_xlsx(query.language), content_type=XLSX)
    name = f"rehsos-persons-{query.language}.{query.format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post(
    "/person-imports",
    response={202: ImportOut, 403: ImportProblem, 422: ImportProblem},
    summary="Upload a CSV or XLSX of persons to import (or only check, with dry_run)",
    url_name="person_imports",
)
@requires("persons.import")
def upload(
    request,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    source_system: Form[str] = "",
):
    """The file is checked now (size, type, encoding, header row): a file that cannot be
    imported answers 422 with every problem. Then a background job checks each row and,
    unless `dry_run`, imports the valid ones; poll `url` for its progress."""
    batch = runner.accept_upload(
        file,
        user=request.auth,
        dry_run=dry_run,
        source_system=source_system,
        language=getattr(request, "LANGUAGE_CODE", ""),
    )
    jobs.start(batch, user=request.auth)
    return Status(202, _out(request, batch))


@router.get(
    "/person-imports",
    response=ImportPage,
    summary="Your imports, newest first (every import for national administrators)",
)
@requires("persons.import")
def list_imports(request, query: Query[ImportsListQuery]):
    page = keyset_page(
        runner.visible_batches(request.auth),
        order=("created_at", "id"),
        after=query.after,
        limit=query.limit,
        descending=True,
    )
    return {"items": [_out(request, b) for b in page.items], "next": page.next_cursor}


@router.get(
    "/person-imports/{import_id}",
    response={200: ImportOut, 404: ImportProblem},
    summary="One import: status, progress and counts",
    url_name="person_import",
)
@requires("persons.import")
def detail(request, import_id: UUID):
    return _out(request, runner.batch_for_user(request.auth, import_id))


@router.get(
    "/person-imports/{import_id}/rejects",
    response={200: None, 404: ImportProblem},
    summary="The rejects report (XLSX): each rejected row and warning with its reason",
    url_name="person_import_rejects",
)
@requires("persons.import")
def rejects(request, import_id: UUID):
    batch = runner.batch_for_user(request.auth, import_id)
    if not batch.rejects_file:
        raise NotFound(_("This import has no rejects report."))
    try:
        handle = batch.rejects_file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("This import has no rejects report.")) from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"rejects-{batch.public_id}.xlsx",
        content_type=XLSX,
    )


@router.post(
    "/person-imports/{import_id}/resume",
    response={202: ImportOut, 404: ImportProblem, 409: ImportProblem},
    summary="Resume a stopped import after its last committed row",
)
@requires("persons.import")
def resume(request, import_id: UUID):
    batch = runner.resume(runner.batch_for_user(request.auth, import_id), user=request.auth)
    return Status(202, _out(request, batch))


@router.post(
    "/person-imports/{import_id}/import",
    response={202: ImportOut, 404: ImportProblem, 409: ImportProblem},
    summary="Import the file that this finished dry run checked",
)
@requires("persons.import")
def import_checked(request, import_id: UUID):
    checked = runner.batch_for_user(request.auth, import_id)
    batch = runner.import_again(checked, user=request.auth)
    jobs.start(batch, user=request.auth)
    return Status(202, _out(request, batch))
