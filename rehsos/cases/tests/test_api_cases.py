"""The cases API: open, list, edit with a version, moves, termination, close, reopen,
transfers, referrals, the stage list and the event feed."""

import pytest

from rehsos.cases.models import Case, Referral
from rehsos.cases.services import termination
from rehsos.cases.tests.factories import CaseFactory, ppks
from rehsos.core.models import AccessLog, ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

PROBLEM = "application/problem+json"


def api_client(client, user):
    _token, raw = ApiToken.issue(user, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.fixture
def api(client, social_worker):
    return api_client(client, social_worker)


def post(api, url, data):
    return api.post(url, data, content_type="application/json")


def test_open_get_list_and_edit_a_case(api, social_worker, handayani, person_in_handayani):
    response = post(
        api,
        "/api/v1/cases",
        {
            "person": str(person_in_handayani.public_id),
            "ppks_type": "AMPK",
            "setting": "residential",
            "unit": handayani.code,
            "social_worker": social_worker.username,
            "risk_level": "high",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("ANAK-3175-")
    assert body["cluster"] == "ANAK"
    assert body["stage"] == "intake"
    assert body["flags"]["flag_child"] is True
    assert body["social_worker"] == social_worker.username
    url = f"/api/v1/cases/{body['public_id']}"

    assert api.get(url).json()["number"] == body["number"]
    assert AccessLog.objects.filter(user=social_worker).exists()
    listed = api.get("/api/v1/cases?cluster=ANAK&risk=high&status=open").json()
    assert [c["number"] for c in listed["items"]] == [body["number"]]
    assert api.get("/api/v1/cases?cluster=LU").json()["items"] == []

    edited = api.patch(url, {"version": 1, "risk_level": "low"}, content_type="application/json")
    assert edited.status_code == 200, edited.content
    assert (edited.json()["risk_level"], edited.json()["version"]) == ("low", 2)

    stale = api.patch(url, {"version": 1, "risk_level": "medium"}, content_type="application/json")
    assert stale.status_code == 409
    assert stale["Content-Type"] == PROBLEM
    assert stale.json()["current"]["risk_level"] == "low"
    assert stale.json()["current"]["version"] == 2


def test_list_pages_by_keyset(api, handayani):
    cases = [CaseFactory(unit=handayani) for _ in range(3)]
    first = api.get("/api/v1/cases?limit=2").json()
    assert [c["number"] for c in first["items"]] == [cases[2].number, cases[1].number]
    second = api.get(f"/api/v1/cases?limit=2&after={first['next']}").json()
    assert [c["number"] for c in second["items"]] == [cases[0].number]
    assert second["next"] is None
    assert api.get("/api/v1/cases?after=garbage").status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ppks_type": "AMPK", "setting": "residential", "unit": "nope"}, "unit"),
        ({"ppks_type": "NOPE", "setting": "residential", "unit": "brsampk-handayani"}, "ppks_type"),
        ({"ppks_type": "AMPK", "setting": "spa", "unit": "brsampk-handayani"}, "setting"),
        ({"setting": "residential", "unit": "brsampk-handayani"}, "ppks_type"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, person_in_handayani, body, field):
    response = post(api, "/api/v1/cases", {"person": str(person_in_handayani.public_id), **body})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not Case.objects.exists()


def test_no_500_on_nonsense(api, handayani):
    case = CaseFactory(unit=handayani)
    for url, data in [
        ("/api/v1/cases", {"person": "not-a-uuid"}),
        (f"/api/v1/cases/{case.public_id}/moves", {"to_stage": 5, "version": "x"}),
        (f"/api/v1/cases/{case.public_id}/moves", []),
        ("/api/v1/referrals", {"source": None}),
        (f"/api/v1/cases/{case.public_id}/termination", {"goals_met": "all"}),
    ]:
        response = post(api, url, data)
        assert response.status_code == 422, (url, response.content)
    assert api.get("/api/v1/case-events?after=-1").status_code == 422
    assert api.get("/api/v1/cases/not-a-uuid").status_code in (404, 422)


def test_a_move_that_misses_its_rules_lists_them(api, handayani):
    case = CaseFactory(unit=handayani)
    url = f"/api/v1/cases/{case.public_id}/moves"
    response = post(api, url, {"to_stage": "planning", "version": 1})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "stage_requirements"
    assert len(body["missing"]) == 2
    assert body["errors"][0]["field"] == "stage"
    assert post(api, url, {"to_stage": "planning", "version": 5}).status_code == 409
    case.refresh_from_db()
    assert case.stage.code == "intake"
    assert api.get(url).json() == []


def test_termination_close_and_reopen(client, social_worker, facility_head, handayani):
    case = CaseFactory(unit=handayani, stage_code="reintegration")
    worker = api_client(client, social_worker)
    base = f"/api/v1/cases/{case.public_id}"
    written = post(
        worker,
        f"{base}/termination",
        {"goals_met": "all", "reason": "completed", "summary": "Tujuan tercapai semua."},
    )
    assert written.status_code == 201, written.content
    assert post(worker, f"{base}/termination/approve", {}).status_code == 403
    assert post(worker, f"{base}/close", {"version": 1}).status_code == 422

    head = api_client(client, facility_head)
    approved = post(head, f"{base}/termination/approve", {})
    assert approved.status_code == 200
    assert approved.json()["approved_by"] == facility_head.username
    closed = post(head, f"{base}/close", {"version": 1})
    assert closed.status_code == 200, closed.content
    assert (closed.json()["status"], closed.json()["closure_reason"]) == ("closed", "completed")

    assert post(head, f"{base}/reopen", {"reason": ""}).status_code == 422
    reopened = post(
        head, f"{base}/reopen", {"reason": "Kambuh setelah pulang", "to_stage": "intake"}
    )
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open"
    kinds = [t["kind"] for t in head.get(f"{base}/moves").json()]
    assert kinds == ["close", "reopen"]


def test_assign_needs_the_right(client, social_worker, facility_head, handayani):
    case = CaseFactory(unit=handayani)
    url = f"/api/v1/cases/{case.public_id}/assign"
    body = {"version": 1, "social_worker": social_worker.username}
    assert post(api_client(client, social_worker), url, body).status_code == 403
    response = post(api_client(client, facility_head), url, body)
    assert response.status_code == 200
    assert response.json()["social_worker"] == social_worker.username
    missing = post(api_client(client, facility_head), url, {"version": 2, "supervisor": "ghost"})
    assert missing.status_code == 422


def test_transfer_through_the_api(client, social_worker, galih_pakuan, handayani):
    galih_pakuan.clusters = ["ANAK", "KPN"]
    galih_pakuan.save()
    head = UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    case = CaseFactory(unit=handayani)
    sender = api_client(client, social_worker)
    asked = post(
        sender,
        f"/api/v1/cases/{case.public_id}/transfers",
        {"to_unit": galih_pakuan.code, "reason": "Dekat keluarga"},
    )
    assert asked.status_code == 201, asked.content
    transfer_id = asked.json()["public_id"]
    again = post(
        sender,
        f"/api/v1/cases/{case.public_id}/transfers",
        {"to_unit": galih_pakuan.code, "reason": "Sekali lagi"},
    )
    assert again.status_code == 409

    receiver = api_client(client, head)
    inbox = receiver.get("/api/v1/transfers?direction=incoming").json()
    assert [t["public_id"] for t in inbox] == [transfer_id]
    assert receiver.get(f"/api/v1/cases/{case.public_id}").status_code == 404
    accepted = post(receiver, f"/api/v1/transfers/{transfer_id}/accept", {"note": ""})
    assert accepted.status_code == 200
    assert receiver.get(f"/api/v1/cases/{case.public_id}").status_code == 200
    assert (
        api_client(client, social_worker).get(f"/api/v1/cases/{case.public_id}").status_code == 404
    )


def test_referrals_through_the_api(api, social_worker, handayani, person_in_handayani):
    received = post(
        api,
        "/api/v1/referrals",
        {
            "source": "hospital",
            "source_name": "RSUD Budhi Asih",
            "unit": handayani.code,
            "cluster": "ANAK",
            "ppks_type": "AKTK",
            "reason": "Korban kekerasan, perlu perlindungan",
        },
    )
    assert received.status_code == 201, received.content
    referral_id = received.json()["public_id"]
    url = f"/api/v1/referrals/{referral_id}"
    assert post(api, f"{url}/accept", {"setting": "residential"}).status_code == 422
    linked = api.patch(
        url,
        {"version": 1, "person": str(person_in_handayani.public_id)},
        content_type="application/json",
    )
    assert linked.status_code == 200
    screened = post(api, f"{url}/screen", {"note": "Layak diterima", "version": 2})
    assert screened.json()["status"] == "screening"
    accepted = post(api, f"{url}/accept", {"setting": "residential", "version": 3})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["case"] is not None
    assert post(api, f"{url}/decline", {"decline_reason": "capacity"}).status_code == 409
    listed = api.get("/api/v1/referrals?status=accepted").json()
    assert [r["public_id"] for r in listed["items"]] == [referral_id]
    assert Referral.objects.get().case.person == person_in_handayani


def test_outgoing_referrals_through_the_api(api, handayani):
    case = CaseFactory(unit=handayani)
    url = f"/api/v1/cases/{case.public_id}/outgoing-referrals"
    created = post(api, url, {"service_name": "Puskesmas", "reason": "Imunisasi lanjutan"})
    assert created.status_code == 201, created.content
    outgoing_id = created.json()["public_id"]
    updated = api.patch(
        f"/api/v1/outgoing-referrals/{outgoing_id}",
        {"outcome": "accepted", "version": 1},
        content_type="application/json",
    )
    assert updated.status_code == 200
    assert [o["outcome"] for o in api.get(url).json()] == ["accepted"]


def test_the_event_feed_is_scoped_and_pages_by_id(client, social_worker, handayani, galih_pakuan):
    mine = CaseFactory(unit=handayani)
    elsewhere = CaseFactory(unit=galih_pakuan, cluster="KPN", ppks_type=ppks("KPN"))
    termination.write_summary(
        social_worker, mine, goals_met="some", reason="moved", summary="Pindah ke Medan."
    )
    admin = UserFactory(username="admin.feed", role=Role.NATIONAL_ADMIN)
    termination.write_summary(
        admin, elsewhere, goals_met="some", reason="moved", summary="Pindah ke Medan."
    )
    api = api_client(client, social_worker)
    feed = api.get("/api/v1/case-events").json()
    assert [(e["case_number"], e["kind"]) for e in feed["items"]] == [
        (mine.number, "termination_written")
    ]
    assert feed["items"][0]["data"] == {"goals_met": "some", "reason": "moved"}
    later = api.get(f"/api/v1/case-events?after={feed['next']}").json()
    assert later["items"] == []
    assert later["next"] == feed["next"]


def test_the_stage_list(api):
    body = api.get("/api/v1/case-stages").json()
    stages = body[0]["stages"]
    assert [s["code"] for s in stages][:2] == ["intake", "assessment"]
    assert stages[1]["requirements"] == ["consent_case_management"]
    assert stages[6]["is_aftercare"] is True


def test_an_analyst_sees_no_cases(client, analyst, handayani):
    CaseFactory(unit=handayani)
    response = api_client(client, analyst).get("/api/v1/cases")
    assert response.status_code == 403
