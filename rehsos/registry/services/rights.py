"""Data-subject rights under UU PDP: a copy of everything held, correction, erasure."""

import datetime
import uuid
from decimal import Decimal

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.registry import events, holds
from rehsos.registry.models import DataRequest, Person
from rehsos.registry.services import persons as person_services

# Columns that are storage detail, not information about the person.
_INTERNAL = {"nik_sealed", "nik_index", "kk_sealed", "kk_index", "name_key", "name_phonetic", "id"}


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(getattr(value, "public_id", value.pk))
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _row(obj) -> dict:
    data = model_to_dict(obj)
    for f in obj._meta.concrete_fields:
        if not f.editable:
            data[f.name] = getattr(obj, f.attname)
    return {k: _plain(v) for k, v in data.items() if k not in _INTERNAL}


def export_person(person: Person) -> dict:
    """Everything held on the person: the record with identifiers in clear, and every row
    of every app that points at it (found generically through reverse relations)."""
    record = _row(person)
    record["nik"] = person_services.reveal_identifier(person, "nik")
    record["kk_number"] = person_services.reveal_identifier(person, "kk")
    related = {}
    for rel in Person._meta.related_objects:
        if rel.related_model is Person or not (rel.one_to_many or rel.one_to_one):
            continue
        rows = rel.related_model._default_manager.filter(**{rel.field.name: person})
        if rows.exists():
            related[f"{rel.related_model._meta.label_lower}.{rel.field.name}"] = [
                _row(r) for r in rows.order_by("pk")
            ]
    return {
        "exported_at": timezone.now().isoformat(),
        "person": record,
        "related": related,
    }


def export_pdf(person: Person, *, language: str | None = None) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "registry/rights/export_pdf.html", {"person": person, "data": export_person(person)}
    )
    return HTML(string=html).write_pdf()


@transaction.atomic
def record_export(user, person: Person) -> DataRequest:
    request = DataRequest.objects.create(
        person=person,
        kind=DataRequest.Kind.EXPORT,
        status=DataRequest.Status.DONE,
        requested_by=user,
        decided_by=user,
        decided_at=timezone.now(),
    )
    events.record(person, "data_exported", actor=user)
    return request


@transaction.atomic
def request_correction(user, person: Person, *, changes: dict, reason: str) -> DataRequest:
    if not changes:
        raise ValidationFailed(fields={"changes": _("Say which fields to correct and how.")})
    unknown = sorted(set(changes) - set(person_services.EDITABLE))
    if unknown:
        raise ValidationFailed(
            fields={
                "changes": _("These fields cannot be corrected here: %(f)s.")
                % {"f": ", ".join(unknown)}
            }
        )
    cleaned = person_services.clean(changes, partial=True)
    if cleaned.errors:
        raise ValidationFailed(fields=cleaned.errors)
    req = DataRequest.objects.create(
        person=person,
        kind=DataRequest.Kind.CORRECTION,
        requested_by=user,
        details={"changes": {k: _plain(v) for k, v in changes.items()}},
        reason=reason.strip()[:500],
    )
    events.record(person, "correction_requested", actor=user, fields=sorted(changes))
    return req


@transaction.atomic
def decide_correction(user, req: DataRequest, *, accept: bool, reason: str = "") -> DataRequest:
    req = DataRequest.objects.select_for_update().get(pk=req.pk)
    if req.status != DataRequest.Status.OPEN:
        raise Conflict(_("This request was already decided."))
    if accept:
        person = req.person
        person_services.update_person(
            user, person, req.details["changes"], version=Person.objects.get(pk=person.pk).version
        )
        req.status = DataRequest.Status.DONE
    else:
        if not reason.strip():
            raise ValidationFailed(fields={"reason": _("Give the reason for refusing.")})
        req.status = DataRequest.Status.REFUSED
    req.reason = (reason.strip() or req.reason)[:500]
    req.decided_by, req.decided_at = user, timezone.now()
    req.version += 1
    req.save()
    events.record(req.person, "correction_decided", actor=user, accepted=accept)
    return req


@transaction.atomic
def request_erasure(user, person: Person, *, reason: str) -> DataRequest:
    """Erase now where lawful; otherwise record the refusal with the legal holds that apply."""
    if not reason.strip():
        raise ValidationFailed(fields={"reason": _("Give the reason for the erasure request.")})
    blocking = holds.reasons(person)
    req = DataRequest.objects.create(
        person=person,
        kind=DataRequest.Kind.ERASURE,
        requested_by=user,
        reason=reason.strip()[:500],
        decided_by=user,
        decided_at=timezone.now(),
        status=DataRequest.Status.REFUSED if blocking else DataRequest.Status.DONE,
        details={"holds": blocking},
    )
    if blocking:
        events.record(person, "erasure_refused", actor=user, holds=blocking)
        return req
    person_services.erase_person(user, person, reason=reason)
    return req


def refusal_message(req: DataRequest) -> str:
    holds_found = req.details.get("holds") or []
    return _("The data cannot be erased now: %(reasons)s.") % {"reasons": "; ".join(holds_found)}
