import datetime

from hypothesis import given
from hypothesis import strategies as st

from rehsos.registry import nik

KNOWN = {"31.75.03", "32.01.01"}.__contains__


def test_a_womans_nik_parses_with_the_plus_forty_rule():
    check = nik.parse("3175035707100001", known_district=KNOWN)
    assert check.is_valid
    assert check.parsed.sex == "F"
    assert check.parsed.district_code == "31.75.03"
    assert check.parsed.birth_dates(datetime.date(2026, 1, 1))[0] == datetime.date(2010, 7, 17)


def test_separators_are_ignored():
    assert nik.parse("3175.0317-0710 0001", known_district=KNOWN).is_valid


def test_each_fault_is_named():
    assert nik.parse("31750317071", known_district=KNOWN).errors == [
        "An NIK has 16 digits; this one has 11."
    ]
    assert nik.parse("31750A1707100001").errors == ["An NIK has only digits."]
    unknown = nik.parse("9999991707100001", known_district=KNOWN)
    assert unknown.errors == [
        "The NIK's first six digits (99.99.99) are not a known district code."
    ]
    bad_date = nik.parse("3175033213100001", known_district=KNOWN)
    assert len(bad_date.errors) == 1
    assert "birth date" in bad_date.errors[0]
    zero = nik.parse("3175031707100000", known_district=KNOWN)
    assert zero.errors == ["The NIK's last four digits cannot be 0000."]


def test_cross_check_warns_but_does_not_reject():
    check = nik.cross_check(
        nik.parse("3175035707100001", known_district=KNOWN),
        sex="M",
        birth_date=datetime.date(2010, 7, 18),
        region_code="32.01.01.1001",
    )
    assert check.is_valid
    assert len(check.warnings) == 3


def test_mask_keeps_region_and_serial():
    assert nik.mask("3171011707100001") == "3171••••••••0001"


@given(
    day=st.integers(1, 28),
    month=st.integers(1, 12),
    year=st.integers(1940, 2020),
    serial=st.integers(1, 9999),
    female=st.booleans(),
)
def test_any_real_birth_date_round_trips(day, month, year, serial, female):
    value = f"317503{day + 40 * female:02d}{month:02d}{year % 100:02d}{serial:04d}"
    check = nik.parse(value, known_district=KNOWN)
    assert check.is_valid
    assert check.parsed.sex == ("F" if female else "M")
    assert datetime.date(year, month, day) in check.parsed.birth_dates(datetime.date(2026, 1, 1))
