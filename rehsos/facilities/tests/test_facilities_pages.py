"""The centre pages: the list with its filters and pages, the profile with its panels,
and the forms (edit with the both-versions page on a conflict, rename, merge,
capacity, rooms, contacts, photos), each refused outside the user's scope."""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import FacilityFactory, UserFactory
from rehsos.core.tests.logins import verified_client
from rehsos.facilities import panels, services
from rehsos.facilities.models import (
    Facility,
    FacilityCapacity,
    FacilityContact,
    FacilityName,
    FacilityPhoto,
)

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture(autouse=True)
def own_panels_only(monkeypatch):
    """The centre page with the occupancy panel of cases only: the standards and
    workforce parts test their own panels."""
    from rehsos.cases import facility_hooks

    monkeypatch.setattr(panels, "_PROVIDERS", [facility_hooks.occupancy_panel])


@pytest.fixture
def head(client, facility_head):
    client.force_login(facility_head)
    return client


@pytest.fixture
def worker(client, social_worker):
    client.force_login(social_worker)
    return client


@pytest.fixture
def admin_browser(national_admin):
    return verified_client(national_admin)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 3), "blue").save(out, "PNG")
    return out.getvalue()


# --- the list ---------------------------------------------------------------------------


@pytest.fixture
def many(handayani, galih_pakuan):
    handayani.is_model = True
    handayani.clusters = ["ANAK", "PD"]
    handayani.save()
    FacilityFactory(
        code="psbr-taruna-jaya-1",
        name="PSBR Taruna Jaya I",
        kind=Facility.Kind.PROVINCIAL,
        owner=Facility.Owner.PROVINCE,
        region_id="31.74.01.1001",
        clusters=["ANAK"],
    )
    closed = FacilityFactory(code="brspdsn-tan-miyat", name='BRSPDSN "Tan Miyat"', is_active=False)
    FacilityName.objects.create(
        facility=handayani, name="Panti Sosial Marsudi Putra", reason="founded"
    )
    return closed


def codes(response) -> list[str]:
    page = response.content.decode()
    return [part.split('"', 1)[0] for part in page.split('data-code="')[1:]]


def test_everyone_signed_in_sees_every_centre(worker, many):
    response = worker.get(reverse("facilities:list"))
    assert response.status_code == 200
    # Active ones by default, by name; a social worker of Handayani sees the others too.
    assert codes(response) == ["psbr-taruna-jaya-1", "brskpn-galih-pakuan", "brsampk-handayani"]
    assert 'data-count="3"' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=provincial", ["psbr-taruna-jaya-1"]),
        ("owner=ministry", ["brskpn-galih-pakuan", "brsampk-handayani"]),
        ("province=32", ["brskpn-galih-pakuan"]),
        ("cluster=PD", ["brsampk-handayani"]),
        ("cluster=KPN", ["brskpn-galih-pakuan"]),
        ("model=1", ["brsampk-handayani"]),
        ("active=inactive", ["brspdsn-tan-miyat"]),
        ("q=taruna", ["psbr-taruna-jaya-1"]),
        ("q=galih-pakuan", ["brskpn-galih-pakuan"]),
        ("q=marsudi", ["brsampk-handayani"]),  # a former name
    ],
)
def test_list_filters(worker, many, query, expected):
    response = worker.get(f"{reverse('facilities:list')}?{query}")
    assert codes(response) == expected


def test_a_bad_filter_is_named_and_the_rest_apply(worker, many):
    response = worker.get(f"{reverse('facilities:list')}?kind=palace&province=32")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="kind"' in page
    assert codes(response) == ["brskpn-galih-pakuan"]


def test_list_pages_by_keyset(worker, many, monkeypatch):
    from rehsos.facilities import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = worker.get(reverse("facilities:list"))
    assert codes(first) == ["psbr-taruna-jaya-1", "brskpn-galih-pakuan"]
    link = first.content.decode().split("data-next", 1)[0].rsplit('href="', 1)[1].split('"')[0]
    second = worker.get(reverse("facilities:list") + link.replace("&amp;", "&"))
    assert codes(second) == ["brsampk-handayani"]
    assert "data-next" not in second.content.decode()
    bad = worker.get(f"{reverse('facilities:list')}?after=garbage")
    assert bad.status_code == 200
    assert 'data-field-error="after"' in bad.content.decode()


