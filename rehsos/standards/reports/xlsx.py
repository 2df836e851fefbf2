"""XLSX reports with openpyxl (write-only: rows stream to disk, memory stays flat).

Sheets: scores by domain, criteria, gaps (unmet criteria), actions, renovation progress,
and "about" (what the file is). Headers in the active language; numbers as numbers
(percent 0–100, rupiah whole); text never read as a formula."""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from rehsos.standards.reports import national as national_data

PERCENT = "0.00"
RUPIAH = "#,##0"
_BOLD = Font(bold=True)
# openpyxl reads a string starting with "=" as a formula; these stay text explicitly.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Book:
    def __init__(self):
        self.workbook = Workbook(write_only=True)
        self._yes, self._no = _("yes"), _("no")

    def sheet(self, title: str, headers: list[str], rows: Iterable[list], formats=None) -> int:
        """A sheet named ``title`` (Excel allows 31 characters); ``formats``: column
        index → number format. Returns the number of rows written."""
        ws = self.workbook.create_sheet(_safe_title(title))
        formats = formats or {}
        header_cells = []
        for text in headers:
            cell = WriteOnlyCell(ws, value=str(text))
            cell.font = _BOLD
            header_cells.append(cell)
        ws.append(header_cells)
        ws.freeze_panes = "A2"
        count = 0
        for row in rows:
            ws.append([self._cell(ws, value, formats.get(i)) for i, value in enumerate(row)])
            count += 1
        return count

    def _cell(self, ws, value, number_format):
        if isinstance(value, str):
            if not value.startswith(_FORMULA_START):
                return value
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            return cell
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).replace(tzinfo=None)
        if isinstance(value, bool):
            return self._yes if value else self._no
        if number_format and isinstance(value, int | float | Decimal):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = number_format
            return cell
        if value is None:
            return None
        if isinstance(value, datetime.date):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        return value

    def save(self) -> bytes:
        with tempfile.TemporaryFile() as target:
            self.workbook.save(target)
            target.seek(0)
            return target.read()


def _safe_title(title: str) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return title[:31]


# Sheet titles: in the workbook's language (the tests look them up through gettext).
def sheet_titles() -> dict[str, str]:
    return {
        "scores": _("Scores by domain"),
        "criteria": _("Criteria"),
        "gaps": _("Gaps"),
        "actions": _("Actions"),
        "renovation": _("Renovation progress"),
        "about": _("About"),
    }


def _renovation_sheet(book: Book, rows, *, with_centre: bool) -> None:
    headers = [
        _("Project"),
        _("Status"),
        _("Partner"),
        _("Contractor"),
        _("Starts on"),
        _("Planned end"),
        _("Handed over on"),
        _("Budget (Rp)"),
        _("Paid (Rp)"),
        _("Paid (%)"),
        _("Planned progress (%)"),
        _("Actual progress (%)"),
        _("Behind plan (points)"),
        _("Latest supervision report"),
        _("Findings"),
    ]
    formats = {7: RUPIAH, 8: RUPIAH, 9: PERCENT, 10: PERCENT, 11: PERCENT, 12: PERCENT}
    if with_centre:
        headers = [_("Centre code"), _("Centre"), *headers]
        formats = {k + 2: v for k, v in formats.items()}

    def lines():
        for r in rows:
            p = r.project
            line = [
                p.title,
                p.get_status_display(),
                r.partner,
                p.contractor,
                p.starts_on,
                p.planned_end_on,
                p.handed_over_on,
                r.budget,
                r.paid,
                r.paid_percent,
                r.planned_percent,
                r.actual_percent,
                r.slip,
                r.last_report_on,
                r.last_findings,
            ]
            yield [r.facility_code, r.facility_name, *line] if with_centre else line

    book.sheet(sheet_titles()["renovation"], headers, lines(), formats)


def _about(book: Book, pairs: list[tuple[str, object]]) -> None:
    book.sheet(sheet_titles()["about"], [_("Item"), _("Value")], ([k, v] for k, v in pairs))


# --- the facility report -------------------------------------------------------------


def facility_xlsx(report) -> bytes:
    book = Book()
    titles = sheet_titles()
    scores = [
        [
            d.label,
            d.code,
            d.own,
            d.external,
            d.main,
            d.met,
            d.applicable,
            d.not_applicable,
            d.failed,
            ", ".join(d.critical_failed),
        ]
        for d in report.domains
    ]
    if report.main_score is not None:
        s = report.main_score
        scores.append(
            [
                _("Overall"),
                "",
                report.own_score.percent if report.own_score else None,
                report.external_score.percent if report.external_score else None,
                s.percent,
                s.met,
                s.applicable,
                s.not_applicable,
                not s.passed,
                ", ".join(s.critical_failed),
            ]
        )
    book.sheet(
        titles["scores"],
        [
            _("Domain"),
            _("Code"),
            _("Self-assessment (%)"),
            _("External audit (%)"),
            _("Score (%)"),
            _("Criteria met"),
            _("Criteria rated"),
            _("Not applicable"),
            _("Failed (critical criterion)"),
            _("Critical criteria failed"),
        ],
        scores,
        {2: PERCENT, 3: PERCENT, 4: PERCENT},
    )
    book.sheet(
        titles["criteria"],
        [
            _("Code"),
            _("Domain"),
            _("Criterion"),
            _("Weight"),
            _("Critical"),
            _("Self-assessment"),
            _("External audit"),
        ],
        (
            [c.code, c.domain_label, c.text, c.weight, c.critical, c.own, c.external]
            for c in report.criteria
        ),
        {3: "0.00"},
    )
    book.sheet(
        titles["gaps"],
        [
            _("Code"),
            _("Domain"),
            _("Criterion"),
            _("Critical"),
            _("Rating"),
            _("Findings"),
            _("Action"),
            _("Due"),
        ],
        (
            [
                g.code,
                g.domain_label,
                g.text,
                g.critical,
                g.rating,
                "\n".join(g.findings),
                g.action,
                g.action_due,
            ]
            for g in report.gaps
        ),
    )
    book.sheet(
        titles["actions"],
        [
            _("Action"),
            _("Criterion"),
            _("Due"),
            _("Status"),
            _("Overdue"),
            _("Cost estimate (Rp)"),
            _("Funding"),
            _("Closed on"),
        ],
        (
            [a.title, a.criterion, a.due_on, a.status, a.overdue, a.cost, a.funding, a.closed_on]
            for a in report.actions
        ),
        {5: RUPIAH},
    )
    _renovation_sheet(book, report.renovations, with_centre=False)
    _about(
        book,
        [
            (_("Report"), _("Facility standards report")),
            (_("Centre"), report.facility.name),
            (_("Centre code"), report.facility.code),
            (_("Province"), report.province),
            (_("Catalogue"), str(report.catalogue) if report.catalogue else ""),
            (_("Catalogue version"), str(report.version) if report.version else ""),
            (_("Source"), report.version.source_note if report.version else ""),
            (
                _("Assessment"),
                f"{report.main.get_kind_display()} {report.main.visit_on or report.main.started_on}"
                if report.main
                else "",
            ),
            (_("Generated"), report.generated_at),
            (_("Language"), report.language),
        ],
    )
    return book.save()


