"""Accounts: creating and changing users, unlocking them, their API tokens.

Every function checks its rules and raises :class:`ValidationFailed` naming the
field (the same names the forms and the API use), so pages, the API and the
command line report the same message in place.
"""

from axes.utils import reset as axes_reset
from django.apps import apps
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.models import ApiToken, User
from rehsos.core.roles import REQUIRED_SCOPE, Role, ScopeLevel

TOKEN_MIN_DAYS = 1
TOKEN_MAX_DAYS = 365
TOKEN_NAME_MAX = 100


def _region_model():
    # Through the app registry: core sits below regions and never imports it.
    return apps.get_model("regions", "Region")


def _facility_model():
    return apps.get_model("facilities", "Facility")


def province_choices() -> list[tuple[str, str]]:
    """The 38 provinces as (code, name), for selects and validation."""
    region = _region_model()
    return list(region.objects.filter(level=1).order_by("name").values_list("code", "name"))


def scope_errors(*, role: str, scope_level: str, province_code: str, facility) -> dict[str, str]:
    """The problems of a role/scope combination, by field name (empty when it fits)."""
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = _("Choose one of the roles in the list.")
        return errors
    if scope_level not in ScopeLevel.values:
        errors["scope_level"] = _("Choose nation, province or centre.")
        return errors
    expected = REQUIRED_SCOPE[role]
    if scope_level != expected:
        errors["scope_level"] = _(
            "A user with the role %(role)s must have the scope %(scope)s."
        ) % {"role": Role(role).label, "scope": ScopeLevel(expected).label}
        return errors
    if scope_level == ScopeLevel.PROVINCE:
        if not province_code:
            errors["province_code"] = _("Choose the province of this user.")
        elif not _region_model().objects.filter(level=1, code=province_code).exists():
            errors["province_code"] = _("There is no province with the code %(code)s.") % {
                "code": province_code
            }
    if scope_level == ScopeLevel.FACILITY and facility is None:
        errors["facility"] = _("Choose the centre of this user.")
    return errors


def _password_errors(password: str, user: User, field: str) -> dict[str, str]:
    """The password rules (AUTH_PASSWORD_VALIDATORS) that ``password`` breaks, as one message."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return {field: " ".join(exc.messages)}
    return {}


def _apply_scope(user: User, *, scope_level: str, province_code: str, facility) -> None:
    # Only the key of the chosen scope is kept, so a user never carries a stale one.
    user.scope_level = scope_level
    user.province_code = province_code if scope_level == ScopeLevel.PROVINCE else ""
    user.facility = facility if scope_level == ScopeLevel.FACILITY else None


@transaction.atomic
def create_user(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    scope_level: str,
    province_code: str = "",
    facility=None,
    password: str,
    language: str = "",
) -> User:
    username = username.strip()
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        role=role,
    )
    if language:
        user.language = language
    _apply_scope(user, scope_level=scope_level, province_code=province_code, facility=facility)
    # Every problem at once, so the form shows them all in place.
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("Enter a username.")
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("This username is taken; choose another one.")
    errors.update(
        scope_errors(
            role=role, scope_level=scope_level, province_code=province_code, facility=facility
        )
    )
    errors.update(_password_errors(password, user, "password"))
    if errors:
        raise ValidationFailed(fields=errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(
            fields={"username": _("This username is taken; choose another one.")}
        ) from None
    return user


@transaction.atomic
def update_user(
    *,
    by: User,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    scope_level: str,
    province_code: str = "",
    facility=None,
    is_active: bool = True,
) -> User:
    errors = scope_errors(
        role=role, scope_level=scope_level, province_code=province_code, facility=facility
    )
    if user.pk == by.pk:
        # An administrator who demoted or deactivated themselves could lock everyone out.
        if not is_active:
            errors["is_active"] = _("You cannot deactivate your own account.")
        if role != user.role:
            errors.setdefault("role", _("You cannot change your own role."))
    if errors:
        raise ValidationFailed(fields=errors)
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.email = email.strip()
    user.role = role
    user.is_active = is_active
    _apply_scope(user, scope_level=scope_level, province_code=province_code, facility=facility)
    user.save(
        update_fields=[
            "first_name",
            "last_name",
            "email",
            "role",
            "is_active",
            "scope_level",
            "province_code",
            "facility",
        ]
    )
    return user


@transaction.atomic
def deactivate(*, by: User, user: User) -> User:
    """Switch an account off: its sessions end on their next request and its tokens stop
    working (both check ``is_active``), and it can no longer log in."""
    if user.pk == by.pk:
        raise ValidationFailed(fields={"is_active": _("You cannot deactivate your own account.")})
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def unlock(*, username: str) -> int:
    """Clear the failed logins of a username; returns how many records were removed."""
    return axes_reset(username=username)


def set_password(*, user: User, password: str, field: str = "new_password1") -> User:
    errors = _password_errors(password, user, field)
    if errors:
        raise ValidationFailed(fields=errors)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def set_language(*, user: User, language: str) -> User:
    codes = {code for code, _name in User._meta.get_field("language").choices}
    if language not in codes:
        raise ValidationFailed(fields={"language": _("Choose one of the languages in the list.")})
    user.language = language
    user.save(update_fields=["language"])
    return user


def issue_token(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """A new personal token; the raw value is returned here once and never stored."""
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the token a name, such as the script that will use it.")
    elif len(name) > TOKEN_NAME_MAX:
        errors["name"] = _("Use at most %(max)s characters.") % {"max": TOKEN_NAME_MAX}
    if (
        not isinstance(days, int)
        or isinstance(days, bool)
        or not (TOKEN_MIN_DAYS <= days <= TOKEN_MAX_DAYS)
    ):
        errors["days"] = _("The expiry must be between %(min)s and %(max)s days.") % {
            "min": TOKEN_MIN_DAYS,
            "max": TOKEN_MAX_DAYS,
        }
    if errors:
        raise ValidationFailed(fields=errors)
    return ApiToken.issue(user, name, days=days)


def revoke_token(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (revoking twice is harmless)."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("There is no such token among yours."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def revoke_tokens(*, tokens) -> int:
    """Revoke many tokens at once (the admin action); returns how many were revoked."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