def test_list_queries_do_not_grow_with_the_centres(worker, many, django_assert_num_queries):
    worker.get(reverse("facilities:list"))  # session warm-up
    # The session and the user, the counts by kind, the page, the province names, the
    # province filter's options; the session's sliding expiry (save in a savepoint).
    with django_assert_num_queries(9):
        worker.get(reverse("facilities:list"))
    for i in range(5):
        FacilityFactory(code=f"lks-{i}", name=f"LKS {i}", kind=Facility.Kind.LKS)
    with django_assert_num_queries(9):
        worker.get(reverse("facilities:list"))


# --- the profile ------------------------------------------------------------------------


@pytest.fixture
def furnished(handayani):
    handayani.settings_offered = ["residential", "family"]
    handayani.clusters = ["ANAK", "PD"]
    handayani.latitude = "-6.302100"
    handayani.longitude = "106.883800"
    handayani.save()
    FacilityName.objects.create(
        facility=handayani,
        name="PSMP Handayani",
        valid_from=datetime.date(1979, 1, 1),
        valid_to=datetime.date(2020, 12, 31),
        reason="founded",
    )
    FacilityName.objects.create(
        facility=handayani,
        name=handayani.name,
        valid_from=datetime.date(2021, 1, 1),
        reason="renamed",
        legal_basis="Permensos 3/2022",
    )
    FacilityCapacity.objects.create(facility=handayani, cluster="ANAK", places=40)
    FacilityCapacity.objects.create(facility=handayani, cluster="PD", places=20)
    Facility.objects.filter(pk=handayani.pk).update(capacity=60)
    FacilityContact.objects.create(
        facility=handayani,
        position="Kepala Sentra",
        name="Budi Santoso",
        phone="021-8400123",
        email="budi@example.id",
    )
    return handayani


