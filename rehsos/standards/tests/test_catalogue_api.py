"""The catalogue API: reads for standards.view, changes for catalogue managers only,
problem+json 422 naming fields or rows, 409 for stale row versions and adopted
versions, the XLSX import's preview and confirmation."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from rehsos.core.models import ApiToken
from rehsos.standards import services_catalogue as services
from rehsos.standards.models import CatalogueImport
from rehsos.standards.tests.factories import small_catalogue

PROBLEM = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE = "/api/v1/standards/catalogues"


def client_for(client, user):
    _token, raw = ApiToken.issue(user, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.fixture
def admin_api(client, national_admin):
    return client_for(client, national_admin)


@pytest.fixture
def draft(national_admin):
    catalogue = services.create_catalogue(
        user=national_admin, code="centre-pd", name_id="Standar PD", name_en="PD standards"
    )
    version = catalogue.versions.get()
    for code, domain in (("ACC-01", "ACC"), ("STF-01", "STF")):
        services.add_criterion(
            user=national_admin,
            version=version,
            data={
                "code": code,
                "domain": domain,
                "text_id": f"Kriteria {code}",
                "text_en": f"Criterion {code}",
                "weight": 1,
                "scale": "four",
            },
            expected_version=version.version,
        )
    return version


def url(draft, tail: str = "") -> str:
    return f"{BASE}/{draft.catalogue.code}/versions/{draft.number}{tail}"


def test_reads_for_everyone_with_standards_view(
    client, analyst, draft, django_assert_max_num_queries
):
    api = client_for(client, analyst)
    api.get(BASE)  # the token's first use writes its bookkeeping
    with django_assert_max_num_queries(4) as few:  # token, rate window, catalogues, versions
        listed = api.get(BASE)
    for _ in range(3):
        small_catalogue()
    with django_assert_max_num_queries(len(few.captured_queries)):
        listed = api.get(BASE)
    assert listed.status_code == 200
    assert len(listed.json()) == 4
    pd = next(c for c in listed.json() if c["code"] == "centre-pd")
    assert (pd["draft"], pd["in_force"], pd["versions"]) == (1, None, 1)

    versions = api.get(f"{BASE}/centre-pd/versions").json()
    assert [(v["number"], v["status"], v["criteria"]) for v in versions] == [(1, "draft", 2)]
    with django_assert_max_num_queries(4):  # token, rate window, version, criteria
        criteria = api.get(url(draft, "/criteria"))
    assert [c["code"] for c in criteria.json()] == ["ACC-01", "STF-01"]
    assert criteria.json()[0]["weight"] == 1.0
    assert api.get(url(draft, "/criteria/acc-01")).json()["text_en"] == "Criterion ACC-01"
    assert api.get(f"{BASE}/nothing").status_code == 404


def test_a_social_worker_reads_nothing_and_an_analyst_changes_nothing(
    client, social_worker, analyst, draft
):
    api = client_for(client, social_worker)
    refused = api.get(BASE)
    assert (refused.status_code, refused.headers["Content-Type"]) == (403, PROBLEM)
    api = client_for(client, analyst)
    body = {
        "code": "X-1",
        "domain": "ACC",
        "text_id": "a",
        "text_en": "b",
        "weight": 1,
        "scale": "four",
        "version": draft.version,
    }
    assert (
        api.post(url(draft, "/criteria"), body, content_type="application/json").status_code == 403
    )
    assert draft.criteria.count() == 2


def test_criterion_crud_in_a_draft(admin_api, draft):
    body = {
        "code": "stf-02",
        "domain": "STF",
        "text_id": "Satu perawat untuk 20 penghuni",
        "text_en": "One nurse per 20 residents",
        "weight": "2.5",
        "scale": "four",
        "staff_role": "nurse",
        "residents_per_staff": 20,
        "version": draft.version,
    }
    created = admin_api.post(url(draft, "/criteria"), body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["code"] == "STF-02"
    assert created.json()["weight"] == 2.5
    draft.refresh_from_db()

    patched = admin_api.patch(
        url(draft, "/criteria/STF-02"),
        {"critical": True, "version": draft.version},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert (patched.json()["critical"], patched.json()["text_en"]) == (
        True,
        "One nurse per 20 residents",
    )
    draft.refresh_from_db()

    order = admin_api.put(
        url(draft, "/order"),
        {"codes": ["STF-02", "STF-01", "ACC-01"], "version": draft.version},
        content_type="application/json",
    )
    assert order.status_code == 200
    assert [c["code"] for c in admin_api.get(url(draft, "/criteria")).json()] == [
        "STF-02",
        "STF-01",
        "ACC-01",
    ]

    deleted = admin_api.delete(url(draft, f"/criteria/STF-02?version={order.json()['version']}"))
    assert deleted.status_code == 204
    assert not draft.criteria.filter(code="STF-02").exists()


def test_bad_values_are_422_naming_each_field(admin_api, draft):
    body = {
        "code": "ACC-09",
        "domain": "NOPE",
        "text_id": "",
        "text_en": "x",
        "scale": "four",
        "version": draft.version,
    }
    response = admin_api.post(url(draft, "/criteria"), body, content_type="application/json")
    assert (response.status_code, response.headers["Content-Type"]) == (422, PROBLEM)
    assert {e["field"] for e in response.json()["errors"]} == {"domain", "text_id", "weight"}
    duplicate = {**body, "code": "ACC-01", "domain": "ACC", "text_id": "y", "weight": 1}
    response = admin_api.post(url(draft, "/criteria"), duplicate, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"
    assert draft.criteria.count() == 2


def test_a_stale_row_version_is_409(admin_api, draft):
    response = admin_api.patch(
        url(draft, "/criteria/ACC-01"),
        {"weight": 3, "version": draft.version - 1},
        content_type="application/json",
    )
    assert (response.status_code, response.headers["Content-Type"]) == (409, PROBLEM)
    assert response.json()["code"] == "conflict"
    assert response.json()["current_version"] == draft.version
    assert draft.criteria.get(code="ACC-01").weight == 1


def test_adopt_then_the_version_is_409_not_a_draft(admin_api, draft):
    adopted = admin_api.post(
        url(draft, "/adopt"),
        {"effective_from": "2026-01-01", "version": draft.version},
        content_type="application/json",
    )
    assert adopted.status_code == 200
    assert (adopted.json()["status"], adopted.json()["effective_from"]) == ("adopted", "2026-01-01")
    changed = admin_api.patch(
        url(draft, "/criteria/ACC-01"),
        {"weight": 3, "version": adopted.json()["version"]},
        content_type="application/json",
    )
    assert (changed.status_code, changed.json()["code"]) == (409, "not_a_draft")
    assert draft.criteria.get(code="ACC-01").weight == 1

    second = admin_api.post(
        f"{BASE}/centre-pd/versions", {"notes": "2027"}, content_type="application/json"
    )
    assert (second.status_code, second.json()["number"], second.json()["criteria"]) == (201, 2, 2)
    again = admin_api.post(f"{BASE}/centre-pd/versions", {}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "draft_exists")

    diff = admin_api.get(f"{BASE}/centre-pd/diff?from=1&to=2")
    assert diff.status_code == 200
    assert (diff.json()["before"], diff.json()["unchanged"], diff.json()["added"]) == (1, 2, [])

    retired = admin_api.post(
        url(draft, "/retire"),
        {"version": adopted.json()["version"]},
        content_type="application/json",
    )
    assert (retired.status_code, retired.json()["status"]) == (200, "retired")


def _workbook(admin_api, draft):
    response = admin_api.get(url(draft, "/export"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == XLSX
    assert 'filename="standards-centre-pd-v1.xlsx"' in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def _file(book) -> SimpleUploadedFile:
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("edited.xlsx", out.getvalue(), content_type=XLSX)


def test_import_422_lists_the_row_errors_and_changes_nothing(admin_api, draft):
    book = _workbook(admin_api, draft)
    sheet = book["Criteria"]
    sheet["A3"] = "ACC-01"  # duplicate of row 2
    sheet["I2"] = None  # missing weight
    response = admin_api.post(url(draft, "/import"), {"file": _file(book)})
    assert (response.status_code, response.headers["Content-Type"]) == (422, PROBLEM)
    body = response.json()
    assert body["code"] == "import_rejected"
    assert [(e["row"], e["column"], e["cell"]) for e in body["errors"]] == [
        (2, "weight", "I2"),
        (3, "code", "A3"),
    ]
    assert not CatalogueImport.objects.exists()
    assert list(draft.criteria.values_list("code", flat=True)) == ["ACC-01", "STF-01"]

    not_xlsx = admin_api.post(
        url(draft, "/import"), {"file": SimpleUploadedFile("c.csv", b"code,domain\nA,ACC\n")}
    )
    assert not_xlsx.status_code == 422
    assert not_xlsx.json()["errors"][0]["field"] == "file"


def test_import_preview_confirm_and_stale_confirm(admin_api, draft, national_admin):
    book = _workbook(admin_api, draft)
    book["Criteria"]["I2"] = 3
    preview = admin_api.post(url(draft, "/import"), {"file": _file(book)})
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["changed"] == [
        {
            "code": "ACC-01",
            "changes": [{"field": "weight", "label": "Weight", "before": "1", "after": "3"}],
        }
    ]
    assert (body["rows"], body["draft_version"], body["unchanged"]) == (2, draft.version, 1)

    confirmed = admin_api.post(
        url(draft, "/import/confirm"), {"token": body["token"]}, content_type="application/json"
    )
    assert confirmed.status_code == 200
    assert (confirmed.json()["updated"], confirmed.json()["version"]["version"]) == (
        1,
        draft.version + 1,
    )
    assert draft.criteria.get(code="ACC-01").weight == 3

    # A second preview, then an edit of the draft: its confirmation is stale.
    book["Criteria"]["I3"] = 2
    second = admin_api.post(url(draft, "/import"), {"file": _file(book)}).json()
    draft.refresh_from_db()
    services.update_criterion(
        user=national_admin,
        criterion=draft.criteria.get(code="STF-01"),
        data={"text_en": "Edited on the page"},
        expected_version=draft.version,
    )
    stale = admin_api.post(
        url(draft, "/import/confirm"), {"token": second["token"]}, content_type="application/json"
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "import_stale")
    assert draft.criteria.get(code="STF-01").weight == 1
    bad = admin_api.post(
        url(draft, "/import/confirm"), {"token": "forged"}, content_type="application/json"
    )
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "token")


def test_create_a_catalogue(admin_api, draft):
    body = {
        "code": "centre-ts",
        "name_id": "Standar TS",
        "name_en": "TS standards",
        "clusters": ["TS-KPO"],
    }
    created = admin_api.post(BASE, body, content_type="application/json")
    assert created.status_code == 201
    assert (created.json()["code"], created.json()["draft"], created.json()["in_force"]) == (
        "centre-ts",
        1,
        None,
    )
    again = admin_api.post(BASE, body, content_type="application/json")
    assert again.status_code == 422
    assert [e["field"] for e in again.json()["errors"]] == ["code"]
