"""The audit trail and the access log, for national administrators: browse with
filters and keyset pages, and export either log through a background job."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rehsos.core import selectors
from rehsos.core.errors import ValidationFailed
from rehsos.core.exports import ACCESS, AUDIT, FORMATS, LogExport, start_export
from rehsos.core.permissions import can, requires

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditRow:
    entry: object
    action: str
    model_name: str
    changes: list[selectors.FieldChange]


def _browse(request: HttpRequest, spec: LogExport, page_of, template: str, rows_of):
    form = spec.form(request.GET or None)
    page = None
    if not form.is_bound or form.is_valid():
        filters = form.filters if form.is_bound else spec.filters()
        try:
            page = page_of(
                user=request.user,
                filters=filters,
                after=request.GET.get("after") or None,
                limit=PAGE_SIZE,
            )
        except ValidationFailed as exc:  # a cursor that was tampered with or is stale
            form.add_error(None, exc.fields.get("after", exc.message))
    query = request.GET.copy()
    query.pop("after", None)
    next_url = None
    if page and page.next_cursor:
        next_url = "?" + urlencode({**query.dict(), "after": page.next_cursor})
    context = {
        "form": form,
        "rows": rows_of(page.items) if page else [],
        "next_url": next_url,
        "first_url": ("?" + query.urlencode()) if request.GET.get("after") else None,
        # The export form carries the filters as they are shown.
        "export_filters": form.filters.as_params() if form.is_bound and form.is_valid() else {},
        "formats": FORMATS,
        "can_export": can(request.user, spec.export_action),
    }
    return render(request, template, context)


def _audit_rows(entries) -> list[AuditRow]:
    return [
        AuditRow(
            entry=entry,
            action=selectors.entry_action(entry),
            model_name=selectors.entry_model_name(entry),
            changes=selectors.entry_changes(entry),
        )
        for entry in entries
    ]


@requires("audit.view")
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    return _browse(request, AUDIT, selectors.audit_page, "core/audit/audit_log.html", _audit_rows)


@requires("access_log.view")
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    return _browse(request, ACCESS, selectors.access_page, "core/audit/access_log.html", list)


def _export(request: HttpRequest, spec: LogExport, back: str) -> HttpResponse:
    form = spec.form(request.POST)
    try:
        job = start_export(
            user=request.user,
            log=spec.name,
            fmt=request.POST.get("format", ""),
            filters=form.validated(),
        )
    except ValidationFailed as exc:
        for field, message in exc.fields.items():
            label = form.fields[field].label if field in form.fields else _("File format")
            messages.error(request, f"{label}: {message}")
        query = {k: v for k, v in request.POST.items() if k in form.fields and v}
        return redirect(f"{reverse(back)}?{urlencode(query)}" if query else reverse(back))
    messages.success(request, _("The export was queued. This page shows its progress."))
    return redirect("core:job", job_id=job.public_id)


@requires("audit.export")
@require_POST
def audit_export(request: HttpRequest) -> HttpResponse:
    return _export(request, AUDIT, "core:audit")


@requires("access_log.export")
@require_POST
def access_log_export(request: HttpRequest) -> HttpResponse:
    return _export(request, ACCESS, "core:access_log")