def test_profile_shows_everything(head, furnished):
    response = head.get(reverse("facilities:detail", args=[furnished.code]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "latitude -6.3021, longitude 106.8838" in page
    assert page.index("PSMP Handayani") < page.index("Permensos 3/2022")  # oldest name first
    assert 'data-cluster="ANAK"' in page
    assert "data-capacity-total>60<" in page
    assert "budi@example.id" in page  # a head manages centres: sees contact details
    assert reverse("facilities:edit", args=[furnished.code]) in page


def test_contact_details_are_hidden_from_a_social_worker(worker, furnished):
    page = worker.get(reverse("facilities:detail", args=[furnished.code])).content.decode()
    assert "Budi Santoso" in page
    assert "budi@example.id" not in page
    assert "021-8400123" not in page
    assert reverse("facilities:edit", args=[furnished.code]) not in page


def test_profile_renders_the_panels_of_other_apps(head, furnished):
    def probe(request, facility):
        return panels.Panel("facilities/panels/occupancy.html", {"facility": facility}, order=99)

    panels.register(probe)
    page = head.get(reverse("facilities:detail", args=[furnished.code])).content.decode()
    assert page.count("data-facility-panel") == 2  # the occupancy panel and the probe


def test_a_missing_centre_is_404(worker):
    assert worker.get(reverse("facilities:detail", args=["nowhere"])).status_code == 404


# --- edit -------------------------------------------------------------------------------


def edit_data(facility: Facility, **overrides) -> dict:
    data = {
        "short_name": facility.short_name,
        "clusters": facility.clusters,
        "settings_offered": facility.settings_offered or ["residential"],
        "region": facility.region_id,
        "address": "Jl. Bambu Apus Raya",
        "latitude": "",
        "longitude": "",
        "phone": "",
        "email": "",
        "version": facility.version,
    }
    data.update(overrides)
    return data


def test_the_head_edits_the_own_centre(head, handayani):
    url = reverse("facilities:edit", args=[handayani.code])
    page = head.get(url).content.decode()
    assert re.search(r'<select name="kind"[^>]* disabled', page)  # national: read-only
    response = head.post(url, edit_data(handayani, phone="021 8400 123"))
    assert response.status_code == 302, response.content.decode()
    handayani.refresh_from_db()
    assert (handayani.address, handayani.phone, handayani.version) == (
        "Jl. Bambu Apus Raya",
        "021 8400 123",
        2,
    )


def test_edit_errors_are_shown_on_their_field(head, handayani):
    url = reverse("facilities:edit", args=[handayani.code])
    response = head.post(url, edit_data(handayani, latitude="35.7", longitude="150"))
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-field-error="latitude"' in page
    assert 'data-field-error="longitude"' in page
    assert "outside Indonesia" in page
    handayani.refresh_from_db()
    assert handayani.version == 1


def test_a_stale_edit_shows_both_versions(head, facility_head, handayani):
    url = reverse("facilities:edit", args=[handayani.code])
    services.update_facility(facility_head, handayani, changes={"address": "Theirs"}, version=1)
    response = head.post(url, edit_data(handayani, address="Mine", version=1))
    page = response.content.decode()
    assert response.status_code == 409
    assert "data-conflict" in page
    assert "Theirs" in page
    assert "Mine" in page
    assert 'name="version" value="2"' in page  # saving again replaces theirs
    handayani.refresh_from_db()
    assert handayani.address == "Theirs"
    response = head.post(url, edit_data(handayani, address="Mine", version=2))
    assert response.status_code == 302


def test_a_head_of_another_centre_is_refused(client, handayani, galih_pakuan):
    other = UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    client.force_login(other)
    for name in ("edit", "rename", "capacity", "rooms", "contacts"):
        response = client.get(reverse(f"facilities:{name}", args=[handayani.code]))
        assert response.status_code == 403, name
    response = client.post(
        reverse("facilities:edit", args=[handayani.code]), edit_data(handayani, address="x")
    )
    assert response.status_code == 403
    handayani.refresh_from_db()
    assert handayani.address == ""


def test_a_social_worker_cannot_open_the_forms(worker, handayani):
    assert worker.get(reverse("facilities:edit", args=[handayani.code])).status_code == 403
    assert worker.get(reverse("facilities:create")).status_code == 403


# --- create, rename, merge ------------------------------------------------------------------


def test_the_national_administrator_creates_a_centre(admin_browser):
    response = admin_browser.post(
        reverse("facilities:create"),
        {
            "code": "sentra-mulya-jaya",
            "name": "Sentra Mulya Jaya",
            "kind": "national",
            "owner": "ministry",
            "clusters": ["TS-KPO"],
            "settings_offered": ["residential"],
            "region": "31.75.03.1001",
            "founded_on": "2022-01-01",
            "legal_basis": "Permensos 3/2022",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("facilities:detail", args=["sentra-mulya-jaya"])
    assert FacilityName.objects.get(facility__code="sentra-mulya-jaya").legal_basis == (
        "Permensos 3/2022"
    )


def test_create_keeps_the_input_and_names_the_field(admin_browser, handayani):
    response = admin_browser.post(
        reverse("facilities:create"),
        {
            "code": handayani.code,
            "name": "Sentra Kembar",
            "kind": "national",
            "owner": "province",
            "clusters": ["ANAK"],
            "settings_offered": ["family"],
            "region": "31.75.03.1001",
        },
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-field-error="code"' in page
    assert 'data-field-error="owner"' in page
    assert 'value="Sentra Kembar"' in page
    assert Facility.objects.count() == 1


def test_rename_page(head, handayani):
    url = reverse("facilities:rename", args=[handayani.code])
    data = {
        "name": "Sentra Terpadu Handayani",
        "on": TODAY.isoformat(),
        "reason": "renamed",
        "legal_basis": "",
        "version": 1,
    }
    response = head.post(url, data)
    assert response.status_code == 422
    assert 'data-field-error="legal_basis"' in response.content.decode()
    response = head.post(url, {**data, "legal_basis": "Permensos 7/2024"})
    assert response.status_code == 302
    handayani.refresh_from_db()
    assert handayani.name == "Sentra Terpadu Handayani"


def test_merge_page(admin_browser, handayani, galih_pakuan):
    url = reverse("facilities:merge", args=[galih_pakuan.code])
    page = admin_browser.get(url).content.decode()
    assert "are not moved" in page
    response = admin_browser.post(
        url,
        {
            "into": handayani.code,
            "on": TODAY.isoformat(),
            "legal_basis": "Permensos 3/2022",
            "confirm": "on",
            "version": 1,
        },
    )
    assert response.status_code == 302
    galih_pakuan.refresh_from_db()
    assert galih_pakuan.merged_into == handayani
    page = admin_browser.get(reverse("facilities:detail", args=[galih_pakuan.code]))
    assert f'data-merged-into="{handayani.code}"' in page.content.decode()
    # A merged centre's forms are closed.
    assert (
        admin_browser.get(reverse("facilities:edit", args=[galih_pakuan.code])).status_code == 409
    )


def test_the_head_cannot_merge(head, handayani):
    assert head.get(reverse("facilities:merge", args=[handayani.code])).status_code == 403


# --- capacity, rooms, contacts ------------------------------------------------------------


def test_capacity_page(head, handayani):
    handayani.clusters = ["ANAK", "TS-KPO"]
    handayani.settings_offered = ["residential"]
    handayani.save()
    url = reverse("facilities:capacity", args=[handayani.code])
    response = head.post(
        url, {"places_ANAK": "30", "places_TS_KPO": "10", "total": "50", "version": 1}
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-field-error="total"' in page
    response = head.post(url, {"places_ANAK": "30", "places_TS_KPO": "10", "version": 1})
    assert response.status_code == 302
    handayani.refresh_from_db()
    assert handayani.capacity == 40
    assert dict(handayani.capacities.values_list("cluster", "places")) == {"ANAK": 30, "TS-KPO": 10}


def test_rooms_page(head, handayani):
    url = reverse("facilities:rooms", args=[handayani.code])
    response = head.post(url, {"rooms_bedroom": "12", "rooms_clinic": "1", "version": 1})
    assert response.status_code == 302
    assert dict(handayani.rooms.values_list("kind", "count")) == {"bedroom": 12, "clinic": 1}


def contact_rows(*rows) -> dict:
    data = {
        "contacts-TOTAL_FORMS": str(len(rows)),
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "30",
        "version": "1",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"contacts-{i}-{key}"] = value
    return data


def test_contacts_page_names_the_bad_cell(head, handayani):
    url = reverse("facilities:contacts", args=[handayani.code])
    blank = {"position": "", "name": "", "phone": "", "email": ""}
    bad = {"position": "Kepala", "name": "Budi", "phone": "", "email": "budi@"}
    response = head.post(url, contact_rows(blank, bad))
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-field-error="contacts-1-email"' in page
    good = {**bad, "email": "budi@example.id"}
    response = head.post(url, contact_rows(blank, good))
    assert response.status_code == 302
    assert list(handayani.contacts.values_list("name", "email")) == [("Budi", "budi@example.id")]


# --- photos ---------------------------------------------------------------------------------


def test_photo_upload_view_and_delete(head, social_worker, handayani):
    worker = Client()
    worker.force_login(social_worker)
    url = reverse("facilities:photos", args=[handayani.code])
    response = head.post(
        url, {"file": SimpleUploadedFile("aula.png", png()), "caption": "Aula", "taken_on": ""}
    )
    assert response.status_code == 302
    photo = FacilityPhoto.objects.get()
    served = worker.get(reverse("facilities:photo", args=[handayani.code, photo.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == png()
    # A photo is served only under its own centre.
    assert (
        worker.get(reverse("facilities:photo", args=["brskpn-galih-pakuan", photo.pk])).status_code
        == 404
    )
    # A social worker may look, not delete.
    delete = reverse("facilities:photo_delete", args=[handayani.code, photo.pk])
    assert worker.post(delete).status_code == 403
    assert head.post(delete).status_code == 302
    assert not FacilityPhoto.objects.exists()


def test_a_pdf_or_an_oversized_photo_is_refused_with_a_reason(head, handayani, settings):
    url = reverse("facilities:photos", args=[handayani.code])
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    response = head.post(url, {"file": SimpleUploadedFile("plan.jpg", pdf)})
    page = response.content.decode()
    assert response.status_code == 422
    assert "Upload a JPEG or PNG image." in page
    settings.REHSOS_ATTACHMENT_MAX_MB = 0
    response = head.post(url, {"file": SimpleUploadedFile("aula.png", png())})
    assert response.status_code == 422
    assert "larger than the limit" in response.content.decode()
    # A body far above the limit is refused before it is read.
    big = SimpleUploadedFile("aula.png", png() + b"\0" * (80 * 1024))
    response = head.post(url, {"file": big})
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()
    assert not FacilityPhoto.objects.exists()
