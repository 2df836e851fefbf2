"""Checking and normalising one row of a person import.

:class:`RowChecker` is built once per import (it holds the known village and
district codes and the batch's constants) and turns the cells of one row into
either a *spool line* — the person's columns, ready to write — or the row's
problems, each naming its column, the value and the reason in the user's
language. It touches no database, so it runs in worker processes too.

Rules (what the template's help sheet tells the user):

* Only the name is required; any other cell may be blank or its column missing.
* A blank sex is taken from a valid NIK; otherwise it stays unknown ("").
* Dates: ``YYYY-MM-DD`` or ``DD-MM-YYYY`` (also with ``/`` or ``.``; never
  month first), an Excel serial number, ``YYYY-MM`` / ``MM-YYYY`` (precision
  "month", stored as the 15th) or ``YYYY`` (precision "year", stored as 1 July):
  the middle of the known period, so the error is at most half of it.
* An NIK with an error (length, district, date, serial) rejects the row; a
  disagreement with the sex, exact birth date or province entered is a warning,
  reported but not rejected.
* A blank village code takes the village of the importing user's centre.

A spool line is PostgreSQL ``COPY`` text (tab-separated, ``\\N`` for NULL,
backslashes escaped); every text value has its whitespace collapsed, so no tab
or newline is left inside one.
"""

import base64
import datetime
import hmac
import json
import os
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils.translation import gettext as _

from rehsos.registry import nik
from rehsos.registry.identifiers import PREFIX, Sealer
from rehsos.registry.importers.columns import KEYS, HeaderMap
from rehsos.registry.models import WG_DOMAINS, Person

NULL = "\\N"
WG_FIELDS = tuple(name for name, _label in WG_DOMAINS)

# The person columns a spool line carries, in order, after the row number and the
# mask of the columns the row filled in. The natural keys come first, so the commit
# pass reads them without splitting the whole line.
SPOOL_FIELDS: tuple[str, ...] = (
    "source_id",
    "nik_index",
    "kk_index",
    "name_key",
    "public_id",
    "full_name",
    "other_names",
    "name_phonetic",
    "sex",
    "birth_date",
    "birth_date_precision",
    "birth_year",
    "birth_place",
    "nik_sealed",
    "kk_sealed",
    "mother_name",
    "village_id",
    "province_code",
    "address",
    "phone",
    "education",
    "marital_status",
    "religion",
    *WG_FIELDS,
    "has_disability",
)
KEY_FIELDS = 4  # source_id, nik_index, kk_index, name_key
POSITION = {name: index + 2 for index, name in enumerate(SPOOL_FIELDS)}
BIT = {key: 1 << index for index, key in enumerate(KEYS)}

TEXT_LIMITS = {
    "full_name": 200,
    "birth_place": 120,
    "mother_name": 200,
    "address": 300,
    "phone": 32,
    "source_id": 64,
}

