"""Pass 1 of an import: check every row, write the spool and the first report.

Rows are checked in chunks of CHUNK_ROWS, in worker processes for a large file
(forked, so they share the checker and its code lists without copying them). A
CSV is cut into chunks of raw text at record boundaries (an even count of quote
characters ends a record), so the main process does little more than read lines
and each worker parses its own chunk; should a worker parse a different number
of records than the cutter counted (a stray quote inside an unquoted field), the
pass starts over, reading the file with the csv module in the main process.

The main process keeps the natural keys seen so far, as 64-bit hashes — about
100 bytes a key, so a million rows stay well under the memory target — and
rejects a row repeating an earlier row's source_id, NIK, or KK number and name.
"""

import csv
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from rehsos.registry.importers import columns, files, report
from rehsos.registry.importers.columns import FileRefused
from rehsos.registry.importers.rows import RowChecker

CHUNK_ROWS = 1000  # rows per task handed to a worker process
PARALLEL_FROM_BYTES = 4 * 1024 * 1024  # smaller files are checked in-process
WINDOW_PER_WORKER = 3  # chunks in flight per worker: enough to keep them busy


@dataclass
class Chunk:
    """What a worker sends back for one chunk of rows."""

    rows: int = 0  # records read, blank ones included
    checked: int = 0  # rows that were not blank
    text: str = ""  # spool lines of the valid rows
    keys: list = field(default_factory=list)  # (row, ((column, value, hash), …)) per valid row
    rejected: list = field(default_factory=list)  # (row, [(column, value, reason), …])
    warned: list = field(default_factory=list)  # (row, [(column, value, warning), …])
    error: str = ""  # an unreadable record: the whole file is refused


@dataclass
class Totals:
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    warnings: int = 0


# Set in the parent before the pool forks; the workers inherit them.
_CHECKER: RowChecker | None = None
_DELIMITER = ","


def _init_worker(language: str) -> None:
    translation.activate(language)


def _key_hashes(keys: tuple) -> tuple:
    # hash() of a str is salted per process; forked workers share the parent's salt.
    source_id, nik_index, kk_index, name_key = keys
    found = []
    if source_id:
        found.append(("source_id", source_id, hash(("s", source_id))))
    if nik_index:
        found.append(("nik", "", int(nik_index[:16], 16)))
    if kk_index:
        found.append(("kk_number", "", hash((kk_index, name_key))))
    return tuple(found)


def check_cells(numbered) -> Chunk:
    """Check ``(row number, cells)`` pairs."""
    checker = _CHECKER
    out = Chunk()
    lines = []
    for row, cells in numbered:
        out.rows += 1
        if not any(cell and not cell.isspace() for cell in cells):
            continue  # a blank line or an empty spreadsheet row
        out.checked += 1
        result = checker.check(cells)
        if result.warnings:
            out.warned.append((row, result.warnings))
        if result.line is None:
            out.rejected.append((row, result.problems))
            continue
        lines.append(f"{row}\t{result.line}\n")
        out.keys.append((row, _key_hashes(result.keys)))
    out.text = "".join(lines)
    return out


def check_text(start: int, text: str) -> Chunk:
    """Check a chunk of raw CSV text whose first record is row ``start``."""
    records = []
    try:
        records.extend(csv.reader(io.StringIO(text), delimiter=_DELIMITER))
    except csv.Error as exc:
        return Chunk(
            error=_("Row %(row)s cannot be read: %(error)s.")
            % {"row": start + len(records), "error": exc}
        )
    return check_cells(enumerate(records, start=start))


def _cell_chunks(rows) -> Iterator[list]:
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _text_chunks(path: Path, info: files.FileInfo) -> Iterator[tuple[int, int, str]]:
    """``(first row, records, text)`` of the CSV's data rows, cut at record boundaries."""
    with Path(path).open(encoding=info.encoding, newline="") as handle:
        next(csv.reader(handle, delimiter=info.delimiter), None)  # the header record
        start, count, quotes, lines = 2, 0, 0, []
        for line in handle:
            lines.append(line)
            quotes += line.count('"')
            if quotes % 2 == 0:
                quotes = 0
                count += 1
                if count >= CHUNK_ROWS:
                    yield start, count, "".join(lines)
                    start, count, lines = start + count, 0, []
        if lines:
            yield start, count + (1 if quotes else 0), "".join(lines)


class _Misaligned(Exception):
    """The text cutter and the csv module disagree on where records end."""


def worker_count(size: int, workers: int | None) -> int:
    if workers is None:
        if size < PARALLEL_FROM_BYTES:
            return 1
        workers = int(getattr(settings, "REHSOS_IMPORT_WORKERS", 0) or min(2, os.cpu_count() or 1))
    return max(1, workers)


