"""/api/v1/facilities: list with filters and keyset pages, the profile, create, patch
with the row version (409 on a stale one), rename, merge, capacity, rooms, contacts and
photos; problem+json naming the field; refusals outside the scope."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import FacilityFactory, UserFactory
from rehsos.facilities.models import Facility, FacilityContact, FacilityName, FacilityPhoto

BASE = "/api/v1/facilities"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


def api_for(user) -> Client:
    _token, raw = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def head_api(facility_head):
    return api_for(facility_head)


@pytest.fixture
def admin_api(national_admin):
    return api_for(national_admin)


@pytest.fixture
def worker_api(social_worker):
    return api_for(social_worker)


@pytest.fixture
def residential(handayani):
    handayani.settings_offered = ["residential"]
    handayani.clusters = ["ANAK", "PD"]
    handayani.save()
    return handayani


def errors(response) -> dict:
    assert response["Content-Type"] == PROBLEM, response.content
    return {e["field"]: e["message"] for e in response.json().get("errors") or []}


# --- reads ----------------------------------------------------------------------------


def test_list_filters_and_pages(worker_api, handayani, galih_pakuan, django_assert_max_num_queries):
    FacilityFactory(code="lks-harapan", name="LKS Harapan", kind=Facility.Kind.LKS)
    FacilityFactory(code="brs-lama", name="BRS Lama", is_active=False)
    body = worker_api.get(f"{BASE}?limit=2").json()
    assert body["count"] == 3
    assert [f["code"] for f in body["items"]] == ["lks-harapan", "brskpn-galih-pakuan"]
    rest = worker_api.get(f"{BASE}?limit=2&after={body['next']}").json()
    assert [f["code"] for f in rest["items"]] == ["brsampk-handayani"]
    assert rest["next"] is None
    assert [f["code"] for f in worker_api.get(f"{BASE}?active=all&q=lama").json()["items"]] == [
        "brs-lama"
    ]
    assert [f["code"] for f in worker_api.get(f"{BASE}?cluster=KPN").json()["items"]] == [
        "brskpn-galih-pakuan"
    ]
    assert worker_api.get(f"{BASE}?province=32&kind=national").json()["count"] == 1
    # The token, the page and the count (and at times the rate limit's counter): no
    # query per centre.
    with django_assert_max_num_queries(4):
        worker_api.get(f"{BASE}?limit=50")
    for i in range(10):
        FacilityFactory(code=f"lks-{i}", name=f"LKS {i}", kind=Facility.Kind.LKS)
    with django_assert_max_num_queries(4):
        assert len(worker_api.get(f"{BASE}?limit=50").json()["items"]) == 13


def test_list_bad_filters_are_named(worker_api, handayani):
    response = worker_api.get(f"{BASE}?kind=palace&cluster=XYZ&after=garbage")
    assert response.status_code == 422
    assert set(errors(response)) == {"kind", "cluster"}
    response = worker_api.get(f"{BASE}?after=garbage")
    assert response.status_code == 422
    assert set(errors(response)) == {"after"}


def test_profile_and_contact_details(worker_api, head_api, handayani):
    FacilityContact.objects.create(
        facility=handayani, position="Kepala", name="Budi", phone="021-8400123", email="b@x.id"
    )
    FacilityName.objects.create(facility=handayani, name=handayani.name, reason="founded")
    body = worker_api.get(f"{BASE}/{handayani.code}").json()
    assert body["code"] == handayani.code
    assert body["names"][0]["reason"] == "founded"
    assert body["contacts"] == [
        {"position": "Kepala", "name": "Budi", "phone": None, "email": None}
    ]
    shown = head_api.get(f"{BASE}/{handayani.code}").json()
    assert shown["contacts"][0]["phone"] == "021-8400123"
    missing = worker_api.get(f"{BASE}/nowhere")
    assert missing.status_code == 404
    assert missing["Content-Type"] == PROBLEM


def test_anonymous_is_401(client, handayani):
    assert client.get(BASE).status_code == 401


# --- create and edit ------------------------------------------------------------------


CREATE = {
    "code": "sentra-mulya-jaya",
    "name": "Sentra Mulya Jaya",
    "kind": "national",
    "owner": "ministry",
    "clusters": ["TS-KPO"],
    "settings_offered": ["residential"],
    "region": "31.75.03.1001",
    "latitude": -6.3021,
    "longitude": 106.8838,
    "founded_on": "2022-01-01",
    "legal_basis": "Permensos 3/2022",
}


def test_create(admin_api, head_api):
    refused = head_api.post(BASE, CREATE, content_type="application/json")
    assert refused.status_code == 403
    response = admin_api.post(BASE, CREATE, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["province_code"], body["latitude"]) == (1, "31", -6.3021)
    assert body["names"][0]["legal_basis"] == "Permensos 3/2022"


def test_create_names_every_bad_field(admin_api):
    bad = {**CREATE, "clusters": ["ANAK", "XYZ"], "latitude": 40, "region": "31", "email": "x"}
    response = admin_api.post(BASE, bad, content_type="application/json")
    assert response.status_code == 422
    assert set(errors(response)) == {"clusters", "latitude", "region", "email"}
    response = admin_api.post(BASE, {"code": "x"}, content_type="application/json")
    assert response.status_code == 422
    assert {"name", "kind", "region"} <= set(errors(response))
    assert not Facility.objects.exists()


def test_patch_with_version_and_409(head_api, handayani):
    url = f"{BASE}/{handayani.code}"
    response = head_api.patch(
        url, {"version": 1, "address": "Jl. Bambu Apus"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["address"], response.json()["version"]) == ("Jl. Bambu Apus", 2)
    stale = head_api.patch(url, {"version": 1, "address": "Other"}, content_type="application/json")
    assert stale.status_code == 409
    body = stale.json()
    assert (body["code"], body["current_version"], body["your_version"]) == ("conflict", 2, 1)
    assert body["current"]["address"] == "Jl. Bambu Apus"
    handayani.refresh_from_db()
    assert handayani.address == "Jl. Bambu Apus"


def test_patch_refusals(head_api, handayani, galih_pakuan, worker_api):
    other = head_api.patch(
        f"{BASE}/{galih_pakuan.code}",
        {"version": 1, "address": "x"},
        content_type="application/json",
    )
    assert other.status_code == 403
    national = head_api.patch(
        f"{BASE}/{handayani.code}",
        {"version": 1, "is_model": True},
        content_type="application/json",
    )
    assert national.status_code == 403
    assert set(errors(national)) == {"is_model"}
    bad = head_api.patch(
        f"{BASE}/{handayani.code}",
        {"version": 1, "longitude": 12.5, "settings_offered": ["boarding"]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert set(errors(bad)) == {"longitude", "settings_offered"}
    no_version = head_api.patch(
        f"{BASE}/{handayani.code}", {"address": "x"}, content_type="application/json"
    )
    assert no_version.status_code == 422
    assert set(errors(no_version)) == {"version"}
    assert (
        worker_api.patch(
            f"{BASE}/{handayani.code}", {"version": 1}, content_type="application/json"
        ).status_code
        == 403
    )
    galih_pakuan.refresh_from_db()
    handayani.refresh_from_db()
    assert (galih_pakuan.version, handayani.version, handayani.is_model) == (1, 1, False)


# --- rename and merge -----------------------------------------------------------------


def test_rename(head_api, handayani):
    url = f"{BASE}/{handayani.code}/rename"
    payload = {"name": "Sentra Terpadu Handayani", "on": "2024-07-01", "version": 1}
    missing = head_api.post(url, payload, content_type="application/json")
    assert missing.status_code == 422
    assert set(errors(missing)) == {"legal_basis"}
    response = head_api.post(
        url, {**payload, "legal_basis": "Permensos 7/2024"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Sentra Terpadu Handayani"
    assert [(n["name"], n["valid_to"]) for n in body["names"]] == [
        ("Sentra Handayani", "2024-06-30"),
        ("Sentra Terpadu Handayani", None),
    ]


def test_merge(admin_api, head_api, handayani, galih_pakuan):
    payload = {"into": handayani.code, "on": "2022-03-01", "legal_basis": "SK 1", "version": 1}
    url = f"{BASE}/{galih_pakuan.code}/merge"
    assert head_api.post(url, payload, content_type="application/json").status_code == 403
    unknown = admin_api.post(url, {**payload, "into": "nowhere"}, content_type="application/json")
    assert unknown.status_code == 422
    assert set(errors(unknown)) == {"into"}
    response = admin_api.post(url, payload, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["is_active"], body["merged_into"]) == (False, handayani.code)
    into = admin_api.get(f"{BASE}/{handayani.code}").json()
    assert into["merged_from"] == [galih_pakuan.code]
    assert [n["reason"] for n in into["names"]] == ["merged"]
    again = admin_api.post(url, {**payload, "version": 2}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "merged"


# --- capacity, rooms, contacts ----------------------------------------------------------


def test_capacity(head_api, residential):
    url = f"{BASE}/{residential.code}/capacity"
    bad = head_api.put(
        url,
        {"places": {"ANAK": 30, "KPN": 5, "XYZ": 1}, "version": 1},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert set(errors(bad)) == {"places.KPN", "places.XYZ"}
    response = head_api.put(
        url, {"places": {"ANAK": 30, "PD": 12}, "version": 1}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["capacity"], body["capacity_by_cluster"]) == (42, {"ANAK": 30, "PD": 12})
    stale = head_api.put(url, {"places": {}, "version": 1}, content_type="application/json")
    assert stale.status_code == 409


def test_rooms_and_contacts(head_api, handayani):
    rooms = head_api.put(
        f"{BASE}/{handayani.code}/rooms",
        {"rooms": {"bedroom": 10, "kitchen": 1}, "version": 1},
        content_type="application/json",
    )
    assert rooms.status_code == 200, rooms.content
    assert rooms.json()["rooms"] == {"bedroom": 10, "kitchen": 1}
    bad = head_api.put(
        f"{BASE}/{handayani.code}/contacts",
        {"contacts": [{"position": "Kepala", "name": "Budi", "email": "budi@"}], "version": 2},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert set(errors(bad)) == {"contacts.0.email"}
    good = head_api.put(
        f"{BASE}/{handayani.code}/contacts",
        {"contacts": [{"position": "Kepala", "name": "Budi", "email": "budi@x.id"}], "version": 2},
        content_type="application/json",
    )
    assert good.status_code == 200
    assert good.json()["contacts"][0]["email"] == "budi@x.id"


# --- photos ---------------------------------------------------------------------------


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 3), "red").save(out, "PNG")
    return out.getvalue()


def test_photos(head_api, worker_api, handayani, galih_pakuan):
    url = f"{BASE}/{handayani.code}/photos"
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    refused = head_api.post(url, {"file": SimpleUploadedFile("x.png", pdf)})
    assert refused.status_code == 422
    assert set(errors(refused)) == {"file"}
    response = head_api.post(
        url, {"file": SimpleUploadedFile("aula.png", png()), "caption": "Aula"}
    )
    assert response.status_code == 201, response.content
    photo = response.json()
    served = worker_api.get(photo["url"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == png()
    assert worker_api.delete(f"{url}/{photo['id']}").status_code == 403
    other = api_for(
        UserFactory(
            username="kepala.galih",
            role=Role.FACILITY_HEAD,
            scope_level=ScopeLevel.FACILITY,
            facility=galih_pakuan,
        )
    )
    assert other.post(url, {"file": SimpleUploadedFile("a.png", png())}).status_code == 403
    assert head_api.delete(f"{url}/{photo['id']}").status_code == 204
    assert not FacilityPhoto.objects.exists()
