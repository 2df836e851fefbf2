"""The audit trail: what django-auditlog records for our models, and the /audit/
page and /api/v1/audit-log that national admins browse it with."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.conf import settings
from django.urls import reverse

from rehsos.core.logfilters import AuditFilters
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.selectors import audit_entries, entry_changes
from rehsos.core.tests.factories import FacilityFactory, PersonFactory, UserFactory
from rehsos.core.tests.logins import verified_client
from rehsos.facilities.models import Facility

JAKARTA = ZoneInfo("Asia/Jakarta")
CREATE, UPDATE, DELETE = LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE


@pytest.fixture
def admin_client(national_admin):
    client = verified_client(national_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the assertions read English
    return client


def entries_for(obj_or_model, pk=None):
    if pk is None:
        return list(LogEntry.objects.get_for_object(obj_or_model).order_by("timestamp", "id"))
    return list(LogEntry.objects.get_for_objects(obj_or_model.objects.filter(pk=pk)))


def at(entry: LogEntry, when: datetime) -> LogEntry:
    LogEntry.objects.filter(pk=entry.pk).update(timestamp=when)
    entry.refresh_from_db()
    return entry


# ---- what is recorded ------------------------------------------------------------------


def test_a_facility_create_update_delete_is_recorded_with_who_and_old_to_new(national_admin):
    with set_actor(national_admin):
        facility = FacilityFactory(code="sentra-uji", name="Sentra Uji", capacity=40)
        facility.name = "Sentra Uji Coba"
        facility.capacity = 60
        facility.save()
        pk = facility.pk
        facility.delete()

    created, updated, deleted = LogEntry.objects.filter(
        content_type__model="facility", object_pk=str(pk)
    ).order_by("id")
    assert [created.action, updated.action, deleted.action] == [CREATE, UPDATE, DELETE]
    assert {created.actor, updated.actor, deleted.actor} == {national_admin}
    assert created.changes["name"] == ["None", "Sentra Uji"]
    assert updated.changes["name"] == ["Sentra Uji", "Sentra Uji Coba"]
    assert updated.changes["capacity"] == ["40", "60"]
    assert set(updated.changes) == {"name", "capacity"}
    assert deleted.object_repr == "Sentra Uji Coba"
    assert not Facility.objects.filter(pk=pk).exists()


def test_a_person_update_is_recorded_old_to_new(national_admin, handayani):
    with set_actor(national_admin):
        person = PersonFactory(full_name="Siti Aminah", facility=handayani)
        person.full_name = "Siti Aminah Lubis"
        person.save()

    created, updated = entries_for(person)
    assert created.action == CREATE
    assert created.changes["full_name"] == ["None", "Siti Aminah"]
    assert updated.action == UPDATE
    assert updated.actor == national_admin
    assert updated.changes["full_name"] == ["Siti Aminah", "Siti Aminah Lubis"]
    assert ("Full name", "Siti Aminah", "Siti Aminah Lubis") in [
        (c.field, c.old, c.new) for c in entry_changes(updated)
    ]


def test_a_user_update_is_recorded_without_the_password(national_admin, social_worker):
    with set_actor(national_admin):
        social_worker.first_name = "Dewi"
        social_worker.set_password("another-long-passphrase-42")
        social_worker.save()

    update = entries_for(social_worker)[-1]
    assert update.action == UPDATE
    assert update.actor == national_admin
    assert "password" not in update.changes
    assert update.changes["first_name"][1] == "Dewi"


def test_a_change_made_through_a_page_names_the_signed_in_user(admin_client, social_worker):
    """AuditlogMiddleware sets the actor (and the address) for every request."""
    response = admin_client.post(
        reverse("core:user_edit", args=[social_worker.pk]),
        {
            "first_name": "Dewi",
            "last_name": "Lestari",
            "email": "",
            "role": Role.SOCIAL_WORKER,
            "scope_level": ScopeLevel.FACILITY,
            "province_code": "",
            "facility": str(social_worker.facility_id),
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    update = entries_for(social_worker)[-1]
    assert update.actor.username == "admin.nasional"
    assert update.remote_addr == "127.0.0.1"
    assert update.changes["first_name"][1] == "Dewi"
    assert update.changes["last_name"][1] == "Lestari"


# ---- the page --------------------------------------------------------------------------


@pytest.fixture
def history(national_admin, handayani):
    """Three changes by two people on two days, plus what the fixtures themselves wrote."""
    clerk = UserFactory(username="operator", role=Role.NATIONAL_ADMIN)
    with set_actor(national_admin):
        person = PersonFactory(full_name="Budi Santoso", facility=handayani)
    with set_actor(clerk):
        person.full_name = "Budi Santoso Putra"
        person.save()
        centre = FacilityFactory(code="sentra-baru", name="Sentra Baru")
    create_person, update_person = entries_for(person)
    (create_centre,) = entries_for(centre)
    at(create_person, datetime(2025, 3, 1, 9, 0, tzinfo=JAKARTA))
    at(update_person, datetime(2025, 3, 2, 23, 30, tzinfo=JAKARTA))
    at(create_centre, datetime(2025, 3, 3, 0, 15, tzinfo=JAKARTA))
    return {
        "person": person,
        "create_person": create_person,
        "update_person": update_person,
        "create_centre": create_centre,
    }


def page_ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [row.entry.pk for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"model": "registry.person"}, ["update_person", "create_person"]),
        (
            {"model": "facilities.facility", "action": "create", "actor": "operator"},
            ["create_centre"],
        ),
        ({"action": "update", "model": "registry.person"}, ["update_person"]),
        ({"actor": "operator"}, ["create_centre", "update_person"]),
        # Days are local (Jakarta): 2 March 23:30 is on the 2nd, 3 March 00:15 on the 3rd.
        ({"date_from": "2025-03-02", "date_to": "2025-03-02"}, ["update_person"]),
        ({"date_from": "2025-03-01", "date_to": "2025-03-03"}, "all three"),
    ],
)
def test_the_filters_return_exactly_the_matching_rows(admin_client, history, query, expected):
    response = admin_client.get(reverse("core:audit"), query)
    if expected == "all three":
        expected = ["create_centre", "update_person", "create_person"]
    assert page_ids(response) == [history[name].pk for name in expected]


def test_the_object_id_filter(admin_client, history):
    person = history["person"]
    response = admin_client.get(
        reverse("core:audit"), {"model": "registry.person", "object_id": str(person.pk)}
    )
    assert page_ids(response) == [history["update_person"].pk, history["create_person"].pk]


def test_each_row_shows_the_changed_fields_old_to_new(admin_client, history):
    response = admin_client.get(reverse("core:audit"), {"action": "update"})
    html = response.content.decode()
    (row,) = response.context["rows"]
    assert row.action == "update"
    assert row.model_name == "Person"
    assert ("Full name", "Budi Santoso", "Budi Santoso Putra") in [
        (c.field, c.old, c.new) for c in row.changes
    ]
    assert '<del class="text-body-secondary">Budi Santoso</del>' in html
    assert '<ins class="text-decoration-none">Budi Santoso Putra</ins>' in html


def test_password_hashes_never_appear(admin_client, national_admin, social_worker):
    with set_actor(national_admin):
        social_worker.set_password("another-long-passphrase-42")
        social_worker.first_name = "Dewi"
        social_worker.save()
    # Even an entry written by a model that forgot to exclude it shows no password.
    update = entries_for(social_worker)[-1]
    LogEntry.objects.filter(pk=update.pk).update(
        changes={**update.changes, "password": ["pbkdf2_sha256$old", "pbkdf2_sha256$new"]}
    )
    response = admin_client.get(reverse("core:audit"), {"model": "core.user"})
    assert "pbkdf2" not in response.content.decode()
    assert "Dewi" in response.content.decode()


def test_bad_filters_are_shown_on_the_form(admin_client, history):
    response = admin_client.get(
        reverse("core:audit"),
        {"action": "explode", "date_from": "2025-03-05", "date_to": "2025-03-01"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"action", "date_to"}
    assert response.context["rows"] == []
    assert 'aria-invalid="true"' in response.content.decode()


def test_keyset_pages_walk_the_whole_log_newest_first(admin_client, national_admin, monkeypatch):
    monkeypatch.setattr("rehsos.core.views.audit.PAGE_SIZE", 2)
    base = datetime(2025, 1, 1, 8, 0, tzinfo=JAKARTA)
    with set_actor(national_admin):
        centres = [FacilityFactory(code=f"c-{i}", name=f"C {i}") for i in range(5)]
    # Two share a timestamp: the id breaks the tie.
    for i, centre in enumerate(centres):
        at(entries_for(centre)[0], base + timedelta(minutes=min(i, 3)))
    seen, url = [], reverse("core:audit") + "?model=facilities.facility"
    while url:
        response = admin_client.get(url)
        seen += page_ids(response)
        url = response.context["next_url"] and reverse("core:audit") + response.context["next_url"]
    expected = sorted(
        LogEntry.objects.filter(content_type__model="facility"),
        key=lambda e: (e.timestamp, e.id),
        reverse=True,
    )
    assert seen == [e.pk for e in expected]
    assert len(seen) == 5


def test_a_tampered_cursor_is_a_form_error(admin_client, history):
    response = admin_client.get(reverse("core:audit"), {"after": "bm9wZQ"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["form"].non_field_errors() == [
        "This cursor is not valid; start from the first page."
    ]


def test_the_list_page_runs_a_fixed_number_of_queries(
    admin_client, national_admin, django_assert_num_queries
):
    with set_actor(national_admin):
        for i in range(30):
            person = PersonFactory(full_name=f"Orang {i}")
            person.full_name = f"Orang {i} bin Ahmad"
            person.save()
    admin_client.get(reverse("core:audit"))  # warm the session and content-type caches
    # session, user, OTP device, the page of entries (with content type and actor joined),
    # and the session's save (a savepoint, its update and release).
    with django_assert_num_queries(7):
        response = admin_client.get(reverse("core:audit"))
    assert len(response.context["rows"]) == 50


def test_the_page_offers_an_export_of_the_filtered_rows(admin_client, history):
    response = admin_client.get(reverse("core:audit"), {"action": "update", "actor": "operator"})
    html = response.content.decode()
    assert 'action="/audit/export"' in html
    assert '<input type="hidden" name="action" value="update">' in html
    assert '<input type="hidden" name="actor" value="operator">' in html


# ---- who may see it ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["core:audit", "core:access_log"])
def test_a_social_worker_gets_403(client, social_worker, name):
    client.force_login(social_worker)
    assert client.get(reverse(name)).status_code == 403


def test_a_social_worker_cannot_export(client, social_worker):
    client.force_login(social_worker)
    assert client.post(reverse("core:audit_export"), {"format": "csv"}).status_code == 403
    assert client.post(reverse("core:access_log_export"), {"format": "csv"}).status_code == 403


def test_the_selector_refuses_a_user_without_the_action(social_worker):
    from rehsos.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        audit_entries(user=social_worker, filters=AuditFilters())


# ---- the API ------------------------------------------------------------------------------


@pytest.fixture
def admin_api(client, national_admin):
    from rehsos.core.models import ApiToken

    _token, raw = ApiToken.issue(national_admin, "audit tests")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_api_lists_entries_with_changes(admin_api, history):
    response = admin_api.get("/api/v1/audit-log", {"action": "update"})
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    (item,) = body["items"]
    assert item["id"] == history["update_person"].pk
    assert item["action"] == "update"
    assert item["model"] == "registry.person"
    assert item["object_id"] == str(history["person"].pk)
    assert item["actor"] == "operator"
    assert item["timestamp"] == "2025-03-02T16:30:00Z"
    assert {"field": "Full name", "old": "Budi Santoso", "new": "Budi Santoso Putra"} in (
        item["changes"]
    )


def test_the_api_pages_with_after(admin_api, history):
    march = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    first = admin_api.get("/api/v1/audit-log", {"limit": 2, **march}).json()
    assert [i["id"] for i in first["items"]] == [
        history["create_centre"].pk,
        history["update_person"].pk,
    ]
    second = admin_api.get(
        "/api/v1/audit-log", {"limit": 2, **march, "after": first["next"]}
    ).json()
    assert [i["id"] for i in second["items"]] == [history["create_person"].pk]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"action": "explode"}, "action"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"model": "nothing.here"}, "model"),
        ({"date_from": "2025-03-05", "date_to": "2025-03-01"}, "date_to"),
        ({"after": "bm9wZQ"}, "after"),
    ],
)
def test_the_api_answers_422_naming_the_field(admin_api, db, query, field):
    response = admin_api.get("/api/v1/audit-log", query)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_the_api_refuses_a_social_worker(client, social_worker):
    from rehsos.core.models import ApiToken

    _token, raw = ApiToken.issue(social_worker, "t")
    for path in ("/api/v1/audit-log", "/api/v1/access-log"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    response = client.post(
        "/api/v1/exports",
        {"log": "audit", "format": "csv"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 403


def test_the_api_list_runs_a_fixed_number_of_queries(
    admin_api, national_admin, django_assert_num_queries
):
    with set_actor(national_admin):
        for i in range(30):
            PersonFactory(full_name=f"Orang {i}")
    admin_api.get("/api/v1/audit-log")  # warm the caches
    # The token (with its user), its rate counter (one upsert), then the page of entries.
    with django_assert_num_queries(3):
        response = admin_api.get("/api/v1/audit-log", {"limit": 100})
    assert len(response.json()["items"]) == LogEntry.objects.count()
