"""Staff records: the rules of a record, row versions, scope (a head sees their own
centre's staff only), certifications flagged when expired or expiring, what lists
show and what they never show, the access and audit logs; pages and API."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rehsos.core import home_panels
from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.core.models import AccessLog, ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.workforce import selectors
from rehsos.workforce.models import StaffMember, StaffRole
from rehsos.workforce.services import staff as services
from rehsos.workforce.tests.factories import (
    CertificationFactory,
    StaffFactory,
    TrainingFactory,
)

TODAY = timezone.localdate()
PROBLEM = "application/problem+json"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def other_head(galih_pakuan):
    return UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )


@pytest.fixture
def nurse(handayani):
    return StaffFactory(
        facility=handayani,
        name="Sri Lestari Uji",
        role=StaffRole.NURSE,
        birth_year=1979,
        email="sri.uji@example.org",
    )


def api_as(client, user):
    _token, raw = ApiToken.issue(user, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


# --- the record -------------------------------------------------------------------------


def record(facility, **extra):
    data = {
        "facility": facility,
        "name": "Budi Santoso Uji",
        "sex": "M",
        "birth_year": 1988,
        "role": StaffRole.INSTRUCTOR,
        "employment": StaffMember.Employment.CONTRACT,
        "started_on": days(-400),
    }
    data.update(extra)
    return data


def test_the_head_adds_staff_to_their_own_centre(facility_head, handayani, galih_pakuan):
    staff = services.create_staff(facility_head, **record(handayani))
    assert staff.province_code == "31"
    with pytest.raises(ValidationFailed) as raised:
        services.create_staff(facility_head, **record(galih_pakuan))
    assert set(raised.value.fields) == {"facility"}


def test_bad_fields_are_named(facility_head, handayani):
    with pytest.raises(ValidationFailed) as raised:
        services.create_staff(
            facility_head,
            **record(
                handayani,
                birth_year=1900,
                left_on=days(-500),
                role="astronaut",
                email="not-an-email",
                name=" ",
            ),
        )
    assert set(raised.value.fields) == {"birth_year", "left_on", "role", "email", "name"}
    assert not StaffMember.objects.exists()


def test_an_account_is_linked_once_and_at_the_same_centre(facility_head, handayani, social_worker):
    staff = services.create_staff(facility_head, **record(handayani, account=social_worker))
    assert staff.user == social_worker
    with pytest.raises(ValidationFailed) as raised:
        services.create_staff(facility_head, **record(handayani, account=social_worker))
    assert "account" in raised.value.fields


def test_a_stale_edit_is_refused(facility_head, nurse):
    services.update_staff(facility_head, nurse, version=1, position="Kepala perawat")
    with pytest.raises(Conflict):
        services.update_staff(facility_head, nurse, version=1, position="Perawat")
    nurse.refresh_from_db()
    assert (nurse.position, nurse.version) == ("Kepala perawat", 2)


def test_a_record_with_a_history_is_not_deleted(facility_head, nurse):
    TrainingFactory().participants.create(staff=nurse)
    with pytest.raises(Conflict):
        services.delete_staff(facility_head, nurse, version=nurse.version)
    assert StaffMember.objects.filter(pk=nurse.pk).exists()


def test_the_audit_trail_masks_personal_data(facility_head, handayani):
    staff = services.create_staff(
        facility_head, **record(handayani, email="budi.uji@example.org", phone="0812000000")
    )
    entry = LogEntry.objects.get_for_object(staff).get()
    changes = entry.changes_dict
    assert changes["name"] == ["None", "•••"]
    assert changes["email"] == ["None", "•••"]
    assert "budi.uji" not in str(changes)
    assert changes["role"] == ["None", "instructor"]


# --- scope ------------------------------------------------------------------------------


def test_another_centres_head_cannot_see_the_staff(client, other_head, nurse):
    client.force_login(other_head)
    assert client.get(f"/workforce/staff/{nurse.public_id}/").status_code == 404
    assert client.get(f"/workforce/staff/{nurse.public_id}/edit/").status_code == 404
    listing = client.get("/workforce/staff/")
    assert listing.status_code == 200
    assert nurse.name.encode() not in listing.content
    api = api_as(client, other_head)
    assert api.get(f"/api/v1/workforce/staff/{nurse.public_id}").status_code == 404
    patched = api.patch(
        f"/api/v1/workforce/staff/{nurse.public_id}",
        {"version": 1, "position": "x"},
        content_type="application/json",
    )
    assert patched.status_code == 404
    assert api.get("/api/v1/workforce/staff").json()["items"] == []
    nurse.refresh_from_db()
    assert nurse.position == ""


def test_a_social_worker_reads_no_staff_records(client, social_worker, nurse):
    client.force_login(social_worker)
    assert client.get("/workforce/staff/").status_code == 403
    assert client.get(f"/workforce/staff/{nurse.public_id}/").status_code == 403
    response = api_as(client, social_worker).get("/api/v1/workforce/staff")
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM


def test_the_province_sees_its_centres(provincial_officer, nurse, galih_pakuan):
    StaffFactory(facility=galih_pakuan)  # West Java: outside DKI Jakarta
    assert list(selectors.staff_in_scope(provincial_officer)) == [nurse]


# --- lists ------------------------------------------------------------------------------


def test_the_list_shows_names_never_birth_years(client, facility_head, nurse):
    client.force_login(facility_head)
    page = client.get("/workforce/staff/")
    assert page.status_code == 200
    text = page.content.decode()
    assert nurse.name in text
    assert "1979" not in text
    assert "Birth year" not in text
    assert nurse.email not in text
    body = api_as(client, facility_head).get("/api/v1/workforce/staff").json()
    assert set(body["items"][0]) == {
        "public_id",
        "version",
        "facility",
        "name",
        "role",
        "employment",
        "position",
        "started_on",
        "left_on",
        "active",
    }


def count_queries(client, url) -> int:
    """Queries of the page's own data (the session, second factor and token rate
    bookkeeping vary from request to request and are not the list's)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return sum(
        1
        for q in captured.captured_queries
        if "workforce_" in q["sql"] or "facilities_" in q["sql"] or "standards_" in q["sql"]
    )


