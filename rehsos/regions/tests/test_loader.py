"""Loading the shipped region files: on migrate, idempotent, and repairing a partial table.

Speed is measured by bench/foundation.py, not asserted here."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from rehsos.regions.loader import RegionDataError, load_regions, read_regions, unload_regions
from rehsos.regions.models import Region

COUNTS = {"provinces": 38, "regencies": 514, "districts": 7285, "villages": 83762, "total": 91599}
NOTHING_DONE = {**COUNTS, "inserted": 0, "updated": 0, "deleted": 0}


def per_level() -> dict[int, int]:
    rows = Region.objects.values_list("level").annotate(n=Count("code")).order_by("level")
    return dict(rows)


def test_migrate_loads_every_kemendagri_region(db):
    assert per_level() == {1: 38, 2: 514, 3: 7285, 4: 83762}
    bogor = Region.objects.get(code="32.01")
    assert (bogor.name, bogor.level, bogor.parent_id, bogor.province_code, bogor.name_key) == (
        "Kabupaten Bogor",
        2,
        "32",
        "32",
        "kabupaten bogor",
    )
    village = Region.objects.get(code="53.07.01.2021")
    assert (village.name, village.name_key, village.parent_id) == (
        "Regapu’u",
        "regapuu",
        "53.07.01",
    )
    assert Region.objects.get(code="35.29.22").name == 'Ra"as'  # a quoted CSV field


def test_loading_again_adds_nothing(db):
    assert load_regions() == NOTHING_DONE
    assert load_regions(force=True) == NOTHING_DONE
    assert per_level() == {1: 38, 2: 514, 3: 7285, 4: 83762}


def test_a_partial_table_is_brought_in_line_with_the_files(db):
    Region.objects.filter(parent_id="32.01.01").delete()
    Region.objects.filter(code="32").update(name="Jawa Barat (lama)", name_key="jawa barat lama")
    Region.objects.create(
        code="32.01.01.9999",
        name="Desa Lama",
        level=4,
        parent_id="32.01.01",
        province_code="32",
        name_key="desa lama",
    )

    result = load_regions()

    assert result == {**COUNTS, "inserted": 13, "updated": 1, "deleted": 1}
    assert Region.objects.get(code="32").name_key == "jawa barat"
    assert not Region.objects.filter(code="32.01.01.9999").exists()
    assert Region.objects.filter(parent_id="32.01.01").count() == 13


def test_an_empty_table_is_filled_in_one_go(db):
    unload_regions()
    assert Region.objects.count() == 0
    seen = []

    result = load_regions(progress=lambda done, total, message: seen.append((done, total)))

    assert result == {**COUNTS, "inserted": 91599, "updated": 0, "deleted": 0}
    assert per_level() == {1: 38, 2: 514, 3: 7285, 4: 83762}
    assert seen[-1] == (91599, 91599)
    assert len(seen) == 10  # one report per 10,000 rows


def test_the_command_reports_the_counts(db, english):
    out = StringIO()
    call_command("load_regions", stdout=out)
    assert out.getvalue().startswith(
        "Regions: 38 provinces, 514 regencies/cities, 7,285 districts, 83,762 villages "
        "(91,599 in all); 0 inserted, 0 updated, 0 deleted in "
    )


def write_data(folder, villages: str) -> None:
    (folder / "provinces.csv").write_text("code,name\n11,Aceh\n")
    (folder / "regencies.csv").write_text("code,province_code,name\n11.01,11,Kabupaten X\n")
    (folder / "districts.csv").write_text("code,regency_code,name\n11.01.01,11.01,Bakongan\n")
    (folder / "villages.csv").write_text("code,district_code,name\n" + villages)


def test_the_files_are_read_into_rows(tmp_path):
    write_data(tmp_path, "11.01.01.2001,11.01.01,  Keude  Bakóngan \n")
    assert read_regions(tmp_path) == [
        ("11", "Aceh", 1, None, "11", "aceh"),
        ("11.01", "Kabupaten X", 2, "11", "11", "kabupaten x"),
        ("11.01.01", "Bakongan", 3, "11.01", "11", "bakongan"),
        ("11.01.01.2001", "Keude  Bakóngan", 4, "11.01.01", "11", "keude bakongan"),
    ]


@pytest.mark.parametrize(
    ("villages", "message"),
    [
        ("11.01.01.2001,11.01.01\n", "villages.csv:2: expected 3 columns, found 2"),
        ("11.01.01.20x1,11.01.01,Keude\n", "villages.csv:2: '11.01.01.20x1' is not a level-4 code"),
        ("11.01.01,11.01,Keude\n", "villages.csv:2: '11.01.01' is not a level-4 code"),
        (
            "11.01.01.2001,11.01.02,Keude\n",
            "villages.csv:2: '11.01.01.2001' cannot have the parent '11.01.02'",
        ),
        ("11.01.01.2001,11.01.01, \n", "villages.csv:2: '11.01.01.2001' has no name"),
    ],
)
def test_a_broken_file_is_refused_with_its_line(tmp_path, villages, message):
    write_data(tmp_path, villages)
    with pytest.raises(RegionDataError) as caught:
        read_regions(tmp_path)
    assert str(caught.value) == message
