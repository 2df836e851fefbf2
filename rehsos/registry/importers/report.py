"""The rejects report: every rejected row and every warning, with row, column, value
and reason, in the importing user's language.

While an import runs, lines go to CSVs in its work directory, each in row order:
one from the validation pass, and one per batch of the commit pass that rejected
rows (named when the batch commits, so a rolled-back batch leaves none). At the
end they are merged into the downloadable XLSX, written in openpyxl's streaming
mode.
"""

import csv
import heapq
import io
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

REJECT = "reject"
WARNING = "warning"
MAX_LINES = 500_000  # per sheet; Excel holds 1,048,576 rows


class ReportWriter:
    """Writes (kind, row, column, value, reason) lines to a report CSV."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._handle = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)

    def add(self, kind: str, row: int, column: str, value: str, reason: str) -> None:
        self._writer.writerow([kind, row, column, value, str(reason)])

    def reset(self) -> None:
        """Start the file over (a pass that is run again)."""
        self._handle.seek(0)
        self._handle.truncate()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "ReportWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _lines(path: Path):
    if not Path(path).exists():
        return
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for line in csv.reader(handle):
            if len(line) == 5:
                yield int(line[1]), line


def write_xlsx(paths: list[Path], target: Path) -> None:
    """The report as a workbook: a sheet of rejected rows and one of warnings, in row
    order and the active language. Each report file is in row order already; they are
    merged as streams, and a sheet stops at MAX_LINES with a line saying how many more."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    sheets, written, skipped = {}, {}, {}
    for kind, title, last in (
        (REJECT, _("Rejected rows"), _("Reason")),
        (WARNING, _("Warnings"), _("Warning")),
    ):
        sheet = book.create_sheet(title)
        for letter, width in zip("ABCD", (8, 22, 30, 90), strict=True):
            sheet.column_dimensions[letter].width = width
        header = []
        for text in (_("Row"), _("Column"), _("Value"), last):
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        sheets[kind], written[kind], skipped[kind] = sheet, 0, 0
    for _row, (kind, row, column, value, reason) in heapq.merge(
        *(_lines(path) for path in paths), key=lambda item: item[0]
    ):
        kind = kind if kind in sheets else WARNING
        if written[kind] >= MAX_LINES:
            skipped[kind] += 1
            continue
        sheets[kind].append([int(row), column or "—", value, reason])
        written[kind] += 1
    for kind, count in skipped.items():
        if count:
            sheets[kind].append(
                ["", "", "", _("… and %(count)s more, not listed.") % {"count": f"{count:,}"}]
            )
    book.save(target)


def read_xlsx(content: bytes) -> dict[str, list[tuple]]:
    """The report's sheets as {title: [rows without the header]} (for tests and tools)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return {
            sheet.title: [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
            for sheet in book.worksheets
        }
    finally:
        book.close()