def _in_order(pool, tasks, workers: int) -> Iterator:
    """Results of ``(function, args, expected rows)`` tasks in order, a bounded window in
    flight so memory stays flat however long the file is."""
    pending: deque = deque()
    for function, args, expected in tasks:
        if pool is None:
            yield function(*args), expected
            continue
        pending.append((pool.apply_async(function, args), expected))
        if len(pending) >= workers * WINDOW_PER_WORKER:
            result, expected_rows = pending.popleft()
            yield result.get(), expected_rows
    while pending:
        result, expected_rows = pending.popleft()
        yield result.get(), expected_rows


def _tasks(path: Path, info: files.FileInfo, rows, by_text: bool):
    if by_text:
        for start, count, text in _text_chunks(path, info):
            yield check_text, (start, text), count
    else:
        for chunk in _cell_chunks(rows):
            yield check_cells, (chunk,), None


def validate(
    *,
    path: Path,
    info: files.FileInfo,
    checker_args: dict,
    village_required: bool,
    spool,
    problems: report.ReportWriter,
    progress,
    workers: int,
) -> Totals:
    """Check the whole file into ``spool`` (a text file) and ``problems``."""
    by_text = info.format == "csv" and workers > 1
    try:
        return _validate(
            path, info, checker_args, village_required, spool, problems, progress, workers, by_text
        )
    except _Misaligned:
        spool.seek(0)
        spool.truncate()
        problems.reset()
        progress.done = 0
        return _validate(
            path, info, checker_args, village_required, spool, problems, progress, 1, False
        )


def _validate(
    path, info, checker_args, village_required, spool, problems, progress, workers, by_text
) -> Totals:
    global _CHECKER, _DELIMITER
    totals = Totals()
    seen: dict[int, int] = {}
    message = _("Checking rows")
    with files.open_rows(path, info) as (header_cells, rows):
        header = columns.read_header(header_cells, village_required=village_required)
        label = header.label
        _CHECKER = RowChecker(header=header, **checker_args)
        _DELIMITER = info.delimiter or ","
        pool = None
        try:
            if workers > 1:
                context = multiprocessing.get_context("fork")
                pool = context.Pool(
                    workers, initializer=_init_worker, initargs=(translation.get_language(),)
                )
            tasks = _tasks(path, info, rows, by_text)
            for chunk, expected in _in_order(pool, tasks, workers):
                if chunk.error:
                    raise FileRefused([chunk.error])
                if expected is not None and chunk.rows != expected:
                    raise _Misaligned
                _take(chunk, seen, spool, problems, label, totals)
                progress.advance(chunk.rows, message)
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
            _CHECKER = None
    return totals


def _take(chunk: Chunk, seen: dict, spool, problems, label, totals: Totals) -> None:
    """Fold one checked chunk in: in-file duplicates, the report (in row order), the spool."""
    lines = []  # (row, kind, column, value, reason)
    for row, warnings in chunk.warned:
        lines.extend((row, report.WARNING, label(k), v, r) for k, v, r in warnings)
        totals.warnings += len(warnings)
    for row, row_problems in chunk.rejected:
        lines.extend((row, report.REJECT, label(k), v, r) for k, v, r in row_problems)
    duplicates = set()
    for row, hashes in chunk.keys:
        found = [(key, value, seen[digest]) for key, value, digest in hashes if digest in seen]
        if found:
            duplicates.add(row)
            lines.extend(
                (row, report.REJECT, label(key), value, _duplicate(key, first))
                for key, value, first in found
            )
        else:
            for _key, _value, digest in hashes:
                seen[digest] = row
    text = chunk.text
    if duplicates:
        text = "".join(
            line
            for line in text.splitlines(keepends=True)
            if int(line[: line.index("\t")]) not in duplicates
        )
    spool.write(text)
    lines.sort(key=lambda line: line[0])
    for row, kind, column, value, reason in lines:
        problems.add(kind, row, column, value, reason)
    rejected = len(chunk.rejected) + len(duplicates)
    totals.rows += chunk.checked
    totals.rejected += rejected
    totals.valid += chunk.checked - rejected


def _duplicate(key: str, first: int) -> str:
    if key == "source_id":
        return _("The same source_id as row %(row)s: each record once per file.") % {"row": first}
    if key == "nik":
        return _("The same NIK as row %(row)s: each person once per file.") % {"row": first}
    return _("The same KK number and name as row %(row)s: each person once per file.") % {
        "row": first
    }
