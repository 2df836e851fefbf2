"""Services delivered and group sessions: validation naming the field, own recent
records only, attendance creating one record per participant, scope, API and pages."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from rehsos.cases.models import CaseEvent, GroupSession, ServiceRecord
from rehsos.cases.services import delivery
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

TODAY = timezone.localdate()


def service(**overrides) -> dict:
    data = {
        "component": "BANSOS",
        "delivered_on": TODAY.isoformat(),
        "description": "Food package",
        "provider_kind": "staff",
        "quantity": "1",
        "unit_of_measure": "package",
        "cost_rp": 1250000,
        "assistance": "in_kind",
        "assistance_amount_rp": 250000,
        "assistance_items": "Rice 10 kg",
    }
    data.update(overrides)
    return data


def session_data(**overrides) -> dict:
    data = {
        "component": "VOKASIONAL",
        "held_on": TODAY.isoformat(),
        "topic": "Cooking class",
        "duration_hours": "2",
        "cost_rp": 100,
        "cluster": "ANAK",
        "setting": "residential",
    }
    data.update(overrides)
    return data


@pytest.fixture
def case(handayani, social_worker):
    return CaseFactory(unit=handayani, social_worker=social_worker)


@pytest.fixture
def colleague(handayani):
    return UserFactory(
        username="peksos.rekan",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


# --- services ----------------------------------------------------------------------------


def test_a_service_is_recorded_with_an_event(case, social_worker):
    record = delivery.record_service(social_worker, case, service())
    assert (record.component.code, int(record.cost_rp), record.assistance) == (
        "BANSOS",
        1250000,
        "in_kind",
    )
    event = CaseEvent.objects.get(case=case, kind="service_recorded")
    assert event.data["cost_rp"] == 1250000
    assert "Rice" not in json.dumps(event.data)  # no free text in the feed


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"delivered_on": (TODAY + datetime.timedelta(days=1)).isoformat()}, "delivered_on"),
        ({"delivered_on": "2000-01-01"}, "delivered_on"),
        ({"delivered_on": "yesterday"}, "delivered_on"),
        ({"component": "NOPE"}, "component"),
        ({"description": " "}, "description"),
        ({"cost_rp": -5}, "cost_rp"),
        ({"cost_rp": "12.50"}, "cost_rp"),
        ({"quantity": "0"}, "quantity"),
        ({"provider_kind": "wizard"}, "provider_kind"),
        ({"assistance": "cash", "assistance_amount_rp": 0}, "assistance_amount_rp"),
        ({"assistance": "in_kind", "assistance_items": ""}, "assistance_items"),
        ({"assistance": "", "assistance_items": "Rice"}, "assistance"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(case, social_worker, overrides, field):
    with pytest.raises(ValidationFailed) as raised:
        delivery.record_service(social_worker, case, service(**overrides))
    assert field in raised.value.fields
    assert ServiceRecord.objects.count() == 0


def test_a_component_not_yet_in_force_is_refused(case, social_worker):
    from rehsos.cases.models import ServiceComponent

    ServiceComponent.objects.filter(code="BANSOS").update(effective_from=TODAY)
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed) as raised:
        delivery.record_service(social_worker, case, service(delivered_on=yesterday))
    assert "component" in raised.value.fields


def test_only_the_author_may_correct_a_recent_record(case, social_worker, colleague):
    record = delivery.record_service(social_worker, case, service())
    with pytest.raises(PermissionDenied):
        delivery.update_service(colleague, record, {"cost_rp": 1})
    delivery.update_service(social_worker, record, {"cost_rp": 1000})
    assert int(ServiceRecord.objects.get(pk=record.pk).cost_rp) == 1000
    assert CaseEvent.objects.filter(case=case, kind="service_edited").count() == 1

    ServiceRecord.objects.filter(pk=record.pk).update(
        recorded_at=timezone.now() - datetime.timedelta(days=delivery.EDIT_DAYS + 1)
    )
    record.refresh_from_db()
    with pytest.raises(PermissionDenied) as raised:
        delivery.delete_service(social_worker, record)
    assert raised.value.code == "too_old"
    assert ServiceRecord.objects.filter(pk=record.pk).exists()


def test_a_correction_is_audited_and_a_deletion_recorded(case, social_worker):
    from auditlog.models import LogEntry

    record = delivery.record_service(social_worker, case, service())
    delivery.update_service(social_worker, record, {"description": "Two food packages"})
    entry = LogEntry.objects.get_for_object(record).filter(action=LogEntry.Action.UPDATE).get()
    assert "description" in entry.changes_dict
    delivery.delete_service(social_worker, record)
    assert not ServiceRecord.objects.filter(pk=record.pk).exists()
    assert CaseEvent.objects.filter(case=case, kind="service_deleted").count() == 1


# --- group sessions -------------------------------------------------------------------------


def test_attendance_creates_one_record_per_participant(handayani, social_worker):
    a, b, c = (CaseFactory(unit=handayani) for _ in range(3))
    session = delivery.create_group_session(
        social_worker,
        unit=handayani,
        data=session_data(),
        participants=[
            {"case": a, "attended": True},
            {"case": b, "attended": True},
            {"case": c, "attended": False},
        ],
    )
    records = {r.case_id: r for r in session.records.all()}
    assert set(records) == {a.pk, b.pk, c.pk}
    assert [records[x.pk].attended for x in (a, b, c)] == [True, True, False]
    # The session's cost is shared among those who attended, in whole rupiah.
    assert sorted(int(r.cost_rp) for r in records.values()) == [0, 50, 50]
    assert CaseEvent.objects.filter(kind="service_recorded").count() == 3

    delivery.set_attendance(
        social_worker,
        session,
        version=session.version,
        participants=[{"case": a, "attended": True}, {"case": c, "attended": True}],
    )
    records = {r.case_id: r for r in session.records.all()}
    assert set(records) == {a.pk, c.pk}
    assert records[c.pk].attended is True
    assert CaseEvent.objects.filter(case=c, kind="attendance_corrected").count() == 1
    assert CaseEvent.objects.filter(case=b, kind="service_deleted").count() == 1

    with pytest.raises(Conflict):
        delivery.set_attendance(social_worker, session, version=1, participants=[])
    assert session.records.count() == 2


def test_participants_must_be_cases_of_the_unit(handayani, galih_pakuan, social_worker):
    mine = CaseFactory(unit=handayani)
    elsewhere = CaseFactory(unit=galih_pakuan, cluster="KPN")
    with pytest.raises(ValidationFailed) as raised:
        delivery.create_group_session(
            social_worker,
            unit=handayani,
            data=session_data(),
            participants=[{"case": mine}, {"case": elsewhere}, {"case": None}],
        )
    assert set(raised.value.fields) == {"participants.1.case", "participants.2.case"}
    assert GroupSession.objects.count() == 0


# --- API ------------------------------------------------------------------------------------


def headers_for(user) -> dict:
    _token, raw = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def send(client, method, url, headers, body=None):
    if method in ("get", "delete"):
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json", **headers
    )


def test_the_services_api(client, case, social_worker, colleague):
    mine, theirs = headers_for(social_worker), headers_for(colleague)
    url = f"/api/v1/cases/{case.public_id}/services"
    body = service(assistance="cash", assistance_items="", assistance_amount_rp=300000)
    created = send(client, "post", url, mine, body)
    assert created.status_code == 201, created.content
    record = created.json()
    for day in range(1, 4):
        send(client, "post", url, mine, service(delivered_on=str(TODAY - datetime.timedelta(day))))

    first = send(client, "get", f"{url}?limit=3", mine).json()
    assert [i["delivered_on"] for i in first["items"]] == [
        str(TODAY - datetime.timedelta(days)) for days in range(3)
    ]
    second = send(client, "get", f"{url}?limit=3&after={first['next']}", mine).json()
    assert len(first["items"]) + len(second["items"]) == 4
    assert second["next"] is None
    assert first["totals"] == [
        {"component": "BANSOS", "services": 4, "cost_rp": 5000000, "assistance_rp": 1050000}
    ]

    one = f"/api/v1/services/{record['id']}"
    assert send(client, "get", one, mine).json()["assistance_amount_rp"] == 300000
    assert send(client, "patch", one, theirs, {"cost_rp": 1}).status_code == 403
    patched = send(client, "patch", one, mine, {"cost_rp": 2000})
    assert patched.json()["cost_rp"] == 2000
    bad = send(client, "patch", one, mine, {"cost_rp": -1})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cost_rp"
    assert send(client, "delete", one, mine).status_code == 204
    assert send(client, "get", one, mine).status_code == 404


def test_the_services_api_never_500s_on_bad_input(client, case, social_worker):
    headers = headers_for(social_worker)
    url = f"/api/v1/cases/{case.public_id}/services"
    for body in (
        {},
        {"component": 5, "delivered_on": "nope", "description": None},
        service(cost_rp=12.5),
        service(quantity="many"),
    ):
        answer = send(client, "post", url, headers, body)
        assert answer.status_code == 422, (body, answer.content)
    assert send(client, "get", f"{url}?after=garbage", headers).status_code == 422
    assert send(client, "get", "/api/v1/services/999999", headers).status_code == 404


def test_services_of_another_centre_are_not_found(client, galih_pakuan, social_worker):
    elsewhere = CaseFactory(unit=galih_pakuan, cluster="KPN")
    record = delivery.record_service(UserFactory(username="x"), elsewhere, service())
    headers = headers_for(social_worker)
    assert send(client, "get", f"/api/v1/services/{record.pk}", headers).status_code == 404
    url = f"/api/v1/cases/{elsewhere.public_id}/services"
    assert send(client, "get", url, headers).status_code == 404
    assert send(client, "post", url, headers, service()).status_code == 404


def test_the_group_session_api(client, handayani, galih_pakuan, social_worker):
    a, b = CaseFactory(unit=handayani), CaseFactory(unit=handayani)
    other = CaseFactory(unit=galih_pakuan, cluster="KPN")
    headers = headers_for(social_worker)
    body = {**session_data(), "participants": [{"case": str(a.public_id)}]}
    created = send(client, "post", "/api/v1/group-sessions", headers, body)
    assert created.status_code == 201, created.content
    session = created.json()
    assert [p["attended"] for p in session["participants"]] == [True]

    url = f"/api/v1/group-sessions/{session['public_id']}/attendance"
    put = send(
        client,
        "put",
        url,
        headers,
        {
            "version": session["version"],
            "participants": [
                {"case": str(a.public_id), "attended": False},
                {"case": str(b.public_id), "attended": True},
            ],
        },
    )
    assert put.status_code == 200, put.content
    assert {p["case"]: p["attended"] for p in put.json()["participants"]} == {
        str(a.public_id): False,
        str(b.public_id): True,
    }
    stale = send(client, "put", url, headers, {"version": 1, "participants": []})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2
    foreign = send(
        client,
        "put",
        url,
        headers,
        {"version": 2, "participants": [{"case": str(other.public_id)}]},
    )
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "participants.0.case"

    listed = send(client, "get", "/api/v1/group-sessions", headers).json()
    assert [(s["participants"], s["attended"]) for s in listed["items"]] == [(2, 1)]
    galih_worker = UserFactory(
        username="peksos.galih",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    theirs = headers_for(galih_worker)
    assert send(client, "get", "/api/v1/group-sessions", theirs).json()["items"] == []
    assert send(client, "put", url, theirs, {"version": 2, "participants": []}).status_code == 404


# --- pages ----------------------------------------------------------------------------------


def test_the_recording_form_keeps_input_and_names_errors(client, case, social_worker):
    client.force_login(social_worker)
    url = reverse("cases:service_new", args=[case.public_id])
    assert client.get(url).status_code == 200
    bad = client.post(url, service(cost_rp="-3", description="Typed text"))
    assert bad.status_code == 422
    assert b"Typed text" in bad.content
    assert b"The amount cannot be negative." in bad.content
    good = client.post(url, service())
    assert good.status_code == 302
    assert ServiceRecord.objects.filter(case=case).count() == 1


def test_the_services_list_shows_rupiah_in_the_users_locale(client, case, social_worker):
    delivery.record_service(social_worker, case, service())
    client.force_login(social_worker)
    url = reverse("cases:services", args=[case.public_id])
    client.cookies["rehsos_language"] = "id"
    page = client.get(url)
    assert page.status_code == 200
    assert "Rp 1.250.000" in page.content.decode()


def test_a_class_takes_attendance_in_one_post(client, handayani, social_worker):
    pupils = [CaseFactory(unit=handayani) for _ in range(3)]
    elderly = CaseFactory(unit=handayani, cluster="LU")
    client.force_login(social_worker)
    created = client.post(reverse("cases:session_new"), session_data())
    assert created.status_code == 302
    session = GroupSession.objects.get()
    url = reverse("cases:session_attendance", args=[session.public_id])
    page = client.get(url)
    shown = page.content.decode()
    assert all(str(p.public_id) in shown for p in pupils)
    assert str(elderly.public_id) not in shown  # another cluster than the class
    saved = client.post(
        url,
        {
            "version": session.version,
            f"case-{pupils[0].public_id}": "present",
            f"case-{pupils[1].public_id}": "absent",
            f"case-{pupils[2].public_id}": "",
        },
    )
    assert saved.status_code == 302
    assert {r.case_id: r.attended for r in session.records.all()} == {
        pupils[0].pk: True,
        pupils[1].pk: False,
    }
    stale = client.post(url, {"version": session.version})
    assert stale.status_code == 409
    assert session.records.count() == 2
    listing = client.get(reverse("cases:sessions"))
    assert b"Cooking class" in listing.content


def test_the_case_page_section(rf, case, social_worker):
    from rehsos.cases.views_delivery import section_context

    delivery.record_service(social_worker, case, service())
    request = rf.get("/")
    request.user = social_worker
    context = section_context(request, case)
    assert len(context["recent"]) == 1
    assert context["totals"][0]["cost_rp"] == 1250000
