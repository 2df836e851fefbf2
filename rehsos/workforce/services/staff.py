"""Staff members and what they bring: qualifications, certifications with expiry and
competencies (an SKKNI unit code or a name, with a level).

Managed with ``workforce.manage`` in the user's scope: a head of centre their own
centre, a provincial officer the province's centres, national staff every centre.
Staff are people: nothing here writes their data to a log (the audit trail masks
their contact details and birth year, see ``WorkforceConfig.ready``).
"""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.core.models import User
from rehsos.core.permissions import require, scoped
from rehsos.facilities.models import Facility
from rehsos.workforce.models import (
    Certification,
    Competency,
    Qualification,
    StaffMember,
    StaffRole,
)
from rehsos.workforce.services import check_version

OLDEST_BIRTH_YEAR = 1940
YOUNGEST_AGE = 15
EDITABLE = (
    "facility",
    "name",
    "sex",
    "birth_year",
    "role",
    "employment",
    "position",
    "started_on",
    "left_on",
    "email",
    "phone",
    "account",
)


def _in_scope(user, staff: StaffMember) -> None:
    if not scoped(user, StaffMember.objects.filter(pk=staff.pk)).exists():
        raise ValidationFailed(fields={"staff": _("No such staff member in your scope.")})


def _text(data: dict, errors: dict, name: str, *, limit: int, required: bool = False) -> str:
    value = (data.get(name) or "").strip()
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("Enter at most %(n)d characters.") % {"n": limit}
    return value


def _clean(user, data: dict, current: StaffMember | None) -> dict:
    """Check the fields of a staff record; ``current`` fills in the fields not given."""
    errors: dict[str, str] = {}
    merged = (
        {name: getattr(current, name) for name in EDITABLE if name != "account"} if current else {}
    )
    if current is not None:
        merged["account"] = current.user
    merged.update({k: v for k, v in data.items() if k in EDITABLE})
    today = timezone.localdate()

    facility = merged.get("facility")
    if not isinstance(facility, Facility):
        errors["facility"] = _("Choose a centre.")
    elif (current is None or facility.pk != current.facility_id) and not scoped(
        user, Facility.objects.filter(pk=facility.pk, is_active=True)
    ).exists():
        errors["facility"] = _("Choose an active centre in your scope.")
    cleaned = {"facility": facility}
    cleaned["name"] = _text(merged, errors, "name", limit=200, required=True)
    cleaned["position"] = _text(merged, errors, "position", limit=200)
    cleaned["phone"] = _text(merged, errors, "phone", limit=40)
    cleaned["email"] = _text(merged, errors, "email", limit=254)
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except DjangoValidationError:
            errors["email"] = _("Enter a valid e-mail address.")
    if merged.get("sex") not in ("M", "F"):
        errors["sex"] = _("Choose the sex.")
    cleaned["sex"] = merged.get("sex")
    if merged.get("role") not in StaffRole.values:
        errors["role"] = _("Choose a role.")
    cleaned["role"] = merged.get("role")
    if merged.get("employment") not in StaffMember.Employment.values:
        errors["employment"] = _("Choose the kind of employment.")
    cleaned["employment"] = merged.get("employment")

    birth_year = merged.get("birth_year")
    youngest = today.year - YOUNGEST_AGE
    if birth_year is not None and not (OLDEST_BIRTH_YEAR <= birth_year <= youngest):
        errors["birth_year"] = _("Enter a year from %(low)d to %(high)d.") % {
            "low": OLDEST_BIRTH_YEAR,
            "high": youngest,
        }
    cleaned["birth_year"] = birth_year

    started_on, left_on = merged.get("started_on"), merged.get("left_on")
    if not isinstance(started_on, datetime.date):
        errors["started_on"] = _("Enter the date the staff member started.")
    elif started_on > today + datetime.timedelta(days=366):
        errors["started_on"] = _("The start is more than a year ahead.")
    if left_on is not None:
        if left_on > today:
            errors["left_on"] = _("The leaving date cannot be in the future.")
        elif isinstance(started_on, datetime.date) and left_on < started_on:
            errors["left_on"] = _("The leaving date is before the start.")
    cleaned["started_on"], cleaned["left_on"] = started_on, left_on

    account = merged.get("account")
    if account is not None:
        if not isinstance(account, User):
            errors["account"] = _("No such user account.")
        elif isinstance(facility, Facility) and account.facility_id != facility.pk:
            errors["account"] = _("Link an account of the same centre.")
        else:
            taken = StaffMember.objects.filter(user=account)
            if current is not None:
                taken = taken.exclude(pk=current.pk)
            if taken.exists():
                errors["account"] = _("This account is already linked to another staff record.")
    cleaned["user"] = account
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def create_staff(user, **data) -> StaffMember:
    require(user, "workforce.manage")
    cleaned = _clean(user, data, None)
    with transaction.atomic():
        staff = StaffMember(**cleaned)
        staff.province_code = cleaned["facility"].province_code
        try:
            with transaction.atomic():
                staff.save()
        except IntegrityError as exc:  # the account was linked by someone else meanwhile
            raise ValidationFailed(
                fields={"account": _("This account is already linked to another staff record.")}
            ) from exc
    return staff


