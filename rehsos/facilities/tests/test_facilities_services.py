"""Centres' services: create, edit (who may change what, the row version), rename and
merge with the name history, capacity by cluster, rooms, contacts and photos."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import FacilityFactory, UserFactory
from rehsos.facilities import services
from rehsos.facilities.models import (
    Facility,
    FacilityCapacity,
    FacilityContact,
    FacilityName,
    FacilityPhoto,
    FacilityRoom,
)

TODAY = timezone.localdate()
VILLAGE = "31.75.03.1001"  # a kelurahan in Jakarta Timur
BOGOR_VILLAGE = "32.01.01.1001"


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def new_centre(**overrides) -> dict:
    return {
        "code": "sentra-mulya-jaya",
        "name": "Sentra Mulya Jaya",
        "kind": Facility.Kind.NATIONAL,
        "owner": Facility.Owner.MINISTRY,
        "clusters": ["TS-KPO", "ANAK"],
        "settings_offered": ["residential", "community"],
        "region": VILLAGE,
        "latitude": "-6.3021",
        "longitude": "106.8838",
        "founded_on": datetime.date(2022, 1, 1),
        "legal_basis": "Permensos 3/2022",
        **overrides,
    }


@pytest.fixture
def residential(handayani):
    handayani.settings_offered = ["residential"]
    handayani.clusters = ["ANAK", "PD"]
    handayani.save()
    return handayani


@pytest.fixture
def head_elsewhere(galih_pakuan):
    return UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )


def jpeg(size=(4, 4)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    return tmp_path / "files"


# --- create ---------------------------------------------------------------------------


def test_create_records_the_centre_and_its_first_name(national_admin):
    facility = services.create_facility(national_admin, data=new_centre())
    assert facility.province_code == "31"
    assert facility.clusters == ["ANAK", "TS-KPO"]  # in the clusters' order
    assert facility.settings_offered == ["community", "residential"]
    assert str(facility.latitude) == "-6.302100"
    assert facility.version == 1
    name = FacilityName.objects.get(facility=facility)
    assert (name.name, name.valid_from, name.valid_to, name.reason, name.legal_basis) == (
        "Sentra Mulya Jaya",
        datetime.date(2022, 1, 1),
        None,
        "founded",
        "Permensos 3/2022",
    )


def test_only_a_national_administrator_creates(facility_head, provincial_officer):
    for user in (facility_head, provincial_officer):
        with pytest.raises(PermissionDenied):
            services.create_facility(user, data=new_centre())
    assert not Facility.objects.filter(code="sentra-mulya-jaya").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "Sentra Mulya"}, "code"),
        ({"code": "new"}, "code"),
        ({"code": "brsampk-handayani"}, "code"),
        ({"name": "AB"}, "name"),
        ({"kind": "palace"}, "kind"),
        ({"owner": Facility.Owner.PROVINCE}, "owner"),
        ({"clusters": ["ANAK", "XYZ"]}, "clusters"),
        ({"clusters": []}, "clusters"),
        ({"settings_offered": ["boarding"]}, "settings_offered"),
        ({"region": "99.99.99.9999"}, "region"),
        ({"region": "31.75"}, "region"),
        ({"latitude": "7.5"}, "latitude"),
        ({"longitude": "150"}, "longitude"),
        ({"latitude": "north"}, "latitude"),
        ({"longitude": ""}, "longitude"),
        ({"phone": "call us"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"founded_on": TODAY + datetime.timedelta(days=3)}, "founded_on"),
    ],
)
def test_create_names_the_bad_field(national_admin, handayani, overrides, field):
    with pytest.raises(ValidationFailed) as raised:
        services.create_facility(national_admin, data=new_centre(**overrides))
    assert set(raised.value.fields) == {field}, raised.value.fields
    assert Facility.objects.count() == 1  # Handayani only


def test_coordinates_outside_indonesia_say_so(national_admin):
    with pytest.raises(ValidationFailed) as raised:
        services.create_facility(national_admin, data=new_centre(latitude="35.68"))
    assert raised.value.fields["latitude"] == (
        "35.68 is outside Indonesia: its latitudes run from -11 to 6."
    )


def test_a_provincial_unit_needs_its_province(national_admin):
    data = new_centre(
        code="psbr-taruna-jaya-1",
        kind=Facility.Kind.PROVINCIAL,
        owner=Facility.Owner.PROVINCE,
    )
    with pytest.raises(ValidationFailed) as raised:
        services.create_facility(national_admin, data=data)
    assert set(raised.value.fields) == {"owner_region"}
    with pytest.raises(ValidationFailed) as raised:
        services.create_facility(national_admin, data={**data, "owner_region": "31.75"})
    assert "province" in raised.value.fields["owner_region"]
    facility = services.create_facility(national_admin, data={**data, "owner_region": "31"})
    assert facility.owner_region_id == "31"


def test_an_lks_names_its_organisation(national_admin):
    data = new_centre(code="lks-harapan", kind=Facility.Kind.LKS, owner="organisation")
    with pytest.raises(ValidationFailed) as raised:
        services.create_facility(national_admin, data=data)
    assert set(raised.value.fields) == {"owner_name"}
    facility = services.create_facility(
        national_admin, data={**data, "owner_name": "Yayasan Harapan Bangsa"}
    )
    assert facility.owner_name == "Yayasan Harapan Bangsa"


# --- edit -----------------------------------------------------------------------------


def test_the_head_edits_the_profile_of_the_own_centre(facility_head, handayani):
    services.update_facility(
        facility_head,
        handayani,
        changes={"address": " Jl.  Bambu Apus Raya No. 1 ", "phone": "021-8400123"},
        version=1,
    )
    handayani.refresh_from_db()
    assert handayani.address == "Jl. Bambu Apus Raya No. 1"
    assert handayani.phone == "021-8400123"
    assert handayani.version == 2


def test_a_head_of_another_centre_cannot_edit(head_elsewhere, handayani):
    with pytest.raises(PermissionDenied):
        services.update_facility(head_elsewhere, handayani, changes={"address": "x"}, version=1)
    handayani.refresh_from_db()
    assert (handayani.address, handayani.version) == ("", 1)


def test_a_social_worker_cannot_edit(social_worker, handayani):
    with pytest.raises(PermissionDenied):
        services.update_facility(social_worker, handayani, changes={"address": "x"}, version=1)


def test_the_province_edits_its_centres_only(provincial_officer, handayani, galih_pakuan):
    services.update_facility(provincial_officer, handayani, changes={"address": "x"}, version=1)
    with pytest.raises(PermissionDenied):
        services.update_facility(
            provincial_officer, galih_pakuan, changes={"address": "x"}, version=1
        )
    # Nor can it move one of its centres out of the province.
    with pytest.raises(ValidationFailed) as raised:
        services.update_facility(
            provincial_officer, handayani, changes={"region": BOGOR_VILLAGE}, version=2
        )
    assert set(raised.value.fields) == {"region"}


def test_national_fields_need_a_national_administrator(facility_head, national_admin, handayani):
    with pytest.raises(PermissionDenied) as raised:
        services.update_facility(
            facility_head, handayani, changes={"is_model": True, "kind": "national"}, version=1
        )
    assert set(raised.value.fields) == {"is_model"}  # the kind is unchanged
    services.update_facility(national_admin, handayani, changes={"is_model": True}, version=1)
    handayani.refresh_from_db()
    assert handayani.is_model


def test_a_stale_edit_is_a_conflict_and_changes_nothing(facility_head, handayani):
    services.update_facility(facility_head, handayani, changes={"address": "first"}, version=1)
    with pytest.raises(Conflict) as raised:
        services.update_facility(facility_head, handayani, changes={"address": "second"}, version=1)
    assert raised.value.status == 409
    assert raised.value.extra == {"current_version": 2, "your_version": 1}
    handayani.refresh_from_db()
    assert handayani.address == "first"


def test_a_cluster_with_capacity_cannot_be_dropped(facility_head, residential):
    services.set_capacity(facility_head, residential, places={"ANAK": 10, "PD": 5}, version=1)
    with pytest.raises(ValidationFailed) as raised:
        services.update_facility(
            facility_head, residential, changes={"clusters": ["ANAK"]}, version=2
        )
    assert "PD" in raised.value.fields["clusters"]
    with pytest.raises(ValidationFailed) as raised:
        services.update_facility(
            facility_head, residential, changes={"settings_offered": ["family"]}, version=2
        )
    assert set(raised.value.fields) == {"settings_offered"}


def test_unknown_fields_are_refused(facility_head, handayani):
    with pytest.raises(ValidationFailed) as raised:
        services.update_facility(facility_head, handayani, changes={"name": "x"}, version=1)
    assert set(raised.value.fields) == {"name"}


# --- rename ---------------------------------------------------------------------------


def test_rename_closes_the_current_name_and_opens_the_new(facility_head, handayani):
    FacilityName.objects.create(
        facility=handayani,
        name=handayani.name,
        valid_from=datetime.date(2019, 1, 1),
        reason="founded",
    )
    on = days_ago(10)
    services.rename_facility(
        facility_head,
        handayani,
        name="Sentra Terpadu Handayani",
        on=on,
        legal_basis="Permensos 7/2024",
        version=1,
    )
    handayani.refresh_from_db()
    assert handayani.name == "Sentra Terpadu Handayani"
    assert handayani.version == 2
    rows = list(
        FacilityName.objects.filter(facility=handayani)
        .order_by("valid_from")
        .values_list("name", "valid_from", "valid_to", "reason", "legal_basis")
    )
    assert rows == [
        (
            "Sentra Handayani",
            datetime.date(2019, 1, 1),
            on - datetime.timedelta(days=1),
            "founded",
            "",
        ),
        ("Sentra Terpadu Handayani", on, None, "renamed", "Permensos 7/2024"),
    ]


def test_rename_without_history_records_the_old_name_first(facility_head, handayani):
    services.rename_facility(
        facility_head, handayani, name="Sentra Baru", on=TODAY, legal_basis="SK 1/2025", version=1
    )
    old = FacilityName.objects.get(facility=handayani, name="Sentra Handayani")
    assert (old.valid_from, old.valid_to) == (None, TODAY - datetime.timedelta(days=1))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "Sentra Handayani"}, "name"),
        ({"name": ""}, "name"),
        ({"on": TODAY + datetime.timedelta(days=1)}, "on"),
        ({"on": datetime.date(2018, 12, 31)}, "on"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"reason": "merged"}, "reason"),
    ],
)
def test_rename_names_the_bad_field(facility_head, handayani, kwargs, field):
    FacilityName.objects.create(
        facility=handayani,
        name=handayani.name,
        valid_from=datetime.date(2019, 1, 1),
        reason="founded",
    )
    args = {"name": "Sentra Baru", "on": TODAY, "legal_basis": "SK 1/2025", **kwargs}
    with pytest.raises(ValidationFailed) as raised:
        services.rename_facility(facility_head, handayani, version=1, **args)
    assert set(raised.value.fields) == {field}
    assert FacilityName.objects.filter(facility=handayani).count() == 1


# --- merge ----------------------------------------------------------------------------


@pytest.fixture
def tan_miyat(db):
    centre = FacilityFactory(
        code="brspdsn-tan-miyat", name='BRSPDSN "Tan Miyat"', region_id=VILLAGE
    )
    FacilityName.objects.create(
        facility=centre, name=centre.name, valid_from=datetime.date(2010, 5, 1), reason="founded"
    )
    return centre


def test_merge_makes_the_centre_history_of_the_other(national_admin, tan_miyat, handayani):
    on = datetime.date(2022, 3, 1)
    merged = services.merge_facility(
        national_admin, tan_miyat, into=handayani, on=on, legal_basis="Permensos 3/2022", version=1
    )
    assert (merged.is_active, merged.merged_into, merged.version) == (False, handayani, 2)
    old = FacilityName.objects.get(facility=tan_miyat)
    assert old.valid_to == datetime.date(2022, 2, 28)
    absorbed = FacilityName.objects.get(facility=handayani, reason="merged")
    assert (absorbed.name, absorbed.valid_from, absorbed.valid_to, absorbed.legal_basis) == (
        'BRSPDSN "Tan Miyat"',
        datetime.date(2010, 5, 1),
        datetime.date(2022, 2, 28),
        "Permensos 3/2022",
    )
    handayani.refresh_from_db()
    assert handayani.version == 2
    # History is not edited any more.
    with pytest.raises(Conflict) as raised:
        services.update_facility(national_admin, merged, changes={"address": "x"}, version=2)
    assert raised.value.code == "merged"


def test_merge_is_national_and_checked(facility_head, national_admin, tan_miyat, handayani):
    with pytest.raises(PermissionDenied):
        services.merge_facility(
            facility_head, tan_miyat, into=handayani, on=TODAY, legal_basis="SK 1", version=1
        )
    with pytest.raises(ValidationFailed) as raised:
        services.merge_facility(
            national_admin, tan_miyat, into=tan_miyat, on=TODAY, legal_basis="", version=1
        )
    assert set(raised.value.fields) == {"into", "legal_basis"}
    with pytest.raises(Conflict):
        services.merge_facility(
            national_admin, tan_miyat, into=handayani, on=TODAY, legal_basis="SK 1/2022", version=7
        )
    tan_miyat.refresh_from_db()
    assert tan_miyat.is_active
    assert tan_miyat.merged_into is None


def test_merge_into_a_merged_centre_is_refused(national_admin, tan_miyat, handayani, galih_pakuan):
    services.merge_facility(
        national_admin, galih_pakuan, into=handayani, on=TODAY, legal_basis="SK 1/2022", version=1
    )
    with pytest.raises(ValidationFailed) as raised:
        services.merge_facility(
            national_admin,
            tan_miyat,
            into=Facility.objects.get(pk=galih_pakuan.pk),
            on=TODAY,
            legal_basis="SK 2/2022",
            version=1,
        )
    assert set(raised.value.fields) == {"into"}


# --- capacity, rooms, contacts ----------------------------------------------------------


def test_capacity_by_cluster_sets_the_total(facility_head, residential):
    services.set_capacity(facility_head, residential, places={"ANAK": 40, "PD": 20}, version=1)
    residential.refresh_from_db()
    assert residential.capacity == 60
    assert dict(FacilityCapacity.objects.values_list("cluster", "places")) == {"ANAK": 40, "PD": 20}
    services.set_capacity(facility_head, residential, places={"ANAK": 30, "PD": None}, version=2)
    residential.refresh_from_db()
    assert residential.capacity == 30
    assert dict(FacilityCapacity.objects.values_list("cluster", "places")) == {"ANAK": 30}
    services.set_capacity(facility_head, residential, places={}, total=25, version=3)
    residential.refresh_from_db()
    assert (residential.capacity, FacilityCapacity.objects.count()) == (25, 0)


@pytest.mark.parametrize(
    ("places", "total", "field"),
    [
        ({"XYZ": 5}, None, "places.XYZ"),
        ({"KPN": 5}, None, "places.KPN"),  # a cluster the centre does not serve
        ({"ANAK": -1}, None, "places.ANAK"),
        ({"ANAK": "ten"}, None, "places.ANAK"),
        ({"ANAK": 10}, 12, "total"),
    ],
)
def test_capacity_names_the_bad_field(facility_head, residential, places, total, field):
    with pytest.raises(ValidationFailed) as raised:
        services.set_capacity(facility_head, residential, places=places, total=total, version=1)
    assert set(raised.value.fields) == {field}
    assert not FacilityCapacity.objects.exists()


def test_capacity_needs_the_residential_setting(facility_head, handayani):
    handayani.settings_offered = ["community"]
    handayani.save()
    with pytest.raises(ValidationFailed) as raised:
        services.set_capacity(facility_head, handayani, places={"ANAK": 5}, version=1)
    assert set(raised.value.fields) == {"places"}


def test_rooms_replace_the_counts(facility_head, handayani):
    services.set_rooms(facility_head, handayani, rooms={"bedroom": 12, "clinic": 1}, version=1)
    services.set_rooms(facility_head, handayani, rooms={"bedroom": 14, "clinic": 0}, version=2)
    assert dict(FacilityRoom.objects.values_list("kind", "count")) == {"bedroom": 14}
    with pytest.raises(ValidationFailed) as raised:
        services.set_rooms(facility_head, handayani, rooms={"ballroom": 1, "office": -2}, version=3)
    assert set(raised.value.fields) == {"rooms.ballroom", "rooms.office"}


def test_contacts_replace_the_list_and_name_each_bad_field(facility_head, handayani):
    services.set_contacts(
        facility_head,
        handayani,
        contacts=[
            {"position": "Kepala Sentra", "name": "Budi Santoso", "phone": "+62 21 8400 123"},
            {"position": "Pekerja Sosial", "name": "Sari Wulandari", "email": "Sari@Example.ID"},
        ],
        version=1,
    )
    assert list(FacilityContact.objects.values_list("name", "email")) == [
        ("Budi Santoso", ""),
        ("Sari Wulandari", "sari@example.id"),
    ]
    with pytest.raises(ValidationFailed) as raised:
        services.set_contacts(
            facility_head,
            handayani,
            contacts=[{"position": "", "name": "X", "phone": "abc", "email": "nope"}],
            version=2,
        )
    assert set(raised.value.fields) == {
        "contacts.0.position",
        "contacts.0.phone",
        "contacts.0.email",
    }
    assert FacilityContact.objects.count() == 2


# --- photos ---------------------------------------------------------------------------


def test_a_photo_is_checked_and_stored_privately(facility_head, handayani, private_files):
    photo = services.add_photo(
        facility_head,
        handayani,
        upload=SimpleUploadedFile("gedung.jpg", jpeg(), content_type="image/jpeg"),
        caption="Gedung utama",
        taken_on=days_ago(2),
    )
    assert photo.content_type == "image/jpeg"
    assert photo.file.name.startswith("facilities/photos/")
    assert (private_files / photo.file.name).exists()
    services.delete_photo(facility_head, photo)
    assert not FacilityPhoto.objects.exists()


def test_a_pdf_or_a_large_file_is_not_a_photo(facility_head, handayani, settings, private_files):
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    with pytest.raises(ValidationFailed) as raised:
        services.add_photo(
            facility_head,
            handayani,
            upload=SimpleUploadedFile("gedung.jpg", pdf, content_type="image/jpeg"),
        )
    assert raised.value.fields == {
        "file": "This type of file is not accepted. Upload a JPEG or PNG image."
    }
    settings.REHSOS_ATTACHMENT_MAX_MB = 0
    with pytest.raises(ValidationFailed) as raised:
        services.add_photo(facility_head, handayani, upload=SimpleUploadedFile("big.jpg", jpeg()))
    assert "larger than the limit" in raised.value.fields["file"]
    assert not FacilityPhoto.objects.exists()
    assert not private_files.exists() or not any(private_files.rglob("*.jpg"))


def test_photos_of_another_centre_are_refused(head_elsewhere, handayani):
    with pytest.raises(PermissionDenied):
        services.add_photo(head_elsewhere, handayani, upload=SimpleUploadedFile("a.jpg", jpeg()))
