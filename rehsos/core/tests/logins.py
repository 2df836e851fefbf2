"""Signing in through the real pages, second factor included, for the account tests."""

from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.tests.factories import TEST_PASSWORD


def log_in(client: Client, username: str, password: str = TEST_PASSWORD, **extra):
    """Post the login form. The tests read their messages in English, so the browser
    then keeps English whatever language the user's record asks for."""
    response = client.post(
        reverse("core:login"), {"username": username, "password": password, **extra}
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return response


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def code_now(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for this device's secret."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def next_code(device: TOTPDevice) -> str:
    """The code of the next time step: accepted (tolerance 1) after ``code_now`` was used."""
    device.refresh_from_db()
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + 1)
    return f"{token:06d}"


def other_code(code: str) -> str:
    """A six-digit code that is certainly not ``code``."""
    return "000000" if code != "000000" else "111111"


def wait_out_throttle(user) -> None:
    """What waiting a few seconds does: django-otp's delay after a wrong code has passed."""
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5)
    )


def enrolled_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def verified_client(user) -> Client:
    """A browser session of ``user`` that logged in and passed the second factor with a
    real code from a (new or existing) authenticator."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrolled_device(user)
    client = Client()
    assert log_in(client, user.username).status_code == 302
    response = client.post(reverse("core:two_factor"), {"code": code_now(device)})
    assert response.status_code == 302, response.content
    return client


def days_valid(token) -> int:
    """Whole days from a token's creation to its expiry (the two stamps differ by a few µs)."""
    return round((token.expires_at - token.created_at).total_seconds() / 86400)
