"""The API shell: schema and docs, problem+json errors, tokens, rate limit, keyset pages.

The real /api/v1/ answers the schema, docs and unknown-address tests. The error,
rate-limit and pagination tests call a small probe router mounted on an API made
by the same ``build_api()`` as /api/v1/ (same auth, handlers and throttle), so
they do not depend on which endpoints the apps have added.
"""

import datetime
import re
from unittest import mock

import pytest
from django.test import Client, RequestFactory
from django.urls import get_resolver, path
from django.utils import timezone
from ninja import Query, Router, Schema

from rehsos.core import api as api_shell
from rehsos.core.api import build_api
from rehsos.core.models import ApiToken
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.core.tests.factories import FacilityFactory, UserFactory
from rehsos.core.tests.test_matrix import ROUTE_PARAMETER, collect
from rehsos.core.views.errors import server_error
from rehsos.facilities.models import Facility

PROBLEM = "application/problem+json"

probe = Router()


class ProbeIn(Schema):
    name: str
    age: int
    born: datetime.date


@probe.post("/echo")
@requires("home.view")
def echo(request, payload: ProbeIn):
    return {"name": payload.name, "age": payload.age, "born": payload.born.isoformat()}


class PageQuery(Schema):
    after: str | None = None
    limit: int = 3


@probe.get("/centres")
@requires("facilities.view")
def centres(request, query: Query[PageQuery]):
    page = keyset_page(
        Facility.objects.all(), order=("name", "code"), after=query.after, limit=query.limit
    )
    return {"items": [f.code for f in page.items], "next": page.next_cursor}


probe_api = build_api()
# A namespace of its own: ninja refuses two APIs under one namespace.
probe_api.urls_namespace = "api-shell-probe"
probe_api.add_router("/probe", probe)
urlpatterns = [path("api/probe/", probe_api.urls)]
PROBE_URLS = __name__


@pytest.fixture
def token(social_worker) -> str:
    _token, raw = ApiToken.issue(social_worker, "shell test")
    return raw


def bearer(raw: str) -> Client:
    # English: the messages asserted below are the source strings.
    return Client(headers={"authorization": f"Bearer {raw}", "accept-language": "en"})


def english() -> Client:
    return Client(headers={"accept-language": "en"})


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://rehsos.kemensos.go.id/problems/{code}"
    return body


# ---- the real /api/v1/ ----------------------------------------------------------------


@pytest.mark.django_db
def test_openapi_schema_lists_every_operation():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "rehsos API"
    listed = {
        (route, method.upper())
        for route, operations in schema["paths"].items()
        for method in operations
    }
    endpoints, _problems = collect(get_resolver().url_patterns)
    served = {
        ("/" + ROUTE_PARAMETER.sub(r"{\g<parameter>}", endpoint.route), method)
        for endpoint in endpoints
        if endpoint.is_operation and endpoint.route.startswith("api/v1/")
        for method in endpoint.methods
    }
    assert listed == served


def test_no_two_different_schemas_share_a_name_in_the_openapi_document():
    # django-ninja files every body schema under its class name in
    # components/schemas; a second, different class of the same name would silently
    # replace the first in the documentation (and in clients generated from it).
    from ninja.openapi.schema import OpenAPISchema

    from rehsos.api import api

    seen: dict[str, object] = {}
    clashes: set[str] = set()
    original = OpenAPISchema.add_schema_definitions

    def record(self, definitions):
        for name, definition in definitions.items():
            if name in seen and seen[name] != definition:
                clashes.add(name)
            seen[name] = definition
        original(self, definitions)

    with mock.patch.object(OpenAPISchema, "add_schema_definitions", record):
        api.get_openapi_schema()
    assert not clashes, ", ".join(sorted(clashes))


@pytest.mark.django_db
def test_docs_page_uses_the_assets_of_the_ninja_package():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert 'href="/static/ninja/swagger-ui.css"' in html
    assert "cdn" not in html.lower()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    asset = Client().get("/static/ninja/swagger-ui-bundle.js")
    assert asset.status_code == 200


