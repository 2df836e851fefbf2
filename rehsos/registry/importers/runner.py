"""Running a person import: accept the file, check every row, then commit in batches.

    batch = accept(path=…, name="daftar.csv", user=…, dry_run=False, source_system="siks")
    run(batch, progress)       # in the worker (jobs.py) or on the command line

``accept`` refuses a file it cannot read (size, type, encoding, header) with
:class:`FileRefused` before anything is stored. ``run`` makes two passes:

1. **Validation.** Every row is checked (rows.py) — in worker processes for a
   large file — and written to a spool of ready-to-write lines, or to the report
   with its problems. A row repeating a natural key of an earlier row is rejected
   too. Nothing is written to the registry; a file that turns out unreadable half
   way is refused as a whole.
2. **Commit.** The spool is written in batches (store.py), each one transaction
   that also moves the checkpoint. A dry run matches and counts but writes nothing.

A run stopped by a crash, a kill or Ctrl-C is resumed by running the batch again:
validation is redone only if its spool is gone, the commit continues after the
checkpoint. At the end the report becomes an XLSX, the work files are removed,
and so is the uploaded file (its rows are in the registry now; a dry run keeps it
for the real import).
"""

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict, NotFound
from rehsos.core.permissions import can, require
from rehsos.regions.models import Level, Region
from rehsos.registry.identifiers import Sealer
from rehsos.registry.importers import columns, files, report, validation
from rehsos.registry.importers.columns import FileRefused
from rehsos.registry.importers.store import KEY_END, BatchOverlap, Store
from rehsos.registry.models_import import ImportBatch

BATCH_ROWS = 5000  # rows per commit transaction

Status = ImportBatch.Status


class NoProgress:
    """Progress for callers that do not show it."""

    done = 0
    total = None

    def advance(self, count: int = 1, message: str | None = None) -> None:
        self.done += count

    def note(self, message: str) -> None:
        return None


def work_dir(batch: ImportBatch) -> Path:
    return Path(settings.VAR_DIR) / "imports" / str(batch.public_id)


def default_village(user) -> str:
    facility = getattr(user, "facility", None) if user else None
    return facility.region_id if facility else ""


def check_file(path: Path, name: str, *, user) -> tuple[files.FileInfo, columns.HeaderMap]:
    """Refuse a file we cannot import (FileRefused, every problem named), else describe it."""
    info = files.inspect(Path(path), name)
    with files.open_rows(Path(path), info) as (header, _rows):
        mapped = columns.read_header(header, village_required=not default_village(user))
    return info, mapped


def resumable(*, sha256: str, user, source_system: str, dry_run: bool) -> ImportBatch | None:
    """An unfinished import of the same file by the same user, to continue."""
    return (
        ImportBatch.objects.filter(
            sha256=sha256,
            created_by=user,
            source_system=source_system,
            dry_run=dry_run,
            status__in=[Status.QUEUED, Status.VALIDATING, Status.IMPORTING, Status.FAILED],
        )
        .order_by("-created_at")
        .first()
    )


def accept(
    *,
    path: Path,
    name: str,
    user,
    dry_run: bool = False,
    source_system: str = "",
    language: str = "",
    checked: tuple[files.FileInfo, columns.HeaderMap] | None = None,
) -> ImportBatch:
    """Check the file (unless ``checked`` holds what check_file said of it) and store it
    with a new queued batch. Raises FileRefused."""
    source_system = " ".join(source_system.split())
    if len(source_system) > 40:
        raise FileRefused(
            [_("The source system's name has at most 40 characters.")], field="source_system"
        )
    info, mapped = checked or check_file(path, name, user=user)
    name = Path(name).name[:200] or "import.csv"
    batch = ImportBatch(
        original_name=name,
        format=info.format,
        size=info.size,
        sha256=info.sha256,
        encoding=info.encoding,
        delimiter=info.delimiter,
        source_system=source_system,
        dry_run=dry_run,
        language=language or getattr(user, "language", "") or settings.LANGUAGE_CODE,
        created_by=user,
        facility=getattr(user, "facility", None) if user else None,
        default_village=default_village(user),
        columns=mapped.written,
        rows_total=info.estimated_rows,
    )
    with Path(path).open("rb") as handle:
        batch.file.save(f"{batch.public_id}/{name}", File(handle), save=False)
    batch.save()
    return batch


