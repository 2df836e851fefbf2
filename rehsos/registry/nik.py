"""NIK (Nomor Induk Kependudukan) parsing and plausibility checks.

An NIK is 16 digits: the district of first registration (province 2, regency 2,
district 2), the birth date as DDMMYY with 40 added to the day for women, and a
4-digit serial from 0001. Without Dukcapil access only format and plausibility
can be checked: a known district, a real date, a serial above zero. Comparing
it with what the user entered (sex, birth date, region) gives warnings the user
must confirm, never a silent accept.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ParsedNik:
    value: str
    district_code: str  # "NN.NN.NN", the Kemendagri district code
    sex: str  # "F" or "M"
    birth_day: int
    birth_month: int
    birth_yy: int
    serial: int

    @property
    def province_code(self) -> str:
        return self.district_code[:2]

    @property
    def regency_code(self) -> str:
        return self.district_code[:5]

    def birth_dates(self, today: datetime.date | None = None) -> list[datetime.date]:
        """The possible birth dates (YY is ambiguous across centuries), latest first."""
        today = today or datetime.date.today()
        dates = []
        for century in (2000, 1900):
            try:
                candidate = datetime.date(century + self.birth_yy, self.birth_month, self.birth_day)
            except ValueError:
                continue
            if candidate <= today:
                dates.append(candidate)
        return dates


@dataclass
class NikCheck:
    parsed: ParsedNik | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return self.parsed is not None and not self.errors


def normalise(raw: str) -> str:
    """Digits only: people write NIKs with spaces, dots or dashes."""
    return "".join(ch for ch in str(raw) if not ch.isspace() and ch not in ".-")


def parse(raw: str, *, known_district=None, today: datetime.date | None = None) -> NikCheck:
    """Check the NIK's own structure. ``known_district(code) -> bool`` tells whether a
    district code exists (the regions table); without it the region is not checked."""
    value = normalise(raw)
    check = NikCheck()
    if not value.isdigit():
        check.errors.append(_("An NIK has only digits."))
        return check
    if len(value) != 16:
        check.errors.append(
            _("An NIK has 16 digits; this one has %(count)d.") % {"count": len(value)}
        )
        return check
    district = f"{value[0:2]}.{value[2:4]}.{value[4:6]}"
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    serial = int(value[12:16])
    sex = "M"
    if day > 40:
        sex, day = "F", day - 40
    parsed = ParsedNik(value, district, sex, day, month, yy, serial)
    if known_district is not None and not known_district(district):
        check.errors.append(
            _("The NIK's first six digits (%(code)s) are not a known district code.")
            % {"code": district}
        )
    if not 1 <= month <= 12 or not 1 <= day <= 31 or not parsed.birth_dates(today):
        check.errors.append(
            _(
                "The NIK's digits 7–12 (%(digits)s) are not a valid birth date "
                "(DDMMYY, +40 on the day for women)."
            )
            % {"digits": value[6:12]}
        )
    if serial == 0:
        check.errors.append(_("The NIK's last four digits cannot be 0000."))
    check.parsed = parsed
    return check


def cross_check(
    check: NikCheck,
    *,
    sex: str | None = None,
    birth_date: datetime.date | None = None,
    region_code: str | None = None,
) -> NikCheck:
    """Add warnings where the NIK disagrees with what was entered."""
    parsed = check.parsed
    if parsed is None or check.errors:
        return check
    if sex and sex != parsed.sex:
        check.warnings.append(
            _("The NIK is that of a woman, but the sex entered is male.")
            if parsed.sex == "F"
            else _("The NIK is that of a man, but the sex entered is female.")
        )
    if birth_date and birth_date not in parsed.birth_dates():
        check.warnings.append(
            _("The NIK's birth date (%(nik)s) differs from the birth date entered (%(entered)s).")
            % {
                "nik": f"{parsed.birth_day:02d}-{parsed.birth_month:02d}-{parsed.birth_yy:02d}",
                "entered": birth_date.strftime("%d-%m-%y"),
            }
        )
    if region_code and not region_code.startswith(parsed.province_code):
        check.warnings.append(
            _(
                "The NIK was first registered in province %(nik)s, but the address is in "
                "province %(entered)s (fine if the person moved)."
            )
            % {"nik": parsed.province_code, "entered": region_code[:2]}
        )
    return check


def mask(value: str) -> str:
    """``3171•••••••••0001``: the region's first four and the serial stay visible."""
    value = normalise(value)
    if len(value) < 8:
        return "•" * len(value)
    return value[:4] + "•" * (len(value) - 8) + value[-4:]
