"""The columns of a person import: the template, and reading a file's header row.

Every column has an English header in snake_case (``full_name``) and an
Indonesian one (``nama_lengkap``); a file may use either, or mix them, in any
order and case ("Nama Lengkap" reads as ``nama_lengkap``). Only ``full_name``
is required. ``village_code`` may be left out when the importing user works at
a centre: its village is used. Without a centre the column is required.
"""

import csv
import io
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from rehsos.core.errors import ValidationFailed


@dataclass(frozen=True)
class Column:
    key: str  # the English header and the field it fills
    indonesian: str
    help: Promise
    aliases: tuple[str, ...] = ()


WG_HELP = gettext_lazy(
    "Washington Group question, answered 1 (no difficulty), 2 (some difficulty), "
    "3 (a lot of difficulty) or 4 (cannot do at all)."
)

COLUMNS: tuple[Column, ...] = (
    Column(
        "source_id",
        "id_sumber",
        gettext_lazy(
            "The record's id in the system the list comes from. With it, importing the same "
            "list again updates these records instead of adding new ones."
        ),
        ("id", "no_urut_sumber"),
    ),
    Column(
        "full_name",
        "nama_lengkap",
        gettext_lazy("Required. The person's full name as on the KTP."),
        ("nama", "name"),
    ),
    Column(
        "other_names",
        "nama_lain",
        gettext_lazy("Aliases and former names, separated by semicolons (;)."),
        ("alias",),
    ),
    Column(
        "sex",
        "jenis_kelamin",
        gettext_lazy("M or F (L or P; laki-laki or perempuan). Left blank: taken from the NIK."),
        ("jk", "l_p", "gender"),
    ),
    Column(
        "birth_date",
        "tanggal_lahir",
        gettext_lazy(
            "YYYY-MM-DD or DD-MM-YYYY (also with / or .). A month (YYYY-MM or MM-YYYY) or a "
            "year (YYYY) alone is accepted and sets the precision."
        ),
        ("tgl_lahir", "date_of_birth", "dob"),
    ),
    Column(
        "birth_date_precision",
        "ketepatan_tanggal_lahir",
        gettext_lazy("exact, month, year or estimated (tepat, bulan, tahun, perkiraan)."),
    ),
    Column("birth_place", "tempat_lahir", gettext_lazy("Place of birth."), ("tmp_lahir",)),
    Column(
        "nik",
        "nik",
        gettext_lazy("16 digits. Format the column as text in Excel, or it keeps only 15 digits."),
        ("no_nik", "nomor_nik"),
    ),
    Column(
        "kk_number",
        "nomor_kk",
        gettext_lazy("Family card (KK) number, 16 digits."),
        ("no_kk", "kk"),
    ),
    Column("mother_name", "nama_ibu_kandung", gettext_lazy("Mother's name."), ("nama_ibu",)),
    Column(
        "village_code",
        "kode_desa",
        gettext_lazy(
            "Kemendagri village code, e.g. 31.75.03.1001 (dots optional). Left blank: the "
            "village of your centre."
        ),
        ("kode_kelurahan", "village"),
    ),
    Column("address", "alamat", gettext_lazy("Street address (RT/RW, street, house)."), ()),
    Column("phone", "telepon", gettext_lazy("Phone number."), ("no_hp", "no_telepon", "hp")),
    Column(
        "education",
        "pendidikan",
        gettext_lazy("none, sd, smp, sma, diploma, s1 or s2 (or the Indonesian names)."),
    ),
    Column(
        "marital_status",
        "status_perkawinan",
        gettext_lazy(
            "single, married, divorced or widowed (belum kawin, kawin, cerai hidup, cerai mati)."
        ),
        ("status_kawin",),
    ),
    Column(
        "religion",
        "agama",
        gettext_lazy(
            "Optional: islam, protestant, catholic, hindu, buddhist, confucian or belief "
            "(islam, kristen, katolik, hindu, buddha, konghucu, kepercayaan)."
        ),
    ),
    Column("wg_seeing", "wg_melihat", WG_HELP),
    Column("wg_hearing", "wg_mendengar", WG_HELP),
    Column("wg_walking", "wg_berjalan", WG_HELP),
    Column("wg_cognition", "wg_mengingat", WG_HELP),
    Column("wg_selfcare", "wg_mengurus_diri", WG_HELP),
    Column("wg_communication", "wg_berkomunikasi", WG_HELP),
)
KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS)
LANGUAGES = ("id", "en")


