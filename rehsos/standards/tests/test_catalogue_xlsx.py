"""The catalogue's XLSX round trip: the export's sheets, columns and drop-down lists;
the import's row-level errors (the catalogue unchanged), its preview (added, removed,
changed field by field, moved) and its confirmation (applied at once, refused when
stale); files that are not workbooks."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.standards import selectors_catalogue as selectors
from rehsos.standards import services_catalogue as services
from rehsos.standards import xlsx_catalogue as xlsx
from rehsos.standards.models import CatalogueImport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(code: str, domain: str = "ACC", **values) -> dict:
    base = {
        "code": code,
        "domain": domain,
        "text_id": f"Kriteria {code}",
        "text_en": f"Criterion {code}",
        "weight": 2,
        "scale": "four",
    }
    return {**base, **values}


@pytest.fixture
def draft(national_admin):
    catalogue = services.create_catalogue(
        user=national_admin, code="centre-anak", name_id="Standar anak", name_en="Children"
    )
    version = catalogue.versions.get()
    for data in (
        row("ACC-01", guidance_en="Walk the route", reference="ISO 21542 – approach"),
        row("ACC-02", text_en="=SUM(A1:A2) is text here"),
        row("STF-01", "STF", staff_role="caregiver", residents_per_staff=8),
        row("SAFE-01", "SAFE", critical=True, scale="yes_no", weight=3),
    ):
        services.add_criterion(
            user=national_admin, version=version, data=data, expected_version=version.version
        )
    return version


def exported(version) -> Workbook:
    return load_workbook(io.BytesIO(xlsx.export_version(version)))


def upload(book: Workbook, name: str = "catalogue.xlsx") -> SimpleUploadedFile:
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def cell(sheet, code: str, column: str):
    """The cell of ``column`` on the row of criterion ``code``."""
    header = [c.value for c in sheet[1]]
    for line in sheet.iter_rows(min_row=2):
        if line[0].value == code:
            return line[header.index(column)]
    raise KeyError(code)


# --- export --------------------------------------------------------------------------------


def test_the_export_has_every_field_a_readme_and_drop_down_lists(draft):
    book = exported(draft)
    assert book.sheetnames == ["Criteria", "README"]
    sheet = book["Criteria"]
    assert [c.value for c in sheet[1]] == list(xlsx.COLUMNS)
    assert list(xlsx.COLUMNS) == [
        "code",
        "domain",
        "text_id",
        "text_en",
        "guidance_id",
        "guidance_en",
        "evidence_id",
        "evidence_en",
        "weight",
        "scale",
        "critical",
        "reference",
        "staff_role",
        "residents_per_staff",
    ]
    assert [line[0].value for line in sheet.iter_rows(min_row=2)] == [
        "ACC-01",
        "ACC-02",
        "STF-01",
        "SAFE-01",
    ]
    assert cell(sheet, "STF-01", "staff_role").value == "caregiver"
    assert cell(sheet, "STF-01", "residents_per_staff").value == 8
    assert cell(sheet, "SAFE-01", "critical").value == "yes"
    assert cell(sheet, "ACC-01", "critical").value == "no"
    assert cell(sheet, "SAFE-01", "weight").value == 3
    # Text that looks like a formula stays text.
    formula_like = cell(sheet, "ACC-02", "text_en")
    assert (formula_like.value, formula_like.data_type) == ("=SUM(A1:A2) is text here", "s")

    lists = {
        str(dv.sqref)[0]: dv.formula1
        for dv in sheet.data_validations.dataValidation
        if dv.type == "list"
    }
    assert lists["B"] == '"ACC,ROOM,EQP,STF,SVC,SAFE,GOV,PART"'  # domain
    assert lists["J"] == '"four,yes_no"'  # scale
    assert lists["K"] == '"yes,no"'  # critical
    assert "addiction_counsellor" in lists["M"]  # staff role
    kinds = {dv.type for dv in sheet.data_validations.dataValidation}
    assert kinds == {"list", "decimal", "whole"}

    readme = [
        " ".join(str(v) for v in line if v) for line in book["README"].iter_rows(values_only=True)
    ]
    text = "\n".join(readme)
    for name in xlsx.COLUMNS:
        assert f"{name} " in text
    assert "SAFE Safety, health and emergency" in text
    assert "yes_no" in text


# --- round trip ------------------------------------------------------------------------------


def test_round_trip_export_edit_import_preview_confirm(national_admin, draft):
    book = exported(draft)
    sheet = book["Criteria"]
    cell(sheet, "ACC-01", "weight").value = 3
    cell(sheet, "ACC-01", "text_en").value = "A step-free route from the gate"
    cell(sheet, "STF-01", "residents_per_staff").value = 6
    read = draft.version

    preview = xlsx.preview_import(user=national_admin, version=draft, upload=upload(book))
    assert preview.diff.added == ()
    assert preview.diff.removed == ()
    changed = {
        c.code: [(f.field, f.before, f.after) for f in c.changes] for c in preview.diff.changed
    }
    assert changed == {
        "ACC-01": [
            ("text_en", "Criterion ACC-01", "A step-free route from the gate"),
            ("weight", "2", "3"),
        ],
        "STF-01": [("residents_per_staff", "8", "6")],
    }
    assert preview.diff.unchanged == 2
    record = preview.record
    assert (record.status, record.base_version, record.rows) == ("preview", read, 4)
    assert default_storage.exists(record.file)
    # Nothing changed yet.
    assert draft.criteria.get(code="ACC-01").weight == Decimal("2.00")

    xlsx.confirm_import(user=national_admin, version=draft, token=preview.token)
    acc = draft.criteria.get(code="ACC-01")
    assert (acc.weight, acc.text_en) == (Decimal("3.00"), "A step-free route from the gate")
    assert draft.criteria.get(code="STF-01").residents_per_staff == 6
    record.refresh_from_db()
    assert record.status == "applied"
    assert record.applied_by == national_admin
    assert record.summary["applied"] == {"added": 0, "removed": 0, "updated": 2}
    draft.refresh_from_db()
    assert draft.version == read + 1

    # The same token again: the preview is used up.
    with pytest.raises(Conflict) as raised:
        xlsx.confirm_import(user=national_admin, version=draft, token=preview.token)
    assert raised.value.code == "import_closed"


def test_rows_added_deleted_and_moved_in_excel(national_admin, draft):
    book = exported(draft)
    sheet = book["Criteria"]
    sheet.delete_rows(3)  # ACC-02
    sheet.append(
        [
            "GOV-01",
            "gov",
            "Izin lengkap",
            "Permits in place",
            None,
            None,
            None,
            None,
            1,
            "yes_no",
            "no",
        ]
    )
    sheet.move_range("A2:N2", rows=sheet.max_row - 1)  # ACC-01 to the end
    preview = xlsx.preview_import(user=national_admin, version=draft, upload=upload(book))
    summary = preview.diff.summary()
    # A moved criterion with the same values still counts as unchanged.
    assert summary == {"added": 1, "removed": 1, "changed": 0, "moved": 1, "unchanged": 3}
    assert preview.diff.moved == ("ACC-01",)
    xlsx.confirm_import(user=national_admin, version=draft, token=preview.token)
    assert list(selectors.criteria_of(draft).values_list("code", flat=True)) == [
        "STF-01",
        "SAFE-01",
        "GOV-01",
        "ACC-01",
    ]


def test_an_unchanged_export_imports_as_no_difference(national_admin, draft):
    preview = xlsx.preview_import(
        user=national_admin, version=draft, upload=upload(exported(draft))
    )
    assert preview.diff.is_empty
    assert preview.diff.unchanged == 4


# --- bad input -----------------------------------------------------------------------------------


def test_row_level_errors_and_the_catalogue_unchanged(national_admin, draft):
    before, read = selectors.snapshot(draft), draft.version
    book = exported(draft)
    sheet = book["Criteria"]
    cell(sheet, "ACC-02", "code").value = "ACC-01"  # duplicate code, row 3
    cell(sheet, "STF-01", "weight").value = None  # missing weight, row 4
    cell(sheet, "SAFE-01", "domain").value = "FIRE"  # unknown domain, row 5
    sheet.append(["X-1", "ACC", "Teks", "", None, None, None, None, 1, "ten", "maybe"])  # row 6

    with pytest.raises(xlsx.ImportRejected) as raised:
        xlsx.preview_import(user=national_admin, version=draft, upload=upload(book))
    found = [(e.row, e.column, e.cell) for e in raised.value.rows]
    assert found == [
        (3, "code", "A3"),
        (4, "weight", "I4"),
        (5, "domain", "B5"),
        (6, "text_en", "D6"),
        (6, "scale", "J6"),
        (6, "critical", "K6"),
    ]
    messages = {(e.row, e.column): e.message for e in raised.value.rows}
    assert messages[(3, "code")] == "The code ACC-01 is also on row 2: codes must be unique."
    assert messages[(4, "weight")].startswith("Give a weight")
    assert messages[(5, "domain")].startswith("Unknown domain FIRE")
    assert raised.value.status == 422

    draft.refresh_from_db()
    assert selectors.snapshot(draft) == before
    assert draft.version == read
    assert not CatalogueImport.objects.exists()


def test_a_missing_column_is_a_row_1_error(national_admin, draft):
    book = exported(draft)
    book["Criteria"].delete_cols(9)  # weight
    with pytest.raises(xlsx.ImportRejected) as raised:
        xlsx.preview_import(user=national_admin, version=draft, upload=upload(book))
    assert [(e.row, e.column, e.message) for e in raised.value.rows] == [
        (1, "weight", "The column weight is missing.")
    ]


def test_a_sheet_without_criteria_is_refused(national_admin, draft):
    book = exported(draft)
    sheet = book["Criteria"]
    sheet.delete_rows(2, sheet.max_row)
    with pytest.raises(xlsx.ImportRejected) as raised:
        xlsx.preview_import(user=national_admin, version=draft, upload=upload(book))
    assert raised.value.rows[0].row == 2
    assert draft.criteria.count() == 4


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<Types><Override ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("catalogue.csv", b"code,domain\nACC-01,ACC\n", "not an Excel workbook (.xlsx)"),
        ("catalogue.xlsx", b"%PDF-1.7 renamed", "a PDF document"),
        ("catalogue.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "Excel 97–2003"),
        ("catalogue.xlsx", _docx(), "a Word document"),
        ("catalogue.xlsx", b"", "The file is empty."),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused(national_admin, draft, name, content, reason):
    with pytest.raises(ValidationFailed) as raised:
        xlsx.preview_import(
            user=national_admin, version=draft, upload=SimpleUploadedFile(name, content)
        )
    assert set(raised.value.fields) == {"file"}
    assert reason in raised.value.fields["file"]
    assert not CatalogueImport.objects.exists()


# --- stale and foreign confirmations --------------------------------------------------------


def test_a_confirmation_after_the_draft_changed_is_refused(national_admin, draft):
    book = exported(draft)
    cell(book["Criteria"], "ACC-01", "weight").value = 1
    preview = xlsx.preview_import(user=national_admin, version=draft, upload=upload(book))
    services.update_criterion(
        user=national_admin,
        criterion=draft.criteria.get(code="SAFE-01"),
        data={"text_en": "Changed meanwhile"},
        expected_version=draft.version,
    )
    with pytest.raises(Conflict) as raised:
        xlsx.confirm_import(user=national_admin, version=draft, token=preview.token)
    assert raised.value.code == "import_stale"
    preview.record.refresh_from_db()
    assert preview.record.status == "stale"
    assert draft.criteria.get(code="ACC-01").weight == Decimal("2.00")
    assert draft.criteria.get(code="SAFE-01").text_en == "Changed meanwhile"


def test_a_token_must_match_its_preview(national_admin, draft):
    first = xlsx.preview_import(user=national_admin, version=draft, upload=upload(exported(draft)))
    with pytest.raises(ValidationFailed) as raised:
        xlsx.confirm_import(user=national_admin, version=draft, token=first.token + "x")
    assert set(raised.value.fields) == {"token"}
    # A preview of another version is not found from this one.
    services.adopt(
        user=national_admin,
        version=draft,
        effective_from=draft.created_at.date(),
        expected_version=draft.version,
    )
    second = services.new_draft(user=national_admin, catalogue=draft.catalogue)
    with pytest.raises(NotFound):
        xlsx.confirm_import(user=national_admin, version=second, token=first.token)


def test_an_adopted_version_takes_no_import(national_admin, draft):
    services.adopt(
        user=national_admin,
        version=draft,
        effective_from=draft.created_at.date(),
        expected_version=draft.version,
    )
    with pytest.raises(services.NotADraft):
        xlsx.preview_import(user=national_admin, version=draft, upload=upload(exported(draft)))


def test_expired_previews_lose_their_file(national_admin, draft):
    preview = xlsx.preview_import(
        user=national_admin, version=draft, upload=upload(exported(draft))
    )
    name = preview.record.file
    assert xlsx.expire_previews() == 0
    future = preview.record.created_at + datetime.timedelta(days=8)
    assert xlsx.expire_previews(now=future) == 1
    preview.record.refresh_from_db()
    assert (preview.record.status, preview.record.file) == ("expired", "")
    assert not default_storage.exists(name)
