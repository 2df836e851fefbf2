"""Login, lockout, logout, session expiry and the second factor, through the pages."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.tests.factories import TEST_PASSWORD
from rehsos.core.tests.logins import (
    code_now,
    enrolled_device,
    is_signed_in,
    log_in,
    next_code,
    other_code,
    verified_client,
    wait_out_throttle,
)

GENERIC = "The username or password is not correct."
LOCKED = (
    "This account is locked after too many failed logins; try again in 30 minutes "
    "or ask an administrator to unlock it."
)
WRONG_CODE = "The code is not correct. Check the time on your phone and try again."


# ---- login and the generic message ---------------------------------------------------------


def test_login_page_shows_the_form(client, db):
    response = client.get(reverse("core:login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.parametrize(
    ("username", "password"),
    [("peksos.handayani", "wrong-password-123"), ("nobody.here", TEST_PASSWORD)],
    ids=["wrong password", "unknown user"],
)
def test_a_failed_login_gets_one_generic_message(client, social_worker, username, password):
    response = log_in(client, username, password)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [GENERIC]
    assert GENERIC in response.content.decode()
    assert not is_signed_in(client)


def test_a_good_login_rotates_the_session_sets_the_language_and_goes_home(client, social_worker):
    social_worker.language = "en"
    social_worker.save(update_fields=["language"])
    client.get(reverse("core:login"))
    session = client.session
    session["before"] = "login"
    session.save()
    before = session.session_key

    response = log_in(client, "peksos.handayani")

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("core:home")
    assert client.session.session_key != before
    assert is_signed_in(client)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_login_follows_a_local_next_and_ignores_a_foreign_one(client, social_worker):
    response = log_in(client, "peksos.handayani", next="/account/")
    assert response.headers["Location"] == "/account/"
    client.logout()
    response = log_in(client, "peksos.handayani", next="https://evil.example/steal")
    assert response.headers["Location"] == reverse("core:home")


def test_a_deactivated_user_cannot_log_in(client, social_worker):
    social_worker.is_active = False
    social_worker.save(update_fields=["is_active"])
    response = log_in(client, "peksos.handayani")
    assert response.context["form"].non_field_errors() == [GENERIC]
    assert not is_signed_in(client)


# ---- lockout -----------------------------------------------------------------------------


def test_five_failures_lock_the_username_even_for_the_right_password(client, social_worker):
    for attempt in range(4):
        response = log_in(client, "peksos.handayani", "wrong-password-123")
        assert response.status_code == 200, attempt
        assert GENERIC in response.content.decode()

    fifth = log_in(client, "peksos.handayani", "wrong-password-123")
    assert fifth.status_code == 403
    assert LOCKED in fifth.content.decode()

    sixth = log_in(client, "peksos.handayani", TEST_PASSWORD)
    assert sixth.status_code == 403
    assert LOCKED in sixth.content.decode()
    assert not is_signed_in(client)


def test_the_lock_is_per_username(client, social_worker, facility_head):
    for _attempt in range(5):
        log_in(client, "peksos.handayani", "wrong-password-123")
    response = log_in(client, "kepala.handayani")
    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_national_admin_unlocks_a_locked_user(client, social_worker, national_admin):
    for _attempt in range(5):
        log_in(client, "peksos.handayani", "wrong-password-123")
    assert log_in(client, "peksos.handayani").status_code == 403

    admin = verified_client(national_admin)
    response = admin.post(reverse("core:user_unlock", args=[social_worker.pk]))
    assert response.status_code == 302

    response = log_in(client, "peksos.handayani")
    assert response.status_code == 302
    assert is_signed_in(client)


# ---- logout and session expiry -------------------------------------------------------------


def test_logout_asks_on_get_and_ends_the_session_on_post(client, social_worker):
    log_in(client, "peksos.handayani")
    response = client.get(reverse("core:logout"))
    assert response.status_code == 200
    assert is_signed_in(client)
    assert b'method="post"' in response.content

    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("core:login")
    assert not is_signed_in(client)
    assert client.get(reverse("core:account")).status_code == 302


def test_a_session_lasts_thirty_idle_minutes(client, social_worker):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    log_in(client, "peksos.handayani")
    client.get(reverse("core:account"))
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert 30 * 60 - 60 < remaining <= 30 * 60


def test_an_idle_session_expires(client, social_worker):
    log_in(client, "peksos.handayani")
    assert client.get(reverse("core:account")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("core:account"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("core:login"))


# ---- the second factor -----------------------------------------------------------------------


def test_a_national_admin_must_enrol_then_verify_at_each_login(client, national_admin):
    response = log_in(client, "admin.nasional")
    setup = reverse("core:two_factor_setup")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(setup)

    # Nothing else is reachable before enrolment.
    blocked = client.get(reverse("core:account"))
    assert blocked.status_code == 302
    assert blocked.headers["Location"].startswith(reverse("core:two_factor"))
    assert client.get(blocked.headers["Location"]).headers["Location"].startswith(setup)
    assert client.get(reverse("core:users")).status_code == 302
    assert client.get("/api/v1/me").status_code == 401

    page = client.get(setup)
    assert page.status_code == 200
    assert "<svg" in page.context["qr_svg"]
    device = TOTPDevice.objects.get(user=national_admin, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    assert len(secret) == 32

    wrong = client.post(setup, {"code": other_code(code_now(device))})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"] == [WRONG_CODE]
    wait_out_throttle(national_admin)

    done = client.post(setup, {"code": code_now(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed is True
    assert StaticToken.objects.filter(device__user=national_admin).count() == 10
    assert client.get(reverse("core:users")).status_code == 200

    client.post(reverse("core:logout"))
    response = log_in(client, "admin.nasional", next="/users/")
    assert response.headers["Location"] == f"{reverse('core:two_factor')}?next=%2Fusers%2F"
    assert client.get(reverse("core:users")).status_code == 302

    verified = client.post(
        reverse("core:two_factor"), {"code": next_code(device), "next": "/users/"}
    )
    assert verified.status_code == 302
    assert verified.headers["Location"] == "/users/"
    assert client.get(reverse("core:users")).status_code == 200


def test_a_wrong_code_is_a_form_error_and_a_used_code_does_not_work_twice(client, social_worker):
    device = enrolled_device(social_worker)
    log_in(client, "peksos.handayani")
    code = code_now(device)
    response = client.post(reverse("core:two_factor"), {"code": other_code(code)})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [WRONG_CODE]
    assert not client.session.get("otp_device_id")
    wait_out_throttle(social_worker)

    assert client.post(reverse("core:two_factor"), {"code": code}).status_code == 302
    client.post(reverse("core:logout"))
    log_in(client, "peksos.handayani")
    replay = client.post(reverse("core:two_factor"), {"code": code})
    assert replay.status_code == 200
    assert replay.context["form"].errors["code"] == [WRONG_CODE]


def test_wrong_codes_are_throttled(client, social_worker):
    device = enrolled_device(social_worker)
    log_in(client, "peksos.handayani")
    code = code_now(device)
    client.post(reverse("core:two_factor"), {"code": other_code(code)})
    # The right code right after a wrong one is refused: django-otp makes the user wait.
    response = client.post(reverse("core:two_factor"), {"code": code})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "Too many wrong codes. Wait a few seconds, then try again."
    ]
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_a_backup_code_verifies_once(client, social_worker):
    enrolled_device(social_worker)
    setup_client = verified_client(social_worker)
    codes = setup_client.post(reverse("core:two_factor_backup_codes")).context["codes"]
    assert len(codes) == 10

    log_in(client, "peksos.handayani")
    response = client.post(reverse("core:two_factor"), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get(reverse("core:account")).status_code == 200

    client.post(reverse("core:logout"))
    log_in(client, "peksos.handayani")
    again = client.post(reverse("core:two_factor"), {"code": codes[0]})
    assert again.status_code == 200
    assert again.context["form"].errors["code"] == [WRONG_CODE]
    assert StaticToken.objects.filter(device__user=social_worker).count() == 9


def test_a_user_who_enrolled_by_choice_must_verify_too(client, social_worker):
    enrolled_device(social_worker)
    response = log_in(client, "peksos.handayani")
    assert response.headers["Location"].startswith(reverse("core:two_factor"))
    blocked = client.get(reverse("core:home"))
    assert blocked.status_code == 302
    assert blocked.headers["Location"].startswith(reverse("core:two_factor"))
    assert client.get("/api/v1/me").status_code == 401


def test_a_user_without_a_second_factor_goes_straight_in(client, social_worker):
    response = log_in(client, "peksos.handayani")
    assert response.headers["Location"] == reverse("core:home")
    assert client.get(reverse("core:account")).status_code == 200
    # The verify page has nothing to ask and sends them on.
    assert client.get(reverse("core:two_factor")).status_code == 302


def test_an_optional_user_enrols_from_the_account_page(client, social_worker):
    log_in(client, "peksos.handayani")
    page = client.get(reverse("core:two_factor_setup"))
    assert page.status_code == 200
    assert page.context["forced"] is False
    device = TOTPDevice.objects.get(user=social_worker, confirmed=False)
    done = client.post(reverse("core:two_factor_setup"), {"code": code_now(device)})
    assert len(done.context["codes"]) == 10
    assert client.get(reverse("core:account")).context["has_two_factor"] is True
    # Enrolled and verified: the setup page does not start over.
    again = client.get(reverse("core:two_factor_setup"))
    assert again.headers["Location"] == reverse("core:account")


def test_the_lockout_page_is_the_axes_lockout_callable(rf, db):
    from rehsos.core.views.auth import locked_out

    request = rf.post(reverse("core:login"))
    response = locked_out(request, None, {"username": "x"})
    assert response.status_code == 403
    assert LOCKED in response.content.decode()


def test_an_empty_login_post_names_the_missing_fields(client, db):
    response = client.post(reverse("core:login"), {})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }
