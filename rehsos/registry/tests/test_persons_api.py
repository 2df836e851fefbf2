"""Registering, reading and editing persons through the API, as a social worker of Handayani."""

import pytest

from rehsos.core.models import AccessLog, ApiToken
from rehsos.registry.models import Person

NIK_SITI = "3175035707100001"  # woman, born 17-07-2010, district 31.75.03


@pytest.fixture
def api(client, social_worker):
    _token, raw = ApiToken.issue(social_worker, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def register(api, **fields):
    body = {
        "full_name": "Siti Aminah",
        "sex": "F",
        "birth_date": "2010-07-17",
        "village": "31.75.03.1001",
        "nik": NIK_SITI,
        **fields,
    }
    return api.post("/api/v1/persons", body, content_type="application/json")


@pytest.mark.django_db
def test_register_stores_the_nik_sealed_and_shows_it_masked(api, social_worker):
    response = register(api)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["nik_masked"] == "3175••••••••0001"
    person = Person.objects.get(public_id=body["public_id"])
    assert NIK_SITI not in person.nik_sealed
    assert person.facility == social_worker.facility
    assert person.events.get().kind == "registered"


@pytest.mark.django_db
def test_a_nik_mismatch_needs_confirmation_and_saves_nothing(api):
    response = register(api, sex="M")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "confirmation_required"
    assert body["warnings"] == ["The NIK is that of a woman, but the sex entered is male."]
    assert Person.objects.count() == 0
    assert register(api, sex="M", confirm=True).status_code == 201


@pytest.mark.django_db
def test_an_invalid_nik_is_refused_naming_what_is_wrong(api):
    response = register(api, nik="31750357071")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "nik", "message": "An NIK has 16 digits; this one has 11."}
    ]
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_wrong_types_name_each_field(api):
    response = api.post(
        "/api/v1/persons",
        {"full_name": 5, "sex": "F", "village": "31.75.03.1001", "birth_date": "soon"},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"full_name", "birth_date"} <= fields


@pytest.mark.django_db
def test_reading_a_person_is_access_logged(api, social_worker):
    public_id = register(api).json()["public_id"]
    AccessLog.objects.all().delete()
    response = api.get(f"/api/v1/persons/{public_id}")
    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert (log.user, log.subject_id, log.channel) == (social_worker, public_id, "api")


@pytest.mark.django_db
def test_a_stale_edit_gets_409_with_the_current_version(api):
    created = register(api).json()
    url = f"/api/v1/persons/{created['public_id']}"
    first = api.patch(url, {"version": 1, "phone": "0812"}, content_type="application/json")
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = api.patch(url, {"version": 1, "phone": "0813"}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["current"]["phone"] == "0812"
    assert Person.objects.get().phone == "0812"


@pytest.mark.django_db
def test_a_person_of_another_centre_is_not_found(api, person_in_galih_pakuan):
    response = api.get(f"/api/v1/persons/{person_in_galih_pakuan.public_id}")
    assert response.status_code == 404
    assert AccessLog.objects.count() == 0


@pytest.mark.django_db
def test_a_social_worker_may_not_unmask_but_the_head_may(api, client, facility_head):
    public_id = register(api).json()["public_id"]
    assert api.get(f"/api/v1/persons/{public_id}/identifiers").status_code == 403
    _token, raw = ApiToken.issue(facility_head, "head")
    response = client.get(
        f"/api/v1/persons/{public_id}/identifiers", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.json() == {"nik": NIK_SITI, "kk_number": ""}
    assert AccessLog.objects.filter(purpose="unmask identifiers").count() == 1
