import datetime

import pytest
from django.utils import timezone

from rehsos.core.errors import ValidationFailed
from rehsos.registry import holds
from rehsos.registry.models import DataRequest, Person
from rehsos.registry.services import consent, households, persons, rights


@pytest.fixture
def siti(social_worker):
    return persons.register_person(
        social_worker,
        {
            "full_name": "Siti Aminah",
            "sex": "F",
            "birth_date": datetime.date(1990, 7, 17),
            "village": "31.75.03.1001",
            "nik": "3175035707900001",
            "phone": "0812345",
        },
        confirmed=True,
    )


@pytest.mark.django_db
def test_consent_in_force_until_withdrawn(social_worker, siti):
    given = consent.give_consent(
        social_worker, siti, purpose="employment", lawful_basis="consent", given_by="self"
    )
    assert consent.allowed_purposes(siti) == {"employment"}
    consent.withdraw_consent(social_worker, given, reason="changed her mind")
    assert consent.allowed_purposes(siti) == set()


@pytest.mark.django_db
def test_a_child_cannot_consent_alone(social_worker):
    child = persons.register_person(
        social_worker,
        {
            "full_name": "Budi",
            "sex": "M",
            "birth_date": timezone.localdate().replace(year=2015),
            "village": "31.75.03.1001",
        },
        confirmed=True,
    )
    with pytest.raises(ValidationFailed) as refused:
        consent.give_consent(
            social_worker, child, purpose="photo", lawful_basis="consent", given_by="self"
        )
    assert "given_by" in refused.value.fields
    assert child.consents.count() == 0


@pytest.mark.django_db
def test_moving_to_another_household_ends_the_first(social_worker, siti):
    first = households.create_household(
        social_worker, kk_number="3175030101200001", village="31.75.03.1001"
    )
    second = households.create_household(
        social_worker, kk_number="3175030101200002", village="31.75.03.1001"
    )
    households.add_member(social_worker, first, siti, relationship="child")
    households.add_member(social_worker, second, siti, relationship="head")
    history = list(siti.memberships.order_by("id"))
    assert [m.household for m in history] == [first, second]
    assert history[0].end is not None
    assert history[1].end is None


@pytest.mark.django_db
def test_export_holds_everything_including_the_nik(social_worker, siti):
    consent.give_consent(
        social_worker, siti, purpose="case_management", lawful_basis="public_task", given_by="self"
    )
    data = rights.export_person(siti)
    assert data["person"]["nik"] == "3175035707900001"
    assert data["person"]["full_name"] == "Siti Aminah"
    assert len(data["related"]["registry.consent.person"]) == 1
    assert "nik_sealed" not in data["person"]


@pytest.mark.django_db
def test_export_pdf_is_a_pdf(siti):
    assert rights.export_pdf(siti).startswith(b"%PDF")


@pytest.mark.django_db
def test_correction_is_applied_when_accepted(social_worker, facility_head, siti):
    req = rights.request_correction(
        social_worker, siti, changes={"phone": "0899"}, reason="new number"
    )
    rights.decide_correction(facility_head, req, accept=True)
    assert Person.objects.get(pk=siti.pk).phone == "0899"
    assert DataRequest.objects.get(pk=req.pk).status == "done"


@pytest.mark.django_db
def test_erasure_is_refused_under_a_legal_hold_and_nothing_changes(facility_head, siti):
    def open_case(person):
        return ["an open case"] if person.pk == siti.pk else []

    holds.register(open_case)
    try:
        req = rights.request_erasure(facility_head, siti, reason="asked by the person")
    finally:
        holds._CHECKS.remove(open_case)
    assert req.status == "refused"
    assert req.details == {"holds": ["an open case"]}
    assert Person.objects.get(pk=siti.pk).full_name == "Siti Aminah"


@pytest.mark.django_db
def test_erasure_anonymises_and_scrubs_the_audit_trail(facility_head, siti):
    from auditlog.models import LogEntry

    rights.request_erasure(facility_head, siti, reason="asked by the person")
    erased = Person.objects.get(pk=siti.pk)
    assert erased.full_name == "—"
    assert erased.nik_index == ""
    assert erased.phone == ""
    assert erased.birth_date == datetime.date(1990, 1, 1)
    for entry in LogEntry.objects.filter(object_pk=str(siti.pk)):
        assert "Siti" not in str(entry.changes)
