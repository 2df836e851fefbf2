"""The second factor: TOTP enrolment and verification, backup codes, reset.

A user's authenticator is one confirmed TOTP device; backup codes are one static
device of ten single-use codes. django-otp stores both and throttles wrong codes
(each failure doubles the wait before the device accepts another try)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.errors import ValidationFailed

BACKUP_CODE_COUNT = 10
TOTP_NAME = "authenticator"
BACKUP_NAME = "backup codes"


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed device an enrolment shows as a QR code (one per user, reused)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def confirm_totp(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a code from the app; returns it and fresh backup codes."""
    # The failure counter must be committed even when the code is wrong, so the
    # error is raised after the transaction, not inside it.
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            problem = _("Start the set-up again from the account page.")
        elif not device.verify_is_allowed()[0]:
            problem = throttled_message()
        elif not device.verify_token(_clean(code)):
            problem = wrong_code_message()
        else:
            problem = None
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # One authenticator per user: an earlier one is replaced by the new one.
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = new_backup_codes(user=user)
    if problem:
        raise ValidationFailed(fields={"code": problem})
    return device, codes


@transaction.atomic
def new_backup_codes(*, user) -> list[str]:
    """Replace the user's backup codes with ten new ones, returned once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def verify(*, user, code: str):
    """The device that accepts ``code`` (an authenticator code or a backup code)."""
    code = _clean(code)
    if not code:
        raise ValidationFailed(fields={"code": _("Enter the code.")})
    # Six digits come from the authenticator app; backup codes are letters and digits.
    model = TOTPDevice if code.isdigit() else StaticDevice
    throttled = False
    # As in confirm_totp: failures are committed, then the error is raised.
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            if not device.verify_is_allowed()[0]:
                throttled = True
            elif device.verify_token(code):
                return device
    raise ValidationFailed(
        fields={"code": throttled_message() if throttled else wrong_code_message()}
    )


@transaction.atomic
def remove_two_factor(*, user) -> None:
    """Delete the user's authenticator and backup codes (disable or admin reset)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def disable_two_factor(*, user) -> None:
    if user.requires_two_factor:
        raise ValidationFailed(
            _("Your role requires a second factor; it cannot be switched off."),
            fields={"two_factor": _("Your role requires a second factor.")},
        )
    remove_two_factor(user=user)


def wrong_code_message() -> str:
    return _("The code is not correct. Check the time on your phone and try again.")


def throttled_message() -> str:
    return _("Too many wrong codes. Wait a few seconds, then try again.")


def _clean(code: str) -> str:
    return "".join((code or "").split()).lower()
