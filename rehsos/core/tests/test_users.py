"""User management: the /users/ pages for national admins, the services behind them,
and the Django admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.errors import ValidationFailed
from rehsos.core.models import User
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.services import accounts
from rehsos.core.tests.factories import UserFactory
from rehsos.core.tests.logins import log_in, verified_client

GOOD_PASSWORD = "a-long-enough-passphrase-77"


@pytest.fixture
def admin_client(national_admin):
    return verified_client(national_admin)


def new_user_form(**overrides):
    data = {
        "username": "peksos.baru",
        "first_name": "Siti",
        "last_name": "Rahayu",
        "email": "siti@example.org",
        "role": Role.SOCIAL_WORKER,
        "scope_level": ScopeLevel.FACILITY,
        "province_code": "",
        "facility": "",
        "password": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("name", ["core:users", "core:user_create"], ids=["list", "create"])
def test_a_social_worker_gets_403_on_user_management(client, social_worker, name):
    log_in(client, "peksos.handayani")
    assert client.get(reverse(name)).status_code == 403


def test_a_social_worker_cannot_edit_or_unlock_users(client, social_worker, facility_head):
    log_in(client, "peksos.handayani")
    assert client.get(reverse("core:user_edit", args=[facility_head.pk])).status_code == 403
    response = client.post(reverse("core:user_deactivate", args=[facility_head.pk]))
    assert response.status_code == 403
    facility_head.refresh_from_db()
    assert facility_head.is_active is True


def test_the_list_filters_and_searches(admin_client, social_worker, facility_head, analyst):
    everyone = admin_client.get(reverse("core:users"))
    assert everyone.status_code == 200
    assert [r["user"].username for r in everyone.context["rows"]] == [
        "admin.nasional",
        "analis",
        "kepala.handayani",
        "peksos.handayani",
    ]
    by_role = admin_client.get(reverse("core:users"), {"role": Role.FACILITY_HEAD})
    assert [r["user"].username for r in by_role.context["rows"]] == ["kepala.handayani"]
    by_scope = admin_client.get(reverse("core:users"), {"scope_level": ScopeLevel.FACILITY})
    assert [r["user"].username for r in by_scope.context["rows"]] == [
        "kepala.handayani",
        "peksos.handayani",
    ]
    assert [r["scope"] for r in by_scope.context["rows"]] == ["Sentra Handayani"] * 2

    social_worker.first_name = "Wulandari"
    social_worker.save(update_fields=["first_name"])
    by_name = admin_client.get(reverse("core:users"), {"q": "wulan"})
    assert [r["user"].username for r in by_name.context["rows"]] == ["peksos.handayani"]

    analyst.is_active = False
    analyst.save(update_fields=["is_active"])
    inactive = admin_client.get(reverse("core:users"), {"active": "no"})
    assert [r["user"].username for r in inactive.context["rows"]] == ["analis"]


def test_the_list_pages_by_fifty_in_a_fixed_number_of_queries(admin_client, handayani):
    UserFactory(
        username="dinsos.jabar",
        role=Role.PROVINCIAL_OFFICER,
        scope_level=ScopeLevel.PROVINCE,
        province_code="32",
        password=None,
    )
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse("core:users"))
    for n in range(60):
        UserFactory(
            username=f"staff{n:02d}",
            role=Role.SOCIAL_WORKER,
            scope_level=ScopeLevel.FACILITY,
            facility=handayani,
            password=None,
        )
    with CaptureQueriesContext(connection) as many:
        first = admin_client.get(reverse("core:users"))
    # Scope labels, lock and 2FA badges come in one query each, not one per row.
    assert len(many.captured_queries) == len(few.captured_queries) <= 12
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 62
    scopes = {r["user"].username: r["scope"] for r in first.context["rows"]}
    assert (scopes["dinsos.jabar"], scopes["staff00"]) == ("Jawa Barat", "Sentra Handayani")
    second = admin_client.get(reverse("core:users"), {"page": 2})
    assert [r["user"].username for r in second.context["rows"]] == [
        f"staff{n:02d}" for n in range(48, 60)
    ]


def test_an_admin_creates_a_centre_user(admin_client, handayani):
    response = admin_client.post(
        reverse("core:user_create"), new_user_form(facility=str(handayani.pk))
    )
    assert response.status_code == 302
    user = User.objects.get(username="peksos.baru")
    assert (user.role, user.scope_level, user.facility_id, user.province_code) == (
        Role.SOCIAL_WORKER,
        ScopeLevel.FACILITY,
        handayani.pk,
        "",
    )
    assert user.check_password(GOOD_PASSWORD)
    assert log_in(admin_client.__class__(), "peksos.baru", GOOD_PASSWORD).status_code == 302


def test_the_create_form_offers_the_38_provinces(admin_client):
    form = admin_client.get(reverse("core:user_create")).context["form"]
    choices = [code for code, _name in form.fields["province_code"].choices if code]
    assert len(choices) == 38
    assert "31" in choices


def test_a_scope_that_does_not_fit_the_role_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("core:user_create"),
        new_user_form(role=Role.PROVINCIAL_OFFICER, scope_level=ScopeLevel.NATION),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["scope_level"] == [
        "A user with the role Provincial officer must have the scope Province."
    ]
    assert not User.objects.filter(username="peksos.baru").exists()


def test_every_problem_of_a_new_user_is_shown_at_once(admin_client):
    response = admin_client.post(
        reverse("core:user_create"),
        new_user_form(
            role=Role.PROVINCIAL_OFFICER,
            scope_level=ScopeLevel.NATION,
            password="x7-short",
            password2="x7-short",
        ),
    )
    assert sorted(response.context["form"].errors) == ["password", "scope_level"]


def test_a_centre_scope_needs_a_centre(admin_client):
    response = admin_client.post(reverse("core:user_create"), new_user_form())
    assert response.context["form"].errors["facility"] == ["Choose the centre of this user."]
    assert not User.objects.filter(username="peksos.baru").exists()


def test_the_initial_password_follows_the_rules(admin_client, handayani):
    response = admin_client.post(
        reverse("core:user_create"),
        new_user_form(facility=str(handayani.pk), password="x7-short", password2="x7-short"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        "This password is too short. It must contain at least 12 characters."
    ]
    assert not User.objects.filter(username="peksos.baru").exists()


def test_a_taken_username_is_refused(admin_client, social_worker, handayani):
    response = admin_client.post(
        reverse("core:user_create"),
        new_user_form(username="PEKSOS.handayani", facility=str(handayani.pk)),
    )
    assert response.context["form"].errors["username"] == [
        "This username is taken; choose another one."
    ]
    assert User.objects.filter(username__iexact="peksos.handayani").count() == 1


def test_an_admin_moves_a_user_to_a_province_role(admin_client, social_worker):
    url = reverse("core:user_edit", args=[social_worker.pk])
    data = {
        "first_name": "Dewi",
        "last_name": "Lestari",
        "email": "",
        "role": Role.PROVINCIAL_OFFICER,
        "scope_level": ScopeLevel.PROVINCE,
        "province_code": "32",
        "facility": str(social_worker.facility_id),
        "is_active": "on",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    social_worker.refresh_from_db()
    assert (
        social_worker.role,
        social_worker.scope_level,
        social_worker.province_code,
        social_worker.facility_id,
    ) == (Role.PROVINCIAL_OFFICER, ScopeLevel.PROVINCE, "32", None)

    mismatch = admin_client.post(url, {**data, "scope_level": ScopeLevel.FACILITY})
    assert mismatch.context["form"].errors["scope_level"] == [
        "A user with the role Provincial officer must have the scope Province."
    ]
    unknown = admin_client.post(url, {**data, "province_code": "99"})
    assert "province_code" in unknown.context["form"].errors
    social_worker.refresh_from_db()
    assert social_worker.province_code == "32"


def test_an_admin_deactivates_a_user_who_then_cannot_log_in(admin_client, social_worker, client):
    log_in(client, "peksos.handayani")
    response = admin_client.post(reverse("core:user_deactivate", args=[social_worker.pk]))
    assert response.status_code == 302
    social_worker.refresh_from_db()
    assert social_worker.is_active is False
    # The open session ends on its next request.
    assert client.get(reverse("core:account")).status_code == 302
    assert log_in(client, "peksos.handayani").status_code == 200


def test_an_admin_cannot_deactivate_or_demote_themselves(national_admin):
    with pytest.raises(ValidationFailed) as refused:
        accounts.deactivate(by=national_admin, user=national_admin)
    assert list(refused.value.fields) == ["is_active"]
    with pytest.raises(ValidationFailed) as demoted:
        accounts.update_user(
            by=national_admin,
            user=national_admin,
            first_name="",
            last_name="",
            email="",
            role=Role.NATIONAL_ANALYST,
            scope_level=ScopeLevel.NATION,
        )
    assert demoted.value.fields == {"role": "You cannot change your own role."}
    national_admin.refresh_from_db()
    assert (national_admin.is_active, national_admin.role) == (True, Role.NATIONAL_ADMIN)


def test_an_admin_resets_a_second_factor(admin_client, social_worker):
    TOTPDevice.objects.create(user=social_worker, name="lost phone", confirmed=True)
    response = admin_client.post(reverse("core:user_reset_two_factor", args=[social_worker.pk]))
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=social_worker).count() == 0


# ---- Django admin ------------------------------------------------------------------------


@pytest.fixture
def staff_client(national_admin):
    national_admin.is_staff = True
    national_admin.is_superuser = True
    national_admin.save(update_fields=["is_staff", "is_superuser"])
    return verified_client(national_admin)


def test_the_django_admin_lists_users_with_role_filters(staff_client, social_worker):
    response = staff_client.get("/admin/core/user/", {"role__exact": Role.SOCIAL_WORKER})
    assert response.status_code == 200
    assert [u.username for u in response.context["cl"].result_list] == ["peksos.handayani"]


def test_the_django_admin_checks_password_rules_and_scope(staff_client, handayani):
    data = {
        "username": "lewat.admin",
        "role": Role.SOCIAL_WORKER,
        "scope_level": ScopeLevel.NATION,
        "province_code": "",
        "facility": "",
        "usable_password": "true",
        "password1": "short1",
        "password2": "short1",
    }
    response = staff_client.post("/admin/core/user/add/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["scope_level"] == [
        "A user with the role Social worker must have the scope Centre."
    ]
    assert "This password is too short" in errors["password2"][0]

    good = {
        **data,
        "scope_level": ScopeLevel.FACILITY,
        "facility": str(handayani.pk),
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    assert staff_client.post("/admin/core/user/add/", good).status_code == 302
    assert User.objects.get(username="lewat.admin").facility_id == handayani.pk


def test_the_django_admin_revokes_tokens_and_never_shows_a_digest(staff_client, social_worker):
    from rehsos.core.models import ApiToken

    token, raw = ApiToken.issue(social_worker, "script")
    page = staff_client.get(f"/admin/core/apitoken/{token.pk}/change/").content.decode()
    assert token.digest not in page
    assert raw not in page
    response = staff_client.post(
        "/admin/core/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert staff_client.get("/admin/core/apitoken/add/").status_code == 403


def test_the_django_admin_never_shows_an_authenticator_secret(staff_client, social_worker):
    device = TOTPDevice.objects.create(user=social_worker, name="phone", confirmed=True)
    page = staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