@contextmanager
def _upload_path(upload) -> Iterator[Path]:
    """An uploaded file as a path: Django's temporary file, or a copy of a small upload."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name or "").suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        yield Path(handle.name)


def accept_upload(
    upload, *, user, dry_run: bool = False, source_system: str = "", language: str = ""
) -> ImportBatch:
    """``accept`` for a file uploaded through a page or the API."""
    files.check_size(upload.size or 0)
    with _upload_path(upload) as path:
        return accept(
            path=path,
            name=upload.name or "import.csv",
            user=user,
            dry_run=dry_run,
            source_system=source_system,
            language=language,
        )


def visible_batches(user):
    """The user's own imports; every import for those who see every job (national admins)."""
    require(user, "persons.import")
    batches = ImportBatch.objects.select_related("created_by", "job")
    return batches if can(user, "jobs.view_all") else batches.filter(created_by=user)


def batch_for_user(user, public_id) -> ImportBatch:
    """One import the user may see; NotFound alike for 'no such import' and 'not yours'."""
    batch = visible_batches(user).filter(public_id=public_id).first()
    if batch is None:
        raise NotFound(_("No such import."))
    return batch


def resume(batch: ImportBatch, *, user) -> ImportBatch:
    """Queue a stopped import again; it continues after its checkpoint."""
    if not batch.can_resume:
        raise Conflict(_("Only a stopped import can be resumed."), code="not_resumable")
    from rehsos.registry.importers import jobs

    jobs.start(batch, user=user)
    return batch


def import_again(batch: ImportBatch, *, user) -> ImportBatch:
    """The real import of a file that a dry run checked: a new batch on the same file."""
    if not batch.dry_run or batch.status != Status.DONE or not batch.file:
        raise Conflict(
            _("Only a finished dry run whose file is still stored can be imported."),
            code="not_importable",
        )
    fresh = ImportBatch(
        original_name=batch.original_name,
        format=batch.format,
        size=batch.size,
        sha256=batch.sha256,
        encoding=batch.encoding,
        delimiter=batch.delimiter,
        source_system=batch.source_system,
        dry_run=False,
        language=batch.language,
        created_by=user,
        facility=getattr(user, "facility", None),
        default_village=default_village(user) or batch.default_village,
        columns=batch.columns,
        rows_total=batch.rows_total,
        file=batch.file.name,
    )
    with transaction.atomic():
        fresh.save()
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
    return fresh


def run(
    batch: ImportBatch,
    progress=None,
    *,
    workers: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportBatch:
    """Run (or resume) an import to its end and return the refreshed batch."""
    progress = progress or NoProgress()
    batch.refresh_from_db()
    if batch.is_finished:
        return batch
    with translation.override(batch.language or settings.LANGUAGE_CODE):
        try:
            _run(batch, progress, workers, batch_rows)
        except FileRefused as refused:
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=Status.REFUSED, problems=refused.problems, finished_at=timezone.now()
            )
            shutil.rmtree(work_dir(batch), ignore_errors=True)
            raise
        except BatchOverlap:
            raise  # another run owns the batch now; leave its status alone
        except BaseException:
            ImportBatch.objects.filter(pk=batch.pk).exclude(
                status__in=[Status.DONE, Status.REFUSED]
            ).update(status=Status.FAILED)
            raise
    batch.refresh_from_db()
    return batch


def _run(batch: ImportBatch, progress, workers: int | None, batch_rows: int) -> None:
    folder = work_dir(batch)
    folder.mkdir(parents=True, exist_ok=True)
    spool, checked, committed = (
        folder / "rows.spool",
        folder / "checked.csv",
        folder / "committed.csv",
    )
    started = batch.started_at or timezone.now()
    if not (batch.validated and spool.exists() and checked.exists()):
        _set(batch, status=Status.VALIDATING, started_at=started, validated=False)
        with _local_copy(batch) as path:
            _validate(batch, path, spool, checked, progress, workers)
    else:
        progress.total = (batch.rows_total or 0) + batch.rows_valid
        progress.done = (batch.rows_total or 0) + batch.created + batch.updated + batch.unchanged
    _set(batch, status=Status.IMPORTING, started_at=started)
    _commit(batch, spool, committed, progress, batch_rows)
    _finish(batch, [checked, committed], folder)


def _set(batch: ImportBatch, **values) -> None:
    for name, value in values.items():
        setattr(batch, name, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**values)


class _local_copy:
    """The uploaded file as a path on this machine (a download for remote storage)."""

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.temporary: Path | None = None

    def __enter__(self) -> Path:
        if not self.batch.file:
            raise FileRefused([_("The uploaded file is no longer stored; upload it again.")])
        try:
            return Path(self.batch.file.path)
        except NotImplementedError:
            folder = work_dir(self.batch)
            self.temporary = folder / ("source" + Path(self.batch.original_name).suffix)
            with self.batch.file.open("rb") as source, self.temporary.open("wb") as target:
                shutil.copyfileobj(source, target, files.CHUNK)
            return self.temporary

    def __exit__(self, *exc_info) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


# -- pass 1: validation ----------------------------------------------------------------


