"""The catalogue pages: reading for standards.view (bilingual, the user's language
first, the source note shown), editing a draft for catalogue managers, a stale edit
showing both versions, the XLSX import's errors page, preview and confirmation."""

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from rehsos.core.tests.logins import verified_client
from rehsos.standards import services_catalogue as services
from rehsos.standards import starter
from rehsos.standards.models import CatalogueImport, CatalogueVersion
from rehsos.standards.tests.factories import small_catalogue

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTE = "Starter draft for the ministry to adopt."


@pytest.fixture
def draft(national_admin):
    catalogue = services.create_catalogue(
        user=national_admin,
        code="centre-kpn",
        name_id="Standar NAPZA",
        name_en="Drug-use centre standards",
        source_note=NOTE,
    )
    version = catalogue.versions.get()
    for code, domain in (("SVC-01", "SVC"), ("SAFE-01", "SAFE")):
        services.add_criterion(
            user=national_admin,
            version=version,
            data={
                "code": code,
                "domain": domain,
                "text_id": f"Kriteria {code} dalam bahasa Indonesia",
                "text_en": f"Criterion {code} in English",
                "weight": 2,
                "scale": "four",
                "critical": domain == "SAFE",
            },
            expected_version=version.version,
        )
    return version


@pytest.fixture
def admin(national_admin):
    return verified_client(national_admin)


def page(draft, name: str, *extra) -> str:
    return reverse(f"standards:{name}", args=[draft.catalogue.code, draft.number, *extra])


def test_the_version_page_in_both_languages_with_its_source(client, analyst, draft):
    client.force_login(analyst)
    response = client.get(page(draft, "catalogue_version"))
    assert response.status_code == 200
    html = response.content.decode()
    assert NOTE in html
    assert html.index("Criterion SVC-01 in English") < html.index("Kriteria SVC-01 dalam")
    assert 'data-domain="SAFE"' in html
    assert "data-critical" in html
    assert "Edit</a>" not in html  # an analyst reads only

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    html = client.get(page(draft, "catalogue_version")).content.decode()
    assert html.index("Kriteria SVC-01 dalam") < html.index("Criterion SVC-01 in English")


def test_list_and_catalogue_pages_do_not_grow_with_the_rows(
    client, analyst, draft, django_assert_max_num_queries
):
    client.force_login(analyst)
    client.get(reverse("standards:catalogue_list"))
    with django_assert_max_num_queries(8) as few:
        listed = client.get(reverse("standards:catalogue_list"))
    for _ in range(3):
        small_catalogue()
    with django_assert_max_num_queries(len(few.captured_queries)):
        listed = client.get(reverse("standards:catalogue_list"))
    assert listed.content.decode().count("data-catalogue=") == 4
    detail = client.get(reverse("standards:catalogue_detail", args=["centre-kpn"]))
    assert detail.status_code == 200
    assert NOTE in detail.content.decode()


def test_a_social_worker_is_refused_and_an_analyst_cannot_edit(
    client, social_worker, analyst, draft
):
    client.force_login(social_worker)
    assert client.get(reverse("standards:catalogue_list")).status_code == 403
    client.force_login(analyst)
    response = client.post(
        page(draft, "catalogue_criterion_edit", "SVC-01"), {"text_en": "x", "version": 1}
    )
    assert response.status_code == 403
    assert draft.criteria.get(code="SVC-01").text_en == "Criterion SVC-01 in English"


def _form(criterion, **changes) -> dict:
    data = {**services.criterion_values(criterion), **changes}
    data["critical"] = "on" if data["critical"] else ""
    data["residents_per_staff"] = data["residents_per_staff"] or ""
    return data