def update_staff(user, staff: StaffMember, *, version: int | None, **data) -> StaffMember:
    require(user, "workforce.manage")
    _in_scope(user, staff)
    with transaction.atomic():
        staff = (
            StaffMember.objects.select_for_update(of=("self",))
            .select_related("facility", "user")
            .get(pk=staff.pk)
        )
        check_version(staff, version, _("staff record"))
        cleaned = _clean(user, data, staff)
        for name, value in cleaned.items():
            setattr(staff, name, value)
        staff.province_code = cleaned["facility"].province_code
        staff.version += 1
        try:
            with transaction.atomic():
                staff.save()
        except IntegrityError as exc:
            raise ValidationFailed(
                fields={"account": _("This account is already linked to another staff record.")}
            ) from exc
    return staff


def delete_staff(user, staff: StaffMember, *, version: int | None) -> None:
    """Delete a record entered by mistake. Someone with a training or an application
    on record has a history: record the day they left instead."""
    require(user, "workforce.manage")
    _in_scope(user, staff)
    with transaction.atomic():
        staff = StaffMember.objects.select_for_update().get(pk=staff.pk)
        check_version(staff, version, _("staff record"))
        if staff.trainings.exists() or staff.applications.exists():
            raise Conflict(
                _(
                    "This staff member has trainings or internship applications on record; "
                    "record the day they left instead of deleting them."
                ),
                code="has_history",
            )
        staff.delete()


# --- qualifications, certifications, competencies -------------------------------------


def add_qualification(user, staff: StaffMember, *, level, field, institution="", year=None):
    require(user, "workforce.manage")
    _in_scope(user, staff)
    errors = {}
    data = {"field": field, "institution": institution}
    field_text = _text(data, errors, "field", limit=200, required=True)
    institution = _text(data, errors, "institution", limit=200)
    if level not in Qualification.Level.values:
        errors["level"] = _("Choose a level.")
    this_year = timezone.localdate().year
    if year is not None and not (OLDEST_BIRTH_YEAR <= year <= this_year):
        errors["year"] = _("Enter a year from %(low)d to %(high)d.") % {
            "low": OLDEST_BIRTH_YEAR,
            "high": this_year,
        }
    if errors:
        raise ValidationFailed(fields=errors)
    return Qualification.objects.create(
        staff=staff, level=level, field=field_text, institution=institution, year=year
    )


def remove_qualification(user, qualification: Qualification) -> None:
    require(user, "workforce.manage")
    _in_scope(user, qualification.staff)
    qualification.delete()


def _clean_certification(data: dict) -> dict:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    cleaned = {
        "name": _text(data, errors, "name", limit=200, required=True),
        "issuer": _text(data, errors, "issuer", limit=200, required=True),
        "number": _text(data, errors, "number", limit=100),
    }
    issued_on, expires_on = data.get("issued_on"), data.get("expires_on")
    if not isinstance(issued_on, datetime.date):
        errors["issued_on"] = _("Enter the date of issue.")
    elif issued_on > today:
        errors["issued_on"] = _("The date of issue cannot be in the future.")
    if expires_on is not None and isinstance(issued_on, datetime.date) and expires_on < issued_on:
        errors["expires_on"] = _("The expiry is before the date of issue.")
    if errors:
        raise ValidationFailed(fields=errors)
    cleaned["issued_on"], cleaned["expires_on"] = issued_on, expires_on
    return cleaned


def add_certification(user, staff: StaffMember, **data) -> Certification:
    require(user, "workforce.manage")
    _in_scope(user, staff)
    return Certification.objects.create(staff=staff, **_clean_certification(data))


def update_certification(user, cert: Certification, **data) -> Certification:
    """Correct or renew a certification (a new number, issue and expiry date)."""
    require(user, "workforce.manage")
    _in_scope(user, cert.staff)
    with transaction.atomic():
        cert = Certification.objects.select_for_update().get(pk=cert.pk)
        current = {
            "name": cert.name,
            "issuer": cert.issuer,
            "number": cert.number,
            "issued_on": cert.issued_on,
            "expires_on": cert.expires_on,
        }
        current.update({k: v for k, v in data.items() if k in current})
        for name, value in _clean_certification(current).items():
            setattr(cert, name, value)
        cert.save()
    return cert


def remove_certification(user, cert: Certification) -> None:
    require(user, "workforce.manage")
    _in_scope(user, cert.staff)
    cert.delete()


def add_competency(user, staff: StaffMember, *, name, level, code="", assessed_on=None):
    require(user, "workforce.manage")
    _in_scope(user, staff)
    errors = {}
    data = {"name": name, "code": code}
    name = _text(data, errors, "name", limit=200, required=True)
    code = _text(data, errors, "code", limit=40)
    if level not in Competency.Level.values:
        errors["level"] = _("Choose a level.")
    if assessed_on is not None and assessed_on > timezone.localdate():
        errors["assessed_on"] = _("The assessment date cannot be in the future.")
    if errors:
        raise ValidationFailed(fields=errors)
    return Competency.objects.create(
        staff=staff, name=name, code=code, level=level, assessed_on=assessed_on
    )


def remove_competency(user, competency: Competency) -> None:
    require(user, "workforce.manage")
    _in_scope(user, competency.staff)
    competency.delete()
