"""The catalogue in Excel: export a version to XLSX, import an edited XLSX into a draft.

**Export** (:func:`export_version`): a "Criteria" sheet with one row per criterion
and a header row of the field names (:data:`COLUMNS`, the API's names), in the
version's order; drop-down lists (data validation) for domain, scale, critical and
staff role and number checks for weight and residents per staff member; and a
"README" sheet that explains every column and its allowed values.

**Import** (:func:`preview_import` then :func:`confirm_import`):

1. The file must be an XLSX workbook (by its content, not its name) within the size
   limit, with at most :data:`MAX_ROWS` criteria.
2. Every row is checked with the same rules as the pages
   (:func:`~rehsos.standards.services_catalogue.clean_criterion`), plus one code per
   row. Every problem is reported with its row number, column and reason
   (:class:`ImportRejected`); nothing is stored or changed.
3. A valid file is stored (private storage) and previewed: the difference between the
   draft and the file (added, removed, changed field by field, moved). The preview
   (a :class:`~rehsos.standards.models.CatalogueImport`) holds the file's SHA-256 and
   the draft's row version; its token is signed over both.
4. Confirming applies the file to the draft in one transaction. A confirmation after
   the draft changed (an edit, another import) or with a token that does not match is
   refused (409) and the preview is marked stale: upload the file again.

The sheet is the whole version: rows added in Excel become new criteria, rows deleted
are removed from the draft, and the row order becomes the criteria's order. A
catalogue is a few hundred rows, so the import runs in the request (well under a
second), not as a background job.
"""

import datetime
import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import NoReturn

from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from rehsos.core import uploads
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.permissions import require
from rehsos.standards import selectors_catalogue as selectors
from rehsos.standards.models import (
    SCALE_LEVELS,
    CatalogueImport,
    CatalogueVersion,
    Domain,
    Scale,
)
from rehsos.standards.services_catalogue import (
    CODE_MAX,
    FIELDS,
    LONG_TEXT_MAX,
    MANAGE,
    REFERENCE_MAX,
    RESIDENTS_MAX,
    TEXT_MAX,
    NotADraft,
    clean_criterion,
    replace_criteria,
    staff_roles,
)

CRITERIA_SHEET = "Criteria"
README_SHEET = "README"
COLUMNS: tuple[str, ...] = tuple(f.name for f in FIELDS)
REQUIRED_COLUMNS = tuple(f.name for f in FIELDS if f.required)
MAX_ROWS = 2000  # criteria in one file (catalogues have a few hundred)
MAX_SHEET_ROWS = 20000  # rows read, blank ones included, before the file is refused
EXTRA_VALIDATED_ROWS = 500  # rows below the last criterion that keep the drop-down lists
TOKEN_SALT = "rehsos.standards.catalogue-import"  # noqa: S105 - a signing namespace
PREVIEW_DAYS = 7  # an unconfirmed preview expires (and its file is deleted) after this
STORAGE_PREFIX = "standards/catalogue-imports"
WIDTHS = {
    "code": 12,
    "domain": 9,
    "text_id": 50,
    "text_en": 50,
    "guidance_id": 45,
    "guidance_en": 45,
    "evidence_id": 35,
    "evidence_en": 35,
    "weight": 8,
    "scale": 9,
    "critical": 9,
    "reference": 35,
    "staff_role": 18,
    "residents_per_staff": 12,
}
WRAPPED = {
    "text_id",
    "text_en",
    "guidance_id",
    "guidance_en",
    "evidence_id",
    "evidence_en",
    "reference",
}


class ImportRejected(ValidationFailed):
    """The file has row-level problems; ``rows`` lists each one. Nothing was changed."""

    code = "import_rejected"
    title = gettext_lazy("The file has problems; nothing was changed")

    def __init__(self, rows: list["RowError"]):
        self.rows = rows
        super().__init__(
            _(
                "%(count)s problem(s) in the file; nothing was changed. "
                "Fix them and upload the file again."
            )
            % {"count": len(rows)}
        )


