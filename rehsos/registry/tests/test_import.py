"""Bulk import of persons: the template, the rejects report, dry runs, re-runs, resuming
after a crash, refused files, the command line, the API and the pages.

Most stories are told by Sri, a social worker of Sentra Handayani (village
31.75.03.1001 in Jakarta Timur), importing a legacy list of her centre's clients.
"""

import csv
import io
import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from rehsos.core.jobs import execute_job
from rehsos.core.models import ApiToken
from rehsos.core.tests.factories import UserFactory
from rehsos.registry.identifiers import blind_index, unseal
from rehsos.registry.importers import columns, report, runner, store
from rehsos.registry.importers.columns import FileRefused
from rehsos.registry.models import Person, PersonEvent
from rehsos.registry.models_import import ImportBatch

HEADER = ["source_id", "full_name", "sex", "birth_date", "nik", "kk_number", "village_code"]
# District 31.75.03; 17-07-2010 for the woman (day + 40), 05-01-1985 for the man.
NIK_SITI = "3175035707100001"
NIK_BUDI = "3175030501850002"
KK = "3175030101200003"
GOOD = [
    ["A-1", "Siti Aminah", "P", "17-07-2010", NIK_SITI, KK, "31.75.03.1001"],
    ["A-2", "Budi Santoso", "L", "1985-01-05", NIK_BUDI, KK, "3175031001"],
    ["A-3", "Dewi Lestari", "", "1990", "", "", ""],
    ["A-4", "Joko Widodo", "M", "", "", "", "32.01.01.1001"],
    ["A-5", "Rina", "F", "2001-02", "", "", ""],
]


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def sri(social_worker):
    social_worker.language = "en"
    social_worker.save(update_fields=["language"])
    return social_worker


@pytest.fixture
def browser(client, sri):
    client.force_login(sri)
    client.cookies["rehsos_language"] = "en"
    return client


