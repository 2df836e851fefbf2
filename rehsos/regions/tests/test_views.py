"""The region pages: the options partial behind the selects, the pages, the admin."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.roles import Role
from rehsos.core.tests.factories import UserFactory


def option_values(html: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', html)


# ---- the options partial ------------------------------------------------------------------


def test_options_of_a_parent(pages):
    response = pages.get(reverse("regions:options"), {"parent": "32.01.01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert option_values(html)[:3] == ["", "32.01.01.1006", "32.01.01.1011"]
    assert len(option_values(html)) == 14
    assert '<option value="32.01.01.1006">Cibinong</option>' in html
    assert "hx-swap-oob" not in html


def test_options_for_the_select_that_htmx_names(pages):
    """HTMX sends the changed select's own value; HX-Trigger-Name says which it is."""
    response = pages.get(
        reverse("regions:options"),
        {"village_1": "31", "clear": ["id_village_3", "id_village_4"]},
        headers={"hx-request": "true", "hx-trigger-name": "village_1"},
    )
    html = response.content.decode()
    assert option_values(html) == ["", "31.01", "31.73", "31.71", "31.74", "31.75", "31.72", "", ""]
    assert (
        '<select id="id_village_3" hx-swap-oob="innerHTML"><option value="">Choose…</option>'
        "</select>"
    ) in html
    assert '<select id="id_village_4" hx-swap-oob="innerHTML">' in html


def test_an_empty_parent_gives_only_the_placeholder(pages):
    response = pages.get(reverse("regions:options"), {"parent": "", "clear": 'bad id"><x'})
    assert response.status_code == 200
    assert option_values(response.content.decode()) == [""]
    assert "hx-swap-oob" not in response.content.decode()  # an unsafe id is dropped


def test_a_village_has_no_options_below_it(pages):
    response = pages.get(reverse("regions:options"), {"parent": "32.01.01.1006"})
    assert response.status_code == 200
    assert option_values(response.content.decode()) == [""]


@pytest.mark.parametrize("parent", ["99.99", "abc"])
def test_an_unknown_parent_answers_404(pages, parent):
    response = pages.get(reverse("regions:options"), {"parent": parent})
    assert response.status_code == 404
    assert response.content.decode() == f"No region has the code {parent}."


def test_the_pages_need_a_signed_in_user(db):
    for name in ("regions:options", "regions:index"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert response.headers["Location"].startswith(reverse(settings.LOGIN_URL))


# ---- the region pages -------------------------------------------------------------------


def test_the_browser_lists_the_provinces(pages):
    response = pages.get(reverse("regions:index"))
    assert response.status_code == 200
    html = response.content.decode()
    listed = re.search(r"<ul [^>]*data-region-children>(.*?)</ul>", html, re.S).group(1)
    assert len(re.findall(r"<li ", listed)) == 38
    assert '<a href="?code=32">Jawa Barat</a>' in listed
    assert 'id="id_region_1"' in html  # the chooser


def test_drilling_down_shows_the_path_and_the_children(pages):
    html = pages.get(reverse("regions:index"), {"code": "32.01.01"}).content.decode()
    crumbs = re.search(r'<ol class="breadcrumb">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r">([^<>]+)</(?:a|li)>", crumbs) == [
        "Indonesia",
        "Jawa Barat",
        "Kabupaten Bogor",
        "Cibinong",
    ]
    listed = re.search(r"<ul [^>]*data-region-children>(.*?)</ul>", html, re.S).group(1)
    assert len(re.findall(r"<li ", listed)) == 13
    assert "Village" in html


def test_an_unknown_code_in_the_browser_answers_404_with_a_message(pages):
    response = pages.get(reverse("regions:index"), {"code": "99.99"})
    assert response.status_code == 404
    assert "No region has the code 99.99." in response.content.decode()


def test_the_name_search_ignores_case_and_accents(pages):
    html = pages.get(reverse("regions:index"), {"q": "CÍBINONG"}).content.decode()
    results = re.search(r"data-search-results>(.*?)</section>", html, re.S).group(1)
    assert re.findall(r'<a href="\?code=([\d.]+)">Cibinong</a>', results) == [
        "32.01.01",
        "32.01.01.1006",
        "32.01.11.2008",
        "32.14.03.2006",
    ]


def test_the_chooser_shows_the_chosen_path(pages):
    data = {
        "region_1": "31",
        "region_2": "31.75",
        "region_3": "31.75.03",
        "region_4": "31.75.03.1001",
    }
    response = pages.post(reverse("regions:index"), data)
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r"data-found-path>(.*?)</div>", html, re.S).group(1)
    assert re.findall(r"<code>([\d.]+)</code>", found) == [
        "31",
        "31.75",
        "31.75.03",
        "31.75.03.1001",
    ]


def test_the_chooser_keeps_the_path_and_shows_the_error(pages):
    data = {"region_1": "31", "region_2": "31.75", "region_3": "31.75.03"}
    html = pages.post(reverse("regions:index"), data).content.decode()
    assert "data-found-path" not in html
    assert (
        '<div class="invalid-feedback d-block" data-field-error="region">Choose a region down '
        "to the level “Village”; Jatinegara (31.75.03) is a “District”.</div>"
    ) in html
    for code in ("31", "31.75", "31.75.03"):
        assert f'<option value="{code}" selected>' in html


# ---- the admin ----------------------------------------------------------------------------


@pytest.fixture
def staff_client(db):
    user = UserFactory(username="admin.regions", role=Role.NATIONAL_ADMIN)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(user)
    # National admins must pass the second factor: mark the session verified.
    session = client.session
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_the_admin_searches_regions_and_changes_nothing(staff_client):
    changelist = reverse("admin:regions_region_changelist")
    response = staff_client.get(changelist, {"q": "32.01.01.10"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 13
    by_name = staff_client.get(changelist, {"q": "Cibinong"})
    assert by_name.context["cl"].result_count == 5  # four Cibinongs and Cibinonghilir
    assert staff_client.get(reverse("admin:regions_region_add")).status_code == 403
    detail = staff_client.get(reverse("admin:regions_region_change", args=["32.01"]))
    assert detail.status_code == 200  # shown read-only
    assert (
        staff_client.post(
            reverse("admin:regions_region_change", args=["32.01"]), {"name": "x"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("url", "params", "expected"),
    [
        ("regions:index", {}, 2),  # the provinces, the chooser's selects
        ("regions:index", {"code": "32.01.01"}, 3),  # + the path
        ("regions:index", {"q": "cibinong"}, 4),  # + the kind-of-area aliases, the results
        ("regions:options", {"parent": "32.01"}, 1),
    ],
)
def test_the_pages_cost_a_fixed_number_of_region_queries(pages, url, params, expected):
    with CaptureQueriesContext(connection) as seen:
        assert pages.get(reverse(url), params).status_code == 200
    assert sum('"regions_region"' in q["sql"] for q in seen.captured_queries) == expected
