"""The account page: who you are, language, password, second factor, API tokens."""

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.models import ApiToken
from rehsos.core.tests.factories import TEST_PASSWORD
from rehsos.core.tests.logins import days_valid, enrolled_device, log_in, verified_client

NEW_PASSWORD = "a-much-longer-passphrase-2024"


@pytest.fixture
def worker_client(client, social_worker):
    assert log_in(client, "peksos.handayani").status_code == 302
    return client


def test_the_account_page_needs_a_login(client, db):
    response = client.get(reverse("core:account"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{reverse('core:login')}?next=/account/"


def test_the_account_page_shows_name_role_scope_and_second_factor(worker_client, social_worker):
    response = worker_client.get(reverse("core:account"))
    assert response.status_code == 200
    page = response.content.decode()
    assert social_worker.get_full_name() in page
    assert "Social worker" in page
    assert "Centre: Sentra Handayani" in page
    assert response.context["has_two_factor"] is False


def test_a_provincial_officer_sees_the_province_name(client, provincial_officer):
    log_in(client, "dinsos.dki")
    page = client.get(reverse("core:account")).content.decode()
    assert "Province: Daerah Khusus Ibukota Jakarta" in page


def test_the_language_is_saved_on_the_user_and_in_the_cookie(worker_client, social_worker):
    response = worker_client.post(reverse("core:account_language"), {"language": "en"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    social_worker.refresh_from_db()
    assert social_worker.language == "en"

    bad = worker_client.post(reverse("core:account_language"), {"language": "fr"})
    assert bad.status_code == 200
    assert "language" in bad.context["language_form"].errors
    social_worker.refresh_from_db()
    assert social_worker.language == "en"


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short-pw1", "This password is too short. It must contain at least 12 characters."),
        ("123456789012345", "This password is entirely numeric."),
        ("password1234", "This password is too common."),
    ],
)
def test_a_weak_new_password_is_refused(worker_client, social_worker, new, message):
    response = worker_client.post(
        reverse("core:account_password"),
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200
    assert message in response.context["password_form"].errors["new_password1"][0]
    social_worker.refresh_from_db()
    assert social_worker.check_password(TEST_PASSWORD)


def test_the_password_changes_with_the_current_one_and_the_session_stays(
    worker_client, social_worker
):
    wrong = worker_client.post(
        reverse("core:account_password"),
        {
            "old_password": "not-it-at-all",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert wrong.context["password_form"].errors["old_password"] == [
        "The current password is not correct."
    ]
    response = worker_client.post(
        reverse("core:account_password"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    social_worker.refresh_from_db()
    assert social_worker.check_password(NEW_PASSWORD)
    assert worker_client.get(reverse("core:account")).status_code == 200


def test_a_token_is_shown_once_and_stored_only_as_a_hash(worker_client, social_worker):
    response = worker_client.post(reverse("core:token_create"), {"name": "laptop", "days": 30})
    assert response.status_code == 200
    raw = response.context["raw"]
    assert raw.startswith("rhs_")
    assert raw in response.content.decode()

    token = ApiToken.objects.get(user=social_worker)
    stored = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values().first().values()]
    assert all(raw not in value for value in stored)
    assert token.name == "laptop"
    assert days_valid(token) == 30

    listing = worker_client.get(reverse("core:account")).content.decode()
    assert "laptop" in listing
    assert raw not in listing

    api = worker_client.__class__(headers={"authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/me").json()["username"] == "peksos.handayani"


@pytest.mark.parametrize("days", [0, 366, "x"])
def test_a_token_needs_an_expiry_of_one_to_365_days(worker_client, social_worker, days):
    response = worker_client.post(reverse("core:token_create"), {"name": "bad", "days": days})
    assert response.status_code == 200
    assert "days" in response.context["token_form"].errors
    assert ApiToken.objects.filter(user=social_worker).count() == 0


def test_revoking_a_token_stops_it(worker_client, social_worker):
    token, raw = ApiToken.issue(social_worker, "script", days=10)
    response = worker_client.post(reverse("core:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = worker_client.__class__(headers={"authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/me").status_code == 401


def test_nobody_revokes_another_users_token(worker_client, facility_head):
    token, _raw = ApiToken.issue(facility_head, "theirs", days=10)
    response = worker_client.post(reverse("core:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_user_may_switch_off_an_optional_second_factor(client, social_worker):
    enrolled_device(social_worker)
    browser = verified_client(social_worker)
    assert browser.get(reverse("core:account")).context["has_two_factor"] is True
    response = browser.post(reverse("core:two_factor_disable"))
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=social_worker).count() == 0
    assert browser.get(reverse("core:account")).context["has_two_factor"] is False

    # Next login goes straight in.
    browser.post(reverse("core:logout"))
    assert log_in(browser, "peksos.handayani").headers["Location"] == reverse("core:home")


def test_a_national_admin_cannot_switch_off_the_second_factor(national_admin):
    browser = verified_client(national_admin)
    page = browser.get(reverse("core:account"))
    assert reverse("core:two_factor_disable") not in page.content.decode()
    response = browser.post(reverse("core:two_factor_disable"))
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=national_admin, confirmed=True).count() == 1