# --- the national report -------------------------------------------------------------


def national_xlsx(report) -> bytes:
    book = Book()
    titles = sheet_titles()
    domains = report.domains
    headers = [
        _("Centre code"),
        _("Centre"),
        _("Province"),
        _("National model centre"),
        _("Kind"),
        _("Catalogue version"),
        _("Date"),
        _("Score (%)"),
        _("Criteria met (%)"),
        _("No critical criterion failed"),
        *[f"{d.label} (%)" for d in domains],
    ]
    formats = {7: PERCENT, 8: PERCENT} | {10 + i: PERCENT for i in range(len(domains))}

    def centre_rows():
        from rehsos.standards.selectors_compare import assessment_date

        for c in report.centres:
            a, s = c.assessment, c.score
            yield [
                c.facility.code,
                c.facility.name,
                c.province,
                c.facility.is_model,
                a.get_kind_display() if a else "",
                str(a.version) if a else "",
                assessment_date(a) if a else None,
                s.percent if s else None,
                s.met_percent if s else None,
                s.passed if s else None,
                *[c.percent(d.code) for d in domains],
            ]

    book.sheet(titles["scores"], headers, centre_rows(), formats)
    criteria = national_data.frequent_gaps(
        [c.assessment.pk for c in report.assessed], report.language, limit=None, unmet_only=False
    )
    book.sheet(
        titles["criteria"],
        [
            _("Code"),
            _("Domain"),
            _("Criterion"),
            _("Critical"),
            _("Centres rating it"),
            _("Centres not meeting it"),
            _("Not met (%)"),
        ],
        (
            [g.code, g.domain_label, g.text, g.critical, g.rated, g.centres, g.percent]
            for g in criteria
        ),
        {6: PERCENT},
    )
    book.sheet(
        titles["gaps"],
        [
            _("Centre code"),
            _("Centre"),
            _("Province"),
            _("Criteria not met"),
            _("Critical criteria not met"),
            _("Critical criteria not met (codes)"),
            _("Criteria not met (codes)"),
        ],
        (
            [
                g.centre.facility.code,
                g.centre.facility.name,
                g.centre.province,
                g.unmet,
                len(g.critical_unmet),
                ", ".join(g.critical_unmet),
                ", ".join(g.codes),
            ]
            for g in national_data.gaps_by_centre(report)
        ),
    )
    book.sheet(
        titles["actions"],
        [
            _("Centre code"),
            _("Centre"),
            _("Province"),
            _("Actions"),
            _("Open"),
            _("Overdue"),
            _("Done"),
            _("Cost of open actions (Rp)"),
            _("Cost of all actions (Rp)"),
        ],
        (
            [
                c.facility.code,
                c.facility.name,
                c.province,
                c.actions.total,
                c.actions.open,
                c.actions.overdue,
                c.actions.done,
                c.actions.cost_open,
                c.actions.cost_total,
            ]
            for c in report.centres
        ),
        {7: RUPIAH, 8: RUPIAH},
    )
    _renovation_sheet(book, report.renovations, with_centre=True)
    book.sheet(
        _("Domains"),
        [
            _("Domain"),
            _("Code"),
            _("Centres"),
            _("Mean (%)"),
            _("Lowest (%)"),
            _("Highest (%)"),
            _("Criteria met (%)"),
            _("Centres failing a critical criterion"),
        ],
        (
            [d.label, d.code, d.centres, d.mean, d.lowest, d.highest, d.met_percent, d.failed]
            for d in domains
        ),
        {3: PERCENT, 4: PERCENT, 5: PERCENT, 6: PERCENT},
    )
    _about(
        book,
        [
            (_("Report"), _("National standards report")),
            (_("Scope"), report.scope_label),
            (_("Catalogue"), str(report.catalogue) if report.catalogue else _("every catalogue")),
            (_("Kind"), report.kind or _("the latest assessment of either kind")),
            (_("Centres"), len(report.centres)),
            (_("Centres assessed"), len(report.assessed)),
            (_("Mean score (%)"), report.mean),
            (_("Generated"), report.generated_at),
            (_("Language"), report.language),
        ],
    )
    return book.save()