def _region_codes() -> tuple[frozenset[str], frozenset[str]]:
    villages = frozenset(
        Region.objects.filter(level=Level.VILLAGE).values_list("code", flat=True).iterator()
    )
    districts = frozenset(
        Region.objects.filter(level=Level.DISTRICT).values_list("code", flat=True).iterator()
    )
    return villages, districts


def _rejected_rows(path: Path, size: int) -> int:
    """Rows the commit pass rejected before the checkpoint (its report up to ``size``)."""
    if not size or not path.exists():
        return 0
    with path.open("rb") as handle:
        text = handle.read(size).decode("utf-8")
    return len({line[1] for line in csv.reader(io.StringIO(text)) if line})


def _validate(batch, path: Path, spool: Path, checked: Path, progress, workers) -> None:
    info = files.FileInfo(
        batch.format, batch.size, batch.sha256, batch.encoding, batch.delimiter or ","
    )
    villages, districts = _region_codes()
    progress.total = (batch.rows_total or 0) * 2 or None
    progress.done = 0
    progress.note(_("Checking rows"))
    spool_part = spool.with_suffix(f".{os.getpid()}.part")
    checked_part = checked.with_suffix(f".{os.getpid()}.part")
    with (
        spool_part.open("w", encoding="utf-8", newline="\n") as out,
        report.ReportWriter(checked_part) as problems,
    ):
        totals = validation.validate(
            path=path,
            info=info,
            checker_args={
                "villages": villages,
                "districts": districts,
                "default_village": batch.default_village or None,
                "sealer": Sealer(),
            },
            village_required=not batch.default_village,
            spool=out,
            problems=problems,
            progress=progress,
            workers=validation.worker_count(batch.size, workers),
        )
    os.replace(spool_part, spool)
    os.replace(checked_part, checked)
    committed_rejects = _rejected_rows(spool.parent / "committed.csv", batch.report_offset)
    _set(
        batch,
        validated=True,
        rows_total=totals.rows,
        rows_valid=totals.valid,
        rows_rejected=totals.rejected + committed_rejects,
        warnings=totals.warnings,
    )
    progress.total = totals.rows + totals.valid
    progress.done = totals.rows


# -- pass 2: commit ----------------------------------------------------------------------


def _spool_heads(spool: Path, *, after: int) -> Iterator[list[str]]:
    """Row number, mask and natural keys of each spooled row after ``after``."""
    with spool.open(encoding="utf-8", newline="\n") as lines:
        for line in lines:
            head = line.split("\t", KEY_END)
            if int(head[0]) > after:
                yield head


def _spool_batches(spool: Path, *, after: int, size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    with spool.open(encoding="utf-8", newline="\n") as lines:
        for line in lines:
            if after and int(line[: line.index("\t")]) <= after:
                continue
            batch.append(line)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def _commit(batch: ImportBatch, spool: Path, committed: Path, progress, batch_rows: int) -> None:
    store = Store(batch, dry_run=batch.dry_run)
    labels = batch.columns or {}
    message = _("Checking against the registry") if batch.dry_run else _("Importing")
    progress.note(message)
    checkpoint = batch.checkpoint
    with report.ReportWriter(committed, truncate_to=batch.report_offset) as problems:

        def add_rejects(rejects) -> int:
            for row, key, value, reason in rejects:
                problems.add(report.REJECT, row, labels.get(key, key), value, reason)
            return problems.flush()

        with store.session():
            store.prematch(_spool_heads(spool, after=checkpoint))
            for lines in _spool_batches(spool, after=checkpoint, size=batch_rows):
                store.write(lines, expected_checkpoint=checkpoint, report=add_rejects)
                checkpoint = int(lines[-1][: lines[-1].index("\t")])
                progress.advance(len(lines), message)
    batch.refresh_from_db()


def _finish(batch: ImportBatch, reports: list[Path], folder: Path) -> None:
    target = folder / "report.xlsx"
    report.write_xlsx(reports, target)
    if batch.rows_rejected or batch.warnings:
        with target.open("rb") as handle:
            batch.rejects_file.save(f"{batch.public_id}/rejects.xlsx", File(handle), save=False)
    if batch.file and not batch.dry_run:
        batch.file.delete(save=False)
    batch.status = Status.DONE
    batch.finished_at = timezone.now()
    batch.save(update_fields=["rejects_file", "file", "status", "finished_at", "updated_at"])
    shutil.rmtree(folder, ignore_errors=True)


def summary(batch: ImportBatch) -> dict:
    return {
        "batch": str(batch.public_id),
        "status": batch.status,
        "dry_run": batch.dry_run,
        "rows": batch.rows_total,
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "rejected": batch.rows_rejected,
        "warnings": batch.warnings,
    }
