"""Personal API tokens: /api/v1/me and /api/v1/tokens, expiry, revocation, and the
`rehsos create-token` command."""

import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from rehsos.core.models import ApiToken
from rehsos.core.tests.logins import days_valid
from rehsos.manage import main

PROBLEM = "application/problem+json"


def bearer(raw: str) -> Client:
    return Client(headers={"authorization": f"Bearer {raw}"})


@pytest.fixture
def worker_token(social_worker):
    return ApiToken.issue(social_worker, "tests", days=30)


def test_me_describes_the_token_owner(worker_token, social_worker):
    _token, raw = worker_token
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "username": "peksos.handayani",
        "name": social_worker.get_full_name(),
        "role": "social_worker",
        "role_label": "Social worker",
        "scope_level": "facility",
        "scope": "Sentra Handayani",
        "province_code": "",
        "facility": str(social_worker.facility.public_id),
        "language": "en",
        "actions": sorted(social_worker.actions),
    }
    assert "users.manage" not in body["actions"]


def test_the_token_header_works_too(worker_token):
    _token, raw = worker_token
    response = Client(headers={"x-api-token": raw}).get("/api/v1/me")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer rhs_nothing_here"}, {"authorization": "Bearer "}],
    ids=["no token", "unknown token", "empty token"],
)
def test_without_a_valid_token_the_answer_is_401_problem_json(db, headers):
    response = Client(headers=headers).get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="rehsos"'


def test_an_expired_token_is_refused(worker_token):
    token, raw = worker_token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == PROBLEM


def test_a_revoked_token_is_refused(worker_token):
    token, raw = worker_token
    assert bearer(raw).delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == PROBLEM


def test_a_deactivated_users_token_is_refused(worker_token, social_worker):
    _token, raw = worker_token
    social_worker.is_active = False
    social_worker.save(update_fields=["is_active"])
    assert bearer(raw).get("/api/v1/me").status_code == 401


def test_a_token_is_stored_only_as_its_hash(worker_token):
    token, raw = worker_token
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(raw not in str(value) for value in row.values())
    assert row["digest"] != raw
    assert len(row["digest"]) == 64


def test_create_list_and_revoke_through_the_api(worker_token, social_worker):
    _token, raw = worker_token
    api = bearer(raw)
    created = api.post(
        "/api/v1/tokens", {"name": "nightly export", "days": 7}, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "nightly export"
    assert body["status"] == "active"
    assert body["token"].startswith("rhs_")
    new = ApiToken.objects.get(pk=body["id"])
    assert days_valid(new) == 7
    assert bearer(body["token"]).get("/api/v1/me").json()["username"] == "peksos.handayani"

    listed = api.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["nightly export", "tests"]
    assert all("token" not in t for t in listed)

    assert api.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    statuses = {t["name"]: t["status"] for t in api.get("/api/v1/tokens").json()}
    assert statuses == {"nightly export": "revoked", "tests": "active"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "days": 0}, "days"),
        ({"name": "x", "days": 366}, "days"),
        ({"name": "x", "days": "soon"}, "days"),
        ({"name": "", "days": 30}, "name"),
        ({"days": 30}, "name"),
    ],
)
def test_a_bad_token_request_is_422_naming_the_field(worker_token, social_worker, payload, field):
    _token, raw = worker_token
    response = bearer(raw).post("/api/v1/tokens", payload, content_type="application/json")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert ApiToken.objects.filter(user=social_worker).count() == 1


def test_nobody_revokes_another_users_token_through_the_api(worker_token, facility_head):
    _token, raw = worker_token
    theirs, _their_raw = ApiToken.issue(facility_head, "theirs")
    response = bearer(raw).delete(f"/api/v1/tokens/{theirs.pk}")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert bearer(raw).delete("/api/v1/tokens/999999").status_code == 404


def test_a_session_without_csrf_cannot_create_tokens_but_a_page_session_reads_me(
    social_worker,
):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(social_worker)
    assert browser.get("/api/v1/me").json()["username"] == "peksos.handayani"
    response = browser.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=social_worker).count() == 0


# ---- rehsos create-token -----------------------------------------------------------------


def test_create_token_prints_only_a_working_token(social_worker):
    out = StringIO()
    call_command("create_token", "peksos.handayani", "--name", "cron", "--days", "5", stdout=out)
    raw = out.getvalue().strip()
    assert out.getvalue() == raw + "\n"
    assert raw.startswith("rhs_")
    token = ApiToken.objects.get(user=social_worker)
    assert (token.name, days_valid(token)) == ("cron", 5)
    assert bearer(raw).get("/api/v1/me").json()["username"] == "peksos.handayani"


def test_create_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match=r"^There is no user named ghost\.$"):
        call_command("create_token", "ghost")
    assert ApiToken.objects.count() == 0


def test_create_token_refuses_a_bad_expiry(social_worker):
    with pytest.raises(
        CommandError, match=r"^--days: The expiry must be between 1 and 365 days\.$"
    ):
        call_command("create_token", "peksos.handayani", "--days", "400")
    assert ApiToken.objects.count() == 0


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the `rehsos` console script in this process (and this test database)."""
    monkeypatch.setattr(sys, "argv", ["rehsos", *args])
    # A command closes every connection when it ends; the test's transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = exited.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_console_script_output_pipes_into_a_bearer_header(monkeypatch, capsys, social_worker):
    code, out, err = run_cli(monkeypatch, capsys, "create-token", "peksos.handayani")
    assert (code, err) == (0, "")
    raw = out.strip()
    assert out == raw + "\n"
    assert bearer(raw).get("/api/v1/me").json()["username"] == "peksos.handayani"
    token = ApiToken.objects.get(user=social_worker)
    assert (token.name, days_valid(token)) == ("command line", 90)


def test_the_console_script_fails_with_one_line_for_an_unknown_user(monkeypatch, capsys, db):
    code, out, err = run_cli(monkeypatch, capsys, "create-token", "ghost")
    assert code == 1
    assert out == ""
    assert err == "CommandError: There is no user named ghost.\n"