@pytest.fixture
def api(client, sri):
    _token, raw = ApiToken.issue(sri, "import")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def write_csv(folder, rows, header=HEADER, *, name="clients.csv", encoding="utf-8", delimiter=","):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path = folder / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def import_file(path, user, **options):
    """The command line, as an administrator runs it: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    args = [str(path)] + (["--user", user.username] if user else [])
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        args += [flag] if value is True else [flag, str(value)]
    try:
        call_command("import_persons", *args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(str(error))
        return error.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def last_batch() -> ImportBatch:
    return ImportBatch.objects.order_by("-id").first()


def report_of(batch: ImportBatch) -> dict[str, list[tuple]]:
    with batch.rejects_file.open("rb") as handle:
        return report.read_xlsx(handle.read())


# -- the template -----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_template_downloads_in_both_languages_and_parses_back(
    browser, sri, tmp_path, language, fmt
):
    response = browser.get(reverse("registry:import_template", args=[language, fmt]))
    assert response.status_code == 200
    path = tmp_path / f"template.{fmt}"
    path.write_bytes(response.content)
    info, header = runner.check_file(path, path.name, user=sri)
    assert info.format == fmt
    assert list(header.positions) == list(columns.KEYS)
    assert list(header.written.values()) == columns.headers(language)
    assert header.written["full_name"] == ("nama_lengkap" if language == "id" else "full_name")


def test_the_api_serves_the_template_too(api):
    response = api.get("/api/v1/person-imports/template?language=en&format=csv")
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").strip() == ",".join(columns.KEYS)


# -- rows ---------------------------------------------------------------------------------


def test_valid_rows_are_imported_with_derived_columns_and_events(sri, tmp_path):
    status, out, _err = import_file(write_csv(tmp_path, GOOD), sri, source_system="SIKS")
    assert status == 0
    assert out.splitlines()[0] == (
        "Rows 5: created 5, updated 0, unchanged 0, rejected 0, warnings 0."
    )
    siti = Person.objects.get(source_id="A-1")
    assert (siti.full_name, siti.sex, str(siti.birth_date), siti.birth_date_precision) == (
        "Siti Aminah",
        "F",
        "2010-07-17",
        "exact",
    )
    assert (siti.village_id, siti.province_code, siti.facility, siti.registered_by) == (
        "31.75.03.1001",
        "31",
        sri.facility,
        sri,
    )
    assert (siti.name_key, siti.birth_year, siti.source_system) == ("siti amina", 2010, "SIKS")
    assert NIK_SITI not in siti.nik_sealed
    # Sealed as the registry seals (its key opens it) and found by its blind index.
    assert (unseal(siti.nik_sealed), unseal(siti.kk_sealed)) == (NIK_SITI, KK)
    assert (siti.nik_index, siti.kk_index) == (blind_index(NIK_SITI), blind_index(KK))
    assert len({p.nik_sealed[-20:] for p in Person.objects.exclude(nik_sealed="")}) == 2
    assert siti.kk_index == Person.objects.get(source_id="A-2").kk_index
    dewi = Person.objects.get(source_id="A-3")
    # A blank sex stays unknown without an NIK; a blank village is the centre's.
    assert (dewi.sex, str(dewi.birth_date), dewi.birth_date_precision) == ("", "1990-07-01", "year")
    assert dewi.village_id == sri.facility.region_id
    rina = Person.objects.get(source_id="A-5")
    assert (str(rina.birth_date), rina.birth_date_precision) == ("2001-02-15", "month")
    assert Person.objects.get(source_id="A-4").village_id == "32.01.01.1001"
    batch = last_batch()
    events = PersonEvent.objects.filter(kind="registered").order_by("data__row")
    assert [(e.person.source_id, e.actor, e.data) for e in events] == [
        (f"A-{n}", sri, {"via": "import", "batch": str(batch.public_id), "row": n + 1})
        for n in range(1, 6)
    ]
    assert (batch.status, batch.created, batch.rows_total, batch.file.name) == ("done", 5, 5, "")


def test_backslashes_and_tabs_in_values_survive(sri, tmp_path):
    header = ["full_name", "address", "mother_name"]
    rows = [["Siti \\N", "Jl. Mawar\\5\tRT 01", "\\"]]
    assert import_file(write_csv(tmp_path, rows, header), sri)[0] == 0
    siti = Person.objects.get()
    assert (siti.full_name, siti.address, siti.mother_name) == (
        "Siti \\N",
        "Jl. Mawar\\5 RT 01",
        "\\",
    )


def test_a_sex_left_blank_is_taken_from_the_nik(sri, tmp_path):
    import_file(write_csv(tmp_path, [["B-1", "Budi", "", "", NIK_BUDI, "", ""]]), sri)
    assert Person.objects.get().sex == "M"


def test_bad_rows_are_reported_by_row_column_and_reason_and_nothing_partial(sri, tmp_path):
    rows = [
        GOOD[0],
        ["B-2", "", "L", "1990-01-01", "", "", ""],
        ["B-3", "Ani", "X", "31-02-1990", "31750357071", "12", "99.99.99.9999"],
        ["B-4", "Citra", "P", "2090-01-01", "3175034101000000", "", ""],
        ["B-5", "Dodi", "L", "", "", "", ""],
    ]
    status, _out, err = import_file(write_csv(tmp_path, rows), sri)
    assert status == 3
    assert "3 rows were rejected" in err
    assert sorted(Person.objects.values_list("source_id", flat=True)) == ["A-1", "B-5"]
    assert PersonEvent.objects.count() == 2
    batch = last_batch()
    assert (batch.rows_total, batch.rows_valid, batch.rows_rejected, batch.created) == (5, 2, 3, 2)
    sheets = report_of(batch)
    assert sheets["Rejected rows"] == [
        (3, "full_name", None, "The name is required."),
        (4, "sex", "X", "Write M or F (L or P, laki-laki or perempuan)."),
        (
            4,
            "birth_date",
            "31-02-1990",
            "Not a date; write YYYY-MM-DD or DD-MM-YYYY (or a month YYYY-MM, or a year YYYY), "
            "with a four-digit year.",
        ),
        (4, "village_code", "99.99.99.9999", "Not a known village code (like 31.75.03.1001)."),
        (4, "nik", "31750357071", "An NIK has 16 digits; this one has 11."),
        (4, "kk_number", "12", "A KK number has 16 digits."),
        (5, "birth_date", "2090-01-01", "The date of birth is in the future."),
        (5, "nik", "3175034101000000", "The NIK's last four digits cannot be 0000."),
    ]
    assert sheets["Warnings"] == []


def test_nik_mismatches_are_warnings_not_rejections(sri, tmp_path):
    rows = [["C-1", "Siti Aminah", "L", "2010-07-18", NIK_SITI, "", "32.01.01.1001"]]
    assert import_file(write_csv(tmp_path, rows), sri)[0] == 0
    assert Person.objects.get().sex == "M"  # what the row says, not what the NIK says
    assert report_of(last_batch())["Warnings"] == [
        (2, "nik", NIK_SITI, "The NIK is that of a woman, but the sex entered is male."),
        (
            2,
            "nik",
            NIK_SITI,
            "The NIK's birth date (17-07-10) differs from the birth date entered (18-07-10).",
        ),
        (
            2,
            "nik",
            NIK_SITI,
            "The NIK was first registered in province 31, but the address is in province 32 "
            "(fine if the person moved).",
        ),
    ]
    assert last_batch().warnings == 3


def test_a_person_twice_in_one_file_is_rejected_the_second_time(sri, tmp_path):
    rows = [GOOD[0], ["X-9", "Siti A.", "P", "", NIK_SITI, "", ""], GOOD[1], GOOD[1]]
    assert import_file(write_csv(tmp_path, rows), sri)[0] == 3
    assert Person.objects.count() == 2
    assert report_of(last_batch())["Rejected rows"] == [
        (3, "nik", None, "The same NIK as row 2: each person once per file."),
        (5, "source_id", "A-2", "The same source_id as row 4: each record once per file."),
        (5, "nik", None, "The same NIK as row 4: each person once per file."),
        (5, "kk_number", None, "The same KK number and name as row 4: each person once per file."),
    ]


def test_an_xlsx_with_dates_numbers_and_indonesian_headers_imports(sri, tmp_path):
    import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["Nama Lengkap", "Jenis Kelamin", "Tanggal Lahir", "NIK", "kode_desa", "WG_Melihat"]
    )
    sheet.append(["Siti Aminah", "Perempuan", datetime.datetime(2010, 7, 17), NIK_SITI, None, 3])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["Budi", "laki-laki", "05/01/1985", int(NIK_BUDI), "31.75.03.1001", 1.0])
    path = tmp_path / "daftar.xlsx"
    book.save(path)
    assert import_file(path, sri)[0] == 0
    siti, budi = Person.objects.order_by("full_name").reverse()
    assert (siti.sex, str(siti.birth_date), siti.wg_seeing, siti.has_disability) == (
        "F",
        "2010-07-17",
        3,
        True,
    )
    assert (budi.sex, str(budi.birth_date), budi.wg_seeing, budi.has_disability) == (
        "M",
        "1985-01-05",
        1,
        False,
    )
    assert last_batch().rows_total == 2  # the empty row is skipped


def test_a_semicolon_csv_in_windows_1252_is_read(sri, tmp_path):
    rows = [["José Ramos", "L", "", "", "", "", "31.75.03.1001"]]
    header = ["full_name", "sex", "birth_date", "nik", "kk_number", "address", "village_code"]
    path = write_csv(tmp_path, rows, header, encoding="cp1252", delimiter=";")
    assert import_file(path, sri)[0] == 0
    assert Person.objects.get().full_name == "José Ramos"


def test_checking_rows_in_worker_processes_gives_the_same_result(sri, tmp_path):
    path = write_csv(tmp_path, [*GOOD, ["B-2", "", "L", "", "", "", ""]])
    batch = runner.accept(path=path, name=path.name, user=sri)
    batch = runner.run(batch, workers=2)
    assert (batch.created, batch.rows_rejected) == (5, 1)
    assert Person.objects.count() == 5


def test_worker_processes_never_reuse_an_encryption_nonce(sri, tmp_path, monkeypatch):
    """Nonces are drawn from a pool of random bytes: a forked worker must not inherit the
    parent's pool, or two workers would seal with the same AES-GCM nonces."""
    from rehsos.registry.importers import validation

    monkeypatch.setattr(validation, "CHUNK_ROWS", 2)
    first = write_csv(tmp_path, GOOD, name="first.csv")
    runner.run(runner.accept(path=first, name=first.name, user=sri), workers=1)  # fills it
    rows = [[f"C-{n}", f"Warga {n}", "", "", "", f"31750301012{n:05d}", ""] for n in range(12)]
    second = write_csv(tmp_path, rows, name="second.csv")
    batch = runner.run(runner.accept(path=second, name=second.name, user=sri), workers=2)
    assert batch.created == 12
    sealed = Person.objects.filter(source_id__startswith="C-").values_list("kk_sealed", flat=True)
    nonces = [value.split(":", 2)[2][:16] for value in sealed]  # 12 bytes: 16 base64 digits
    everyone = Person.objects.exclude(kk_sealed="").values_list("kk_sealed", flat=True)
    assert len(nonces) == 12
    assert (
        len({value.split(":", 2)[2][:16] for value in everyone})
        == Person.objects.exclude(kk_sealed="").count()
    )
    assert [unseal(value) for value in sorted(sealed, key=unseal)] == [r[5] for r in rows]