def test_edit_a_criterion_and_a_stale_edit_shows_both(admin, draft):
    row = draft.criteria.get(code="SVC-01")
    url = page(draft, "catalogue_criterion_edit", "SVC-01")
    assert admin.get(url).status_code == 200
    read = draft.version
    saved = admin.post(url, _form(row, text_en="Assessed within 14 days", version=read))
    assert saved.status_code == 302
    assert draft.criteria.get(code="SVC-01").text_en == "Assessed within 14 days"

    # The same form again, with the row version read before the save.
    stale = admin.post(url, _form(row, weight="3", version=read))
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "data-conflict" in html
    assert "Assessed within 14 days" in html  # saved now
    assert draft.criteria.get(code="SVC-01").weight == 2

    invalid = admin.post(url, _form(row, domain="", text_id="", version=read + 1))
    assert invalid.status_code == 422
    assert 'data-field-error="domain"' in invalid.content.decode()
    assert 'data-field-error="text_id"' in invalid.content.decode()


def test_add_move_delete_and_adopt_on_pages(admin, draft):
    added = admin.post(
        page(draft, "catalogue_criterion_add"),
        {
            "code": "ACC-01",
            "domain": "ACC",
            "text_id": "Jalur tanpa tangga",
            "text_en": "Step-free route",
            "weight": "3",
            "scale": "four",
            "version": draft.version,
        },
    )
    assert added.status_code == 302
    draft.refresh_from_db()
    assert list(draft.criteria.order_by("order").values_list("code", flat=True)) == [
        "ACC-01",
        "SVC-01",
        "SAFE-01",
    ]
    admin.post(
        page(draft, "catalogue_criterion_move", "ACC-01"),
        {"direction": "down", "version": draft.version},
    )
    draft.refresh_from_db()
    assert list(draft.criteria.order_by("order").values_list("code", flat=True)) == [
        "SVC-01",
        "ACC-01",
        "SAFE-01",
    ]
    deleted = admin.post(
        page(draft, "catalogue_criterion_delete", "ACC-01"), {"version": draft.version}
    )
    assert deleted.status_code == 302
    draft.refresh_from_db()
    adopted = admin.post(
        page(draft, "catalogue_adopt"), {"effective_from": "2026-01-01", "version": draft.version}
    )
    assert adopted.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, str(draft.effective_from)) == ("adopted", "2026-01-01")
    # Adopted: the edit form is no longer offered, and a post is refused.
    refused = admin.post(
        page(draft, "catalogue_criterion_delete", "SVC-01"), {"version": draft.version}
    )
    assert refused.status_code == 302
    assert draft.criteria.filter(code="SVC-01").exists()
    assert "data-immutable" in admin.get(page(draft, "catalogue_version")).content.decode()