@dataclass(frozen=True)
class RowError:
    row: int  # the row number as Excel shows it (the header is row 1)
    column: str  # the column's header (a field name)
    cell: str  # e.g. "I7"; empty for a missing column
    message: str

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "cell": self.cell,
            "field": self.column,
            "message": self.message,
        }


# --- export ----------------------------------------------------------------------------


def _safe(value):
    """A value for a cell: text never becomes a formula or an illegal XML character."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _put(sheet, row: int, column: int, value):
    cell = sheet.cell(row=row, column=column, value=_safe(value))
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, not a formula
    return cell


def _validation(kind: str, **options) -> DataValidation:
    return DataValidation(type=kind, showErrorMessage=True, showInputMessage=True, **options)


def _add_validations(sheet, last_row: int) -> None:
    col = {name: get_column_letter(i) for i, name in enumerate(COLUMNS, start=1)}

    def span(name: str) -> str:
        return f"{col[name]}2:{col[name]}{last_row}"

    roles = ",".join(staff_roles())
    lists = [
        ("domain", ",".join(Domain.values), False, _("Domain"), _("Choose a domain code.")),
        ("scale", ",".join(Scale.values), False, _("Rating scale"), _("Choose a scale.")),
        ("critical", "yes,no", True, _("Critical"), _("Choose yes or no.")),
    ]
    if roles:
        lists.append(("staff_role", roles, True, _("Staff role"), _("Choose a staff role.")))
    for name, values, blank, title, message in lists:
        rule = _validation(
            "list",
            formula1=f'"{values}"',
            allow_blank=blank,
            errorTitle=str(title)[:32],
            error=str(message),
        )
        rule.add(span(name))
        sheet.add_data_validation(rule)
    weight = _validation(
        "decimal",
        operator="between",
        formula1="0",
        formula2="999.99",
        allow_blank=False,
        errorTitle=str(_("Weight"))[:32],
        error=_("Give a number of 0 or more."),
    )
    weight.add(span("weight"))
    sheet.add_data_validation(weight)
    ratio = _validation(
        "whole",
        operator="between",
        formula1="1",
        formula2=str(RESIDENTS_MAX),
        allow_blank=True,
        errorTitle=str(_("Residents per staff member"))[:32],
        error=_("Give a whole number of residents, or leave it empty."),
    )
    ratio.add(span("residents_per_staff"))
    sheet.add_data_validation(ratio)


def _criteria_sheet(sheet, rows: list[dict]) -> None:
    header_fill = PatternFill("solid", fgColor="DDE7F0")
    required_fill = PatternFill("solid", fgColor="F6D8A8")
    for i, name in enumerate(COLUMNS, start=1):
        cell = _put(sheet, 1, i, name)
        cell.font = Font(bold=True)
        cell.fill = required_fill if name in REQUIRED_COLUMNS else header_fill
        sheet.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 15)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for r, row in enumerate(rows, start=2):
        for i, name in enumerate(COLUMNS, start=1):
            value = row.get(name)
            if name == "critical":
                value = "yes" if value else "no"
            elif value == "":
                value = None
            cell = _put(sheet, r, i, value)
            cell.alignment = wrap if name in WRAPPED else top
            if name == "weight":
                cell.number_format = "0.##"
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(2, len(rows) + 1)}"
    _add_validations(sheet, len(rows) + 1 + EXTRA_VALIDATED_ROWS)


def _column_help() -> list[tuple[str, str, str]]:
    """(column, required?, what it holds and its allowed values) for the README."""
    yes, no = _("required"), _("optional")
    roles = ", ".join(staff_roles()) or "—"
    return [
        (
            "code",
            yes,
            _(
                "Unique within the version; at most %(max)s letters, digits, dots, hyphens or "
                "underscores (stored in capitals). Keep a criterion's code when you edit it: "
                "the import matches rows to criteria by code."
            )
            % {"max": CODE_MAX},
        ),
        ("domain", yes, _("One of the domain codes below.")),
        (
            "text_id",
            yes,
            _("The criterion in Indonesian (at most %(max)s characters).") % {"max": TEXT_MAX},
        ),
        (
            "text_en",
            yes,
            _("The criterion in English (at most %(max)s characters).") % {"max": TEXT_MAX},
        ),
        (
            "guidance_id",
            no,
            _("How to rate it, in Indonesian (at most %(max)s).") % {"max": LONG_TEXT_MAX},
        ),
        (
            "guidance_en",
            no,
            _("How to rate it, in English (at most %(max)s).") % {"max": LONG_TEXT_MAX},
        ),
        ("evidence_id", no, _("The evidence an assessor asks for, in Indonesian.")),
        ("evidence_en", no, _("The evidence an assessor asks for, in English.")),
        (
            "weight",
            yes,
            _("A number of 0 or more with at most two decimals (the starter uses 1 to 3)."),
        ),
        ("scale", yes, _("One of the rating scales below.")),
        (
            "critical",
            no,
            _("yes or no (empty: no). A critical criterion rated below met fails its domain."),
        ),
        (
            "reference",
            no,
            _("The public source or topic (at most %(max)s characters).") % {"max": REFERENCE_MAX},
        ),
        (
            "staff_role",
            no,
            _("For a staffing ratio, the staff role: %(roles)s.") % {"roles": roles},
        ),
        (
            "residents_per_staff",
            no,
            _(
                "For a staffing ratio, the residents per staff member of that role "
                "(1 to %(max)s); only with a staff role."
            )
            % {"max": RESIDENTS_MAX},
        ),
    ]


def _readme_sheet(sheet, version: CatalogueVersion, exported_at: datetime.datetime) -> None:
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 100
    catalogue = version.catalogue
    lines: list[tuple] = [
        (
            _("Standards catalogue"),
            f"{catalogue.code}",
            f"{catalogue.name_id} / {catalogue.name_en}",
        ),
        (_("Version"), str(version.number), version.get_status_display()),
        (_("Exported at"), "", exported_at.strftime("%Y-%m-%d %H:%M %Z")),
    ]
    if version.source_note:
        lines.append((_("Source"), "", version.source_note))
    lines += [
        (),
        (
            _("How to use this file"),
            "",
            _(
                "Edit the Criteria sheet: change cells, add rows, delete rows or move them "
                "(the row order is the criteria's order). Do not rename the headers in row 1 "
                "or the Criteria sheet. Then import the file into a draft version: every "
                "problem is listed with its row and column and nothing changes until the "
                "file is valid; a valid file shows the differences to confirm. Rows missing "
                "from the file are removed from the draft."
            ),
        ),
        (),
        (_("Column"), _("Required"), _("Meaning and allowed values")),
    ]
    lines += _column_help()
    lines += [(), (_("Domain"), _("Code"), _("Name"))]
    lines += [("", code, str(label)) for code, label in Domain.choices]
    lines += [(), (_("Rating scale"), _("Code"), _("Levels (rating: share of the weight earned)"))]
    for code, label in Scale.choices:
        levels = "; ".join(
            f"{rating} {name} ({float(share):.0%})" for rating, name, share in SCALE_LEVELS[code]
        )
        lines.append(("", code, f"{label}: {levels}"))
    roles = staff_roles()
    if roles:
        lines += [(), (_("Staff role"), _("Code"), _("Name"))]
        lines += [("", code, label) for code, label in roles.items()]
    headings = {
        str(_("How to use this file")),
        str(_("Column")),
        str(_("Domain")),
        str(_("Rating scale")),
        str(_("Staff role")),
    }
    for r, line in enumerate(lines, start=1):
        for c, value in enumerate(line, start=1):
            cell = _put(sheet, r, c, str(value) if value is not None else None)
            cell.alignment = wrap
            if c == 1 or (line and str(line[0]) in headings):
                cell.font = bold


def export_version(version: CatalogueVersion) -> bytes:
    """The version as an XLSX workbook (README in the active language)."""
    book = Workbook()
    criteria = book.active
    criteria.title = CRITERIA_SHEET
    _criteria_sheet(criteria, selectors.snapshot(version))
    _readme_sheet(book.create_sheet(README_SHEET), version, timezone.localtime())
    book.properties.title = f"{version.catalogue.code} v{version.number}"
    book.properties.creator = "rehsos"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_filename(version: CatalogueVersion) -> str:
    return f"standards-{version.catalogue.code}-v{version.number}.xlsx"


# --- reading a file ----------------------------------------------------------------------


def _refuse_file(message: str) -> NoReturn:
    raise ValidationFailed(message, fields={"file": message})


def check_file(upload) -> uploads.CheckedUpload:
    """Refuse anything that is not an XLSX workbook within the size limit, saying what
    it is instead."""
    if upload is None:
        _refuse_file(_("Choose an XLSX file to import."))
    if upload.size > uploads.max_bytes():
        _refuse_file(uploads.too_large_message())
    if upload.size == 0:
        _refuse_file(_("The file is empty."))
    stream = upload.file if hasattr(upload, "file") else upload
    stream.seek(0)
    head = stream.read(8)
    kind = uploads.sniff(stream)
    if kind == uploads.XLSX:
        return uploads.check_upload(upload, field="file", allowed=(uploads.XLSX,))
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        reason = _(
            "This is an old Excel 97–2003 workbook (.xls). Save it as .xlsx and upload it again."
        )
    elif kind == uploads.PDF:
        reason = _("This is a PDF document, not an Excel workbook. Upload the .xlsx file.")
    elif kind in uploads.IMAGES:
        reason = _("This is an image, not an Excel workbook. Upload the .xlsx file.")
    elif kind == uploads.DOCX:
        reason = _("This is a Word document, not an Excel workbook. Upload the .xlsx file.")
    else:
        reason = _(
            "This file is not an Excel workbook (.xlsx); CSV and other formats cannot be "
            "imported. Export the catalogue to XLSX, edit it in Excel and upload it again."
        )
    _refuse_file(reason)


@dataclass
class Sheet:
    rows: list[tuple[int, dict]]  # (Excel row number, values by column name)
    columns: dict[str, int]  # column name → 1-based column index
    ignored: list[str]  # headers that are not ours (left out of the import)


def _header(value) -> str:
    return "" if value is None else str(value).strip().lower()


def read_sheet(content: bytes) -> Sheet:
    """The Criteria sheet's rows (blank rows skipped). A workbook that cannot be read,
    has no usable header or too many rows is refused (``ValidationFailed`` on ``file``);
    a missing required column is a row-1 problem (:class:`ImportRejected`)."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        _refuse_file(
            _("The workbook is damaged or not a real .xlsx file. Save it again from Excel.")
        )
    try:
        if CRITERIA_SHEET in book.sheetnames:
            sheet = book[CRITERIA_SHEET]
        else:
            sheet = next((book[n] for n in book.sheetnames if n != README_SHEET), None)
            if sheet is None:
                _refuse_file(_("The workbook has no Criteria sheet."))
        lines = sheet.iter_rows(values_only=True)
        header = next(lines, None) or ()
        columns: dict[str, int] = {}
        ignored: list[str] = []
        problems: list[RowError] = []
        for index, value in enumerate(header, start=1):
            name = _header(value)
            if not name:
                continue
            if name not in COLUMNS:
                ignored.append(str(value))
            elif name in columns:
                problems.append(
                    RowError(
                        1,
                        name,
                        f"{get_column_letter(index)}1",
                        _("The column %(name)s appears twice; keep one.") % {"name": name},
                    )
                )
            else:
                columns[name] = index
        if not columns:
            _refuse_file(
                _(
                    "Row 1 of the %(sheet)s sheet does not have the column headers (code, "
                    "domain, text_id, …). Start from an exported file."
                )
                % {"sheet": sheet.title}
            )
        for name in REQUIRED_COLUMNS:
            if name not in columns:
                problems.append(
                    RowError(1, name, "", _("The column %(name)s is missing.") % {"name": name})
                )
        if problems:
            raise ImportRejected(problems)
        rows: list[tuple[int, dict]] = []
        for number, line in enumerate(lines, start=2):
            if number > MAX_SHEET_ROWS:
                _refuse_file(
                    _("The sheet has more than %(max)s rows; a catalogue has far fewer.")
                    % {"max": MAX_SHEET_ROWS}
                )
            values = {
                name: (line[index - 1] if index - 1 < len(line) else None)
                for name, index in columns.items()
            }
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
                continue
            rows.append((number, values))
            if len(rows) > MAX_ROWS:
                _refuse_file(_("The file has more than %(max)s criteria.") % {"max": MAX_ROWS})
    finally:
        book.close()
    return Sheet(rows=rows, columns=columns, ignored=ignored)