def test_list_queries_do_not_grow_with_the_rows(client, facility_head, handayani):
    StaffFactory(facility=handayani)
    client.force_login(facility_head)
    client.get("/workforce/")  # the first request of a session caches its second-factor state
    page_one = count_queries(client, "/workforce/staff/")
    home_one = count_queries(client, "/workforce/")
    for _ in range(15):
        CertificationFactory(staff=StaffFactory(facility=handayani), expires_on=days(10))
    assert count_queries(client, "/workforce/staff/") == page_one
    assert count_queries(client, "/workforce/") == home_one
    api = api_as(client, facility_head)
    api.get("/api/v1/workforce/staff")  # the token's first use is recorded once
    api_one = count_queries(api, "/api/v1/workforce/staff?limit=1")
    assert count_queries(api, "/api/v1/workforce/staff?limit=16") == api_one


def test_the_staff_page_logs_the_read_without_personal_data(client, facility_head, nurse):
    client.force_login(facility_head)
    page = client.get(f"/workforce/staff/{nurse.public_id}/")
    assert page.status_code == 200
    assert b"1979" in page.content  # the record itself shows the birth year
    log = AccessLog.objects.get()
    assert (log.user, log.subject_type, log.subject_id) == (
        facility_head,
        "workforce.staffmember",
        str(nurse.public_id),
    )
    assert nurse.name not in str(log.__dict__)


# --- certifications ---------------------------------------------------------------------


def test_expiring_and_expired_certifications_are_flagged(nurse):
    soon = CertificationFactory(staff=nurse, expires_on=days(60))
    later = CertificationFactory(staff=nurse, expires_on=days(61))
    gone = CertificationFactory(staff=nurse, expires_on=days(-1))
    forever = CertificationFactory(staff=nurse, expires_on=None)
    status = selectors.certification_status
    assert [status(c) for c in (soon, later, gone, forever)] == [
        "expiring",
        "valid",
        "expired",
        "no_expiry",
    ]


def test_expiring_certifications_on_the_pages_and_the_home_panel(
    client, facility_head, nurse, handayani, other_head
):
    soon = CertificationFactory(staff=nurse, name="Perawat Gerontik", expires_on=days(20))
    CertificationFactory(staff=nurse, expires_on=days(-3))
    left = StaffFactory(facility=handayani, left_on=days(-1))
    CertificationFactory(staff=left, expires_on=days(5))  # someone who left: not flagged
    client.force_login(facility_head)
    detail = client.get(f"/workforce/staff/{nurse.public_id}/")
    assert b'data-cert-status="expiring"' in detail.content
    assert b'data-cert-status="expired"' in detail.content
    home = client.get("/workforce/")
    assert f'data-certification="{soon.pk}"'.encode() in home.content
    assert b'data-figure="expired">1<' in home.content
    panel = next(p for p in home_panels.panels_for(facility_head) if "expiring" in p.template)
    assert [c.pk for c in panel.context["rows"]] == [soon.pk]
    assert panel.context["expired"] == 1
    assert not [p for p in home_panels.panels_for(other_head) if "expiring" in p.template]
    body = api_as(client, facility_head).get("/api/v1/workforce/certifications/expiring").json()
    assert [(c["id"], c["status"]) for c in body] == [(soon.pk, "expiring")]


def test_adding_a_certification_on_the_page(client, facility_head, nurse):
    client.force_login(facility_head)
    url = f"/workforce/staff/{nurse.public_id}/certifications/"
    bad = client.post(url, {"name": "K3", "issuer": "BNSP", "issued_on": str(days(5))})
    assert bad.status_code == 422
    assert b"The date of issue cannot be in the future." in bad.content
    good = client.post(
        url,
        {"name": "K3", "issuer": "BNSP", "issued_on": str(days(-5)), "expires_on": str(days(30))},
    )
    assert good.status_code == 302
    assert nurse.certifications.get().name == "K3"


# --- API --------------------------------------------------------------------------------


def test_api_staff_crud_with_versions(client, facility_head, handayani):
    api = api_as(client, facility_head)
    created = api.post(
        "/api/v1/workforce/staff",
        {
            "facility": handayani.code,
            "name": "Dewi Anggraini Uji",
            "sex": "F",
            "role": "psychologist",
            "employment": "pns",
            "started_on": str(days(-30)),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    staff = created.json()
    url = f"/api/v1/workforce/staff/{staff['public_id']}"
    changed = api.patch(
        url, {"version": 1, "position": "Psikolog klinis"}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 2
    stale = api.patch(url, {"version": 1, "position": "x"}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["current"]["position"] == "Psikolog klinis"
    cert = api.post(
        f"{url}/certifications",
        {
            "name": "Psikolog",
            "issuer": "HIMPSI",
            "issued_on": str(days(-10)),
            "expires_on": str(days(10)),
        },
        content_type="application/json",
    )
    assert cert.status_code == 201
    assert cert.json()["status"] == "expiring"
    bad = api.post(
        f"{url}/certifications",
        {"name": "X", "issuer": "Y", "issued_on": str(days(-10)), "expires_on": str(days(-20))},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "expires_on"
    assert api.delete(f"{url}?version=1").status_code == 409
    assert api.delete(f"{url}?version=2").status_code == 204
    assert not StaffMember.objects.exists()
