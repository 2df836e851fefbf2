"""Registering and editing persons; their identifiers; erasure."""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from rehsos.registry import events, holds, nik
from rehsos.registry.identifiers import Sealer
from rehsos.registry.models import (
    WG_DOMAINS,
    DatePrecision,
    Difficulty,
    Education,
    MaritalStatus,
    Person,
    Religion,
    Sex,
)

TEXT_FIELDS = {
    "full_name": 200,
    "birth_place": 120,
    "mother_name": 200,
    "address": 300,
    "phone": 32,
    "source_system": 40,
    "source_id": 64,
}
CHOICE_FIELDS = {
    "sex": Sex,
    "birth_date_precision": DatePrecision,
    "education": Education,
    "marital_status": MaritalStatus,
    "religion": Religion,
}
WG_FIELDS = [name for name, _label in WG_DOMAINS]
EDITABLE = [
    *TEXT_FIELDS,
    *CHOICE_FIELDS,
    *WG_FIELDS,
    "other_names",
    "birth_date",
    "village",
    "nik",
    "kk_number",
]


class NeedsConfirmation(DomainError):
    """The input is valid but raises warnings (NIK mismatch, likely duplicates) that the
    user must confirm before anything is saved."""

    status = 409
    code = "confirmation_required"

    @property
    def title(self):
        return _("Please confirm before saving")


@dataclass
class Cleaned:
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _known_district(code: str) -> bool:
    region = apps.get_model("regions", "Region")
    return region.objects.filter(code=code, level=3).exists()


def _clean_date(raw) -> datetime.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime.date):
        return raw
    return datetime.date.fromisoformat(str(raw))


def clean(data: dict, *, partial: bool = False) -> Cleaned:
    """Check and normalise person fields. Errors name the field; warnings need confirming."""
    out = Cleaned()
    if not partial or "full_name" in data:
        name = " ".join(str(data.get("full_name") or "").split())
        if not name:
            out.errors["full_name"] = _("Enter the person's full name.")
        data = {**data, "full_name": name}
    for name, limit in TEXT_FIELDS.items():
        if name in data:
            value = " ".join(str(data[name] or "").split())
            if len(value) > limit:
                out.errors[name] = _("At most %(n)d characters.") % {"n": limit}
            out.values[name] = value
    for name, choices in CHOICE_FIELDS.items():
        if name in data:
            value = data[name] or ""
            if value and value not in choices.values:
                out.errors[name] = _("Choose one of: %(options)s.") % {
                    "options": ", ".join(choices.values)
                }
            out.values[name] = value
    if not partial and not out.values.get("sex"):
        out.errors["sex"] = _("Choose the person's sex.")
    if not partial and not out.values.get("birth_date_precision"):
        out.values["birth_date_precision"] = DatePrecision.EXACT
    for name in WG_FIELDS:
        if name in data:
            value = data[name]
            if value in (None, ""):
                out.values[name] = None
            elif str(value).isdigit() and int(value) in Difficulty.values:
                out.values[name] = int(value)
            else:
                out.errors[name] = _("Answer 1 (no difficulty) to 4 (cannot do at all).")
    if "other_names" in data:
        names = data["other_names"] or []
        if isinstance(names, str):
            names = [n for n in (part.strip() for part in names.split(";")) if n]
        out.values["other_names"] = [str(n)[:200] for n in names][:20]
    if "birth_date" in data:
        try:
            born = _clean_date(data["birth_date"])
        except ValueError:
            out.errors["birth_date"] = _("Enter the date as YYYY-MM-DD.")
        else:
            if born and born > timezone.localdate():
                out.errors["birth_date"] = _("The date of birth cannot be in the future.")
            elif born and born.year < 1900:
                out.errors["birth_date"] = _("The date of birth is before 1900.")
            out.values["birth_date"] = born
    if not partial or "village" in data:
        code = str(data.get("village") or "").strip()
        region = apps.get_model("regions", "Region")
        if not code:
            out.errors["village"] = _("Choose the village (kelurahan / desa).")
        elif not region.objects.filter(code=code, level=4).exists():
            out.errors["village"] = _("%(code)s is not a known village code.") % {"code": code}
        else:
            out.values["village"] = code
    for name, label in (("nik", "NIK"), ("kk_number", _("KK number"))):
        if name in data:
            raw = nik.normalise(data[name] or "")
            if raw and name == "nik":
                check = nik.parse(raw, known_district=_known_district)
                if check.errors:
                    out.errors[name] = " ".join(check.errors)
                else:
                    nik.cross_check(
                        check,
                        sex=out.values.get("sex"),
                        birth_date=out.values.get("birth_date"),
                        region_code=out.values.get("village"),
                    )
                    out.warnings.extend(check.warnings)
            elif raw and (not raw.isdigit() or len(raw) != 16):
                out.errors[name] = _("A %(label)s has 16 digits.") % {"label": label}
            out.values[name] = raw
    return out