def header_name(text) -> str:
    """'Nama Lengkap ' → 'nama_lengkap'; '\\ufeffNIK' → 'nik'; 'No. KK' → 'no_kk'."""
    text = str(text or "").replace("\ufeff", "").strip().lower()
    for mark in " -./()":
        text = text.replace(mark, "_")
    return "_".join(part for part in text.split("_") if part)


_BY_NAME: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.key, _column.indonesian, *_column.aliases):
        _BY_NAME[_name] = _column.key


def headers(language: str) -> list[str]:
    return [c.indonesian if language == "id" else c.key for c in COLUMNS]


@dataclass(frozen=True)
class HeaderMap:
    """Which file column (0-based) holds which field, and the header as written."""

    positions: dict[str, int]
    written: dict[str, str]
    width: int

    def label(self, key: str) -> str:
        """The column as the user wrote it, for the rejects report."""
        return self.written.get(key, key)


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


def read_header(cells: list, *, village_required: bool) -> HeaderMap:
    """Map the header row onto fields; every problem is reported at once, naming the
    column, and nothing is imported while there is one."""
    cells = ["" if c is None else str(c) for c in cells]
    while cells and not cells[-1].strip():
        cells.pop()  # spreadsheets often carry empty trailing columns
    problems: list[str] = []
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    for index, raw in enumerate(cells):
        name = header_name(raw)
        where = column_letter(index)
        if not name:
            problems.append(
                _("Column %(column)s has no header; name it or delete the column.")
                % {"column": where}
            )
            continue
        key = _BY_NAME.get(name)
        if key is None:
            problems.append(
                _(
                    "Column %(column)s: the header '%(header)s' is not a known column. "
                    "Use the template's headers (e.g. full_name or nama_lengkap)."
                )
                % {"column": where, "header": raw.strip()}
            )
            continue
        if key in positions:
            problems.append(
                _("Column %(column)s: '%(header)s' repeats column %(first)s.")
                % {"column": where, "header": raw.strip(), "first": column_letter(positions[key])}
            )
            continue
        positions[key] = index
        written[key] = raw.strip()
    if not cells:
        problems.append(_("The file is empty: the first row must hold the column headers."))
    elif "full_name" not in positions:
        problems.append(
            _("The required column full_name (nama_lengkap) is missing from the header row.")
        )
    if cells and village_required and "village_code" not in positions:
        problems.append(
            _(
                "The column village_code (kode_desa) is missing, and your account has no centre "
                "whose village could be used instead. Add the column."
            )
        )
    if problems:
        raise HeaderRefused(problems)
    return HeaderMap(positions, written, len(cells))


class FileRefused(ValidationFailed):
    """The file cannot be imported at all; ``problems`` lists why, one line each."""

    code = "import_file_refused"
    title = gettext_lazy("The file cannot be imported")

    def __init__(self, problems: list[str], *, field: str = "file"):
        self.problems = [str(p) for p in problems]
        super().__init__(
            self.problems[0] if len(self.problems) == 1 else " ".join(self.problems),
            fields={field: " ".join(self.problems)},
            extra={"problems": self.problems},
        )


class HeaderRefused(FileRefused):
    code = "import_header_refused"


def template_xlsx(language: str) -> bytes:
    """An empty workbook with the header row, and a sheet that explains each column."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Persons")
    names = headers(language)
    sheet.append(names)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, _name in enumerate(names):
        cell = sheet.cell(row=1, column=index + 1)
        cell.font, cell.fill = bold, fill
        letter = column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(names[index]) + 4)
        # NIK, KK, codes and phones are text: Excel would round them as numbers.
        sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(_("Help"))
    guide.append([_("Column"), _("Other header"), _("What to enter")])
    for cell in guide[1]:
        cell.font = bold
    for column in COLUMNS:
        own, other = (
            (column.indonesian, column.key) if language == "id" else (column.key, column.indonesian)
        )
        guide.append([own, other, str(column.help)])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 24
    guide.column_dimensions["C"].width = 100
    for row in guide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv(language: str) -> bytes:
    """The header row as UTF-8 CSV with a BOM, so Excel opens it with the right encoding."""
    out = io.StringIO()
    csv.writer(out).writerow(headers(language))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
