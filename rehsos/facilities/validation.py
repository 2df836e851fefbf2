"""Field checks of a centre's record: each turns raw input (a form's or the API's)
into the stored value, or a translated message naming what is wrong and how to fix
it. :mod:`rehsos.facilities.services` collects the messages by field name."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.facilities.models import Cluster, Facility, Setting
from rehsos.regions.keys import is_code
from rehsos.regions.models import Level, Region

# Indonesia's extent, with a margin for the outer islands (the model's validators).
LATITUDE = (Decimal(-11), Decimal(6))
LONGITUDE = (Decimal(94), Decimal(142))
CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_CODES = {"new"}  # /centres/new/ is the create page
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,38}[0-9]$")
MIN_PHONE_DIGITS = 6
NAME_MIN = 3
LEGAL_BASIS_MIN = 3

# The owner a kind of unit has: a ministry centre belongs to the ministry, a UPTD to
# its province's or regency's social office, an LKS to its organisation.
KIND_OWNER = {
    Facility.Kind.NATIONAL: Facility.Owner.MINISTRY,
    Facility.Kind.PROVINCIAL: Facility.Owner.PROVINCE,
    Facility.Kind.DISTRICT: Facility.Owner.REGENCY,
    Facility.Kind.LKS: Facility.Owner.ORGANISATION,
}
OWNER_REGION_LEVEL = {
    Facility.Owner.PROVINCE: Level.PROVINCE,
    Facility.Owner.REGENCY: Level.REGENCY,
}


def text(value, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def too_long(value, limit: int) -> str | None:
    if len(" ".join(str(value or "").split())) > limit:
        return _("Enter at most %(limit)s characters.") % {"limit": limit}
    return None


def choice_list(values, choices, *, what: str) -> tuple[list[str], str | None]:
    """Check a list of codes against a choice class; keep the class's order."""
    if values is None:
        values = []
    if isinstance(values, str):
        values = [values]
    given = [str(v).strip() for v in values if str(v).strip()]
    unknown = [v for v in given if v not in choices.values]
    if unknown:
        return [], _("%(what)s not known: %(unknown)s. Choose from %(known)s.") % {
            "what": what,
            "unknown": ", ".join(unknown),
            "known": ", ".join(choices.values),
        }
    return [v for v in choices.values if v in given], None


def decimal_value(value) -> tuple[Decimal | None, bool]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None, False
    if not number.is_finite():
        return None, False
    return number.quantize(Decimal("0.000001")), True