def _edited_workbook(admin, draft, edit) -> SimpleUploadedFile:
    response = admin.get(page(draft, "catalogue_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    edit(book["Criteria"])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("edited.xlsx", out.getvalue(), content_type=XLSX)


def test_import_errors_page_then_preview_then_confirm(admin, draft):
    def break_it(sheet):
        sheet["B2"] = "NOPE"
        sheet["I3"] = None

    errors = admin.post(
        page(draft, "catalogue_import"), {"file": _edited_workbook(admin, draft, break_it)}
    )
    assert errors.status_code == 422
    html = errors.content.decode()
    assert 'data-error-row="2" data-error-column="domain"' in html
    assert 'data-error-row="3" data-error-column="weight"' in html
    assert "Nothing was changed" in html
    assert not CatalogueImport.objects.exists()

    def raise_weight(sheet):
        sheet["I2"] = 3

    uploaded = admin.post(
        page(draft, "catalogue_import"), {"file": _edited_workbook(admin, draft, raise_weight)}
    )
    assert uploaded.status_code == 302
    record = CatalogueImport.objects.get()
    preview = admin.get(uploaded["Location"])
    html = preview.content.decode()
    assert 'data-section="changed" data-code="SVC-01"' in html
    assert 'data-field="weight"' in html
    token = preview.context["preview"].token
    confirmed = admin.post(uploaded["Location"], {"token": token})
    assert confirmed.status_code == 302
    assert draft.criteria.get(code="SVC-01").weight == 3
    record.refresh_from_db()
    assert record.status == "applied"
    again = admin.post(uploaded["Location"], {"token": token})
    assert again.status_code == 409


def test_a_file_that_is_not_xlsx_is_refused_on_the_page(admin, draft):
    response = admin.post(
        page(draft, "catalogue_import"),
        {"file": SimpleUploadedFile("criteria.pdf", b"%PDF-1.4 not a workbook")},
    )
    assert response.status_code == 422
    assert "This is a PDF document" in response.content.decode()


def test_new_draft_and_the_diff_page(admin, draft, national_admin):
    services.adopt(
        user=national_admin,
        version=draft,
        effective_from=draft.created_at.date(),
        expected_version=draft.version,
    )
    made = admin.post(
        reverse("standards:catalogue_new_draft", args=["centre-kpn"]), {"notes": "v2"}
    )
    assert made.status_code == 302
    second = draft.catalogue.versions.get(number=2)
    services.update_criterion(
        user=national_admin,
        criterion=second.criteria.get(code="SAFE-01"),
        data={"critical": False},
        expected_version=second.version,
    )
    response = admin.get(
        reverse("standards:catalogue_diff", args=["centre-kpn"]), {"before": 1, "after": 2}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-section="changed" data-code="SAFE-01"' in html
    assert 'data-field="critical"' in html
    again = admin.post(reverse("standards:catalogue_new_draft", args=["centre-kpn"]), {})
    assert again.status_code == 409


def test_create_a_catalogue_on_the_page(admin, draft):
    url = reverse("standards:catalogue_create")
    assert admin.get(url).status_code == 200
    taken = admin.post(url, {"code": "centre-kpn", "name_id": "x", "name_en": "y"})
    assert taken.status_code == 422
    assert 'data-field-error="code"' in taken.content.decode()
    made = admin.post(
        url, {"code": "centre-ts", "name_id": "Standar TS", "name_en": "TS", "clusters": ["TS-KPO"]}
    )
    assert made.status_code == 302
    assert made["Location"] == reverse("standards:catalogue_version", args=["centre-ts", 1])


def test_every_page_renders_for_the_starter_catalogue(admin, national_admin):
    starter.load()
    code = "centre-lu"
    v1 = ("centre-lu", 1)
    urls = [
        reverse("standards:catalogue_list"),
        reverse("standards:catalogue_detail", args=[code]),
        reverse("standards:catalogue_diff", args=[code]),
        reverse("standards:catalogue_version", args=v1),
        reverse("standards:catalogue_criterion_add", args=v1),
        reverse("standards:catalogue_criterion_edit", args=[*v1, "STF-LU-01"]),
        reverse("standards:catalogue_criterion_delete", args=[*v1, "STF-LU-01"]),
        reverse("standards:catalogue_adopt", args=v1),
        reverse("standards:catalogue_discard", args=v1),
        reverse("standards:catalogue_import", args=v1),
        reverse("standards:catalogue_export", args=v1),
    ]
    for url in urls:
        assert admin.get(url).status_code == 200, url
    version = starter_version(code)
    html = admin.get(reverse("standards:catalogue_version", args=v1)).content.decode()
    assert html.count("data-criterion=") == version.criteria.count()
    assert "1 per 5 residents" in html  # the caregiver ratio
    assert "data-source-note" in html
    services.adopt(
        user=national_admin,
        version=version,
        effective_from=version.created_at.date(),
        expected_version=version.version,
    )
    assert admin.get(reverse("standards:catalogue_retire", args=v1)).status_code == 200
    assert admin.get(reverse("standards:catalogue_new_draft", args=[code])).status_code == 200


def starter_version(code: str):
    return CatalogueVersion.objects.get(catalogue__code=code, number=1)
