"""/api/v1/: the audit trail, the access log, their exports and background jobs."""

import posixpath
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.conf import settings
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from rehsos.core import selectors
from rehsos.core.api import Problem
from rehsos.core.errors import ValidationFailed
from rehsos.core.exports import LOGS, start_export
from rehsos.core.logfilters import AccessFilterForm, AuditFilterForm
from rehsos.core.models import AccessLog, Job
from rehsos.core.permissions import require, requires

router = Router(tags=["audit"])

AFTER_HELP = "The `next` of the previous page."


class DateRange(Schema):
    date_from: date | None = Field(None, description="First day (local time), YYYY-MM-DD.")
    date_to: date | None = Field(None, description="Last day (local time), YYYY-MM-DD.")
    after: str | None = Field(None, max_length=300, description=AFTER_HELP)
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)


class AuditQuery(DateRange):
    model: str | None = Field(None, max_length=100, description="Record type, e.g. registry.person")
    action: Literal["create", "update", "delete"] | None = None
    actor: str | None = Field(None, max_length=150, description="Username who made the change.")
    object_id: str | None = Field(None, max_length=64, description="The record's id.")


class AccessQuery(DateRange):
    user: str | None = Field(None, max_length=150, description="Username who read the record.")
    record_type: str | None = Field(None, max_length=64, description="e.g. registry.person")
    record_id: str | None = Field(None, max_length=64, description="The record's public id.")
    channel: Literal["page", "api", "cli"] | None = None


class FieldChangeOut(Schema):
    field: str
    old: str | None
    new: str | None


class AuditEntryOut(Schema):
    id: int
    timestamp: datetime
    action: str = Field(..., examples=["update"])
    model: str = Field(..., examples=["registry.person"])
    object_id: str
    object_repr: str
    actor: str | None = Field(None, description="Username; null for changes made by the system.")
    remote_addr: str | None
    changes: list[FieldChangeOut]


class AuditPage(Schema):
    items: list[AuditEntryOut]
    next: str | None = Field(
        None, description="Pass as `after` for the next page; null at the end."
    )


class AccessEntryOut(Schema):
    id: int
    at: datetime
    user: str
    record_type: str
    record_id: str
    channel: str
    via: str
    purpose: str
    ip_address: str | None


class AccessPage(Schema):
    items: list[AccessEntryOut]
    next: str | None = Field(
        None, description="Pass as `after` for the next page; null at the end."
    )


class ExportIn(Schema):
    log: Literal["audit", "access"]
    format: Literal["csv", "xlsx"] = "csv"
    filters: dict[str, str | None] = Field(
        default_factory=dict,
        description="The list endpoint's filters (without after and limit), "
        'e.g. {"action": "update", "date_from": "2025-01-01"}.',
    )


class JobOut(Schema):
    id: UUID
    kind: str
    title: str
    status: Literal["queued", "running", "done", "failed"]
    done: int
    total: int | None
    percent: int | None
    message: str
    error: str
    result: dict | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str = Field(..., description="This resource.")
    page: str = Field(..., description="The job's page, with its progress bar.")
    file: str | None = Field(None, description="Where to download the result, once done.")


def _filters(form_class, query: Schema):
    """The same validation as the pages: a 422 names each bad field."""
    data = {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in query.dict().items()
        if value is not None
    }
    form = form_class(data)
    return form.validated()


def _audit_out(entry) -> dict:
    return {
        "id": entry.pk,
        "timestamp": entry.timestamp,
        "action": selectors.entry_action(entry),
        "model": f"{entry.content_type.app_label}.{entry.content_type.model}",
        "object_id": entry.object_pk,
        "object_repr": entry.object_repr,
        "actor": entry.actor.username if entry.actor else None,
        "remote_addr": entry.remote_addr,
        "changes": [vars(change) for change in selectors.entry_changes(entry)],
    }