def whole(value, *, low: int, high: int) -> tuple[int | None, str | None]:
    """A whole number in [low, high]; None for an empty value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, _("Enter a whole number.")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        return None, _("Enter a whole number.")
    if number < low or number > high:
        return None, _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
    return number, None


def phone_problem(phone: str) -> str | None:
    if not phone:
        return None
    digits = sum(ch.isdigit() for ch in phone)
    if not PHONE_RE.match(phone) or digits < MIN_PHONE_DIGITS:
        return _("Enter a phone number of digits, e.g. +62 21 8400 123 or 021-8400123.")
    return None


def email_problem(email: str) -> str | None:
    if not email:
        return None
    try:
        validate_email(email)
    except DjangoValidationError:
        return _("Enter a valid e-mail address.")
    return None


def village(value) -> tuple[Region | None, str | None]:
    code = value.code if isinstance(value, Region) else str(value or "").strip()
    if not code:
        return None, _("Choose the village where the centre is.")
    region = Region.objects.filter(code=code).first() if is_code(code) else None
    if region is None:
        return None, _("Unknown region code %(code)s.") % {"code": code[:20]}
    if region.level != Level.VILLAGE:
        return None, _("Choose a village (kelurahan / desa); %(name)s is a %(level)s.") % {
            "name": region.name,
            "level": Level(region.level).label.lower(),
        }
    return region, None


def owner_region(value, owner: str) -> tuple[Region | None, str | None]:
    code = value.code if isinstance(value, Region) else str(value or "").strip()
    level = OWNER_REGION_LEVEL.get(owner)
    if level is None:
        if code:
            return None, _("Only a provincial or regency owner has a region; leave it empty.")
        return None, None
    if not code:
        return None, _("Choose the %(level)s whose social office owns the centre.") % {
            "level": Level(level).label.lower()
        }
    region = Region.objects.filter(code=code).first() if is_code(code) else None
    if region is None:
        return None, _("Unknown region code %(code)s.") % {"code": code[:20]}
    if region.level != level:
        return None, _("Choose a %(level)s; %(name)s is a %(chosen)s.") % {
            "level": Level(level).label.lower(),
            "name": region.name,
            "chosen": Level(region.level).label.lower(),
        }
    return region, None


def clean_fields(data: dict, names, errors: dict) -> dict:
    """The cleaned values of ``names`` present in ``data``; problems go into ``errors``."""
    clean: dict = {}
    present = [name for name in names if name in data]
    for name in present:
        value = data[name]
        if name == "short_name":
            errors_for = too_long(value, 60)
            clean[name] = text(value, 60)
        elif name == "address":
            errors_for = too_long(value, 300)
            clean[name] = text(value, 300)
        elif name == "owner_name":
            errors_for = too_long(value, 200)
            clean[name] = text(value, 200)
        elif name == "clusters":
            clean[name], errors_for = choice_list(value, Cluster, what=_("Clusters"))
            if errors_for is None and not clean[name]:
                errors_for = _("Choose at least one cluster the centre serves.")
        elif name == "settings_offered":
            clean[name], errors_for = choice_list(value, Setting, what=_("Settings"))
            if errors_for is None and not clean[name]:
                errors_for = _("Choose at least one setting the centre offers.")
        elif name == "region":
            clean[name], errors_for = village(value)
        elif name in ("latitude", "longitude"):
            clean[name], ok = decimal_value(value)
            errors_for = None if ok else _("Enter a number in decimal degrees, e.g. -6.3021.")
            low, high = LATITUDE if name == "latitude" else LONGITUDE
            if ok and clean[name] is not None and not low <= clean[name] <= high:
                message = (
                    _("%(value)s is outside Indonesia: its latitudes run from %(low)s to %(high)s.")
                    if name == "latitude"
                    else _(
                        "%(value)s is outside Indonesia: its longitudes run from %(low)s to "
                        "%(high)s."
                    )
                )
                errors_for = message % {"value": clean[name].normalize(), "low": low, "high": high}
        elif name == "phone":
            clean[name] = text(value, 40)
            errors_for = too_long(value, 40) or phone_problem(clean[name])
        elif name == "email":
            clean[name] = str(value or "").strip().lower()
            errors_for = email_problem(clean[name])
        elif name == "kind":
            clean[name] = str(value or "")
            errors_for = (
                None if clean[name] in Facility.Kind.values else _("Choose a kind of unit.")
            )
        elif name == "owner":
            clean[name] = str(value or "")
            errors_for = None if clean[name] in Facility.Owner.values else _("Choose an owner.")
        elif name in ("is_model", "is_active"):
            clean[name] = bool(value)
            errors_for = None
        else:  # owner_region: checked with the owner below
            clean[name] = value
            errors_for = None
        if errors_for:
            errors[name] = errors_for
    return clean


def check_together(values: dict, errors: dict) -> None:
    """Rules between fields, on the record as it would be after the change."""
    kind, owner = values.get("kind"), values.get("owner")
    if "kind" not in errors and "owner" not in errors and KIND_OWNER.get(kind) != owner:
        errors["owner"] = _("A %(kind)s is owned by: %(owner)s.") % {
            "kind": Facility.Kind(kind).label,
            "owner": Facility.Owner(KIND_OWNER[kind]).label,
        }
    if "owner" not in errors:
        values["owner_region"], problem = owner_region(values.get("owner_region"), owner)
        if problem:
            errors["owner_region"] = problem
        if owner == Facility.Owner.ORGANISATION and not values.get("owner_name"):
            errors.setdefault("owner_name", _("Give the name of the organisation that runs it."))
        elif owner != Facility.Owner.ORGANISATION and values.get("owner_name"):
            errors.setdefault(
                "owner_name", _("Only an organisation owner is named here; leave it empty.")
            )
    lat, lon = values.get("latitude"), values.get("longitude")
    if (lat is None) != (lon is None) and "latitude" not in errors and "longitude" not in errors:
        missing = "longitude" if lon is None else "latitude"
        errors[missing] = _("Give both latitude and longitude, or neither.")


def name_problem(name: str) -> str | None:
    if len(name) < NAME_MIN:
        return _("Enter the centre's name (at least %(min)s characters).") % {"min": NAME_MIN}
    return None


def legal_basis(value, errors: dict) -> str:
    basis = text(value, 200)
    if len(basis) < LEGAL_BASIS_MIN:
        errors["legal_basis"] = _(
            "Give the decree or regulation behind the change, e.g. Permensos 3/2022."
        )
    elif too_long(value, 200):
        errors["legal_basis"] = too_long(value, 200)
    return basis


def date_value(value, field: str, errors: dict, *, required: bool = True) -> datetime.date | None:
    if value in (None, ""):
        if required:
            errors[field] = _("Give the date.")
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            errors[field] = _("Give a date as YYYY-MM-DD.")
            return None
    if value > timezone.localdate():
        errors[field] = _("The date cannot be in the future.")
    return value