SEX = {
    **dict.fromkeys(["m", "l", "male", "man", "laki-laki", "laki laki", "lakilaki", "pria"], "M"),
    **dict.fromkeys(["f", "p", "female", "woman", "perempuan", "wanita"], "F"),
}
PRECISION = {
    **dict.fromkeys(["exact", "tepat", "pasti"], "exact"),
    **dict.fromkeys(["month", "bulan"], "month"),
    **dict.fromkeys(["year", "tahun"], "year"),
    **dict.fromkeys(["estimated", "perkiraan", "kira-kira", "kira kira", "estimasi"], "estimated"),
}
EDUCATION = {
    **dict.fromkeys(
        ["none", "tidak sekolah", "tidak/belum sekolah", "belum sekolah", "tidak tamat sd"], "none"
    ),
    **dict.fromkeys(["sd", "sd/sederajat", "sd/mi", "mi", "primary"], "sd"),
    **dict.fromkeys(["smp", "smp/sederajat", "smp/mts", "mts", "sltp", "junior secondary"], "smp"),
    **dict.fromkeys(
        ["sma", "smk", "sma/smk", "sma/sederajat", "slta", "ma", "senior secondary"], "sma"
    ),
    **dict.fromkeys(["diploma", "d1", "d2", "d3", "d4", "d1-d4", "d1/d2/d3"], "diploma"),
    **dict.fromkeys(["s1", "d4/s1", "sarjana", "bachelor"], "s1"),
    **dict.fromkeys(["s2", "s3", "s2/s3", "pascasarjana", "postgraduate"], "s2"),
}
MARITAL = {
    **dict.fromkeys(["single", "belum kawin", "belum menikah", "not married"], "single"),
    **dict.fromkeys(["married", "kawin", "menikah"], "married"),
    **dict.fromkeys(["divorced", "cerai hidup", "cerai"], "divorced"),
    **dict.fromkeys(["widowed", "cerai mati", "janda", "duda"], "widowed"),
}
RELIGION = {
    "islam": "islam",
    **dict.fromkeys(["protestant", "kristen", "protestan", "kristen protestan"], "protestant"),
    **dict.fromkeys(["catholic", "katolik", "katholik", "kristen katolik"], "catholic"),
    "hindu": "hindu",
    **dict.fromkeys(["buddhist", "buddha", "budha"], "buddhist"),
    **dict.fromkeys(["confucian", "konghucu", "khonghucu", "kong hu cu"], "confucian"),
    **dict.fromkeys(
        ["belief", "kepercayaan", "penghayat kepercayaan", "kepercayaan terhadap tuhan yme"],
        "belief",
    ),
}
CHOICES = {"education": EDUCATION, "marital_status": MARITAL, "religion": RELIGION}
WG_ANSWERS = {"1": 1, "2": 2, "3": 3, "4": 4}
WG_MASK = sum(BIT[key] for key in WG_FIELDS)
CHOICE_MASK = sum(BIT[key] for key in ("education", "marital_status", "religion"))
NO_ANSWERS = "\t".join([NULL] * len(WG_FIELDS))
EXCEL_EPOCH = datetime.date(1899, 12, 30)


class _Entropy:
    """Random bytes from the system drawn 64 KiB at a time: the hot loop needs 10-34 bytes
    a row (an id, one or two nonces), and a getrandom() call per draw cost more than the
    encryption itself. Emptied in a forked child, so no two processes use the same bytes
    (a repeated AES-GCM nonce would give the key away)."""

    SIZE = 64 * 1024

    def __init__(self):
        self.buffer = b""
        self.position = 0

    def take(self, count: int) -> bytes:
        start = self.position
        if start + count > len(self.buffer):
            self.buffer, start = os.urandom(self.SIZE), 0
        self.position = start + count
        return self.buffer[start : start + count]

    def forget(self) -> None:
        self.buffer, self.position = b"", 0


_ENTROPY = _Entropy()
os.register_at_fork(after_in_child=_ENTROPY.forget)


class FastSealer:
    """What :class:`Sealer` does for one value (``seal``, ``blind_index``: the same output
    format, keys and algorithms, so ``Sealer.unseal`` opens what this seals), with the
    per-call work done once: the cipher, the prefix, the nonces drawn in bulk and the
    HMAC in one C call."""

    def __init__(self, sealer: Sealer):
        ring = sealer.ring
        self.key_id = ring.current_id
        self.cipher = AESGCM(ring.keys[ring.current_id])
        self.associated = ring.current_id.encode()
        self.prefix = f"{PREFIX}:{ring.current_id}:"
        self.index_key = ring.index_key

    def seal(self, value: str) -> str:
        nonce = _ENTROPY.take(12)
        data = self.cipher.encrypt(nonce, value.encode(), self.associated)
        return self.prefix + base64.b64encode(nonce + data).decode()

    def blind_index(self, value: str) -> str:
        return hmac.digest(self.index_key, value.encode(), "sha256").hex()