@pytest.mark.django_db
def test_an_unknown_api_address_is_a_problem_404():
    body = assert_problem(english().get("/api/v1/no-such-thing"), 404, "not_found")
    assert body["instance"] == "/api/v1/no-such-thing"
    assert body["detail"] == "There is no such address in the API; /api/v1/docs lists them."


@pytest.mark.django_db
def test_the_api_root_is_a_problem_404():
    assert_problem(Client().get("/api/v1/"), 404, "not_found")


@pytest.mark.django_db
def test_an_unknown_page_is_a_page_404():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")


def test_a_server_error_under_api_is_problem_json_and_a_page_elsewhere():
    api_response = server_error(RequestFactory().get("/api/v1/anything"))
    assert api_response.status_code == 500
    assert api_response.headers["Content-Type"] == PROBLEM
    page_response = server_error(RequestFactory().get("/anything"))
    assert page_response.status_code == 500
    assert page_response.headers["Content-Type"].startswith("text/html")


# ---- errors, tokens and rate limit, through the probe ------------------------------------


@pytest.mark.urls(PROBE_URLS)
def test_a_valid_request_passes(token):
    response = bearer(token).post(
        "/api/probe/probe/echo",
        {"name": "Siti", "age": 12, "born": "2013-04-01"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"name": "Siti", "age": 12, "born": "2013-04-01"}


@pytest.mark.urls(PROBE_URLS)
def test_malformed_json_is_a_422_naming_the_body(token):
    response = bearer(token).post(
        "/api/probe/probe/echo", '{"name": "Siti",', content_type="application/json"
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [
        {"field": "body", "message": "The body is not valid JSON.", "code": "json_invalid"}
    ]


@pytest.mark.urls(PROBE_URLS)
def test_wrong_types_are_a_422_naming_each_field(token):
    response = bearer(token).post(
        "/api/probe/probe/echo",
        {"name": 5, "age": "old", "born": "yesterday"},
        content_type="application/json",
    )
    body = assert_problem(response, 422, "validation_failed")
    assert [(e["field"], e["message"]) for e in body["errors"]] == [
        ("name", "Enter text."),
        ("age", "Enter a whole number."),
        ("born", "Enter a valid date (YYYY-MM-DD)."),
    ]


@pytest.mark.urls(PROBE_URLS)
def test_missing_fields_are_named(token):
    response = bearer(token).post("/api/probe/probe/echo", {}, content_type="application/json")
    body = assert_problem(response, 422, "validation_failed")
    assert [(e["field"], e["message"]) for e in body["errors"]] == [
        ("name", "This field is required."),
        ("age", "This field is required."),
        ("born", "This field is required."),
    ]


@pytest.mark.urls(PROBE_URLS)
@pytest.mark.django_db
def test_a_missing_token_is_a_401():
    response = english().post("/api/probe/probe/echo", {}, content_type="application/json")
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="rehsos"'


@pytest.mark.urls(PROBE_URLS)
def test_a_wrong_expired_or_revoked_token_is_a_401(social_worker, token):
    assert_problem(bearer(token + "x").get("/api/probe/probe/centres"), 401, "unauthenticated")
    expired, expired_raw = ApiToken.issue(social_worker, "expired")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    assert_problem(bearer(expired_raw).get("/api/probe/probe/centres"), 401, "unauthenticated")
    revoked, revoked_raw = ApiToken.issue(social_worker, "revoked")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    assert_problem(bearer(revoked_raw).get("/api/probe/probe/centres"), 401, "unauthenticated")


@pytest.mark.urls(PROBE_URLS)
def test_the_token_header_works_too(token):
    response = Client(headers={"x-api-token": token, "accept-language": "en"}).get(
        "/api/probe/probe/centres"
    )
    assert response.status_code == 200


@pytest.mark.urls(PROBE_URLS)
def test_a_role_without_the_action_gets_a_problem_403(db):
    # A user without a role has no actions: known, but every action is refused.
    user = UserFactory(username="no.role", role="")
    _token, raw = ApiToken.issue(user, "no role")
    body = assert_problem(bearer(raw).get("/api/probe/probe/centres"), 403, "forbidden")
    assert body["detail"] == "You do not have permission to do this."


@pytest.mark.urls(PROBE_URLS)
def test_rate_limit_answers_429_with_retry_after(settings, token):
    settings.REHSOS_API_RATE = "3/minute"
    # Ten seconds into a minute: the window has 50 seconds left, whatever the clock says.
    fixed = timezone.now().replace(second=10, microsecond=0)
    client = bearer(token)
    with mock.patch("django.utils.timezone.now", return_value=fixed):
        statuses = [client.get("/api/probe/probe/centres").status_code for _ in range(3)]
        limited = client.get("/api/probe/probe/centres")
    assert statuses == [200, 200, 200]
    body = assert_problem(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "50"
    assert body["detail"] == "Wait 50 seconds before trying again."


@pytest.mark.urls(PROBE_URLS)
def test_the_rate_limit_holds_across_web_workers(settings, token):
    # Two web workers (their in-process reservations swapped in and out) share one
    # token's window: together they let through no more than the limit, and hardly less.
    settings.REHSOS_API_RATE = "100/minute"
    fixed = timezone.now().replace(second=10, microsecond=0)
    client = bearer(token)
    workers = [{}, {}]
    statuses = []
    with mock.patch("django.utils.timezone.now", return_value=fixed):
        for n in range(160):
            with mock.patch.object(api_shell, "_leases", workers[n % 2]):
                statuses.append(client.get("/api/probe/probe/centres").status_code)
    assert set(statuses) == {200, 429}
    assert 95 <= statuses.count(200) <= 100
    assert statuses[-20:] == [429] * 20


@pytest.mark.urls(PROBE_URLS)
def test_a_busy_token_writes_its_rate_count_about_once_a_second(token, django_assert_num_queries):
    client = bearer(token)
    for _n in range(3):
        assert client.get("/api/probe/probe/centres").status_code == 200
    # the token with its user and the page of centres: no rate-limit write
    with django_assert_num_queries(2):
        assert client.get("/api/probe/probe/centres").status_code == 200


@pytest.mark.urls(PROBE_URLS)
def test_keyset_pages_walk_every_row_once_in_order(token):
    names = ["Sentra Anak", "Balai Bogor", "Sentra Anak", "Balai Ciung", "Loka Dharma"]
    codes = ["s-anak-2", "b-bogor", "s-anak-1", "b-ciung", "l-dharma"]
    for name, code in zip(names, codes, strict=True):
        FacilityFactory(code=code, name=name)
    expected = [code for _name, code in sorted(Facility.objects.values_list("name", "code"))]
    client = bearer(token)
    seen, after, pages = [], None, 0
    while True:
        query = {"limit": 2} | ({"after": after} if after else {})
        response = client.get("/api/probe/probe/centres", query)
        assert response.status_code == 200
        page = response.json()
        seen += page["items"]
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert seen == expected
    assert "s-anak-1" in seen
    assert seen.index("s-anak-1") + 1 == seen.index("s-anak-2")
    assert pages == (len(expected) + 1) // 2


@pytest.mark.urls(PROBE_URLS)
@pytest.mark.parametrize("cursor", ["not-a-cursor", "WzFd", "e30"])
def test_a_bad_cursor_is_a_422_naming_after(token, cursor):
    response = bearer(token).get("/api/probe/probe/centres", {"after": cursor})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [
        {"field": "after", "message": "This cursor is not valid; start from the first page."}
    ]


def test_keyset_page_on_an_empty_queryset(db):
    page = keyset_page(Facility.objects.none(), order=("name", "code"), after=None, limit=10)
    assert page.items == []
    assert page.next_cursor is None
