import pytest
from hypothesis import given
from hypothesis import strategies as st

from rehsos.core.errors import NotFound
from rehsos.regions import selectors
from rehsos.regions.keys import ancestor_codes, is_code, level_of, name_key, parent_code
from rehsos.regions.models import Region

# ---- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Kabupaten Aceh Selatan", "kabupaten aceh selatan"),
        ("  KOTA   Administrasi\tJakarta-Timur ", "kota administrasi jakarta timur"),
        ("Regapu’u", "regapuu"),
        ("regapu'u", "regapuu"),
        ('Ra"as', "ra as"),
        ("Bógor", "bogor"),
        ("ÉCOLE_Ñandú", "ecole nandu"),
        ("--", ""),
    ],
)
def test_name_key(text, key):
    assert name_key(text) == key


@given(st.text(max_size=40))
def test_name_key_is_stable(text):
    key = name_key(text)
    assert name_key(key) == key
    assert key == key.strip()
    assert "  " not in key


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("32", True),
        ("32.01", True),
        ("32.01.01", True),
        ("32.01.01.2001", True),
        ("3", False),
        ("32.1", False),
        ("32.01.01.201", False),
        ("32.01.01.2001.1", False),
        ("ab", False),
        ("32.01\n", False),
        ("", False),
    ],
)
def test_is_code(code, valid):
    assert is_code(code) is valid


def test_code_shape_gives_level_parent_and_ancestors():
    assert level_of("32.01.01.2001") == 4
    assert parent_code("32.01.01.2001") == "32.01.01"
    assert parent_code("32") is None
    assert ancestor_codes("32.01.01.2001") == ["32", "32.01", "32.01.01", "32.01.01.2001"]


# ---- selectors ----------------------------------------------------------------------------


def test_get_region(db):
    assert selectors.get_region("32.01").name == "Kabupaten Bogor"


@pytest.mark.parametrize("code", ["99.99", "32.01.01.9999", "abc"])
def test_an_unknown_code_is_not_found_and_named(db, english, code):
    with pytest.raises(NotFound) as caught:
        selectors.get_region(code, field="village")
    assert str(caught.value) == f"No region has the code {code}."
    assert caught.value.fields == {"village": f"No region has the code {code}."}


def test_path_runs_from_the_province_to_the_region(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        trail = selectors.path("32.01.01.1006")
    assert [(r.code, r.name) for r in trail] == [
        ("32", "Jawa Barat"),
        ("32.01", "Kabupaten Bogor"),
        ("32.01.01", "Cibinong"),
        ("32.01.01.1006", "Cibinong"),
    ]
    assert [r.code for r in selectors.path("32")] == ["32"]
    with pytest.raises(NotFound):
        selectors.path("32.01.01.9999")


def test_children(db):
    assert selectors.children().count() == 38
    assert selectors.children()[0].name == "Aceh"  # by name
    villages = selectors.children("32.01.01")
    assert [r.name for r in villages[:3]] == ["Cibinong", "Cirimekar", "Ciriung"]
    assert villages.count() == 13
    assert selectors.children("32.01", level=3).count() == 40
    assert (
        selectors.children("32.01", level=4).count()
        == Region.objects.filter(level=4, parent__parent_id="32.01").count()
    )
    assert selectors.children("32.01", level=1).count() == 0
    assert selectors.children("32.01.01.1006").count() == 0


@pytest.mark.parametrize("q", ["bogor", "BOGOR", "Bógor", "  bogor ", "Kota Bogor"])
def test_name_prefix_ignores_case_accents_and_the_kind_of_area(db, q):
    names = [r.name for r in selectors.search_by_name_prefix(q, level=2)]
    expected = ["Kota Bogor"] if q == "Kota Bogor" else ["Kabupaten Bogor", "Kota Bogor"]
    assert names == expected


def test_name_prefix_lists_provinces_first_then_by_name(db):
    found = selectors.search_by_name_prefix("jawa", limit=5)
    assert [(r.level, r.name) for r in found] == [
        (1, "Jawa Barat"),
        (1, "Jawa Tengah"),
        (1, "Jawa Timur"),
        (3, "Jawa Maraja Bah Jambi"),
        (3, "Jawai"),
    ]


def test_name_prefix_within_a_parent_and_a_level(db):
    found = selectors.search_by_name_prefix("cibin", level=4, parent="32.01")
    assert [(r.code, r.name) for r in found] == [
        ("32.01.01.1006", "Cibinong"),
        ("32.01.11.2008", "Cibinong"),
    ]
    assert selectors.search_by_name_prefix("yogyakarta", level=1)[0].code == "34"
    assert selectors.search_by_name_prefix("jakarta", level=1)[0].code == "31"


def test_name_prefix_without_letters_finds_nothing(db):
    assert selectors.search_by_name_prefix(" -- ") == []


def test_prefix_lookups_match_the_plain_prefix_semantics(db):
    """The index-friendly ``startswith`` (a range on SQLite) says what LIKE 'p%' says."""
    for prefix in ["32.01.", "32.7", "9", "31.75.03.100"]:
        expected = sorted(
            code
            for code in Region.objects.values_list("code", flat=True)
            if code.startswith(prefix)
        )
        assert (
            sorted(Region.objects.filter(code__startswith=prefix).values_list("code", flat=True))
            == expected
        )
    keys = list(Region.objects.filter(level=1).values_list("name_key", flat=True))
    for prefix in ["su", "sulawesi ", "papua b", "z"]:
        expected = sorted(k for k in keys if k.startswith(prefix))
        found = Region.objects.filter(level=1, name_key__startswith=prefix)
        assert sorted(found.values_list("name_key", flat=True)) == expected


def test_the_kind_of_area_is_skipped_from_three_letters_on(db):
    assert [r.name for r in selectors.search_by_name_prefix("bog", level=2)] == [
        "Kabupaten Bogor",
        "Kota Bogor",
    ]
    # Two letters match thousands of names already; the kind of area is not looked past.
    assert selectors.search_by_name_prefix("bo", level=2) == []