def _apply(person: Person, values: dict, sealer: Sealer) -> list[str]:
    changed = []
    for name, value in values.items():
        if name == "village":
            if person.village_id != value:
                person.village_id = value
                changed.append(name)
        elif name in ("nik", "kk_number"):
            prefix = "nik" if name == "nik" else "kk"
            index = sealer.blind_index(value) if value else ""
            if getattr(person, f"{prefix}_index") != index:
                setattr(person, f"{prefix}_index", index)
                setattr(person, f"{prefix}_sealed", sealer.seal(value) if value else "")
                changed.append(name)
        elif getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    return changed


def _reindex(person_ids: list[int]) -> None:
    from rehsos.registry.search import index_persons

    index_persons(person_ids)


def duplicate_candidates(values: dict, *, user, limit: int = 5) -> list:
    from rehsos.registry.dedup.check import likely_duplicates

    return likely_duplicates(values, limit=limit)


def register_person(user, data: dict, *, confirmed: bool = False, facility=None) -> Person:
    """Register one person. Invalid input raises ValidationFailed; NIK mismatches and likely
    duplicates raise NeedsConfirmation unless ``confirmed``."""
    cleaned = clean(data)
    if cleaned.errors:
        raise ValidationFailed(fields=cleaned.errors)
    sealer = Sealer()
    if cleaned.values.get("nik"):
        index = sealer.blind_index(cleaned.values["nik"])
        existing = Person.objects.live().filter(nik_index=index).first()
        if existing is not None:
            raise ValidationFailed(
                fields={"nik": _("A person with this NIK is already registered.")},
                extra={"existing": str(existing.public_id)},
            )
    if not confirmed:
        matches = duplicate_candidates(cleaned.values, user=user)
        if cleaned.warnings or matches:
            raise NeedsConfirmation(
                _("Check the warnings and the possible duplicates, then confirm."),
                extra={
                    "warnings": cleaned.warnings,
                    "duplicates": [
                        {
                            "public_id": str(p.public_id),
                            "full_name": p.full_name,
                            "probability": round(prob, 3),
                            "reasons": [str(r) for r in reasons],
                        }
                        for p, prob, reasons in matches
                    ],
                },
            )
    with transaction.atomic():
        person = Person(registered_by=user, facility=facility or getattr(user, "facility", None))
        _apply(person, cleaned.values, sealer)
        person.save()
        events.record(person, "registered", actor=user, warnings_confirmed=len(cleaned.warnings))
        transaction.on_commit(lambda: _reindex([person.pk]))
    return person


def update_person(user, person: Person, data: dict, *, version: int) -> Person:
    """Edit with a row version: a stale version raises Conflict carrying the current values."""
    cleaned = clean(data, partial=True)
    if cleaned.errors:
        raise ValidationFailed(fields=cleaned.errors)
    with transaction.atomic():
        current = Person.objects.select_for_update().get(pk=person.pk)
        if current.merged_into_id:
            raise Conflict(_("This record was merged into another one; edit that one."))
        if current.version != version:
            raise Conflict(
                _("Someone else saved this person after you opened it. Compare and try again."),
                extra={"current_version": current.version},
            )
        if cleaned.values.get("nik"):
            index = Sealer().blind_index(cleaned.values["nik"])
            if Person.objects.live().filter(nik_index=index).exclude(pk=current.pk).exists():
                raise ValidationFailed(
                    fields={"nik": _("A person with this NIK is already registered.")}
                )
        changed = _apply(current, cleaned.values, Sealer())
        if changed:
            current.version += 1
            current.save()
            events.record(current, "edited", actor=user, fields=sorted(changed))
            transaction.on_commit(lambda: _reindex([current.pk]))
    return current


