"""/api/v1/regions: lookup by code and by name prefix, errors as problem+json, keyset pages."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

PROBLEM = "application/problem+json"


def test_a_region_by_code_with_its_path(api):
    response = api.get("/api/v1/regions/32.01.01.1006")
    assert response.status_code == 200
    assert response.json() == {
        "code": "32.01.01.1006",
        "name": "Cibinong",
        "level": 4,
        "level_name": "Village",
        "parent": "32.01.01",
        "province_code": "32",
        "path": [
            {"code": "32", "name": "Jawa Barat", "level": 1},
            {"code": "32.01", "name": "Kabupaten Bogor", "level": 2},
            {"code": "32.01.01", "name": "Cibinong", "level": 3},
            {"code": "32.01.01.1006", "name": "Cibinong", "level": 4},
        ],
    }


def test_a_province_has_no_parent(api):
    body = api.get("/api/v1/regions/31").json()
    assert (body["name"], body["parent"], body["level_name"]) == (
        "Daerah Khusus Ibukota Jakarta",
        None,
        "Province",
    )
    assert body["path"] == [{"code": "31", "name": "Daerah Khusus Ibukota Jakarta", "level": 1}]


def test_an_unknown_code_answers_404_naming_it(api):
    response = api.get("/api/v1/regions/32.01.01.9999")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "https://rehsos.kemensos.go.id/problems/region_not_found",
        "title": "Not found",
        "status": 404,
        "detail": "No region has the code 32.01.01.9999.",
        "instance": "/api/v1/regions/32.01.01.9999",
        "code": "region_not_found",
    }


@pytest.mark.parametrize("code", ["abc", "32.1", "32.01.01.20011", "32-01"])
def test_a_malformed_code_answers_422_naming_the_field(api, code):
    response = api.get(f"/api/v1/regions/{code}")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [
        {
            "field": "code",
            "message": f"“{code}” is not a region code: use digits and dots as in 32, 32.01, "
            "32.01.01 or 32.01.01.2001.",
        }
    ]


def test_without_a_token_the_api_answers_401():
    response = Client().get("/api/v1/regions/32")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == PROBLEM


def test_a_signed_in_page_session_may_call_the_api(pages):
    assert pages.get("/api/v1/regions/32").json()["name"] == "Jawa Barat"


def test_children_of_a_parent_in_code_order(api):
    body = api.get("/api/v1/regions", {"parent": "32.01.01", "limit": 3}).json()
    assert [(r["code"], r["name"]) for r in body["items"]] == [
        ("32.01.01.1001", "Pondok Rajeg"),
        ("32.01.01.1002", "Karadenan"),
        ("32.01.01.1003", "Harapanjaya"),
    ]
    assert body["items"][0] == {
        "code": "32.01.01.1001",
        "name": "Pondok Rajeg",
        "level": 4,
        "level_name": "Village",
        "parent": "32.01.01",
        "province_code": "32",
    }
    assert body["next"]


def walk(api, params: dict) -> tuple[list[str], int]:
    codes, pages, after = [], 0, None
    while True:
        query = {**params, **({"after": after} if after else {})}
        body = api.get("/api/v1/regions", query).json()
        codes += [r["code"] for r in body["items"]]
        pages += 1
        after = body["next"]
        if after is None:
            return codes, pages


def test_the_cursor_walks_every_child_exactly_once(api):
    codes, pages = walk(api, {"parent": "32.01", "limit": 7})
    assert pages == 6  # 40 districts, 7 a page
    assert len(codes) == 40
    assert codes == sorted(codes)
    assert codes[0] == "32.01.01"


def test_the_cursor_walks_a_name_search(api):
    codes, pages = walk(api, {"q": "bogor", "limit": 2})
    every = api.get("/api/v1/regions", {"q": "bogor", "limit": 500}).json()
    assert every["next"] is None
    assert codes == [r["code"] for r in every["items"]]
    assert pages == -(-len(codes) // 2)  # no empty last page
    assert codes[:2] == ["32.01", "32.71"]


def test_descendants_at_a_level(api):
    body = api.get("/api/v1/regions", {"parent": "31", "level": 2, "limit": 10}).json()
    assert [r["name"] for r in body["items"]] == [
        "Kabupaten Administrasi Kepulauan Seribu",
        "Kota Administrasi Jakarta Pusat",
        "Kota Administrasi Jakarta Utara",
        "Kota Administrasi Jakarta Barat",
        "Kota Administrasi Jakarta Selatan",
        "Kota Administrasi Jakarta Timur",
    ]
    villages = api.get("/api/v1/regions", {"parent": "31.75.03", "level": 4}).json()
    assert [r["code"] for r in villages["items"]][:2] == ["31.75.03.1001", "31.75.03.1002"]
    assert {r["level"] for r in villages["items"]} == {4}


@pytest.mark.parametrize("q", ["cibinong", "CIBINONG", "Cíbinong"])
def test_name_prefix_ignores_case_and_accents(api, q):
    body = api.get("/api/v1/regions", {"q": q, "level": 3}).json()
    assert [(r["code"], r["name"]) for r in body["items"]] == [("32.01.01", "Cibinong")]


def test_name_prefix_within_a_parent(api):
    body = api.get("/api/v1/regions", {"q": "nangg", "parent": "32.01.01"}).json()
    assert [r["name"] for r in body["items"]] == ["Nanggewer", "Nanggewer Mekar"]


def problem_fields(response) -> dict:
    assert response.headers["Content-Type"] == PROBLEM
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_an_unknown_parent_answers_404_naming_it(api):
    response = api.get("/api/v1/regions", {"parent": "99"})
    assert response.status_code == 404
    assert response.json()["detail"] == "No region has the code 99."
    assert problem_fields(response) == {"parent": "No region has the code 99."}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"parent": "xx"},
            "parent",
            "“xx” is not a region code: use digits and dots as in 32, 32.01, "
            "32.01.01 or 32.01.01.2001.",
        ),
        ({"parent": "32.01", "level": 2}, "level", "Choose a level below the parent's (level 2)."),
        ({"q": "--"}, "q", "Type at least one letter or digit."),
        (
            {"after": "not-a-cursor"},
            "after",
            "This cursor is not valid; start from the first page.",
        ),
        ({"level": "village"}, "level", "Enter a whole number."),
    ],
)
def test_bad_filters_answer_422_naming_the_field(api, params, field, message):
    response = api.get("/api/v1/regions", params)
    assert response.status_code == 422
    assert problem_fields(response) == {field: message}


@pytest.mark.parametrize("params", [{"level": 0}, {"level": 5}, {"limit": 0}, {"limit": 501}])
def test_out_of_range_numbers_answer_422(api, params):
    response = api.get("/api/v1/regions", params)
    assert response.status_code == 422
    assert list(problem_fields(response)) == list(params)


def test_a_cursor_from_another_ordering_is_refused(api):
    after = api.get("/api/v1/regions", {"q": "bogor", "limit": 1}).json()["next"]
    response = api.get("/api/v1/regions", {"parent": "32", "after": after})
    assert response.status_code == 422
    assert list(problem_fields(response)) == ["after"]


def region_queries(client, url, params) -> tuple[int, dict]:
    """How many queries one request makes on the region table (sessions and tokens aside)."""
    with CaptureQueriesContext(connection) as seen:
        body = client.get(url, params).json()
    return sum('"regions_region"' in q["sql"] for q in seen.captured_queries), body


@pytest.mark.parametrize("limit", [1, 5, 40])
def test_the_list_costs_two_queries_whatever_the_page_size(api, limit):
    count, body = region_queries(api, "/api/v1/regions", {"parent": "32.01", "limit": limit})
    assert count == 2  # the parent, the page
    assert len(body["items"]) == limit


def test_a_region_costs_one_query(api):
    count, body = region_queries(api, "/api/v1/regions/32.01.01.1006", {})
    assert count == 1
    assert len(body["path"]) == 4


def test_the_openapi_schema_documents_the_operations(api):
    schema = api.get("/api/v1/openapi.json").json()
    detail = schema["paths"]["/api/v1/regions/{code}"]["get"]
    listing = schema["paths"]["/api/v1/regions"]["get"]
    assert set(detail["responses"]) == {"200", "404", "422"}
    assert [p["name"] for p in listing["parameters"]] == ["parent", "level", "q", "limit", "after"]
    assert set(schema["components"]["schemas"]["RegionDetail"]["properties"]) == {
        "code",
        "name",
        "level",
        "level_name",
        "parent",
        "province_code",
        "path",
    }