def check_rows(sheet: Sheet) -> list[dict]:
    """The cleaned rows, in order; every problem of every row raises
    :class:`ImportRejected` at once."""
    problems: list[RowError] = []
    clean_rows: list[dict] = []
    first_row_of: dict[str, int] = {}
    if not sheet.rows:
        raise ImportRejected(
            [
                RowError(
                    2, "code", "A2", _("The sheet has no criteria: a version needs at least one.")
                )
            ]
        )
    for number, raw in sheet.rows:
        clean, errors = clean_criterion(raw)
        code = clean["code"]
        if code and "code" not in errors:
            if code in first_row_of:
                errors["code"] = _(
                    "The code %(code)s is also on row %(row)s: codes must be unique."
                ) % {
                    "code": code,
                    "row": first_row_of[code],
                }
            else:
                first_row_of[code] = number
        for f in FIELDS:
            if f.name in errors:
                index = sheet.columns.get(f.name)
                cell = f"{get_column_letter(index)}{number}" if index else ""
                problems.append(RowError(number, f.name, cell, errors[f.name]))
        clean_rows.append(clean)
    if problems:
        raise ImportRejected(problems)
    return clean_rows


def rows_of(content: bytes) -> tuple[list[dict], Sheet]:
    sheet = read_sheet(content)
    return check_rows(sheet), sheet


