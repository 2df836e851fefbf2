"""Merging two records of one person and undoing it: every linked row moves and comes
back, the old id keeps leading to the survivor, stale versions are refused, both
directions are audited, and only reviewers may do it.

The story: Siti Aminah was registered twice at Sentra Handayani — once from the
centre's old list (with her NIK, a consent and a household card) and once at intake
(under her old-spelling name, with another consent, another household card and a
guardian). The head of Handayani merges the intake record into the old one."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.core.tests.logins import verified_client
from rehsos.registry import selectors
from rehsos.registry.identifiers import Sealer
from rehsos.registry.models import (
    Consent,
    Guardian,
    Household,
    HouseholdMembership,
    MatchPair,
    Merge,
    Person,
    PersonEvent,
)
from rehsos.registry.search import index_persons, search_persons
from rehsos.registry.services import consent as consent_services
from rehsos.registry.services import households as household_services
from rehsos.registry.services import merge as merge_services
from rehsos.registry.services import persons as person_services

V1 = "31.75.03.1001"
NIK = "3175035707100001"


def make(full_name, *, facility, nik="", **extra) -> Person:
    sealer = Sealer()
    person = Person(
        full_name=full_name,
        sex="F",
        birth_date=datetime.date(2010, 7, 17),
        village_id=V1,
        facility=facility,
        nik_sealed=sealer.seal(nik) if nik else "",
        nik_index=sealer.blind_index(nik) if nik else "",
        **extra,
    )
    person.save()
    return person


@pytest.fixture
def world(handayani, facility_head):
    old = make(
        "Siti Aminah",
        facility=handayani,
        nik=NIK,
        mother_name="Sri Rahayu",
        source_system="siks",
        source_id="OLD-1",
    )
    intake = make(
        "Sitti Aminah",
        facility=handayani,
        phone="0812-555-0101",
        address="Jl. Mawar 3",
        other_names=["Iti"],
    )
    for person in (old, intake):
        consent_services.give_consent(
            facility_head,
            person,
            purpose="case_management",
            lawful_basis="public_task",
            given_by="guardian",
            giver_name="Sri Rahayu",
        )
    first = household_services.create_household(
        facility_head, kk_number="3175030101090001", village=V1
    )
    second = household_services.create_household(
        facility_head, kk_number="3175030101090002", village=V1
    )
    household_services.add_member(facility_head, first, old, relationship="child")
    household_services.add_member(facility_head, second, intake, relationship="child")
    household_services.add_guardian(
        facility_head, intake, relationship="aunt", basis="family", name="Wati"
    )
    left, right = sorted((old, intake), key=lambda p: p.pk)
    pair = MatchPair.objects.create(
        left=left, right=right, probability=0.998, weight=9.1, province_code="31"
    )
    old.refresh_from_db()
    intake.refresh_from_db()
    return {"old": old, "intake": intake, "pair": pair, "households": (first, second)}


@pytest.fixture
def api(client):
    def as_user(user):
        _token, raw = ApiToken.issue(user, "test")
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client

    return as_user


def merge_body(world, **extra) -> dict:
    return {
        "survivor": str(world["old"].public_id),
        "merged": str(world["intake"].public_id),
        "survivor_version": world["old"].version,
        "merged_version": world["intake"].version,
        "chosen": {"phone": "merged", "address": "merged"},
        **extra,
    }


def rows(model, **filters) -> dict:
    """Every row of a model as a full dict of its columns, by primary key."""
    out = {}
    for obj in model._base_manager.filter(**filters).order_by("pk"):
        out[obj.pk] = {
            f.attname: (
                getattr(obj, f.attname).name
                if hasattr(getattr(obj, f.attname), "name") and f.get_internal_type() == "FileField"
                else getattr(obj, f.attname)
            )
            for f in model._meta.concrete_fields
        }
    return out


def everything() -> dict:
    return {
        model.__name__: rows(model)
        for model in (Person, Consent, Household, HouseholdMembership, Guardian, PersonEvent)
    }


@pytest.mark.django_db
def test_a_merge_moves_every_linked_row_and_the_old_id_keeps_leading_to_the_survivor(
    world, facility_head, api, django_capture_on_commit_callbacks
):
    old, intake = world["old"], world["intake"]
    events_before = set(PersonEvent.objects.filter(person=intake).values_list("pk", flat=True))
    client = api(facility_head)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/merges", merge_body(world), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["survivor"] == str(old.public_id)
    assert body["chosen"] == {"phone": "merged", "address": "merged", "other_names": "both"}
    assert (body["rows_moved"], body["rows_kept"]) == (6, 0)

    old.refresh_from_db()
    intake.refresh_from_db()
    assert intake.merged_into == old
    assert (old.phone, old.address, old.full_name) == (
        "0812-555-0101",
        "Jl. Mawar 3",
        "Siti Aminah",
    )
    assert old.other_names == ["Iti", "Sitti Aminah"]
    assert Consent.objects.filter(person=old).count() == 2
    assert Consent.objects.filter(person=intake).count() == 0
    assert Guardian.objects.get().person == old
    assert set(
        PersonEvent.objects.filter(pk__in=events_before).values_list("person", flat=True)
    ) == {old.pk}
    # Two open household cards cannot both stay open: the intake record's one is closed.
    memberships = {m.household_id: m for m in HouseholdMembership.objects.filter(person=old)}
    first, second = world["households"]
    assert memberships[first.pk].end is None
    assert memberships[second.pk].end == datetime.date.today()
    assert [e.kind for e in PersonEvent.objects.filter(person=intake)] == ["merged_into"]
    assert PersonEvent.objects.filter(person=old, kind="merged").get().data["merged"] == str(
        intake.public_id
    )

    assert selectors.person_for(facility_head, intake.public_id) == (old, True)
    assert merge_services.resolve_person(intake.public_id) == old
    redirect = client.get(f"/api/v1/persons/{intake.public_id}")
    assert redirect.status_code == 308
    assert redirect["Location"] == f"/api/v1/persons/{old.public_id}"
    world["pair"].refresh_from_db()
    assert (world["pair"].decision, world["pair"].decided_by) == ("same", facility_head)
    assert [h.person for h in search_persons(facility_head, q="Sitti Aminah")] == [old]

    person_type = ContentType.objects.get_for_model(Person)
    change = LogEntry.objects.filter(content_type=person_type, object_pk=str(intake.pk)).latest(
        "pk"
    )
    assert change.actor == facility_head
    assert "merged_into" in change.changes_dict
    assert LogEntry.objects.get_for_object(Merge.objects.get()).get().actor == facility_head


@pytest.mark.django_db
def test_chosen_values_come_from_the_record_picked(world, facility_head):
    merge = merge_services.merge_persons(
        survivor=world["old"],
        merged=world["intake"],
        chosen={"full_name": "merged", "nik": "survivor", "mother_name": "merged"},
        survivor_version=world["old"].version,
        merged_version=world["intake"].version,
        by=facility_head,
    )
    old = Person.objects.get(pk=world["old"].pk)
    assert old.full_name == "Sitti Aminah"
    assert old.mother_name == ""  # the intake record had none, and it was picked
    assert person_services.reveal_identifier(old, "nik") == NIK
    assert old.other_names == ["Iti", "Siti Aminah"]
    assert merge.chosen["full_name"] == {"from": "merged", "value": {"full_name": "Sitti Aminah"}}
    assert merge.snapshot["survivor"]["full_name"] == "Siti Aminah"


@pytest.mark.django_db
def test_unmerge_restores_every_row_exactly(
    world, facility_head, django_capture_on_commit_callbacks
):
    index_persons([world["old"].pk, world["intake"].pk])
    before = everything()
    merge = merge_services.merge_persons(
        survivor=world["old"],
        merged=world["intake"],
        chosen={"full_name": "merged", "phone": "merged", "nik": "merged"},
        survivor_version=world["old"].version,
        merged_version=world["intake"].version,
        by=facility_head,
    )
    with django_capture_on_commit_callbacks(execute=True):
        merge_services.unmerge(merge=merge, by=facility_head)
    after = everything()
    for name, old_rows in before.items():
        kept = {pk: row for pk, row in after[name].items() if pk in old_rows}
        assert kept == old_rows, name
    new_events = [
        after["PersonEvent"][pk]["kind"]
        for pk in after["PersonEvent"].keys() - before["PersonEvent"].keys()
    ]
    assert sorted(new_events) == ["merged", "merged_into", "unmerged", "unmerged"]
    merge.refresh_from_db()
    assert (merge.undone_by, merge.undone_at is not None) == (facility_head, True)
    found = {h.person.pk for h in search_persons(facility_head, q="Sitti Aminah")}
    assert world["intake"].pk in found


@pytest.mark.django_db
def test_an_edit_after_the_merge_survives_the_undo(world, facility_head):
    merge = merge_services.merge_persons(
        survivor=world["old"],
        merged=world["intake"],
        chosen={"phone": "merged", "address": "merged"},
        survivor_version=world["old"].version,
        merged_version=world["intake"].version,
        by=facility_head,
    )
    survivor = Person.objects.get(pk=world["old"].pk)
    person_services.update_person(
        facility_head, survivor, {"address": "Jl. Melati 9"}, version=survivor.version
    )
    merge_services.unmerge(merge=merge, by=facility_head)
    survivor.refresh_from_db()
    assert survivor.phone == ""  # the merge's change, given back
    assert survivor.address == "Jl. Melati 9"  # the later edit, kept
    assert survivor.version == world["old"].version + 3


@pytest.mark.django_db
def test_a_stale_version_answers_409_and_changes_nothing(world, facility_head, api):
    before = everything()
    body = merge_body(world, merged_version=world["intake"].version - 1)
    response = api(facility_head).post("/api/v1/merges", body, content_type="application/json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "stale_version"
    assert problem["current"] == {"merged_version": world["intake"].version}
    assert everything() == before
    assert Merge.objects.count() == 0


@pytest.mark.django_db
def test_a_merged_record_cannot_be_merged_again(world, facility_head, api):
    client = api(facility_head)
    assert (
        client.post(
            "/api/v1/merges", merge_body(world), content_type="application/json"
        ).status_code
        == 201
    )
    again = client.post("/api/v1/merges", merge_body(world), content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_merged"


@pytest.mark.django_db
def test_undo_twice_or_after_a_later_merge_is_refused(world, facility_head, handayani, api):
    client = api(facility_head)
    first = client.post("/api/v1/merges", merge_body(world), content_type="application/json").json()
    third = make("Siti Aminah", facility=handayani)
    old = Person.objects.get(pk=world["old"].pk)
    later = merge_services.merge_persons(
        survivor=third,
        merged=old,
        chosen={},
        survivor_version=third.version,
        merged_version=old.version,
        by=facility_head,
    )
    blocked = client.post(f"/api/v1/merges/{first['id']}/undo")
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "merged_again"
    assert client.post(f"/api/v1/merges/{later.pk}/undo").status_code == 200
    assert client.post(f"/api/v1/merges/{first['id']}/undo").status_code == 200
    twice = client.post(f"/api/v1/merges/{first['id']}/undo")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_undone")
    assert Person.objects.live().count() == 3


@pytest.mark.django_db
def test_a_social_worker_may_neither_merge_nor_undo(world, social_worker, facility_head, api):
    merge = merge_services.merge_persons(
        survivor=world["old"],
        merged=world["intake"],
        chosen={},
        survivor_version=world["old"].version,
        merged_version=world["intake"].version,
        by=facility_head,
    )
    client = api(social_worker)
    body = merge_body(world)
    assert client.post("/api/v1/merges", body, content_type="application/json").status_code == 403
    assert client.post(f"/api/v1/merges/{merge.pk}/undo").status_code == 403
    assert Merge.objects.get().undone_at is None
    page = verified_client(social_worker)
    assert page.post(reverse("dedup:undo", args=[merge.pk])).status_code == 403
    assert page.get(reverse("dedup:merge", args=[world["pair"].pk])).status_code == 403


@pytest.mark.django_db
def test_a_reviewer_outside_the_centre_does_not_see_the_merge(world, facility_head, galih_pakuan):
    other_head = UserFactory(
        role=Role.FACILITY_HEAD, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    merge = merge_services.merge_persons(
        survivor=world["old"],
        merged=world["intake"],
        chosen={},
        survivor_version=world["old"].version,
        merged_version=world["intake"].version,
        by=facility_head,
    )
    _token, raw = ApiToken.issue(other_head, "t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.post(f"/api/v1/merges/{merge.pk}/undo").status_code == 404
    assert Merge.objects.get().undone_at is None


@pytest.mark.django_db
def test_the_merge_pages_from_decision_to_undo(world, facility_head):
    page = verified_client(facility_head)
    pair = world["pair"]
    survivor_side = "left" if pair.left_id == world["old"].pk else "right"
    form = page.get(reverse("dedup:merge", args=[pair.pk]) + f"?survivor={survivor_side}")
    assert form.status_code == 200
    assert "Jl. Mawar 3" in form.content.decode()
    response = page.post(
        reverse("dedup:merge", args=[pair.pk]),
        {
            "survivor_side": survivor_side,
            "survivor_version": world["old"].version,
            "merged_version": world["intake"].version,
            "choice_phone": "merged",
            "choice_full_name": "survivor",
            "choice_other_names": "both",
        },
    )
    merge = Merge.objects.get()
    assert response["Location"] == reverse("dedup:merge_detail", args=[merge.pk])
    assert merge.survivor == world["old"]
    detail = page.get(response["Location"])
    assert "registry.consent" in detail.content.decode()
    undone = page.post(reverse("dedup:undo", args=[merge.pk]))
    assert undone.status_code == 302
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert Person.objects.get(pk=world["intake"].pk).merged_into is None


@pytest.mark.django_db
def test_the_merge_page_shows_the_current_values_after_a_stale_submit(world, facility_head):
    page = verified_client(facility_head)
    pair = world["pair"]
    side = "left" if pair.left_id == world["old"].pk else "right"
    response = page.post(
        reverse("dedup:merge", args=[pair.pk]),
        {"survivor_side": side, "survivor_version": 1, "merged_version": 99},
    )
    assert response.status_code == 409
    assert "Someone changed one of these records" in response.content.decode()
    assert Merge.objects.count() == 0