def test_a_stray_quote_in_a_field_does_not_shift_row_numbers(sri, tmp_path, monkeypatch):
    from rehsos.registry.importers import validation

    monkeypatch.setattr(validation, "CHUNK_ROWS", 2)
    path = tmp_path / "quotes.csv"
    path.write_text(
        "full_name,address,village_code\n"
        'Siti,"Jl. Mawar 5,\nRT 01",31.75.03.1001\n'
        'Budi,Gang 5" Kenanga,31.75.03.1001\n'
        "Ani,Jl. Melati,31.75.03.1001\n"
        ",Jl. Anggrek,31.75.03.1001\n"
    )
    batch = runner.run(runner.accept(path=path, name=path.name, user=sri), workers=2)
    assert (batch.created, batch.rows_rejected) == (3, 1)
    assert Person.objects.get(full_name="Siti").address == "Jl. Mawar 5, RT 01"
    assert Person.objects.get(full_name="Budi").address == 'Gang 5" Kenanga'
    assert report_of(batch)["Rejected rows"] == [(5, "full_name", None, "The name is required.")]


# -- dry runs and re-runs -----------------------------------------------------------------


def test_a_dry_run_writes_nothing_but_counts(sri, tmp_path):
    status, out, _err = import_file(write_csv(tmp_path, GOOD), sri, dry_run=True)
    assert status == 0
    assert out.splitlines()[0] == (
        "Dry run, nothing imported. Rows 5: would be created 5, updated 0, unchanged 0, "
        "rejected 0, warnings 0."
    )
    assert Person.objects.count() == 0
    assert PersonEvent.objects.count() == 0
    batch = last_batch()
    assert (batch.dry_run, batch.status, batch.created) == (True, "done", 5)
    assert batch.file  # kept for the real import