# --- preview and confirm -----------------------------------------------------------------


@dataclass
class Preview:
    record: CatalogueImport
    diff: "selectors.Diff | None"  # None once the import is applied, stale or expired
    token: str
    ignored_columns: list[str]

    @property
    def is_stale(self) -> bool:
        return self.record.catalogue_version.version != self.record.base_version


def _token(record: CatalogueImport) -> str:
    return signing.dumps(
        {"import": str(record.public_id), "sha256": record.sha256, "version": record.base_version},
        salt=TOKEN_SALT,
    )


def _require_draft(version: CatalogueVersion) -> None:
    if version.status != CatalogueVersion.Status.DRAFT:
        raise NotADraft(
            _("Version %(number)s is %(status)s: import into a draft version.")
            % {"number": version.number, "status": version.get_status_display().lower()}
        )


def preview_import(*, user, version: CatalogueVersion, upload) -> Preview:
    """Check the uploaded file and, when every row is valid, keep it as a preview of
    its differences to the draft. Raises ``ValidationFailed`` (the file), or
    :class:`ImportRejected` (its rows); nothing is stored then."""
    require(user, MANAGE)
    version.refresh_from_db()
    _require_draft(version)
    checked = check_file(upload)
    stream = upload.file if hasattr(upload, "file") else upload
    stream.seek(0)
    content = stream.read()
    rows, sheet = rows_of(content)
    changes = selectors.diff(selectors.snapshot(version), rows)
    name = uploads.store(checked, STORAGE_PREFIX)
    try:
        record = CatalogueImport.objects.create(
            catalogue_version=version,
            original_name=checked.original_name,
            file=name,
            sha256=checked.sha256,
            base_version=version.version,
            rows=len(rows),
            summary=changes.summary(),
            created_by=user,
        )
    except Exception:
        default_storage.delete(name)
        raise
    return Preview(record=record, diff=changes, token=_token(record), ignored_columns=sheet.ignored)


