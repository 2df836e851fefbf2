"""Reading an import file: what it is, whether we can read it, and its rows, streamed.

``inspect(path, name)`` looks at the whole file once (size, type, encoding, a
checksum that names the file for resuming) and refuses it with clear reasons
(:class:`FileRefused`) before anything is written. ``open_rows(path, info)``
then yields the header and the rows one at a time: a CSV through the ``csv``
module on a text stream, an XLSX through openpyxl's read-only mode, so a file
of a million rows never sits in memory.

CSV: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode
text"), otherwise Windows-1252; the delimiter (comma, semicolon — what Excel
writes under an Indonesian locale —, tab or bar) is read from the header line.
"""

import codecs
import csv
import datetime
import hashlib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from rehsos.registry.importers.columns import FileRefused

CHUNK = 1 << 20
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
DELIMITERS = (",", ";", "\t", "|")
DEFAULT_MAX_MB = 512

# Fields longer than csv's default limit (128 KiB) are refused by row, not by crash.
csv.field_size_limit(1 << 20)


def max_bytes() -> int:
    return int(getattr(settings, "REHSOS_IMPORT_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}"


def check_size(size: int) -> None:
    """Refuse a file above the configured limit (``REHSOS_IMPORT_MAX_MB``)."""
    limit = max_bytes()
    if size > limit:
        raise FileRefused(
            [
                _(
                    "The file is %(size)s MB; files up to %(limit)s MB can be imported. "
                    "Split it into smaller files."
                )
                % {"size": _megabytes(size), "limit": _megabytes(limit)}
            ]
        )
    if size == 0:
        raise FileRefused([_("The file is empty.")])


@dataclass(frozen=True)
class FileInfo:
    format: str  # "csv" or "xlsx"
    size: int
    sha256: str
    encoding: str = ""
    delimiter: str = ""
    estimated_rows: int | None = None


def _refuse_kind(head: bytes, suffix: str, name: str) -> None:
    if head.startswith(OLE_MAGIC):
        raise FileRefused(
            [
                _(
                    "%(name)s is an old Excel 97–2003 workbook (.xls), which cannot be read. "
                    "Save it as .xlsx or as CSV and upload it again."
                )
                % {"name": name}
            ]
        )
    if head.startswith(b"%PDF"):
        raise FileRefused(
            [_("%(name)s is a PDF document; upload a .csv or .xlsx file.") % {"name": name}]
        )
    if suffix not in TEXT_SUFFIXES | XLSX_SUFFIXES:
        raise FileRefused(
            [
                _("Files of type '%(suffix)s' cannot be imported; upload a .csv or .xlsx file.")
                % {"suffix": suffix or _("(no extension)")}
            ]
        )


def inspect(path: Path, name: str) -> FileInfo:
    """Size, type, encoding and checksum of the file at ``path`` (uploaded as ``name``)."""
    path = Path(path)
    size = path.stat().st_size
    check_size(size)
    suffix = Path(name).suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(8)
    _refuse_kind(head, suffix, name)
    if head.startswith(ZIP_MAGIC):
        return _inspect_xlsx(path, name, size)
    if suffix in XLSX_SUFFIXES:
        raise FileRefused(
            [
                _(
                    "%(name)s is not a valid .xlsx workbook (it is not a zip file): it may be "
                    "damaged, or another kind of file renamed. Save it again from Excel."
                )
                % {"name": name}
            ]
        )
    return _inspect_csv(path, name, size)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _inspect_xlsx(path: Path, name: str, size: int) -> FileInfo:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        names = None
    if names is None:
        raise FileRefused(
            [_("%(name)s is a damaged zip file, not a readable workbook.") % {"name": name}]
        )
    if "xl/workbook.xml" not in names:
        raise FileRefused(
            [
                _(
                    "%(name)s is a zip archive but not an Excel workbook (a Word document or "
                    "another archive?). Upload a .csv or .xlsx file."
                )
                % {"name": name}
            ]
        )
    return FileInfo("xlsx", size, _sha256(path))


def _decodes(path: Path, encoding: str, digest=None) -> tuple[bool, int, int]:
    """(whether the whole file decodes, the byte offset of the first failure, newlines)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if digest is not None:
                digest.update(chunk)
            lines += chunk.count(b"\n")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return False, offset + exc.start, lines
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return False, offset + exc.start, lines
    return True, -1, lines


def _inspect_csv(path: Path, name: str, size: int) -> FileInfo:
    with path.open("rb") as handle:
        start = handle.read(65536)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        if b"\x00" in start:
            raise FileRefused(
                [
                    _(
                        "%(name)s is not a text (CSV) file: it holds binary data. Upload a "
                        ".csv or .xlsx file."
                    )
                    % {"name": name}
                ]
            )
        encoding = "utf-8-sig"
    digest = hashlib.sha256()
    ok, offset, lines = _decodes(path, encoding, digest)
    if not ok and encoding == "utf-8-sig":
        encoding = "cp1252"
        ok, offset, lines = _decodes(path, encoding)
    if not ok:
        raise FileRefused(
            [
                _(
                    "%(name)s cannot be read as text: byte %(offset)s is not valid UTF-8 nor "
                    "Windows-1252. In Excel choose Save As → 'CSV UTF-8'."
                )
                % {"name": name, "offset": f"{offset:,}"}
            ]
        )
    with path.open(encoding=encoding, newline="") as text:
        first = text.readline()
    counts = {mark: first.count(mark) for mark in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda mark: counts[mark])
    if not counts[delimiter]:
        delimiter = ","
    return FileInfo(
        "csv",
        size,
        digest.hexdigest(),
        encoding=encoding,
        delimiter=delimiter,
        estimated_rows=max(lines - 1, 0),
    )


Rows = Iterator[tuple[int, list[str]]]


@contextmanager
def open_rows(path: Path, info: FileInfo):
    """``(header cells, rows)`` where rows yields ``(row number, cells as strings)``; the
    header is row 1, as a spreadsheet numbers it. Unreadable content raises FileRefused."""
    if info.format == "xlsx":
        with _xlsx_rows(Path(path)) as opened:
            yield opened
        return
    with Path(path).open(encoding=info.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=info.delimiter)
        try:
            header = next(reader, [])
        except csv.Error as exc:
            raise FileRefused([_("Row 1 cannot be read: %(error)s.") % {"error": exc}]) from None
        yield header, _csv_rows(reader)


def _csv_rows(reader) -> Rows:
    number = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileRefused(
                [_("Row %(row)s cannot be read: %(error)s.") % {"row": number + 1, "error": exc}]
            ) from None
        number += 1
        yield number, row


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@contextmanager
def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise FileRefused(
            [
                _("The workbook cannot be opened (%(error)s). Save it again from Excel.")
                % {"error": type(exc).__name__}
            ]
        ) from None
    try:
        if not book.worksheets:
            raise FileRefused([_("The workbook has no worksheet.")])
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        try:
            first = next(values, ())
        except Exception as exc:
            raise FileRefused(
                [
                    _("The first worksheet cannot be read (%(error)s).")
                    % {"error": type(exc).__name__}
                ]
            ) from None
        header = [_cell_text(v) for v in first]

        def rows() -> Rows:
            number = 1
            try:
                for cells in values:
                    number += 1
                    yield number, [_cell_text(v) for v in cells]
            except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
                raise FileRefused(
                    [
                        _("Row %(row)s of the workbook cannot be read (%(error)s).")
                        % {"row": number, "error": type(exc).__name__}
                    ]
                ) from None

        yield header, rows()
    finally:
        book.close()


def estimated_rows(path: Path, info: FileInfo) -> int | None:
    """Data rows expected, for the progress bar (a CSV counts its lines; a workbook says)."""
    if info.format == "csv":
        return info.estimated_rows
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].max_row if book.worksheets else None
    finally:
        book.close()
    return max(rows - 1, 0) if rows else None