def test_the_same_file_twice_creates_nothing_new(sri, tmp_path):
    path = write_csv(tmp_path, GOOD)
    assert import_file(path, sri)[0] == 0
    first = {p.source_id: (p.pk, p.version) for p in Person.objects.all()}
    status, out, _err = import_file(path, sri)
    assert status == 0
    assert out.splitlines()[0] == (
        "Rows 5: created 0, updated 0, unchanged 5, rejected 0, warnings 0."
    )
    assert {p.source_id: (p.pk, p.version) for p in Person.objects.all()} == first
    assert PersonEvent.objects.count() == 5


def test_a_changed_file_updates_only_what_it_gives(sri, tmp_path):
    import_file(write_csv(tmp_path, GOOD), sri)
    changed = [
        ["A-1", "Siti Aminah Binti Ali", "", "", "", "", ""],  # blanks erase nothing
        ["", "Budi Santoso", "", "", NIK_BUDI, "", "32.01.01.1001"],  # found by NIK
        GOOD[2],
    ]
    status, out, _err = import_file(write_csv(tmp_path, changed, name="v2.csv"), sri)
    assert status == 0
    assert out.splitlines()[0] == (
        "Rows 3: created 0, updated 2, unchanged 1, rejected 0, warnings 1."
    )
    siti = Person.objects.get(source_id="A-1")
    assert (siti.full_name, siti.name_key, siti.sex, str(siti.birth_date), siti.version) == (
        "Siti Aminah Binti Ali",
        "siti amina binti ali",
        "F",
        "2010-07-17",
        2,
    )
    budi = Person.objects.get(source_id="A-2")
    assert (budi.village_id, budi.province_code, budi.version) == ("32.01.01.1001", "32", 2)
    edits = PersonEvent.objects.filter(kind="edited").order_by("data__row")
    assert [(e.person_id, e.data["fields"], e.data["row"]) for e in edits] == [
        (siti.pk, ["full_name"], 2),
        (budi.pk, ["village"], 3),
    ]


def test_a_row_whose_keys_point_at_two_persons_is_rejected(sri, tmp_path):
    import_file(write_csv(tmp_path, GOOD), sri)
    rows = [["A-1", "Budi Santoso", "L", "", NIK_BUDI, "", ""]]  # Siti's id, Budi's NIK
    assert import_file(write_csv(tmp_path, rows, name="mixed.csv"), sri)[0] == 3
    assert report_of(last_batch())["Rejected rows"] == [
        (
            2,
            "source_id",
            None,
            "The row's source_id, nik point at 2 different persons already registered; "
            "correct the row or merge those records first.",
        )
    ]
    assert Person.objects.get(source_id="A-1").full_name == "Siti Aminah"


def test_an_import_does_not_touch_persons_outside_its_users_scope(sri, galih_pakuan, tmp_path):
    other = UserFactory(
        username="peksos.galih",
        role="social_worker",
        scope_level="facility",
        facility=galih_pakuan,
        language="en",
    )
    import_file(write_csv(tmp_path, [["G-1", "Budi Santoso", "L", "", NIK_BUDI, "", ""]]), other)
    rows = [["", "Budi Santoso Baru", "L", "", NIK_BUDI, "", ""]]
    assert import_file(write_csv(tmp_path, rows, name="mine.csv"), sri)[0] == 3
    assert report_of(last_batch())["Rejected rows"] == [
        (
            2,
            "nik",
            None,
            "This person is already registered outside your scope (another centre or "
            "province); ask them or a national administrator to update the record.",
        )
    ]
    assert Person.objects.get().full_name == "Budi Santoso"