def reveal_identifier(person: Person, which: str) -> str:
    sealed = person.nik_sealed if which == "nik" else person.kk_sealed
    return Sealer().unseal(sealed) if sealed else ""


def masked_identifier(person: Person, which: str) -> str:
    value = reveal_identifier(person, which)
    return nik.mask(value) if value else ""


ERASED_NAME = "—"


@transaction.atomic
def erase_person(user, person: Person, *, reason: str) -> Person:
    """Anonymise a person where the law allows it; refused with reasons under a legal hold."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.erased_at:
        raise Conflict(_("This person's data was already erased."))
    blocking = holds.reasons(person)
    if blocking:
        raise Conflict(
            _("The data cannot be erased now: %(reasons)s.") % {"reasons": "; ".join(blocking)},
            code="legal_hold",
            extra={"holds": blocking},
        )
    for name in ("birth_place", "mother_name", "address", "phone", "source_id"):
        setattr(person, name, "")
    person.full_name = ERASED_NAME
    person.other_names = []
    person.nik_sealed = person.nik_index = person.kk_sealed = person.kk_index = ""
    person.birth_date = person.birth_date and person.birth_date.replace(month=1, day=1)
    person.birth_date_precision = DatePrecision.YEAR
    for name in WG_FIELDS:
        setattr(person, name, None)
    if person.photo:
        person.photo.delete(save=False)
    person.erased_at = timezone.now()
    person.version += 1
    person.save()
    person.consents.update(withdrawn_at=timezone.now(), withdrawal_reason="erasure")
    person.guardians.update(name="", phone="")
    _scrub_audit_trail(person)
    events.record(person, "erased", actor=user, reason=reason[:300])
    transaction.on_commit(lambda: _reindex([person.pk]))
    return person


def _scrub_audit_trail(person: Person) -> None:
    """The audit trail keeps that a change happened and who made it, but not the erased values."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_pk=str(person.pk)
    )
    for entry in entries.iterator():
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        entry.changes = {name: ["(erased)", "(erased)"] for name in changes}
        entry.object_repr = ERASED_NAME
        entry.save(update_fields=["changes", "object_repr"])


def get_person(public_id) -> Person:
    """A person by public id, following merges to the surviving record."""
    person = Person.objects.filter(public_id=public_id).first()
    seen = 0
    while person is not None and person.merged_into_id and seen < 20:
        person = person.merged_into
        seen += 1
    if person is None:
        raise NotFound(_("No person with this id."))
    return person


PHOTO_MAX_BYTES = 5 * 1024 * 1024


@transaction.atomic
def set_photo(user, person: Person, upload) -> Person:
    """Keep a photo of the person: only with a consent (or other basis) for 'photo' in force."""
    from rehsos.registry.services.consent import may_use_for

    if not may_use_for(person, "photo"):
        raise ValidationFailed(
            fields={"photo": _("Record consent for keeping a photo before adding one.")}
        )
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationFailed(fields={"photo": _("The photo is larger than 5 MB.")})
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            image.verify()
            kind = (image.format or "").lower()
    except (UnidentifiedImageError, OSError):
        raise ValidationFailed(
            fields={"photo": _("The file is not a photo (JPEG or PNG).")}
        ) from None
    if kind not in ("jpeg", "png"):
        raise ValidationFailed(fields={"photo": _("The file is not a photo (JPEG or PNG).")})
    upload.seek(0)
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.photo:
        person.photo.delete(save=False)
    person.photo.save(
        f"{person.public_id}.{'jpg' if kind == 'jpeg' else 'png'}", upload, save=False
    )
    person.version += 1
    person.save()
    events.record(person, "photo_added", actor=user)
    return person
