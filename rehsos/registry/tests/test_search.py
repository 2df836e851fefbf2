"""Person search: spelling variants, identifiers, filters, scope, access log, bad input."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from rehsos.core.models import AccessLog, ApiToken
from rehsos.core.permissions import ScopeFields
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.registry import nik as nik_numbers
from rehsos.registry.identifiers import Sealer
from rehsos.registry.models import Person
from rehsos.registry.models_search import SearchPosting, SearchWord
from rehsos.registry.search import index_persons, reindex_all, remove_persons, search_persons

KAMPUNG_MELAYU = "31.75.03.1001"  # Jakarta Timur, DKI (province 31)
BIDARA_CINA = "31.75.03.1002"
GAMBIR = "31.71.01.1001"  # Jakarta Pusat
PONDOK_RAJEG = "32.01.01.1001"  # Kabupaten Bogor, Jawa Barat (province 32)
NIK = "3175035705100001"
KK = "3175031203150007"


def register(name, *, village=KAMPUNG_MELAYU, facility=None, born=(1990, 5, 17), **extra):
    sealer = Sealer()
    for field in ("nik", "kk"):
        number = extra.pop(field, "")
        if number:
            extra[f"{field}_sealed"] = sealer.seal(number)
            extra[f"{field}_index"] = sealer.blind_index(number)
    person = Person.objects.create(
        full_name=name,
        sex=extra.pop("sex", "F"),
        birth_date=datetime.date(*born) if born else None,
        village_id=village,
        facility=facility,
        **extra,
    )
    index_persons([person.pk])
    return person


@pytest.fixture
def searcher(db):
    """A social worker with national scope: sees every person."""
    return UserFactory(username="peksos.pusat", role=Role.SOCIAL_WORKER)


@pytest.fixture
def crowd(db):
    """Look-alike names around the ones the tests look for."""
    names = [
        "Muhammad Sukardi",
        "Muhammad Rizki Pratama",
        "Sukarni",
        "Joko Susilo",
        "Djoko Santoso",
        "Siti Nurhaliza",
        "Siti Aminah",
        "Sri Wahyuni",
        "Sri Wahyudi",
        "Budi Santoso",
        "Agus Salim",
        "Dewi Lestari",
    ]
    return {name: register(name) for name in names}


def api(user) -> Client:
    _token, raw = ApiToken.issue(user, "test")
    return Client(headers={"authorization": f"Bearer {raw}"})


def names_of(hits) -> list[str]:
    return [hit.person.full_name for hit in hits]


@pytest.mark.parametrize(
    ("registered", "query"),
    [
        ("Moch. Soekarno", "Muhammad Sukarno"),
        ("Mohammad Soekarno", "Muhamad Sukarno"),
        ("Djoko Widodo", "Joko Widodo"),
        ("Tjahjo Koemolo", "Cahyo Kumolo"),
        ("Hj. Noer Aini, S.Pd.", "nur aini"),
        ("Sri Wahyuningsih", "Sri Wahyuningsi"),  # one letter missing
        ("Sri Wahyuningsih", "Sri Wahyuninsgih"),  # two letters swapped
        ("Rahmat Hidayat", "Rahmad Hidayat"),  # one letter wrong
        ("Rahmat Hidayat", "Hidayat Rahmat"),  # words rotated
        ("Fransiskus Xaverius Simanjuntak", "Fransiskus Simanjuntak"),  # a word dropped
        ("Paini", "Paini"),  # a single Javanese name
        ("M. Yusuf Kalla", "Muhammad Yusuf"),  # an initial, a word dropped
    ],
)
def test_a_misspelt_or_reworded_name_finds_the_person_first(searcher, crowd, registered, query):
    person = register(registered)
    hits = search_persons(searcher, q=query)
    assert hits[0].person.pk == person.pk
    assert hits[0].matched_on == "name"


def test_an_exact_name_scores_one_and_half_matches_are_left_out(searcher, crowd):
    hits = search_persons(searcher, q="Djoko Santoso")
    assert names_of(hits) == ["Djoko Santoso"]  # "Joko Susilo" and "Budi Santoso" are too far
    assert hits[0].score == 1.0


def test_aliases_are_searched_too(searcher, crowd):
    person = register("Maria Ulfa", other_names=["Ulfa Sihombing"])
    assert names_of(search_persons(searcher, q="Ulfa Sihombing")) == ["Maria Ulfa"]
    assert search_persons(searcher, q="Ulfa Sihombing")[0].person.pk == person.pk


def test_unrelated_names_are_not_returned(searcher, crowd):
    assert search_persons(searcher, q="Yohanes Manurung") == []


def test_nik_finds_exactly_that_person_with_the_nik_masked(searcher, crowd):
    person = register("Ani Suryani", nik=NIK)
    register("Ani Suryani")  # the same name without the NIK
    response = api(searcher).get(reverse("api:search_persons"), {"nik": "3175.0357.0510.0001"})
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert body["items"] == [
        {
            "public_id": str(person.public_id),
            "full_name": "Ani Suryani",
            "sex": "F",
            "birth_year": 1990,
            "village_code": KAMPUNG_MELAYU,
            "village_name": "Kampung Melayu",
            "nik_masked": "3175••••••••0001",
            "score": 1.0,
            "matched_on": "nik",
        }
    ]
    assert NIK not in response.content.decode()
    assert nik_numbers.mask(NIK) == "3175••••••••0001"


def test_a_16_digit_q_finds_the_nik_or_the_kk(searcher, crowd):
    mother = register("Ratna Sari", kk=KK)
    child = register("Putri Ayu", kk=KK, nik=NIK)
    assert [h.person.pk for h in search_persons(searcher, q=NIK)] == [child.pk]
    by_kk = search_persons(searcher, kk=KK)
    assert sorted(h.person.pk for h in by_kk) == sorted([mother.pk, child.pk])
    assert {h.matched_on for h in by_kk} == {"kk"}
    assert [h.person.pk for h in search_persons(searcher, kk=KK, q="Putri")] == [child.pk]


def test_birth_year_filter_with_tolerance(searcher):
    older = register("Slamet Riyadi", born=(1980, 1, 2))
    younger = register("Slamet Riyadi", born=(1983, 6, 1))
    assert [h.person.pk for h in search_persons(searcher, q="Slamet", birth_year=1980)] == [
        older.pk
    ]
    found = search_persons(searcher, q="Slamet Riyadi", birth_year=1981, year_tolerance=2)
    assert sorted(h.person.pk for h in found) == sorted([older.pk, younger.pk])


def test_birth_date_also_matches_day_and_month_swapped_and_ranks_exact_first(searcher):
    exact = register("Wayan Sudarma", born=(1975, 3, 8))
    swapped = register("Wayan Sudarma", born=(1975, 8, 3))
    register("Wayan Sudarma", born=(1975, 9, 9))
    hits = search_persons(searcher, q="Wayan Sudarma", birth_date=datetime.date(1975, 3, 8))
    assert [h.person.pk for h in hits] == [exact.pk, swapped.pk]
    assert hits[0].score == 1.0


def test_region_prefix_filters_by_province_regency_district_and_village(searcher):
    melayu = register("Yusuf Hamzah", village=KAMPUNG_MELAYU)
    bidara = register("Yusuf Hamzah", village=BIDARA_CINA)
    gambir = register("Yusuf Hamzah", village=GAMBIR)
    bogor = register("Yusuf Hamzah", village=PONDOK_RAJEG)

    def found(region):
        return sorted(
            h.person.pk for h in search_persons(searcher, q="Yusuf Hamzah", region=region)
        )

    assert found("31") == sorted([melayu.pk, bidara.pk, gambir.pk])
    assert found("31.75") == sorted([melayu.pk, bidara.pk])
    assert found("31.75.03.1002") == [bidara.pk]
    assert found("32.01.01") == [bogor.pk]


def test_filters_alone_list_persons_in_name_order(searcher, crowd):
    register("Zainal Arifin", village=PONDOK_RAJEG, born=(2001, 1, 1))
    register("Ahmad Dahlan", village=PONDOK_RAJEG, born=(2001, 7, 7))
    register("Ahmad Yani", village=PONDOK_RAJEG, born=(1999, 7, 7))
    hits = search_persons(searcher, region="32", birth_year=2001)
    assert names_of(hits) == ["Ahmad Dahlan", "Zainal Arifin"]
    assert {h.matched_on for h in hits} == {"filters"}


def test_pages_follow_each_other_without_overlap(searcher):
    for _n in range(5):
        register("Bambang Sutrisno")
    client = api(searcher)
    url = reverse("api:search_persons")
    seen, after = [], None
    for _page in range(3):
        params = {"q": "bambang sutrisno", "limit": 2, **({"after": after} if after else {})}
        body = client.get(url, params).json()
        seen += [item["public_id"] for item in body["items"]]
        after = body["next"]
    assert len(seen) == 5
    assert len(set(seen)) == 5
    assert after is None


def test_a_social_worker_of_handayani_does_not_find_a_person_of_galih_pakuan(
    social_worker, handayani, galih_pakuan
):
    mine = register("Dimas Anggara", facility=handayani)
    register("Dimas Anggara", facility=galih_pakuan, village=PONDOK_RAJEG)
    register("Dimas Anggara", facility=galih_pakuan, village=KAMPUNG_MELAYU)
    body = api(social_worker).get(reverse("api:search_persons"), {"q": "Dimas Anggara"}).json()
    assert [item["public_id"] for item in body["items"]] == [str(mine.public_id)]


def test_a_provincial_officer_finds_only_persons_of_the_province(provincial_officer):
    jakarta = register("Dimas Anggara", village=GAMBIR)
    register("Dimas Anggara", village=PONDOK_RAJEG)
    hits = search_persons(provincial_officer, q="Dimas Anggara")
    assert [h.person.pk for h in hits] == [jakarta.pk]
    assert search_persons(provincial_officer, q="Dimas Anggara", region="32") == []


def test_a_role_without_persons_view_is_refused(db):
    analyst = UserFactory(username="analis.nasional", role=Role.NATIONAL_ANALYST)
    register("Dimas Anggara")
    response = api(analyst).get(reverse("api:search_persons"), {"q": "Dimas Anggara"})
    assert response.status_code == 403
    assert AccessLog.objects.count() == 0


def test_every_returned_person_is_access_logged(searcher, crowd):
    response = api(searcher).get(reverse("api:search_persons"), {"q": "Siti", "limit": 5})
    items = response.json()["items"]
    assert len(items) == 2
    logged = AccessLog.objects.filter(user=searcher).order_by("subject_id")
    assert sorted(item["public_id"] for item in items) == [row.subject_id for row in logged]
    assert {(row.subject_type, row.channel, row.purpose) for row in logged} == {
        ("registry.person", "api", "search")
    }


def test_no_hits_writes_no_access_log(searcher, crowd):
    response = api(searcher).get(reverse("api:search_persons"), {"q": "Xenia Quigley"})
    assert response.json() == {"items": [], "next": None}
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "Siti", "birth_date": "1990-13-45"}, "birth_date"),
        ({"q": "Siti", "birth_date": "17/05/1990"}, "birth_date"),
        ({"q": "Siti", "limit": 101}, "limit"),
        ({"q": "Siti", "limit": 0}, "limit"),
        ({"q": "S"}, "q"),
        ({"q": "12"}, "q"),
        ({}, "q"),
        ({"nik": "12345"}, "nik"),
        ({"kk": "31750312031500071"}, "kk"),
        ({"q": "Siti", "region": "3x"}, "region"),
        ({"q": "Siti", "region": "31.7"}, "region"),
        ({"q": "Siti", "birth_year": "nineteen"}, "birth_year"),
        ({"q": "Siti", "birth_year": 1800}, "birth_year"),
        ({"q": "Siti", "year_tolerance": 11}, "year_tolerance"),
        ({"q": "Siti", "after": "not-a-cursor"}, "after"),
        ({"q": "Siti", "birth_date": "2999-01-01"}, "birth_date"),
    ],
)
def test_bad_parameters_get_422_naming_the_field(searcher, params, field):
    response = api(searcher).get(reverse("api:search_persons"), params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_one_letter_q_with_another_criterion_is_an_initial(searcher):
    register("Gita Gutawa", village=PONDOK_RAJEG)
    register("Maudy Ayunda", village=PONDOK_RAJEG)
    assert names_of(search_persons(searcher, q="g", region="32")) == ["Gita Gutawa"]


def test_a_name_search_takes_two_queries_whatever_the_number_of_hits(
    searcher, django_assert_num_queries
):
    for n in range(40):
        register("Hendra Gunawan", born=(1960 + n, 1, 1))
    # word variants; postings with the persons they lead to (and their village names)
    with django_assert_num_queries(2):
        assert len(search_persons(searcher, q="Hendra Gunawan", limit=30)) == 30
    with django_assert_num_queries(2):
        assert len(search_persons(searcher, q="Hendra", limit=100)) == 40


def test_the_endpoint_query_count_is_bounded(searcher, django_assert_max_num_queries):
    for n in range(40):
        register("Hendra Gunawan", born=(1960 + n, 1, 1))
    client = api(searcher)
    url = reverse("api:search_persons")
    # the token with its user, its rate count and last use (written now and then), the
    # search (2), one insert of the access log; the same for 1 hit or 100
    with django_assert_max_num_queries(7):
        body = client.get(url, {"q": "Hendra Gunawan", "limit": 1}).json()
    assert len(body["items"]) == 1
    with django_assert_max_num_queries(7):
        body = client.get(url, {"q": "Hendra", "limit": 100}).json()
    assert len(body["items"]) == 40
    # A busy token: the token, the search, the access log; the rate count is written
    # about once a second.
    with django_assert_max_num_queries(4):
        body = client.get(url, {"q": "Hendra", "limit": 100}).json()
    assert len(body["items"]) == 40
    assert AccessLog.objects.filter(subject_type="registry.person").count() == 81


def test_merged_and_erased_persons_leave_the_index(searcher):
    survivor = register("Lukas Simatupang")
    merged = register("Lukas Simatupang")
    erased = register("Lukas Simatupang")
    Person.objects.filter(pk=merged.pk).update(merged_into=survivor)
    Person.objects.filter(pk=erased.pk).update(erased_at=datetime.datetime.now(datetime.UTC))
    assert index_persons([merged.pk, erased.pk]) == 0
    assert [h.person.pk for h in search_persons(searcher, q="Lukas Simatupang")] == [survivor.pk]
    assert SearchPosting.objects.filter(person_id__in=[merged.pk, erased.pk]).count() == 0


def test_a_renamed_person_is_found_by_the_new_name_only(searcher):
    person = register("Lukas Simatupang")
    Person.objects.filter(pk=person.pk).update(name_key="kevin sanjaya", full_name="Kevin Sanjaya")
    index_persons([person.pk])
    assert search_persons(searcher, q="Lukas Simatupang") == []
    assert names_of(search_persons(searcher, q="Kevin Sanjaya")) == ["Kevin Sanjaya"]
    assert SearchWord.objects.get(word="lukas").df == 0
    assert SearchWord.objects.get(word="kevin").df == 1


def test_removed_persons_are_not_found(searcher):
    person = register("Lukas Simatupang")
    remove_persons([person.pk])
    assert search_persons(searcher, q="Lukas Simatupang") == []
    assert SearchWord.objects.get(word="simatupang").df == 0


def test_reindex_all_rebuilds_the_same_index(searcher, crowd, capsys):
    def index_by_word():
        words = dict(SearchWord.objects.values_list("id", "word"))
        postings = SearchPosting.objects.values_list("key", "person_id")
        pairs = sorted(
            (*sorted([words.get(key >> 32, ""), words[key & 0xFFFFFFFF]]), person)
            if key > 0
            else ("(whole name)", "", person)
            for key, person in postings
        )
        return pairs, dict(SearchWord.objects.values_list("word", "df"))

    before = index_by_word()
    SearchPosting.objects.all().delete()
    assert search_persons(searcher, q="Djoko Santoso") == []
    call_command("reindex_persons")
    out, err = capsys.readouterr()
    assert "Search index rebuilt: 12 persons" in out
    assert "Indexing persons: 12 / 12 (100%)" in err
    assert index_by_word() == before
    assert before[1]["siti"] == 2
    assert names_of(search_persons(searcher, q="Djoko Santoso"))[0] == "Djoko Santoso"
    assert reindex_all() == 12

    def indexed(table):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        return sorted(
            (c["primary_key"], c["columns"])
            for c in constraints.values()
            if c["index"] or c["primary_key"]
        )

    # reindex_all sets the indexes aside on PostgreSQL while it loads: they are back.
    assert indexed("registry_searchposting") == [
        (False, ["person_id"]),
        (True, ["key", "region", "birth_year", "facility_id", "person_id"]),
    ]
    assert (True, ["variant", "word_id"]) in indexed("registry_searchvariant")


def test_the_search_response_is_json_problem_free_for_unicode_names(searcher):
    register("Ni Luh Putu Ayu Ñoman Çahyani")
    body = api(searcher).get(reverse("api:search_persons"), {"q": "Ni Luh Putu Ayu Noman"})
    assert json.loads(body.content)["items"][0]["full_name"] == "Ni Luh Putu Ayu Ñoman Çahyani"


def test_a_user_scoped_to_a_centre_without_one_finds_nothing(db):
    user = UserFactory(username="tanpa.pusat", role=Role.SOCIAL_WORKER)
    user.scope_level = ScopeLevel.FACILITY  # an inconsistent account, never saved
    register("Dimas Anggara")
    assert search_persons(user, q="Dimas Anggara") == []


def test_the_index_scope_filter_mirrors_the_person_scope():
    # The postings pre-filter a search by province (region range) and centre the way
    # scoped() filters persons; if Person's scope keys change, search._index_filters must follow.
    assert Person.scope_fields == ScopeFields(province="province_code", facility="facility")