# -- a crash in the middle -------------------------------------------------------------------


class Crash(Exception):
    pass


def test_a_crash_leaves_whole_batches_and_the_rerun_resumes(sri, tmp_path, monkeypatch):
    path = write_csv(tmp_path, GOOD)
    calls = []

    def crash_in_the_second_batch(last_row):
        calls.append(last_row)
        if len(calls) == 2:
            raise Crash

    monkeypatch.setattr(store, "before_commit", crash_in_the_second_batch)
    batch = runner.accept(path=path, name=path.name, user=sri)
    with pytest.raises(Crash):
        runner.run(batch, batch_rows=2)
    batch.refresh_from_db()
    # The first batch (rows 2 and 3) is in; the second rolled back entirely.
    assert sorted(Person.objects.values_list("source_id", flat=True)) == ["A-1", "A-2"]
    assert PersonEvent.objects.count() == 2
    assert (batch.status, batch.checkpoint, batch.created) == ("failed", 3, 2)

    monkeypatch.setattr(store, "before_commit", None)
    status, out, _err = import_file(path, sri, batch_size=2)
    assert status == 0
    assert out.splitlines()[0] == f"Resuming the unfinished import {batch.public_id} after row 3."
    assert Person.objects.count() == 5
    assert PersonEvent.objects.count() == 5
    batch.refresh_from_db()
    assert (batch.status, batch.checkpoint, batch.created, batch.unchanged) == ("done", 6, 5, 0)
    assert ImportBatch.objects.count() == 1


def found_by_name(user, name: str) -> list[str]:
    from rehsos.registry.search import search_persons

    return [hit.person.source_id for hit in search_persons(user, q=name) if hit.score == 1.0]


def test_imported_persons_are_findable_once_the_import_is_done(sri, tmp_path):
    status, _out, _err = import_file(write_csv(tmp_path, GOOD), sri)
    assert status == 0
    assert found_by_name(sri, "Siti Aminah") == ["A-1"]
    assert found_by_name(sri, "Budi Santoso") == ["A-2"]
    assert last_batch().unindexed == []


def test_a_crash_while_indexing_resumes_the_indexing(sri, tmp_path, monkeypatch):
    """The persons are committed batch by batch, then indexed for search: a crash in the
    indexing leaves them committed, the import unfinished, and the rerun indexes them."""
    monkeypatch.setattr(store, "INDEX_CHUNK", 2)
    calls = []

    def crash_in_the_second_chunk():
        calls.append(1)
        if len(calls) == 2:
            raise Crash

    monkeypatch.setattr(store, "before_index_commit", crash_in_the_second_chunk)
    path = write_csv(tmp_path, GOOD)
    batch = runner.accept(path=path, name=path.name, user=sri)
    with pytest.raises(Crash):
        runner.run(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.created, Person.objects.count()) == ("failed", 5, 5)
    first = min(Person.objects.values_list("pk", flat=True))
    assert batch.unindexed == [[first + 2, first + 4]]  # the first chunk (2 ids) is in
    assert found_by_name(sri, "Dewi Lestari") == []

    monkeypatch.setattr(store, "before_index_commit", None)
    batch = runner.run(batch)
    assert (batch.status, batch.unindexed, batch.created) == ("done", [], 5)
    assert found_by_name(sri, "Dewi Lestari") == ["A-3"]
    assert found_by_name(sri, "Siti Aminah") == ["A-1"]
    assert Person.objects.count() == 5


