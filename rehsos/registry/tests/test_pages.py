"""The registry pages, as a social worker of Handayani would use them."""

import pytest

from rehsos.core.models import AccessLog
from rehsos.registry.models import Person
from rehsos.registry.services import persons

FORM = {
    "full_name": "Siti Aminah",
    "sex": "F",
    "birth_date": "2010-07-17",
    "birth_date_precision": "exact",
    "nik": "3175035707100001",
    "village": "31.75.03.1001",
}


@pytest.fixture
def browser(client, social_worker):
    client.force_login(social_worker)
    return client


@pytest.mark.django_db
def test_register_a_person_from_the_form(browser):
    response = browser.post("/persons/new/", FORM)
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/persons/{person.public_id}/"


@pytest.mark.django_db
def test_an_invalid_nik_shows_the_form_again_with_the_error(browser):
    response = browser.post("/persons/new/", {**FORM, "nik": "12345"})
    assert response.status_code == 200
    assert "An NIK has 16 digits; this one has 5." in response.content.decode()
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_a_warning_must_be_confirmed(browser):
    response = browser.post("/persons/new/", {**FORM, "sex": "M"})
    assert "The NIK is that of a woman" in response.content.decode()
    assert Person.objects.count() == 0
    browser.post("/persons/new/", {**FORM, "sex": "M", "confirm": "1"})
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_the_detail_page_masks_the_nik_and_logs_the_read(browser, social_worker):
    person = persons.register_person(social_worker, {**FORM}, confirmed=True)
    response = browser.get(f"/persons/{person.public_id}/")
    page = response.content.decode()
    assert "3175••••••••0001" in page
    assert "3175035707100001" not in page
    assert AccessLog.objects.filter(subject_id=str(person.public_id), channel="page").count() == 1


@pytest.mark.django_db
def test_a_stale_edit_shows_both_versions(browser, social_worker):
    person = persons.register_person(social_worker, {**FORM}, confirmed=True)
    persons.update_person(social_worker, person, {"phone": "0812"}, version=1)
    response = browser.post(
        f"/persons/{person.public_id}/edit/", {**FORM, "phone": "0899", "version": "1"}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "0812" in page
    assert "0899" in page
    assert Person.objects.get().phone == "0812"


@pytest.mark.django_db
def test_a_person_of_another_centre_is_not_shown(browser, person_in_galih_pakuan):
    response = browser.get(f"/persons/{person_in_galih_pakuan.public_id}/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_consent_from_the_person_page_and_a_childs_refusal(browser, social_worker):
    child = persons.register_person(social_worker, {**FORM}, confirmed=True)
    url = f"/persons/{child.public_id}/consents/"
    refused = browser.post(
        url, {"purpose": "photo", "lawful_basis": "consent", "given_by": "self"}, follow=True
    )
    assert "a parent or guardian must give consent" in refused.content.decode()
    assert child.consents.count() == 0
    browser.post(
        url,
        {
            "purpose": "photo",
            "lawful_basis": "consent",
            "given_by": "parent",
            "giver_name": "Sri Wahyuni",
        },
    )
    assert list(child.consents.values_list("purpose", "giver_name")) == [("photo", "Sri Wahyuni")]


@pytest.mark.django_db
def test_a_guardian_from_the_person_page(browser, social_worker):
    child = persons.register_person(social_worker, {**FORM}, confirmed=True)
    browser.post(
        f"/persons/{child.public_id}/guardians/",
        {"name": "Sri Wahyuni", "relationship": "bibi", "basis": "family"},
    )
    assert child.guardians.get().name == "Sri Wahyuni"


@pytest.mark.django_db
def test_unmasking_the_nik_is_logged(client, facility_head, social_worker):
    person = persons.register_person(social_worker, {**FORM}, confirmed=True)
    client.force_login(facility_head)
    response = client.get(f"/persons/{person.public_id}/identifiers/")
    assert "3175035707100001" in response.content.decode()
    assert AccessLog.objects.filter(purpose="unmask identifiers").count() == 1


@pytest.mark.django_db
def test_a_household_card_from_the_person_page(browser, social_worker):
    person = persons.register_person(social_worker, {**FORM}, confirmed=True)
    response = browser.post(
        f"/persons/{person.public_id}/household/",
        {"kk_number": "3175030101200001", "village": "31.75.03.1001", "relationship": "head"},
    )
    membership = person.memberships.get()
    assert response["Location"] == f"/persons/households/{membership.household.public_id}/"
    page = browser.get(response["Location"]).content.decode()
    assert "3175••••••••0001" in page
    assert "Siti Aminah" in page


@pytest.mark.django_db
def test_rights_page_exports_and_erases(client, facility_head, social_worker):
    person = persons.register_person(social_worker, {**FORM}, confirmed=True)
    client.force_login(facility_head)
    exported = client.get(f"/persons/{person.public_id}/rights/export.json")
    assert exported.json()["person"]["nik"] == "3175035707100001"
    pdf = client.get(f"/persons/{person.public_id}/rights/export.pdf")
    assert pdf.content.startswith(b"%PDF")
    client.post(f"/persons/{person.public_id}/rights/erasure/", {"reason": "asked"})
    assert Person.objects.get(pk=person.pk).erased_at is not None
    kinds = sorted(person.requests.values_list("kind", flat=True))
    assert kinds == ["erasure", "export", "export"]


@pytest.mark.django_db
def test_a_social_worker_cannot_open_the_rights_page(browser, social_worker):
    person = persons.register_person(social_worker, {**FORM}, confirmed=True)
    assert browser.get(f"/persons/{person.public_id}/rights/").status_code == 403


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_photo_needs_consent_and_is_served_with_an_access_log(
    browser, social_worker, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rehsos.registry.services import consent

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    person = persons.register_person(
        social_worker,
        {**FORM, "birth_date": "1990-07-17", "nik": "3175035707900001"},
        confirmed=True,
    )
    url = f"/persons/{person.public_id}/photo/upload/"
    refused = browser.post(url, {"photo": SimpleUploadedFile("a.png", _png())}, follow=True)
    assert "Record consent for keeping a photo" in refused.content.decode()
    assert not Person.objects.get(pk=person.pk).photo
    consent.give_consent(
        social_worker, person, purpose="photo", lawful_basis="consent", given_by="self"
    )
    not_a_photo = browser.post(
        url, {"photo": SimpleUploadedFile("a.png", b"%PDF-1.4")}, follow=True
    )
    assert "The file is not a photo" in not_a_photo.content.decode()
    browser.post(url, {"photo": SimpleUploadedFile("a.png", _png())})
    AccessLog.objects.all().delete()
    served = browser.get(f"/persons/{person.public_id}/photo/")
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert AccessLog.objects.get().purpose == "photo"


@pytest.mark.django_db(transaction=False)
def test_the_search_page_finds_by_name_variant_and_by_nik(browser, social_worker):
    from rehsos.registry.search import index_persons

    person = persons.register_person(
        social_worker,
        {**FORM, "full_name": "Moch. Soekarno", "sex": "M", "nik": "3175031707100001"},
        confirmed=True,
    )
    index_persons([person.pk])
    by_name = browser.post("/persons/", {"q": "Muhammad Sukarno"}).content.decode()
    assert f"/persons/{person.public_id}/" in by_name
    by_nik = browser.post("/persons/", {"nik": "3175031707100001"}).content.decode()
    assert f"/persons/{person.public_id}/" in by_nik
    assert "3175••••••••0001" in by_nik
    assert by_nik.count("3175031707100001") == 1  # only the search box echoing what was typed
