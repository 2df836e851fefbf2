"""Deduplication: the Splink run on a tiny fixed registry and on a labelled synthetic one,
its explanations, re-runs, the job and the command line, the single-registration
check, and the review queue (pages and API) with its permissions."""

import csv
import datetime
import importlib.util
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from rehsos.core.jobs import execute_job, start_job
from rehsos.core.models import AccessLog, ApiToken, Job
from rehsos.core.tests.logins import verified_client
from rehsos.regions.models import Region
from rehsos.registry.dedup import check, explain, model, run, synthetic
from rehsos.registry.identifiers import Sealer
from rehsos.registry.models import MatchPair, Person

V1 = "31.75.03.1001"  # Jakarta Timur
V2 = "32.01.01.1001"  # Kabupaten Bogor


@pytest.fixture(autouse=True)
def model_storage(settings, tmp_path):
    """Trained parameters go to a temporary storage; every test starts from the defaults."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    model.load_parameters.cache_clear()
    yield
    model.load_parameters.cache_clear()


def make_person(full_name, sex, born, *, village=V1, nik="", mother="", **extra) -> Person:
    sealer = Sealer()
    person = Person(
        full_name=full_name,
        sex=sex,
        birth_date=born,
        village_id=village,
        mother_name=mother,
        nik_sealed=sealer.seal(nik) if nik else "",
        nik_index=sealer.blind_index(nik) if nik else "",
        **extra,
    )
    person.save()
    return person


@pytest.fixture
def tiny(db, handayani):
    """Seven records: two planted duplicate pairs, a sibling and four strangers."""
    d = datetime.date
    people = {
        "soekarno": make_person(
            "Muhammad Soekarno",
            "M",
            d(1975, 3, 8),
            nik="3175030803750001",
            mother="Siti Aminah",
            facility=handayani,
        ),
        "budi": make_person(
            "Budi Santoso", "M", d(1978, 6, 21), mother="Siti Aminah", facility=handayani
        ),
        "djoko": make_person("Djoko Tjahjono", "M", d(1980, 12, 1), village=V2, mother="Sri"),
        "siti": make_person("Siti Nurhaliza", "F", d(1990, 5, 5), mother="Aminah"),
        "agus": make_person("Agus Salim", "M", d(1962, 1, 1), village=V2),
        "sukarno": make_person(
            "Moh. Sukarno",
            "M",
            d(1975, 8, 3),
            nik="3175030803750001",
            mother="Siti Aminah",
            facility=handayani,
        ),
        "joko": make_person(
            "Joko Cahyono", "M", d(1980, 12, 1), village=V2, nik="3201010112800003", mother="Sri"
        ),
    }
    return people


def pair_of(a: Person, b: Person) -> MatchPair:
    return MatchPair.objects.get(left_id=min(a.pk, b.pk), right_id=max(a.pk, b.pk))


def levels(pair: MatchPair) -> dict[str, str]:
    return {reason["field"]: reason["level"] for reason in pair.explanation}


@pytest.mark.django_db
def test_the_run_finds_exactly_the_planted_pairs_with_their_reasons(tiny):
    result, _pairs = run.run()
    assert result.persons == 7
    assert result.trained is False  # seven persons: scored with the built-in parameters
    found = {
        frozenset((p.left.full_name, p.right.full_name))
        for p in MatchPair.objects.select_related("left", "right")
    }
    assert found == {
        frozenset(("Muhammad Soekarno", "Moh. Sukarno")),
        frozenset(("Djoko Tjahjono", "Joko Cahyono")),
    }
    soekarno = pair_of(tiny["soekarno"], tiny["sukarno"])
    assert levels(soekarno) == {
        "nik": "exact",
        "name": "exact",  # the name key writes Moh./Muhammad and oe/u one way
        "birth_date": "swapped",
        "sex": "same",
        "region": "village",
        "mother": "exact",
    }
    assert soekarno.probability > 0.999
    assert soekarno.province_code == "31"
    assert soekarno.decision == MatchPair.Decision.PENDING
    djoko = pair_of(tiny["djoko"], tiny["joko"])
    assert levels(djoko) == {
        "nik": "missing",
        "name": "sounds_same",
        "birth_date": "exact",
        "sex": "same",
        "region": "village",
        "mother": "exact",
    }
    assert djoko.province_code == "32"
    assert soekarno.cluster == str(tiny["soekarno"].public_id)
    assert djoko.cluster == str(tiny["djoko"].public_id)
    assert result.clusters == 2


@pytest.mark.django_db
def test_explanations_read_in_plain_words_and_weigh_for_and_against(tiny):
    run.run()
    pair = pair_of(tiny["soekarno"], tiny["sukarno"])
    with translation.override("en"):
        described = explain.describe(pair.explanation)
    texts = {r["field"]: r["text"] for r in described}
    assert texts["nik"] == "Same NIK"
    assert texts["birth_date"] == "Date of birth with day and month swapped"
    assert texts["name"] == "Same name"
    assert {r["direction"] for r in described} == {"for"}
    assert described[0]["field"] == "nik"  # the strongest reason first
    summary = explain.summary(pair.explanation, "en")
    assert summary.startswith("+ Same NIK; ")


@pytest.mark.django_db
def test_a_rerun_keeps_decisions_and_does_not_duplicate_pairs(tiny, provincial_officer):
    run.run()
    pair = pair_of(tiny["djoko"], tiny["joko"])
    MatchPair.objects.filter(pk=pair.pk).update(decision="different")
    result, _pairs = run.run()
    assert MatchPair.objects.count() == 2
    assert (result.created, result.updated, result.removed) == (0, 2, 0)
    assert pair_of(tiny["djoko"], tiny["joko"]).decision == "different"


@pytest.mark.django_db
def test_a_pending_pair_no_longer_found_is_removed(tiny):
    run.run()
    joko = tiny["joko"]
    joko.full_name, joko.birth_date = "Agnes Monica", datetime.date(1999, 9, 9)
    joko.save()  # a correction: it was never Joko
    result, _pairs = run.run()
    assert result.removed == 1
    assert MatchPair.objects.count() == 1


def synthetic_registry(count: int, seed: int) -> tuple[list[synthetic.SyntheticPerson], dict]:
    villages = list(
        Region.objects.filter(level=4, code__startswith="31.7").values_list("code", flat=True)[:60]
    )
    records = list(synthetic.Generator(villages, seed=seed).records(count, duplicate_share=0.08))
    sealer = Sealer()
    persons = []
    for record in records:
        person = Person(
            full_name=record.full_name,
            sex=record.sex,
            birth_date=record.birth_date,
            village_id=record.village_code,
            mother_name=record.mother_name,
            nik_sealed=sealer.seal(record.nik) if record.nik else "",
            nik_index=sealer.blind_index(record.nik) if record.nik else "",
            source_system="synthetic",
            source_id=record.source_id,
        )
        person.derive()
        persons.append(person)
    Person.objects.bulk_create(persons)
    ids = dict(Person.objects.values_list("source_id", "pk"))
    return records, ids


@pytest.mark.django_db
def test_on_a_labelled_synthetic_registry_the_trained_model_finds_the_duplicates(settings):
    settings.REHSOS_DEDUP_MIN_TRAINING = 100
    records, ids = synthetic_registry(240, seed=11)
    truth = {
        (
            min(ids[records[i].source_id], ids[records[j].source_id]),
            max(ids[records[i].source_id], ids[records[j].source_id]),
        )
        for i, j in synthetic.true_pairs(records)
    }
    assert len(truth) == 23
    result, _pairs = run.run()
    assert result.trained is True
    found = set(MatchPair.objects.values_list("left_id", "right_id"))
    assert found == truth
    stored = model.load_parameters()
    assert stored["comparisons"]["nik"]["exact"]["m"] > 0.5
    assert stored["lambda"] != model.DEFAULT_LAMBDA


@pytest.mark.django_db
def test_the_background_job_runs_with_progress(tiny, national_admin):
    job = start_job("registry.dedup", user=national_admin, title="dedup", params={})
    execute_job(str(job.public_id))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert (job.result["persons"], job.result["pairs"]) == (7, 2)
    assert (job.done, job.total) == (100, 100)
    assert MatchPair.objects.count() == 2


@pytest.mark.django_db
def test_the_command_writes_each_pair_to_csv(tiny, tmp_path, settings):
    settings.LANGUAGE_CODE = "en"  # the command speaks the site's language
    tiny["soekarno"].source_system = "siks"
    tiny["soekarno"].source_id = "A-17"
    tiny["soekarno"].save()
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "pairs.csv"
    call_command("dedup", pairs_out=path, threshold=0.9, stdout=out, stderr=err)
    assert "7 persons compared; 2 pairs" in out.getvalue()
    assert "7/7" in err.getvalue()  # the progress line
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    first = next(r for r in rows if r["left_source_id"] == "A-17")
    assert first["left_public_id"] == str(tiny["soekarno"].public_id)
    assert first["right_public_id"] == str(tiny["sukarno"].public_id)
    assert first["left_source_system"] == "siks"
    assert first["decision"] == "pending"
    assert float(first["match_probability"]) > 0.999
    assert "NIK" in first["reasons"]


@pytest.mark.django_db
def test_the_command_refuses_a_threshold_outside_0_1(tiny):
    with pytest.raises(CommandError, match="probability"):
        call_command("dedup", threshold=1.5, stdout=io.StringIO(), stderr=io.StringIO())
    assert MatchPair.objects.count() == 0


# -- the single-registration check ---------------------------------------------------


@pytest.mark.django_db
def test_one_registration_is_checked_against_the_registry(tiny):
    found = check.likely_duplicates(
        {
            "full_name": "H. Moch. Soekarno",
            "birth_date": datetime.date(1975, 3, 8),
            "nik": "",
            "mother_name": "Siti Aminah",
            "village": V1,
            "sex": "M",
        }
    )
    assert [m.person.full_name for m in found] == ["Muhammad Soekarno", "Moh. Sukarno"]
    _person, probability, reasons = found[0]
    assert probability > 0.99
    assert {r.field: r.level for r in reasons}["birth_date"] == "exact"
    assert {r.field: r.level for r in found[1].explanation}["birth_date"] == "swapped"
    with translation.override("en"):
        assert str(reasons[1]) == "Same name"


@pytest.mark.django_db
def test_the_check_finds_a_rotated_name_with_a_wrong_year_and_a_nik_typo(tiny):
    found = check.likely_duplicates(
        {
            "full_name": "Cahyono Joko",
            "birth_date": "1981-12-01",
            "nik": "3201010112800004",
            "village": V2,
            "sex": "M",
        }
    )
    # Both records of Joko: the one with the NIK first, then the old spelling without one.
    assert [m.person.full_name for m in found] == ["Joko Cahyono", "Djoko Tjahjono"]
    assert {r.field: r.level for r in found[0].explanation} == {
        "nik": "one_digit",
        "name": "same_words",
        "birth_date": "year_typo",
        "sex": "same",
        "region": "village",
        "mother": "missing",
    }


@pytest.mark.django_db
def test_the_check_is_quiet_for_a_new_person_and_skips_merged_and_excluded(tiny):
    assert check.likely_duplicates({"full_name": "Rudi Hartono", "birth_date": "2001-02-03"}) == []
    Person.objects.filter(pk=tiny["sukarno"].pk).update(merged_into=tiny["soekarno"])
    found = check.likely_duplicates(
        {"full_name": "Muhammad Sukarno", "birth_date": "1975-03-08", "village": V1, "sex": "M"},
        exclude=tiny["soekarno"],
    )
    assert found == []


# -- the review queue ----------------------------------------------------------------


@pytest.fixture
def api(client):
    def as_user(user):
        _token, raw = ApiToken.issue(user, "test")
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client

    return as_user


@pytest.mark.django_db
def test_the_api_lists_pending_pairs_in_scope_with_masked_nik(tiny, provincial_officer, api):
    run.run()
    AccessLog.objects.all().delete()
    response = api(provincial_officer).get("/api/v1/duplicates")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(i["left"]["full_name"], i["right"]["full_name"]) for i in body["items"]] == [
        ("Muhammad Soekarno", "Moh. Sukarno")
    ]  # the Bogor pair is outside DKI Jakarta
    item = body["items"][0]
    assert item["left"]["nik_masked"] == "3175••••••••0001"
    assert "3175030803750001" not in response.content.decode()
    assert item["reasons"][0]["text"]
    assert body["next"] is None
    assert AccessLog.objects.filter(via__contains="list_pairs").count() == 2


@pytest.mark.django_db
def test_the_pair_list_takes_as_many_queries_for_many_pairs_as_for_two(tiny, national_admin, api):
    run.run()
    client = api(national_admin)

    def queries() -> int:
        """The statements of the pair list; the token's bookkeeping (its last-used time,
        the rate-limit reservation once a second) comes and goes with the clock."""
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/api/v1/duplicates?limit=50").status_code == 200
        bookkeeping = ("apiratecount", "last_used_at")
        return sum(
            1 for q in seen.captured_queries if not any(b in q["sql"].lower() for b in bookkeeping)
        )

    queries()
    two = queries()
    strangers = [tiny["siti"], tiny["agus"], tiny["budi"]]
    for a, b in ((0, 1), (0, 2), (1, 2)):
        left, right = sorted((strangers[a], strangers[b]), key=lambda p: p.pk)
        MatchPair.objects.create(
            left=left, right=right, probability=0.95, weight=4.2, province_code="31"
        )
    assert queries() == two
    assert len(client.get("/api/v1/duplicates").json()["items"]) == 5


@pytest.mark.django_db
def test_a_decision_is_recorded_and_leaves_the_pending_list(tiny, provincial_officer, api):
    run.run()
    pair = pair_of(tiny["soekarno"], tiny["sukarno"])
    client = api(provincial_officer)
    response = client.post(
        f"/api/v1/duplicates/{pair.pk}/decision",
        {"decision": "different"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["decision"] == "different"
    pair.refresh_from_db()
    assert (pair.decision, pair.decided_by) == ("different", provincial_officer)
    assert client.get("/api/v1/duplicates").json()["items"] == []
    listed = client.get("/api/v1/duplicates?decision=different").json()["items"]
    assert [i["id"] for i in listed] == [pair.pk]


@pytest.mark.django_db
def test_a_bad_decision_names_the_field(tiny, provincial_officer, api):
    run.run()
    pair = pair_of(tiny["soekarno"], tiny["sukarno"])
    response = api(provincial_officer).post(
        f"/api/v1/duplicates/{pair.pk}/decision",
        {"decision": "maybe"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "decision"
    assert pair_of(tiny["soekarno"], tiny["sukarno"]).decision == "pending"


@pytest.mark.django_db
def test_a_pair_outside_the_scope_is_not_found(tiny, provincial_officer, api):
    run.run()
    bogor = pair_of(tiny["djoko"], tiny["joko"])
    response = api(provincial_officer).get(f"/api/v1/duplicates/{bogor.pk}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_social_worker_may_not_review(tiny, social_worker, api, client):
    run.run()
    pair = pair_of(tiny["soekarno"], tiny["sukarno"])
    rest = api(social_worker)
    assert rest.get("/api/v1/duplicates").status_code == 403
    refused = rest.post(
        f"/api/v1/duplicates/{pair.pk}/decision",
        {"decision": "same"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert pair_of(tiny["soekarno"], tiny["sukarno"]).decision == "pending"
    page = verified_client(social_worker)
    assert page.get(reverse("dedup:queue")).status_code == 403
    assert page.get(reverse("dedup:pair", args=[pair.pk])).status_code == 403


@pytest.mark.django_db
def test_only_the_national_admin_starts_a_run(tiny, national_admin, facility_head, api):
    assert (
        api(facility_head)
        .post("/api/v1/duplicates/runs", {}, content_type="application/json")
        .status_code
        == 403
    )
    response = api(national_admin).post(
        "/api/v1/duplicates/runs", {"threshold": 0.95}, content_type="application/json"
    )
    assert response.status_code == 202
    job = Job.objects.get(public_id=response.json()["public_id"])
    assert (job.kind, job.params) == ("registry.dedup", {"threshold": 0.95})


@pytest.mark.django_db
def test_the_queue_page_and_the_decision_page(tiny, facility_head):
    run.run()
    page = verified_client(facility_head)
    queue = page.get(reverse("dedup:queue"))
    assert queue.status_code == 200
    content = queue.content.decode()
    assert "Muhammad Soekarno" in content  # both registered at Handayani
    assert "Djoko Tjahjono" not in content
    pair = pair_of(tiny["soekarno"], tiny["sukarno"])
    compare = page.get(reverse("dedup:pair", args=[pair.pk]))
    assert compare.status_code == 200
    assert "3175••••••••0001" in compare.content.decode()
    assert "3175030803750001" not in compare.content.decode()
    unsure = page.post(reverse("dedup:pair", args=[pair.pk]), {"decision": "unsure"})
    assert unsure.status_code == 302
    assert pair_of(tiny["soekarno"], tiny["sukarno"]).decision == "unsure"
    same = page.post(reverse("dedup:pair", args=[pair.pk]), {"decision": "same"})
    assert same["Location"] == reverse("dedup:merge", args=[pair.pk])
    merge_page = page.get(same["Location"])
    assert merge_page.status_code == 200
    assert 'name="choice_full_name"' in merge_page.content.decode()


@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed")
@pytest.mark.spark
@pytest.mark.django_db
def test_the_same_model_runs_on_spark(tiny, settings):
    settings.REHSOS_DEDUP_SPARK_MASTER = "local[1]"
    result, pairs = run.run(backend="spark")
    assert {(p.left, p.right) for p in pairs} == {
        (tiny["soekarno"].pk, tiny["sukarno"].pk),
        (tiny["djoko"].pk, tiny["joko"].pk),
    }
    assert levels(pair_of(tiny["soekarno"], tiny["sukarno"]))["birth_date"] == "swapped"
    assert result.pairs == 2
