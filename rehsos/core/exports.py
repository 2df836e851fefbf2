"""Exports of the audit trail and the access log, as CSV or XLSX, made by a job.

``start_export`` checks the permission and queues the job; ``write_export`` (run
by the worker, see tasks.py) walks the log in keyset chunks, writes the file to
default storage and reports progress row by row. The filters are re-checked
against the job's creator when it runs, so a user who lost the right meanwhile
gets a failed job, not a file.
"""

import csv
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.core.files import File
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from rehsos.core import selectors
from rehsos.core.errors import ValidationFailed
from rehsos.core.jobs import Progress, start_job
from rehsos.core.logfilters import (
    AccessFilterForm,
    AccessFilters,
    AuditFilterForm,
    AuditFilters,
)
from rehsos.core.models import Job
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import require

FORMATS = ("csv", "xlsx")
CHUNK = 2000
EMPTY = "—"


@dataclass(frozen=True)
class LogExport:
    """What differs between the two logs' exports."""

    name: str  # as the API and the command line say it: "audit", "access"
    kind: str  # the job kind
    export_action: str
    label: Promise
    file_stem: str
    form: type
    filters: type
    time_field: str
    order: tuple[str, ...]
    entries: Callable[..., QuerySet]
    headers: Callable[[], list[str]]
    row: Callable[[object], list]


def _changes_text(entry) -> str:
    return "; ".join(
        f"{change.field}: {change.old or EMPTY} → {change.new or EMPTY}"
        for change in selectors.entry_changes(entry)
    )


def _audit_headers() -> list[str]:
    return [
        _("Time"),
        _("Action"),
        _("Record type"),
        _("Record id"),
        _("Record"),
        _("User"),
        _("Changes"),
        _("IP address"),
    ]


def _audit_row(entry) -> list:
    return [
        entry.timestamp,
        selectors.entry_action(entry),
        f"{entry.content_type.app_label}.{entry.content_type.model}",
        entry.object_pk,
        entry.object_repr,
        entry.actor.username if entry.actor else "",
        _changes_text(entry),
        entry.remote_addr or "",
    ]


def _access_headers() -> list[str]:
    return [
        _("Time"),
        _("User"),
        _("Record type"),
        _("Record id"),
        _("Channel"),
        _("Page or endpoint"),
        _("Purpose"),
        _("IP address"),
    ]


def _access_row(entry) -> list:
    return [
        entry.at,
        entry.user.username,
        entry.subject_type,
        entry.subject_id,
        entry.channel,
        entry.via,
        entry.purpose,
        entry.ip_address or "",
    ]


AUDIT = LogExport(
    name="audit",
    kind="audit.export",
    export_action="audit.export",
    label=gettext_lazy("Audit trail"),
    file_stem="audit-log",
    form=AuditFilterForm,
    filters=AuditFilters,
    time_field="timestamp",
    order=selectors.AUDIT_ORDER,
    entries=selectors.audit_entries,
    headers=_audit_headers,
    row=_audit_row,
)
ACCESS = LogExport(
    name="access",
    kind="access_log.export",
    export_action="access_log.export",
    label=gettext_lazy("Access log"),
    file_stem="access-log",
    form=AccessFilterForm,
    filters=AccessFilters,
    time_field="at",
    order=selectors.ACCESS_ORDER,
    entries=selectors.access_entries,
    headers=_access_headers,
    row=_access_row,
)
LOGS = {spec.name: spec for spec in (AUDIT, ACCESS)}


def start_export(*, user, log: str, fmt: str, filters) -> Job:
    """Queue an export of ``log`` ("audit" or "access") in ``fmt`` ("csv" or "xlsx")."""
    problems = {}
    if log not in LOGS:
        problems["log"] = _("Choose audit or access.")
    if fmt not in FORMATS:
        problems["format"] = _("Choose csv or xlsx.")
    if problems:
        raise ValidationFailed(fields=problems)
    spec = LOGS[log]
    if user is not None:
        require(user, spec.export_action)
    title = _("%(log)s export (%(format)s)") % {"log": spec.label, "format": fmt.upper()}
    params = {"log": log, "format": fmt, "filters": filters.as_params()}
    return start_job(spec.kind, user=user, title=title, params=params)


def _cell_text(value: str) -> str:
    # A spreadsheet runs a cell that starts like a formula; quoting it keeps it text.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class CsvWriter:
    """UTF-8 with a byte-order mark, so that Excel reads Indonesian names right."""

    def __init__(self, headers: list[str]):
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - handed back open by finish()
        self._text = io.TextIOWrapper(self._file, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)
        self._csv.writerow(headers)

    def write(self, row: list) -> None:
        self._csv.writerow([self._value(value) for value in row])

    @staticmethod
    def _value(value):
        if isinstance(value, datetime):
            return timezone.localtime(value).isoformat(timespec="seconds")
        if isinstance(value, str):
            return _cell_text(value)
        return value

    def finish(self) -> IO[bytes]:
        self._text.flush()
        self._text.detach()
        self._file.seek(0)
        return self._file


class XlsxWriter:
    """openpyxl in write-only mode: rows stream to disk, memory stays flat."""

    def __init__(self, headers: list[str]):
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(_("Log"))
        bold = Font(bold=True)
        header_cells = []
        for text in headers:
            cell = WriteOnlyCell(self._sheet, value=str(text))
            cell.font = bold
            header_cells.append(cell)
        self._sheet.append(header_cells)

    def write(self, row: list) -> None:
        self._sheet.append([self._cell(value) for value in row])

    def _cell(self, value):
        if isinstance(value, datetime):
            # Excel has no time zones: the local wall-clock time, as the pages show it.
            return timezone.localtime(value).replace(tzinfo=None)
        if isinstance(value, str):
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            return cell
        return value

    def finish(self) -> IO[bytes]:
        target = tempfile.TemporaryFile()  # noqa: SIM115 - handed back open to the caller
        self._book.save(target)
        target.seek(0)
        return target


WRITERS = {"csv": CsvWriter, "xlsx": XlsxWriter}


def write_export(job: Job, progress: Progress, spec: LogExport) -> dict:
    """The job handler: every matching row, newest first, into job.result_file."""
    fmt = job.params.get("format", "csv")
    if fmt not in WRITERS:
        raise ValidationFailed(_("Unknown export format."), fields={"format": fmt})
    filters = spec.filters.from_params(job.params.get("filters", {}))
    started = job.started_at or timezone.now()
    # Rows written after the job started are left for the next export: the count holds.
    entries = spec.entries(user=job.created_by, filters=filters).filter(
        **{f"{spec.time_field}__lte": started}
    )
    progress.note(_("Counting rows"))
    progress.total = entries.count()
    writer = WRITERS[fmt](spec.headers())
    cursor = None
    while True:
        page = keyset_page(entries, order=spec.order, after=cursor, limit=CHUNK, descending=True)
        for entry in page.items:
            writer.write(spec.row(entry))
        progress.advance(len(page.items), _("Writing rows"))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    progress.note(_("Saving the file"))
    stamp = timezone.localtime(started).strftime("%Y%m%d-%H%M%S")
    name = f"{job.public_id}/{spec.file_stem}-{stamp}.{fmt}"
    with writer.finish() as handle:
        job.result_file.save(name, File(handle), save=False)
    summary = ngettext(
        "%(count)s row written to %(format)s.",
        "%(count)s rows written to %(format)s.",
        progress.done,
    ) % {"count": f"{progress.done:,}", "format": fmt.upper()}
    return {"rows": progress.done, "format": fmt, "file": job.result_file.name, "summary": summary}
