"""The access log: the log_access helper every person page calls, and the
/access-log/ page and /api/v1/access-log that national admins read it with."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from rehsos.core.access import log_access
from rehsos.core.models import AccessLog, ApiToken
from rehsos.core.tests.factories import PersonFactory, UserFactory
from rehsos.core.tests.logins import verified_client

JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def admin_client(national_admin):
    client = verified_client(national_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the assertions read English
    return client


# ---- the helper --------------------------------------------------------------------------


def test_a_page_read_writes_one_row_without_personal_data(social_worker, person_in_handayani):
    request = RequestFactory().get(
        f"/persons/{person_in_handayani.public_id}/", REMOTE_ADDR="10.1.2.3"
    )
    request.user = social_worker

    assert log_access(request, person_in_handayani, purpose="case review") == 1

    row = AccessLog.objects.get()
    assert row.user == social_worker
    assert row.subject_type == "registry.person"
    assert row.subject_id == str(person_in_handayani.public_id)
    assert row.channel == "page"
    assert row.via == f"GET /persons/{person_in_handayani.public_id}/"
    assert row.purpose == "case review"
    assert row.ip_address == "10.1.2.3"
    # Who read which record, never what it says.
    assert person_in_handayani.full_name not in str(vars(row))


def test_a_list_read_writes_one_row_per_person(social_worker, handayani):
    people = [PersonFactory(facility=handayani) for _ in range(3)]
    request = RequestFactory().get("/api/v1/persons")
    request.user = social_worker
    request.auth = social_worker

    assert log_access(request, people) == 3

    rows = AccessLog.objects.order_by("id")
    assert [r.subject_id for r in rows] == [str(p.public_id) for p in people]
    assert {r.channel for r in rows} == {"api"}


def test_the_command_line_is_its_own_channel(national_admin, person_in_handayani):
    log_access(None, person_in_handayani, user=national_admin, via="rehsos export-persons")
    row = AccessLog.objects.get()
    assert (row.channel, row.via, row.ip_address) == ("cli", "rehsos export-persons", None)


# ---- the page ----------------------------------------------------------------------------


@pytest.fixture
def reads(social_worker, facility_head, handayani):
    """Four reads: two people, two readers, three days, two channels."""
    first, second = PersonFactory(facility=handayani), PersonFactory(facility=handayani)

    def read(user, person, channel, when):
        return AccessLog.objects.create(
            user=user,
            subject_type="registry.person",
            subject_id=str(person.public_id),
            channel=channel,
            via="GET registry:person",
            at=when,
        )

    return {
        "first": first,
        "second": second,
        "a": read(social_worker, first, "page", datetime(2025, 5, 1, 10, 0, tzinfo=JAKARTA)),
        "b": read(social_worker, second, "api", datetime(2025, 5, 2, 10, 0, tzinfo=JAKARTA)),
        "c": read(facility_head, first, "page", datetime(2025, 5, 2, 23, 59, tzinfo=JAKARTA)),
        "d": read(facility_head, second, "page", datetime(2025, 5, 3, 0, 1, tzinfo=JAKARTA)),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [entry.pk for entry in response.context["rows"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, "dcba"),
        ({"user": "peksos.handayani"}, "ba"),
        ({"channel": "api"}, "b"),
        ({"record_type": "registry.person"}, "dcba"),
        ({"record_type": "registry.household"}, ""),
        ({"date_from": "2025-05-02", "date_to": "2025-05-02"}, "cb"),
        ({"date_from": "2025-05-03"}, "d"),
        ({"user": "kepala.handayani", "channel": "page", "date_to": "2025-05-02"}, "c"),
    ],
)
def test_the_filters_return_exactly_the_matching_rows(admin_client, reads, query, expected):
    response = admin_client.get(reverse("core:access_log"), query)
    assert ids(response) == [reads[name].pk for name in expected]


def test_the_record_filter_finds_every_read_of_one_person(admin_client, reads):
    response = admin_client.get(
        reverse("core:access_log"), {"record_id": str(reads["first"].public_id)}
    )
    assert ids(response) == [reads["c"].pk, reads["a"].pk]


def test_the_page_shows_who_read_what_from_where(admin_client, reads):
    html = admin_client.get(reverse("core:access_log"), {"channel": "api"}).content.decode()
    assert "peksos.handayani" in html
    assert str(reads["second"].public_id) in html
    assert "GET registry:person" in html
    assert reads["second"].full_name not in html


def test_the_page_runs_a_fixed_number_of_queries(
    admin_client, social_worker, django_assert_num_queries
):
    AccessLog.objects.bulk_create(
        AccessLog(user=social_worker, subject_type="registry.person", subject_id=str(i))
        for i in range(80)
    )
    admin_client.get(reverse("core:access_log"))
    # session, user, OTP device, the page of entries (with the reader joined), and the
    # session's save (a savepoint, its update and release).
    with django_assert_num_queries(7):
        response = admin_client.get(reverse("core:access_log"))
    assert len(response.context["rows"]) == 50
    assert response.context["next_url"]


# ---- the API -----------------------------------------------------------------------------


@pytest.fixture
def admin_api(client, national_admin):
    _token, raw = ApiToken.issue(national_admin, "access tests")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_api_filters_and_pages(admin_api, reads):
    body = admin_api.get("/api/v1/access-log", {"channel": "page", "limit": 2}).json()
    assert [i["id"] for i in body["items"]] == [reads["d"].pk, reads["c"].pk]
    assert body["items"][0] == {
        "id": reads["d"].pk,
        "at": "2025-05-02T17:01:00Z",
        "user": "kepala.handayani",
        "record_type": "registry.person",
        "record_id": str(reads["second"].public_id),
        "channel": "page",
        "via": "GET registry:person",
        "purpose": "",
        "ip_address": None,
    }
    rest = admin_api.get(
        "/api/v1/access-log", {"channel": "page", "limit": 2, "after": body["next"]}
    ).json()
    assert [i["id"] for i in rest["items"]] == [reads["a"].pk]
    assert rest["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 1000}, "limit"),
        ({"channel": "fax"}, "channel"),
        ({"date_to": "31-12"}, "date_to"),
    ],
)
def test_the_api_answers_422_naming_the_field(admin_api, db, query, field):
    response = admin_api.get("/api/v1/access-log", query)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_the_api_needs_the_permission(client, db):
    analyst = UserFactory(username="analis.api", role="national_analyst")
    _token, raw = ApiToken.issue(analyst, "t")
    response = client.get("/api/v1/access-log", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert client.get("/api/v1/access-log").status_code == 401
