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
3. **Search index.** The persons created go into the search index, in a few large
   transactions (or one rebuild, for an import that at least doubles the registry).

A run stopped by a crash, a kill or Ctrl-C is resumed by running the batch again:
validation is redone only if its spool is gone, the commit continues after the
checkpoint. At the end the report becomes an XLSX, the work files are removed,
and so is the uploaded file (its rows are in the registry now; a dry run keeps it
for the real import).
"""

import csv
import os
import queue
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict, NotFound
from rehsos.core.permissions import can, require
from rehsos.regions.models import Level, Region
from rehsos.registry.identifiers import Sealer
from rehsos.registry.importers import columns, files, report, validation
from rehsos.registry.importers.columns import FileRefused
from rehsos.registry.importers.store import KEY_END, BatchOverlap, Store, index_new_persons
from rehsos.registry.models_import import ImportBatch

# Rows per commit transaction. SQLite writes fewer, larger transactions faster (each
# commit may checkpoint its write-ahead log); PostgreSQL gains nothing above a few thousand.
BATCH_ROWS = {"sqlite": 20_000}
DEFAULT_BATCH_ROWS = 5000

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
    batch_rows: int | None = None,
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


def _run(batch: ImportBatch, progress, workers: int | None, batch_rows: int | None) -> None:
    folder = work_dir(batch)
    folder.mkdir(parents=True, exist_ok=True)
    spool, checked = folder / "rows.spool", folder / "checked.csv"
    started = batch.started_at or timezone.now()
    if not (batch.validated and spool.exists() and checked.exists()):
        _set(batch, status=Status.VALIDATING, started_at=started, validated=False)
        with _local_copy(batch) as path:
            _validate(batch, path, spool, checked, progress, workers)
    else:
        progress.total = (batch.rows_total or 0) + batch.rows_valid
        progress.done = (batch.rows_total or 0) + batch.created + batch.updated + batch.unchanged
    _set(batch, status=Status.IMPORTING, started_at=started)
    _commit(batch, spool, folder, progress, batch_rows)
    _index(batch, progress)
    _finish(batch, [checked, *_committed_reports(folder)], folder)


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
            # Django's way of saying the storage is remote (no local path, e.g. object
            # storage): copy the upload to a local work file and read that instead.
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


def _report_rows(path: Path) -> int:
    """Rows a report file rejects."""
    with path.open(newline="", encoding="utf-8") as handle:
        return len({line[1] for line in csv.reader(handle) if line and line[0] == report.REJECT})


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
    committed_rejects = sum(_report_rows(path) for path in _committed_reports(spool.parent))
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


def _row_of(line: str) -> int:
    return int(line[: line.index("\t")])


def _spool_batches(
    spool: Path, *, checkpoint: int, ranges: list, size: int | None
) -> Iterator[tuple[int, list[str]]]:
    """``(after, lines)``: the spooled rows still to commit, in batches of ``size`` (or,
    without one, single rows), each with the row it follows. Rows up to the checkpoint and
    inside committed ranges are skipped, and a batch ends where a committed range begins,
    so that the ranges tile and fold into the checkpoint."""
    pending = deque(sorted(tuple(r) for r in ranges))
    after, batch = checkpoint, []
    with spool.open(encoding="utf-8", newline="\n") as lines:
        for line in lines:
            row = _row_of(line)
            if row <= checkpoint:
                continue
            while pending and row > pending[0][0]:
                if batch:
                    yield after, batch
                    batch = []
                after = pending.popleft()[1]
            if row <= after:
                continue  # committed by an earlier run
            batch.append(line)
            if size is None or len(batch) >= size:
                yield after, batch
                after, batch = row, []
    if batch:
        yield after, batch


def _committed_reports(folder: Path) -> list[Path]:
    """The rejects files of committed batches (an uncommitted one is still a .part)."""
    return sorted(folder.glob("committed-*.csv"))


def _connections(batch: ImportBatch) -> int:
    """How many transactions write at once: two on PostgreSQL (the server's work, not
    Python's, is what a commit waits for, and it can use both cores), one on SQLite (a
    single writer), and one inside an enclosing transaction, which other connections
    could not see into."""
    if batch.dry_run or connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, int(getattr(settings, "REHSOS_IMPORT_CONNECTIONS", 2)))


def _commit(batch: ImportBatch, spool: Path, folder: Path, progress, batch_rows) -> None:
    store = Store(batch, dry_run=batch.dry_run)
    size = batch_rows or BATCH_ROWS.get(connection.vendor, DEFAULT_BATCH_ROWS)
    message = _("Checking against the registry") if batch.dry_run else _("Importing")
    progress.note(message)
    for stray in folder.glob("committed-*.part"):
        stray.unlink()
    todo = {"checkpoint": batch.checkpoint, "ranges": batch.committed_ranges or []}
    with store.session():
        store.prematch(
            line.split("\t", KEY_END)
            for _after, lines in _spool_batches(spool, **todo, size=None)
            for line in lines
        )
        batches = (
            (after, lines, folder / f"committed-{after:010d}-{_row_of(lines[-1]):010d}.csv")
            for after, lines in _spool_batches(spool, **todo, size=size)
        )
        connections = _connections(batch)
        if connections == 1:
            prepared = _ahead(batches, lambda item: (*item, store.prepare(item[1])))
            for after, lines, rejects, ready in prepared:
                store.write(lines, after=after, rejects=rejects, prepared=ready)
                progress.advance(len(lines), message)
        else:
            _write_in_parallel(store, batches, connections, progress, message)
    batch.refresh_from_db()


def _index(batch: ImportBatch, progress) -> None:
    """Pass 3: the persons created go into the search index (see store.py); the import
    is done — and its persons findable — only after this."""
    if batch.dry_run:
        return
    message = _("Indexing for search")
    progress.note(message)
    pending = sum(last - first + 1 for first, last in batch.unindexed or [])
    progress.total = (progress.total or 0) + pending
    index_new_persons(batch, lambda count: progress.advance(count, message))
    batch.refresh_from_db()


def _ahead(items, work) -> Iterator:
    """``work(item)`` for each item, done by a thread one item ahead of the consumer."""
    results: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    end = object()

    def hand_over(result, error=None) -> bool:
        while not stop.is_set():
            try:
                results.put((result, error), timeout=0.2)
                return True
            except queue.Full:
                continue
        return False  # the consumer has gone

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(work(item)):
                    return
            hand_over(end)
        except BaseException as exc:
            hand_over(end, exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            result, error = results.get()
            if result is end:
                if error is not None:
                    raise error
                return
            yield result
    finally:
        stop.set()
        thread.join()


def _write_in_parallel(store: Store, batches, connections: int, progress, message) -> None:
    """Batches written by ``connections`` threads, each with its own database connection
    and transaction; the main thread reads the spool and reports progress."""
    language = translation.get_language()
    work: queue.Queue = queue.Queue(maxsize=connections)
    done: queue.Queue = queue.Queue()
    errors: list[BaseException] = []

    def writer() -> None:
        translation.activate(language)
        try:
            while (item := work.get()) is not None:
                if errors:
                    continue  # drain: one batch failed, the run stops
                after, lines, rejects = item
                try:
                    store.write(lines, after=after, rejects=rejects)
                except BaseException as exc:
                    errors.append(exc)
                else:
                    done.put(len(lines))
        finally:
            connection.close()  # this thread's own

    threads = [threading.Thread(target=writer, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()

    def report_done() -> None:
        while not done.empty():
            progress.advance(done.get(), message)

    try:
        for item in batches:
            if errors:
                break
            work.put(item)
            report_done()
    finally:
        for _thread in threads:
            work.put(None)
        for thread in threads:
            thread.join()
    report_done()
    if errors:
        raise errors[0]


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
