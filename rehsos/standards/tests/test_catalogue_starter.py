"""The starter catalogue: four draft catalogues that pass the catalogue's own rules,
cover every domain in both languages, state staffing ratios through staff roles,
flag life-safety and safeguarding criteria as critical, load once (a second run adds
nothing), and survive an XLSX round trip unchanged."""

import datetime
import io
import json
import sys
import types
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from rehsos.standards import selectors_catalogue as selectors
from rehsos.standards import starter
from rehsos.standards import xlsx_catalogue as xlsx
from rehsos.standards.models import Catalogue, CatalogueVersion, Criterion, Domain

TEXTS = ("text_id", "text_en", "guidance_id", "guidance_en", "evidence_id", "evidence_en")
ROLES = {"caregiver", "social_worker", "nurse", "psychologist", "instructor", "therapist"}
FUNCTIONS = {"centre-lu": "LU", "centre-anak": "ANAK", "centre-pd": "PD", "centre-kpn": "KPN"}


def test_the_starter_data_keeps_the_catalogue_rules():
    definitions = {d.code: d for d in starter.definitions()}
    assert set(definitions) == set(FUNCTIONS)
    for code, definition in definitions.items():
        rows = definition.criteria
        assert definition.clusters == [FUNCTIONS[code]]
        assert 60 <= len(rows) <= 80, code
        codes = [r["code"] for r in rows]
        assert len(set(codes)) == len(codes), code
        assert {r["domain"] for r in rows} == set(Domain.values), code
        for r in rows:
            for field in TEXTS:
                assert r[field].strip(), (code, r["code"], field)
            assert r["text_id"] != r["text_en"], r["code"]
            assert r["weight"] in {1, 2, 3}, r["code"]
        # Ratios: a staff role and residents per staff member, said to be proposals.
        ratios = [r for r in rows if r["residents_per_staff"]]
        assert len(ratios) >= 3, code
        for r in ratios:
            assert r["domain"] == "STF"
            assert r["staff_role"] in {*ROLES, "addiction_counsellor"}
            assert "proposal" in r["guidance_en"]
            assert "usulan" in r["guidance_id"]
        # Life safety and safeguarding are critical.
        critical = Counter(r["domain"] for r in rows if r["critical"])
        assert critical["SAFE"] >= 8, code
        assert all(
            r["critical"] for r in rows if r["code"] in {"SAFE-01", "SAFE-04", "SAFE-06", "STF-04"}
        )
        assert any(r["reference"].startswith("Permen PUPR 14/PRT/M/2017") for r in rows)
        assert any("ISO 21542" in r["reference"] for r in rows)
        assert any("CARF-type" in r["reference"] for r in rows)
        assert "draft" in definition.source_note.lower()
    assert {
        r["staff_role"] for r in definitions["centre-lu"].criteria if r["residents_per_staff"] == 5
    } == {"caregiver"}


def test_a_bad_starter_file_is_refused_naming_the_criterion(tmp_path, monkeypatch):
    good = {"code": "A-1", "domain": "ACC", "text_id": "a", "text_en": "b", "weight": 1}
    good["scale"] = "four"
    bad = {"code": "B-1", "domain": "XX", "text_id": "a", "text_en": "", "scale": "four"}
    core = {"source_note": "x", "criteria": [good]}
    own = {"code": "centre-x", "name_id": "x", "name_en": "x", "criteria": [good, bad]}
    (tmp_path / "core.json").write_text(json.dumps(core), encoding="utf-8")
    (tmp_path / "centre-x.json").write_text(json.dumps(own), encoding="utf-8")
    monkeypatch.setattr(starter, "DATA", tmp_path)
    with pytest.raises(starter.StarterError) as raised:
        starter.definitions()
    problems = "\n".join(raised.value.problems)
    assert "centre-x.json B-1: domain" in problems
    assert "centre-x.json B-1: weight" in problems
    assert "centre-x.json B-1: text_en" in problems
    assert "centre-x.json A-1: code: the code is used twice." in problems


def test_loading_twice_adds_nothing_and_says_so(db):
    out = io.StringIO()
    call_command("load_standards", stdout=out)
    assert "4 catalogues added" in out.getvalue()
    assert Catalogue.objects.count() == 4
    versions = CatalogueVersion.objects.all()
    assert {(v.number, v.status) for v in versions} == {(1, "draft")}
    assert all("ministry" in v.source_note.lower() for v in versions)
    total = Criterion.objects.count()
    assert total == sum(len(d.criteria) for d in starter.definitions())

    out = io.StringIO()
    call_command("load_standards", stdout=out)
    assert "nothing added" in out.getvalue()
    assert (Catalogue.objects.count(), Criterion.objects.count()) == (4, total)


def test_the_command_also_loads_the_equipment_lists_when_present(db, monkeypatch):
    calls = []
    fake = types.ModuleType("rehsos.standards.equipment_data")
    fake.load = lambda: calls.append("load") or "Equipment lists: 3 added."
    monkeypatch.setitem(sys.modules, "rehsos.standards.equipment_data", fake)
    out = io.StringIO()
    call_command("load_standards", stdout=out)
    assert calls == ["load"]
    assert "Equipment lists: 3 added." in out.getvalue()


def test_the_demo_can_load_it_adopted(db):
    loaded = starter.load(adopt_from=datetime.date(2026, 1, 1))
    assert sorted(loaded.created) == sorted(FUNCTIONS)
    lu = Catalogue.objects.get(code="centre-lu")
    assert selectors.version_in_force(lu, datetime.date(2026, 2, 1)).number == 1
    assert starter.load().created == []


def test_a_starter_catalogue_survives_the_xlsx_round_trip(national_admin):
    starter.load()
    version = CatalogueVersion.objects.get(catalogue__code="centre-pd")
    content = xlsx.export_version(version)
    upload = SimpleUploadedFile("pd.xlsx", content)
    preview = xlsx.preview_import(user=national_admin, version=version, upload=upload)
    assert preview.diff.is_empty
    assert preview.diff.unchanged == version.criteria.count()