def _access_out(entry: AccessLog) -> dict:
    return {
        "id": entry.pk,
        "at": entry.at,
        "user": entry.user.username,
        "record_type": entry.subject_type,
        "record_id": entry.subject_id,
        "channel": entry.channel,
        "via": entry.via,
        "purpose": entry.purpose,
        "ip_address": entry.ip_address,
    }


def _job_out(request, job: Job) -> dict:
    file_url = None
    if job.status == Job.Status.DONE and job.result_file:
        file_url = request.build_absolute_uri(reverse("api:job_file", args=[job.public_id]))
    return {
        "id": job.public_id,
        "kind": job.kind,
        "title": job.title,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "error": job.error,
        "result": job.result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": request.build_absolute_uri(reverse("api:job", args=[job.public_id])),
        "page": request.build_absolute_uri(reverse("core:job", args=[job.public_id])),
        "file": file_url,
    }


@router.get(
    "/audit-log",
    response={200: AuditPage, 403: Problem, 422: Problem},
    summary="Recorded creates, updates and deletes, newest first",
)
@requires("audit.view")
def audit_log(request, query: Query[AuditQuery]):
    """Each entry names who changed which record when, with every changed field's old
    and new value. Keyset pages: follow `next` with `after` until it is null."""
    filters = _filters(AuditFilterForm, query)
    page = selectors.audit_page(
        user=request.auth, filters=filters, after=query.after, limit=query.limit
    )
    return {"items": [_audit_out(e) for e in page.items], "next": page.next_cursor}


@router.get(
    "/access-log",
    response={200: AccessPage, 403: Problem, 422: Problem},
    summary="Reads of personal records, newest first",
)
@requires("access_log.view")
def access_log(request, query: Query[AccessQuery]):
    """Who read which person's record, when, from which page or endpoint."""
    filters = _filters(AccessFilterForm, query)
    page = selectors.access_page(
        user=request.auth, filters=filters, after=query.after, limit=query.limit
    )
    return {"items": [_access_out(e) for e in page.items], "next": page.next_cursor}


@router.post(
    "/exports",
    response={202: JobOut, 403: Problem, 422: Problem},
    summary="Export the audit trail or the access log as CSV or XLSX",
)
@requires("audit.export")
def create_export(request, payload: ExportIn):
    """Queues a background job and answers 202 with it; poll its `url` for progress
    and download `file` when it is done. Exporting the access log needs the
    access_log.export permission as well."""
    spec = LOGS[payload.log]
    require(request.auth, spec.export_action)
    form = spec.form({k: v for k, v in payload.filters.items() if v is not None})
    unknown = sorted(set(payload.filters) - set(form.fields))
    if unknown:
        raise ValidationFailed(fields={f"filters.{name}": _("Unknown filter.") for name in unknown})
    try:
        filters = form.validated()
    except ValidationFailed as exc:
        raise ValidationFailed(
            fields={f"filters.{name}": message for name, message in exc.fields.items()}
        ) from exc
    job = start_export(user=request.auth, log=payload.log, fmt=payload.format, filters=filters)
    return Status(202, _job_out(request, job))


@router.get(
    "/jobs/{job_id}",
    response={200: JobOut, 404: Problem},
    summary="A background job's progress",
    url_name="job",
)
@requires("jobs.view_own")
def job_detail(request, job_id: UUID):
    """Your own jobs (every job for national admins); any other id answers 404."""
    return _job_out(request, selectors.job_for_user(request.auth, job_id))


@router.get(
    "/jobs/{job_id}/file",
    response={200: None, 404: Problem},
    summary="Download a finished job's file",
    url_name="job_file",
)
@requires("jobs.view_own")
def job_file(request, job_id: UUID):
    job = selectors.job_for_user(request.auth, job_id)
    if job.status != Job.Status.DONE or not job.result_file:
        raise Http404
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=posixpath.basename(job.result_file.name)
    )