def time_ordered_id() -> str:
    """A UUID version 7 (RFC 9562) as 32 hex digits: 48 bits of Unix milliseconds, then
    random bits. Imported persons get these rather than version 4: a batch's ids then
    land at the end of the public-id index instead of all over it, which keeps a large
    import's writes sequential (about twice as fast on SQLite at a million rows)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(_ENTROPY.take(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return f"{value:032x}"


def esc(value: str) -> str:
    """A text value for COPY: only the backslash needs escaping once whitespace is collapsed."""
    return value.replace("\\", "\\\\") if "\\" in value else value


def unesc(value: str):
    """The inverse of :func:`esc`, and ``\\N`` → None: a spool field as a Python value."""
    if value == NULL:
        return None
    return value.replace("\\\\", "\\") if "\\" in value else value


def too_long(limit: int, value: str) -> str:
    return _("At most %(n)d characters; this has %(count)d.") % {"n": limit, "count": len(value)}


def digits(value: str) -> str:
    """An NIK or KK as written ("3175 0357-0590.0001", "'3175035705900001") → its digits."""
    value = value.strip().lstrip("'")
    return value if value.isdigit() else nik.normalise(value)


def squash(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", " ")
    return " ".join(value.split())


class Checked:
    """The outcome for one row: a spool line, or problems; warnings either way.

    ``problems`` and ``warnings`` hold ``(column key, value, reason)``."""

    __slots__ = ("keys", "line", "problems", "warnings")

    def __init__(self):
        self.line: str | None = None
        self.keys: tuple = ()
        self.problems: list[tuple[str, str, str]] = []
        self.warnings: list[tuple[str, str, str]] = []


class _Derived:
    """What Person.derive() reads and writes, without building a model instance per row."""

    __slots__ = (
        "birth_date",
        "birth_year",
        "full_name",
        "has_disability",
        "name_key",
        "name_phonetic",
        "province_code",
        "village_id",
        *WG_FIELDS,
    )


def derive(full_name: str, birth_date, village_id: str, answers: dict) -> _Derived:
    shim = _Derived()
    shim.full_name, shim.birth_date, shim.village_id = full_name, birth_date, village_id
    for name in WG_FIELDS:
        setattr(shim, name, answers.get(name))
    Person.derive(shim)
    return shim


OPTIONAL_TEXT = tuple(key for key in TEXT_LIMITS if key != "full_name")


class RowChecker:
    def __init__(
        self,
        *,
        header: HeaderMap,
        villages: frozenset[str],
        districts: frozenset[str],
        default_village: str | None = None,
        today: datetime.date | None = None,
        sealer: Sealer | None = None,
    ):
        self.header = header
        self.villages = villages
        self.districts = districts
        self.known_district = districts.__contains__
        self.default_village = default_village
        self.today = today or datetime.date.today()
        self.sealer = FastSealer(sealer or Sealer())
        self.present = [(key, header.positions[key]) for key in KEYS if key in header.positions]

    def check(self, cells: list[str]) -> Checked:
        out = Checked()
        width = len(cells)
        if width > self.header.width and any(c.strip() for c in cells[self.header.width :]):
            out.problems.append(
                (
                    "",
                    "",
                    _(
                        "The row has %(found)d cells but the header only %(width)d columns: "
                        "a value has an unquoted delimiter, or a column has no header."
                    )
                    % {"found": width, "width": self.header.width},
                )
            )
            return out
        raw: dict[str, str] = {}
        mask = 0
        for key, position in self.present:
            if position < width:
                value = cells[position]
                if value and not value.isspace():
                    raw[key] = value
                    mask |= BIT[key]
        return self._check(raw, mask, out)

    def _check(self, raw: dict, mask: int, out: Checked) -> Checked:
        problems = out.problems
        name = squash(raw.get("full_name", ""))
        if not name:
            problems.append(("full_name", "", _("The name is required.")))
        elif len(name) > 200:
            problems.append(("full_name", name, too_long(200, name)))

        texts = dict.fromkeys(OPTIONAL_TEXT, "")
        for key in OPTIONAL_TEXT:
            value = raw.get(key)
            if value is not None:
                value = squash(value)
                if len(value) > TEXT_LIMITS[key]:
                    problems.append((key, value, too_long(TEXT_LIMITS[key], value)))
                texts[key] = value

        other_names = "[]"
        if "other_names" in raw:
            names = [squash(part)[:200] for part in raw["other_names"].split(";")]
            names = [n for n in names if n][:20]
            if names:
                other_names = json.dumps(names, ensure_ascii=False)

        sex = given_sex = ""
        if "sex" in raw:
            sex = given_sex = SEX.get(raw["sex"].strip().lower(), "")
            if not sex:
                problems.append(
                    ("sex", raw["sex"], _("Write M or F (L or P, laki-laki or perempuan)."))
                )

        if "birth_date" in raw or "birth_date_precision" in raw:
            born, precision = self._birth_date(raw, out)
        else:
            born, precision = None, "exact"

        village = self._village(raw, out)

        answers = {}
        if mask & WG_MASK:
            for key in WG_FIELDS:
                if key in raw:
                    answer = WG_ANSWERS.get(raw[key].strip())
                    if answer is None:
                        problems.append(
                            (key, raw[key], _("Answer 1 (no difficulty) to 4 (cannot do at all)."))
                        )
                    answers[key] = answer

        choices = dict.fromkeys(CHOICES, "")
        if mask & CHOICE_MASK:
            for key, mapping in CHOICES.items():
                value = raw.get(key)
                if value is not None:
                    found = mapping.get(" ".join(value.lower().split()))
                    if found is None:
                        problems.append(
                            (
                                key,
                                value,
                                _("Not a known value; use one of: %(options)s.")
                                % {"options": ", ".join(sorted(set(mapping.values())))},
                            )
                        )
                    else:
                        choices[key] = found

        nik_value = ""
        if "nik" in raw:
            nik_value = digits(raw["nik"])
            if nik_value:
                check = nik.parse(nik_value, known_district=self.known_district, today=self.today)
                if check.errors:
                    problems.append(("nik", raw["nik"], " ".join(check.errors)))
                else:
                    if not sex:
                        sex = check.parsed.sex  # inferred: not a value the row provided
                    nik.cross_check(
                        check,
                        sex=given_sex or None,
                        birth_date=born if precision == "exact" else None,
                        region_code=village or None,
                    )
                    for warning in check.warnings:
                        out.warnings.append(("nik", raw["nik"], warning))

        kk_value = ""
        if "kk_number" in raw:
            kk_value = digits(raw["kk_number"])
            if kk_value and (not kk_value.isdigit() or len(kk_value) != 16):
                problems.append(("kk_number", raw["kk_number"], _("A KK number has 16 digits.")))

        if problems:
            return out

        sealer = self.sealer
        nik_index = nik_sealed = kk_index = kk_sealed = ""
        if nik_value:
            nik_index, nik_sealed = sealer.blind_index(nik_value), sealer.seal(nik_value)
        if kk_value:
            kk_index, kk_sealed = sealer.blind_index(kk_value), sealer.seal(kk_value)
        derived = derive(name, born, village, answers)
        if born is None:
            born_text = year_text = NULL
        else:
            born_text, year_text = born.isoformat(), str(derived.birth_year)
        if answers:
            wg = "\t".join(NULL if answers.get(k) is None else str(answers[k]) for k in WG_FIELDS)
            disability = "1" if derived.has_disability else "0"
        else:
            wg, disability = NO_ANSWERS, NULL
        out.line = "\t".join(
            (
                str(mask),
                esc(texts["source_id"]),
                nik_index,
                kk_index,
                esc(derived.name_key),
                time_ordered_id(),
                esc(name),
                esc(other_names),
                esc(derived.name_phonetic),
                sex,
                born_text,
                precision,
                year_text,
                esc(texts["birth_place"]),
                nik_sealed,
                kk_sealed,
                esc(texts["mother_name"]),
                village,
                derived.province_code,
                esc(texts["address"]),
                esc(texts["phone"]),
                choices["education"],
                choices["marital_status"],
                choices["religion"],
                wg,
                disability,
            )
        )
        out.keys = (texts["source_id"], nik_index, kk_index, derived.name_key)
        return out

    def _birth_date(self, raw: dict, out: Checked) -> tuple[datetime.date | None, str]:
        given = ""
        if "birth_date_precision" in raw:
            given = PRECISION.get(raw["birth_date_precision"].strip().lower(), "")
            if not given:
                out.problems.append(
                    (
                        "birth_date_precision",
                        raw["birth_date_precision"],
                        _("Write exact, month, year or estimated."),
                    )
                )
        text = raw.get("birth_date")
        if text is None:
            return None, given or "exact"
        born, grain = parse_date(text.strip())
        if born is None:
            out.problems.append(
                (
                    "birth_date",
                    text,
                    _(
                        "Not a date; write YYYY-MM-DD or DD-MM-YYYY (or a month YYYY-MM, or a "
                        "year YYYY), with a four-digit year."
                    ),
                )
            )
            return None, "exact"
        if born > self.today:
            out.problems.append(("birth_date", text, _("The date of birth is in the future.")))
        elif born.year < 1900:
            out.problems.append(("birth_date", text, _("The date of birth is before 1900.")))
        if grain == "exact":
            return born, given or "exact"
        # A month or a year alone: the stated precision may only be coarser.
        order = ["exact", "month", "year", "estimated"]
        return born, max(grain, given or grain, key=order.index)

    def _village(self, raw: dict, out: Checked) -> str:
        value = raw.get("village_code")
        if value is None:
            if self.default_village:
                return self.default_village
            out.problems.append(
                (
                    "village_code",
                    "",
                    _("The village code is required: your account has no centre to take it from."),
                )
            )
            return ""
        code = "".join(value.split())
        if code.isdigit() and len(code) == 10:
            code = f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
        if code not in self.villages:
            out.problems.append(
                (
                    "village_code",
                    value,
                    _("Not a known village code (like 31.75.03.1001)."),
                )
            )
            return ""
        return code


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> tuple[datetime.date | None, str]:
    """(date, "exact" | "month" | "year") or (None, "") when the text is not a date."""
    if " " in text:
        text = text.split(" ", 1)[0]  # "1990-05-17 00:00:00" from a spreadsheet
    if text.isdigit():
        if len(text) == 4:
            return _date(int(text), 7, 1), "year"
        if len(text) == 5:  # an Excel serial day number that lost its date format
            return EXCEL_EPOCH + datetime.timedelta(days=int(text)), "exact"
        if len(text) == 8:  # YYYYMMDD
            return _date(int(text[:4]), int(text[4:6]), int(text[6:])), "exact"
        return None, ""
    for mark in ("-", "/", "."):
        if mark in text:
            parts = text.split(mark)
            break
    else:
        return None, ""
    if not all(p.isdigit() for p in parts):
        return None, ""
    if len(parts) == 3:
        first, second, third = parts
        if len(first) == 4 and len(third) <= 2:
            return _date(int(first), int(second), int(third)), "exact"
        if len(third) == 4 and len(first) <= 2:
            return _date(int(third), int(second), int(first)), "exact"
        return None, ""
    if len(parts) == 2:
        first, second = parts
        if len(first) == 4 and len(second) <= 2:
            return _date(int(first), int(second), 15), "month"
        if len(second) == 4 and len(first) <= 2:
            return _date(int(second), int(first), 15), "month"
    return None, ""