def import_for(version: CatalogueVersion, public_id) -> CatalogueImport:
    record = (
        CatalogueImport.objects.select_related("catalogue_version", "catalogue_version__catalogue")
        .filter(catalogue_version=version, public_id=public_id)
        .first()
    )
    if record is None:
        raise NotFound(_("This import does not exist for this version."))
    return record


def _stored_content(record: CatalogueImport) -> bytes:
    try:
        with default_storage.open(record.file, "rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError, ValueError):
        raise Conflict(
            _("The previewed file is no longer kept. Upload it again."), code="import_expired"
        ) from None
    if hashlib.sha256(content).hexdigest() != record.sha256:
        raise Conflict(
            _("The stored file does not match its preview. Upload it again."),
            code="import_changed",
        )
    return content


def load_preview(record: CatalogueImport) -> Preview:
    """The preview of a stored import again (its differences to the draft as it is now)."""
    if record.status != CatalogueImport.Status.PREVIEW:
        return Preview(record=record, diff=None, token="", ignored_columns=[])
    rows, sheet = rows_of(_stored_content(record))
    version = record.catalogue_version
    changes = selectors.diff(selectors.snapshot(version), rows)
    return Preview(record=record, diff=changes, token=_token(record), ignored_columns=sheet.ignored)


def _mark(record: CatalogueImport, status: str) -> None:
    CatalogueImport.objects.filter(pk=record.pk, status=CatalogueImport.Status.PREVIEW).update(
        status=status, updated_at=timezone.now()
    )


def confirm_import(*, user, version: CatalogueVersion, token: str) -> CatalogueImport:
    """Apply a previewed file to the draft, all or nothing. Refused (409) when the draft
    changed since the preview, the preview was used or expired, or the token does not
    match the file and row version it was issued for."""
    require(user, MANAGE)
    try:
        claims = signing.loads(token or "", salt=TOKEN_SALT, max_age=PREVIEW_DAYS * 86400)
    except signing.SignatureExpired:
        raise Conflict(
            _("The preview has expired. Upload the file again."), code="import_expired"
        ) from None
    except signing.BadSignature:
        raise ValidationFailed(
            fields={"token": _("The confirmation token is not valid. Upload the file again.")}
        ) from None
    record = import_for(version, claims.get("import"))
    if claims.get("sha256") != record.sha256 or claims.get("version") != record.base_version:
        raise ValidationFailed(
            fields={"token": _("The confirmation token belongs to another file or preview.")}
        )
    if record.status != CatalogueImport.Status.PREVIEW:
        raise Conflict(
            _("This preview is %(status)s; upload the file again to import it.")
            % {"status": record.get_status_display().lower()},
            code="import_closed",
            extra={"import_status": record.status},
        )
    rows, _sheet = rows_of(_stored_content(record))
    try:
        with transaction.atomic():
            counts = replace_criteria(
                version=version, rows=rows, expected_version=record.base_version
            )
            record.status = CatalogueImport.Status.APPLIED
            record.applied_at = timezone.now()
            record.applied_by = user
            record.summary = {**record.summary, **{"applied": counts}}
            record.save(
                update_fields=["status", "applied_at", "applied_by", "summary", "updated_at"]
            )
    except Conflict as exc:
        _mark(record, CatalogueImport.Status.STALE)
        raise Conflict(
            _(
                "The draft changed after this preview was made, so the preview no longer shows "
                "what the import would do. Upload the file again to see the new differences."
            ),
            code="import_stale",
            extra=exc.extra,
        ) from None
    except NotADraft:
        _mark(record, CatalogueImport.Status.STALE)
        raise
    return record


def expire_previews(now: datetime.datetime | None = None) -> int:
    """Expire the previews older than :data:`PREVIEW_DAYS` and delete their files."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=PREVIEW_DAYS)
    old = list(
        CatalogueImport.objects.filter(
            status=CatalogueImport.Status.PREVIEW, created_at__lt=cutoff
        ).values_list("pk", "file")
    )
    for _pk, name in old:
        if name:
            default_storage.delete(name)
    CatalogueImport.objects.filter(pk__in=[pk for pk, _name in old]).update(
        status=CatalogueImport.Status.EXPIRED, file="", updated_at=timezone.now()
    )
    return len(old)