def test_an_import_that_doubles_the_registry_rebuilds_the_index(sri, tmp_path, monkeypatch):
    monkeypatch.setattr(store, "REBUILD_FROM", 3)
    monkeypatch.setattr(store, "INDEX_CHUNK", 1)  # chunk by chunk would take three
    status, _out, _err = import_file(write_csv(tmp_path, GOOD[:2]), sri)  # incremental
    assert status == 0
    rebuilt = []
    monkeypatch.setattr(store, "before_index_commit", lambda: rebuilt.append(1))
    status, _out, _err = import_file(write_csv(tmp_path, GOOD[2:], name="more.csv"), sri)
    assert status == 0
    assert rebuilt == [1]  # one rebuild, not chunks
    assert found_by_name(sri, "Siti Aminah") == ["A-1"]  # indexed before, still found
    assert found_by_name(sri, "Dewi Lestari") == ["A-3"]
    assert found_by_name(sri, "Joko Widodo") == ["A-4"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_connections_write_at_once_and_a_crash_still_resumes_exactly(
    sri, tmp_path, monkeypatch, settings
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL writes batches over two connections; SQLite over one")
    settings.REHSOS_IMPORT_CONNECTIONS = 2
    # The search index's updates take turns (a lock held to the commit); leave it out so
    # that the two batches below really are in flight together.
    monkeypatch.setattr(store, "index_persons", None)
    rows = [[f"P-{n}", f"Orang Nomor {n}", "L", "", "", "", ""] for n in range(1, 41)]
    path = write_csv(tmp_path, rows)

    def crash_once_a_later_batch_committed(last_row):
        # The fifth batch (rows 18-21) waits until a later batch has committed ahead of
        # it, then fails: its rows are missing between the checkpoint and that batch.
        if last_row != 21:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ranges = ImportBatch.objects.values_list("committed_ranges", flat=True).get(pk=batch.pk)
            if any(start >= 21 for start, _end in ranges):
                break
            time.sleep(0.02)
        raise Crash

    monkeypatch.setattr(store, "before_commit", crash_once_a_later_batch_committed)
    batch = runner.accept(path=path, name=path.name, user=sri)
    with pytest.raises(Crash):
        runner.run(batch, batch_rows=4)
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert batch.checkpoint == 17
    assert batch.committed_ranges[0] == [21, 25]
    assert Person.objects.count() == batch.created
    # Whatever committed is covered by the checkpoint or a committed range, nothing else.
    covered = set(range(2, batch.checkpoint + 1)) | {
        r for start, end in batch.committed_ranges for r in range(start + 1, end + 1)
    }
    stored = {int(p.source_id.split("-")[1]) + 1 for p in Person.objects.all()}
    assert stored == covered & set(range(2, 42))

    monkeypatch.setattr(store, "before_commit", None)
    batch = runner.run(batch, batch_rows=4)
    assert (batch.status, batch.checkpoint, batch.committed_ranges) == ("done", 41, [])
    assert (batch.created, Person.objects.count(), PersonEvent.objects.count()) == (40, 40, 40)


# -- refused files -------------------------------------------------------------------------


def refused(path, user):
    with pytest.raises(FileRefused) as caught:
        runner.check_file(path, path.name, user=user)
    return caught.value.problems


def test_unreadable_files_are_refused_with_clear_reasons(sri, tmp_path, settings):
    binary = tmp_path / "undecodable.csv"
    binary.write_bytes(b"full_name\nSiti \x81\x8d\n")
    assert refused(binary, sri) == [
        "undecodable.csv cannot be read as text: byte 15 is not valid UTF-8 nor Windows-1252. "
        "In Excel choose Save As → 'CSV UTF-8'."
    ]
    fake = tmp_path / "persons.xlsx"
    fake.write_text("full_name\nSiti\n")
    assert refused(fake, sri) == [
        "persons.xlsx is not a valid .xlsx workbook (it is not a zip file): it may be damaged, "
        "or another kind of file renamed. Save it again from Excel."
    ]
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert refused(old, sri)[0].startswith("old.xls is an old Excel 97–2003 workbook (.xls)")
    pdf = tmp_path / "list.docx"
    pdf.write_bytes(b"hello")
    assert refused(pdf, sri) == [
        "Files of type '.docx' cannot be imported; upload a .csv or .xlsx file."
    ]
    settings.REHSOS_IMPORT_MAX_MB = 0.0001
    big = write_csv(tmp_path, GOOD, name="big.csv")
    assert refused(big, sri) == [
        "The file is 0.0 MB; files up to 0.0 MB can be imported. Split it into smaller files."
    ]


def test_a_wrong_header_row_is_refused_naming_each_column(sri, national_admin, tmp_path):
    path = write_csv(tmp_path, [["x", "y", "z", ""]], ["nama", "", "tgl_lahirr", ""])
    assert refused(path, sri) == [
        "Column B has no header; name it or delete the column.",
        "Column C: the header 'tgl_lahirr' is not a known column. Use the template's headers "
        "(e.g. full_name or nama_lengkap).",
    ]
    no_name = write_csv(tmp_path, [["x"]], ["nik"])
    assert refused(no_name, sri) == [
        "The required column full_name (nama_lengkap) is missing from the header row."
    ]
    # An account without a centre has no village to fall back on.
    assert refused(write_csv(tmp_path, [["Siti"]], ["full_name"]), national_admin) == [
        "The column village_code (kode_desa) is missing, and your account has no centre whose "
        "village could be used instead. Add the column."
    ]


def test_the_command_line_prints_each_problem_and_exits_non_zero(sri, tmp_path):
    path = write_csv(tmp_path, [["x"]], ["full_nam", "nik "])
    status, _out, err = import_file(path, sri)
    assert status == 1
    assert err.splitlines() == [
        "Column A: the header 'full_nam' is not a known column. Use the template's headers "
        "(e.g. full_name or nama_lengkap).",
        "The required column full_name (nama_lengkap) is missing from the header row.",
        "The file was refused; nothing was imported.",
    ]
    assert ImportBatch.objects.count() == 0
    assert import_file(tmp_path / "missing.csv", sri)[0] == 1
    assert Person.objects.count() == 0


# -- the API -------------------------------------------------------------------------------


def upload(api, path, **form):
    with path.open("rb") as handle:
        return api.post("/api/v1/person-imports", {"file": handle, **form})


def test_an_upload_through_the_api_runs_as_a_job(
    api, sri, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, write_csv(tmp_path, [*GOOD, ["B-2", "", "", "", "", "", ""]]))
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["dry_run"], body["rows"]) == ("queued", False, 6)
    batch = ImportBatch.objects.get(public_id=body["id"])
    assert execute_job(str(batch.job.public_id))["status"] == "done"
    body = api.get(body["url"]).json()
    assert {k: body[k] for k in ("status", "rows", "created", "rejected", "percent")} == {
        "status": "done",
        "rows": 6,
        "created": 5,
        "rejected": 1,
        "percent": 100,
    }
    report_response = api.get(body["rejects_report"])
    assert report_response.status_code == 200
    content = b"".join(report_response.streaming_content)
    assert report.read_xlsx(content)["Rejected rows"] == [
        (7, "full_name", None, "The name is required.")
    ]
    batch.job.refresh_from_db()
    assert batch.job.result["created"] == 5


@pytest.mark.parametrize(
    ("name", "content", "problems"),
    [
        (
            "list.csv",
            b"nama_lengkapp,nik\nSiti,\n",
            [
                "Column A: the header 'nama_lengkapp' is not a known column. Use the template's "
                "headers (e.g. full_name or nama_lengkap).",
                "The required column full_name (nama_lengkap) is missing from the header row.",
            ],
        ),
        (
            "list.xlsx",
            b"full_name\nSiti\n",
            [
                "list.xlsx is not a valid .xlsx workbook (it is not a zip file): it may be "
                "damaged, or another kind of file renamed. Save it again from Excel."
            ],
        ),
        (
            "list.csv",
            b"full_name\n\x81\x8d\n",
            [
                "list.csv cannot be read as text: byte 10 is not valid UTF-8 nor Windows-1252. "
                "In Excel choose Save As → 'CSV UTF-8'."
            ],
        ),
    ],
)
def test_a_malformed_upload_answers_422_problem_json_and_writes_nothing(
    api, tmp_path, name, content, problems
):
    path = tmp_path / name
    path.write_bytes(content)
    response = upload(api, path)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["problems"] == problems
    assert body["errors"] == [{"field": "file", "message": " ".join(problems)}]
    assert ImportBatch.objects.count() == 0
    assert Person.objects.count() == 0


def test_a_file_above_the_limit_answers_422(api, tmp_path, settings):
    settings.REHSOS_IMPORT_MAX_MB = 0.0001
    response = upload(api, write_csv(tmp_path, GOOD))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("The file is 0.0 MB; files up to 0.0 MB")
    assert ImportBatch.objects.count() == 0


def test_an_upload_without_a_file_names_the_field(api):
    response = api.post("/api/v1/person-imports", {"dry_run": "true"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "file"
    assert error["message"] == "This field is required."


def test_imports_are_scoped_to_their_owner(api, sri, national_admin, tmp_path, client):
    other = UserFactory(username="peksos.lain", role="social_worker")
    path = write_csv(tmp_path, GOOD)
    mine = runner.accept(path=path, name="mine.csv", user=sri)
    theirs = runner.accept(path=path, name="theirs.csv", user=other)
    assert [i["file_name"] for i in api.get("/api/v1/person-imports").json()["items"]] == [
        "mine.csv"
    ]
    assert api.get(f"/api/v1/person-imports/{theirs.public_id}").status_code == 404
    assert api.get(f"/api/v1/person-imports/{mine.public_id}/rejects").status_code == 404
    _token, raw = ApiToken.issue(national_admin, "all")
    listing = client.get("/api/v1/person-imports", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [i["file_name"] for i in listing.json()["items"]] == ["theirs.csv", "mine.csv"]


def test_roles_without_the_import_permission_are_refused(client, analyst, tmp_path):
    _token, raw = ApiToken.issue(analyst, "x")
    response = client.get("/api/v1/person-imports", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    client.force_login(analyst)
    assert client.get(reverse("registry:imports")).status_code == 403


def test_a_stopped_import_resumes_through_the_api(
    api, sri, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(store, "before_commit", lambda row: (_ for _ in ()).throw(Crash()))
    batch = runner.accept(path=write_csv(tmp_path, GOOD), name="list.csv", user=sri)
    with pytest.raises(Crash):
        runner.run(batch)
    monkeypatch.setattr(store, "before_commit", None)
    assert api.post(f"/api/v1/person-imports/{batch.public_id}/resume").status_code == 202
    batch.refresh_from_db()
    assert batch.status == "queued"
    with django_capture_on_commit_callbacks(execute=True):
        pass
    execute_job(str(batch.job.public_id))
    batch.refresh_from_db()
    assert (batch.status, batch.created) == ("done", 5)
    conflict = api.post(f"/api/v1/person-imports/{batch.public_id}/resume")
    assert conflict.status_code == 409


# -- the pages -------------------------------------------------------------------------------


def test_upload_page_to_finished_import_with_its_progress(
    browser, sri, tmp_path, django_capture_on_commit_callbacks
):
    page = browser.get(reverse("registry:imports"))
    assert page.status_code == 200
    assert reverse("registry:import_template", args=["id", "xlsx"]) in page.content.decode()
    path = write_csv(tmp_path, [*GOOD, ["B-2", "", "", "", "", "", ""]])
    with path.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("registry:imports"), {"file": handle, "source_system": "SIKS"}
        )
    batch = last_batch()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:import_detail", args=[batch.public_id])
    waiting = browser.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    execute_job(str(batch.job.public_id))
    done = browser.get(reverse("registry:import_progress", args=[batch.public_id]))
    html = done.content.decode()
    assert 'data-status="done"' in html
    assert "hx-trigger" not in html
    assert reverse("registry:import_rejects", args=[batch.public_id]) in html
    rejects = browser.get(reverse("registry:import_rejects", args=[batch.public_id]))
    assert report.read_xlsx(b"".join(rejects.streaming_content))["Rejected rows"] == [
        (7, "full_name", None, "The name is required.")
    ]
    assert Person.objects.filter(source_system="SIKS").count() == 5


def test_a_refused_upload_shows_every_problem_on_the_page(browser, tmp_path):
    path = write_csv(tmp_path, [["x"]], ["nama_lengkapp"])
    with path.open("rb") as handle:
        response = browser.post(reverse("registry:imports"), {"file": handle})
    assert response.status_code == 422
    html = response.content.decode()
    assert "The file cannot be imported; nothing was imported." in html
    assert "the header &#x27;nama_lengkapp&#x27; is not a known column" in html
    assert ImportBatch.objects.count() == 0


def test_a_huge_upload_is_refused_before_it_is_read(browser, settings):
    settings.REHSOS_IMPORT_MAX_MB = 1
    response = browser.generic(
        "POST",
        reverse("registry:imports"),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * 1024**3),
    )
    assert response.status_code == 413
    assert "The file is 2,048.0 MB; files up to 1.0 MB can be imported." in (
        response.content.decode()
    )


def test_a_dry_run_then_the_real_import_from_the_page(
    browser, sri, tmp_path, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path, GOOD)
    with path.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("registry:imports"), {"file": handle, "dry_run": "on"})
    checked = last_batch()
    execute_job(str(checked.job.public_id))
    assert Person.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("registry:import_commit", args=[checked.public_id]))
    real = last_batch()
    assert real.pk != checked.pk
    assert not real.dry_run
    assert response["Location"] == reverse("registry:import_detail", args=[real.public_id])
    execute_job(str(real.job.public_id))
    assert Person.objects.count() == 5
    assert (
        json.loads(json.dumps(runner.summary(real.__class__.objects.get(pk=real.pk))))["created"]
        == 5
    )


@pytest.mark.django_db
def test_person_writes_keep_only_the_indexes_their_readers_use():
    """Every index costs every import row: the exact-lookup columns have one index each
    (no varchar_pattern_ops twin on PostgreSQL), the province none of its own (the
    province-and-centre index serves it), an event's person only the (person, -at) one."""
    from django.db import connection

    def single_column_indexes(model) -> dict[str, int]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
        counts: dict[str, int] = {}
        for about in found.values():
            if about["index"] and not about["primary_key"] and len(about["columns"]) == 1:
                counts[about["columns"][0]] = counts.get(about["columns"][0], 0) + 1
        return counts

    persons = single_column_indexes(Person)
    assert {c: persons.get(c, 0) for c in ("nik_index", "kk_index", "village_id")} == {
        "nik_index": 1,
        "kk_index": 1,
        "village_id": 1,
    }
    assert "province_code" not in persons
    assert "person_id" not in single_column_indexes(PersonEvent)
