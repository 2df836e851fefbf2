"""Services delivered (the seven ATENSI components), assistance in cash or in kind, and
group sessions: one session for many participants, one ServiceRecord per participant
with their attendance.

Amounts are whole rupiah. A record can be corrected or deleted by the person who
entered it for a few days (``REHSOS_SERVICE_EDIT_DAYS``, default 7); the audit log
keeps every change. A group session's cost is shared among the participants who
attended, so the per-case totals add up to what the session cost."""

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import (
    AssistanceKind,
    Case,
    CaseStatus,
    GroupSession,
    ProviderKind,
    ServiceRecord,
)
from rehsos.cases.services import events
from rehsos.cases.services.plans import as_date, components_in_force
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed

EDIT_DAYS = getattr(settings, "REHSOS_SERVICE_EDIT_DAYS", 7)
MAX_RP = 10**14 - 1  # fourteen digits, as the columns hold
MAX_QUANTITY = Decimal("99999999.99")
RECORD_FIELDS = (
    "component",
    "delivered_on",
    "description",
    "provider_kind",
    "provider_name",
    "quantity",
    "unit_of_measure",
    "cost_rp",
    "assistance",
    "assistance_amount_rp",
    "assistance_items",
)


def _rupiah(value, field: str, errors: dict) -> int:
    if value in (None, ""):
        return 0
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = _("Enter an amount in whole rupiah, e.g. 1250000.")
        return 0
    if amount != amount.to_integral_value():
        errors[field] = _("Enter whole rupiah, without cents.")
    elif amount < 0:
        errors[field] = _("The amount cannot be negative.")
    elif amount > MAX_RP:
        errors[field] = _("The amount is too large.")
    else:
        return int(amount)
    return 0


def _quantity(value, field: str, errors: dict) -> Decimal:
    if value in (None, ""):
        return Decimal(1)
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = _("Enter a number, e.g. 2 or 1.5.")
        return Decimal(1)
    if quantity <= 0:
        errors[field] = _("The quantity must be more than zero.")
    elif quantity > MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.01")):
        errors[field] = _("At most two decimals and eight digits before the point.")
    return quantity


def _text(data: dict, name: str, errors: dict, *, limit: int, required=False) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("At most %(limit)s characters.") % {"limit": limit}
    return value


def _check_date(case: Case, on, field: str, errors: dict) -> None:
    if on is None:
        return
    if on > timezone.localdate():
        errors[field] = _("A service cannot be recorded for a future date.")
    elif on < case.opened_on:
        errors[field] = _("The date cannot be before the case was opened (%(date)s).") % {
            "date": case.opened_on.isoformat()
        }
    elif case.closed_on and on > case.closed_on:
        errors[field] = _("The date cannot be after the case was closed (%(date)s).") % {
            "date": case.closed_on.isoformat()
        }


def clean_record(case: Case, data: dict) -> dict:
    """Every field of a service record checked; errors name the field."""
    errors: dict = {}
    values: dict = {}
    delivered_on = as_date(data.get("delivered_on"), "delivered_on", errors)
    if delivered_on is None and "delivered_on" not in errors:
        errors["delivered_on"] = _("This field is required.")
    _check_date(case, delivered_on, "delivered_on", errors)
    values["delivered_on"] = delivered_on
    code = str(data.get("component") or "").strip()
    in_force = components_in_force(delivered_on) if delivered_on else {}
    if not code:
        errors["component"] = _("This field is required.")
    elif delivered_on and code not in in_force:
        errors["component"] = _("This ATENSI component was not in force on that date.")
    values["component"] = in_force.get(code)
    values["description"] = _text(data, "description", errors, limit=300, required=True)
    provider_kind = str(data.get("provider_kind") or ProviderKind.STAFF)
    if provider_kind not in ProviderKind.values:
        errors["provider_kind"] = _("Choose staff, partner, LKS or other.")
    values["provider_kind"] = provider_kind
    values["provider_name"] = _text(data, "provider_name", errors, limit=200)
    values["quantity"] = _quantity(data.get("quantity"), "quantity", errors)
    values["unit_of_measure"] = _text(data, "unit_of_measure", errors, limit=30)
    values["cost_rp"] = _rupiah(data.get("cost_rp"), "cost_rp", errors)
    assistance = str(data.get("assistance") or "")
    if assistance not in AssistanceKind.values:
        errors["assistance"] = _("Choose no assistance, cash or in kind.")
    amount = _rupiah(data.get("assistance_amount_rp"), "assistance_amount_rp", errors)
    items = _text(data, "assistance_items", errors, limit=300)
    if assistance == AssistanceKind.CASH and amount <= 0 and "assistance_amount_rp" not in errors:
        errors["assistance_amount_rp"] = _("Give the amount of cash assistance.")
    if assistance == AssistanceKind.IN_KIND and not items:
        errors["assistance_items"] = _("Say what was given.")
    if assistance == AssistanceKind.NONE and (amount or items):
        errors["assistance"] = _("Choose cash or in kind for the amount or items given.")
    values.update(assistance=assistance, assistance_amount_rp=amount, assistance_items=items)
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def _refuse_closed_for(case: Case) -> None:
    # A late entry for a closed case is allowed up to its closing date (checked on the
    # date); a case closed as opened in error takes no services at all.
    if case.status == CaseStatus.CLOSED and case.closure_reason == "duplicate":
        raise Conflict(_("This case was closed as opened in error."), code="case_closed")


def record_service(user, case: Case, data: dict) -> ServiceRecord:
    values = clean_record(case, data)
    _refuse_closed_for(case)
    with transaction.atomic():
        record = ServiceRecord.objects.create(case=case, recorded_by=user, **values)
        events.record(
            case,
            "service_recorded",
            actor=user,
            service=record.pk,
            component=record.component.code,
            on=record.delivered_on.isoformat(),
            cost_rp=int(record.cost_rp),
            assistance=record.assistance,
            assistance_rp=int(record.assistance_amount_rp),
        )
    return record


def may_change(user, record: ServiceRecord) -> bool:
    """The person who entered a record may correct or delete it for EDIT_DAYS days."""
    return (
        record.group_session_id is None
        and record.recorded_by_id == user.pk
        and record.recorded_at >= timezone.now() - datetime.timedelta(days=EDIT_DAYS)
    )


def _require_change(user, record: ServiceRecord) -> None:
    if record.group_session_id is not None:
        raise Conflict(
            _("This record comes from a group session: correct the attendance there."),
            code="group_record",
        )
    if record.recorded_by_id != user.pk:
        raise PermissionDenied(
            _("Only the person who entered a service may change it."), code="not_own_record"
        )
    if not may_change(user, record):
        raise PermissionDenied(
            _("Services can be changed for %(days)s days after they are entered.")
            % {"days": EDIT_DAYS},
            code="too_old",
        )


def update_service(user, record: ServiceRecord, data: dict) -> ServiceRecord:
    """Correct one's own recent record; ``data`` holds the fields to change."""
    with transaction.atomic():
        current = ServiceRecord.objects.select_for_update().select_related("case").get(pk=record.pk)
        _require_change(user, current)
        merged = {
            name: (current.component.code if name == "component" else getattr(current, name))
            for name in RECORD_FIELDS
        }
        merged.update({k: v for k, v in data.items() if k in RECORD_FIELDS})
        values = clean_record(current.case, merged)
        changed = []
        for name, value in values.items():
            old = current.component_id if name == "component" else getattr(current, name)
            new = value.pk if name == "component" else value
            if old != new:
                changed.append(name)
            setattr(current, name, value)
        if changed:
            current.save()  # through the model: auditlog keeps the old and new values
            events.record(
                current.case, "service_edited", actor=user, service=current.pk, fields=changed
            )
    return current


def delete_service(user, record: ServiceRecord) -> None:
    with transaction.atomic():
        current = ServiceRecord.objects.select_for_update().select_related("case").get(pk=record.pk)
        _require_change(user, current)
        events.record(
            current.case,
            "service_deleted",
            actor=user,
            service=current.pk,
            component=current.component.code,
            on=current.delivered_on.isoformat(),
        )
        current.delete()


# --- group sessions ---------------------------------------------------------------------

SESSION_FIELDS = (
    "component",
    "held_on",
    "topic",
    "description",
    "provider_kind",
    "provider_name",
    "duration_hours",
    "cost_rp",
    "cluster",
    "setting",
)


def clean_session(data: dict) -> dict:
    from rehsos.cases.models import Cluster, Setting

    errors: dict = {}
    values: dict = {}
    held_on = as_date(data.get("held_on"), "held_on", errors)
    if held_on is None and "held_on" not in errors:
        errors["held_on"] = _("This field is required.")
    elif held_on and held_on > timezone.localdate():
        errors["held_on"] = _("A session cannot be recorded for a future date.")
    values["held_on"] = held_on
    code = str(data.get("component") or "").strip()
    in_force = components_in_force(held_on) if held_on else {}
    if not code:
        errors["component"] = _("This field is required.")
    elif held_on and code not in in_force:
        errors["component"] = _("This ATENSI component was not in force on that date.")
    values["component"] = in_force.get(code)
    values["topic"] = _text(data, "topic", errors, limit=200, required=True)
    values["description"] = _text(data, "description", errors, limit=4000)
    provider_kind = str(data.get("provider_kind") or ProviderKind.STAFF)
    if provider_kind not in ProviderKind.values:
        errors["provider_kind"] = _("Choose staff, partner, LKS or other.")
    values["provider_kind"] = provider_kind
    values["provider_name"] = _text(data, "provider_name", errors, limit=200)
    hours = _quantity(data.get("duration_hours"), "duration_hours", errors)
    if "duration_hours" not in errors and hours > 999:
        errors["duration_hours"] = _("A session lasts less than 1,000 hours.")
    values["duration_hours"] = hours
    values["cost_rp"] = _rupiah(data.get("cost_rp"), "cost_rp", errors)
    cluster = str(data.get("cluster") or "")
    if cluster and cluster not in Cluster.values:
        errors["cluster"] = _("Choose a cluster.")
    setting = str(data.get("setting") or "")
    if setting and setting not in Setting.values:
        errors["setting"] = _("Choose a setting.")
    values.update(cluster=cluster, setting=setting)
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def _shares(total: int, count: int) -> list[int]:
    """``total`` split into ``count`` whole-rupiah shares that add up to it."""
    if count <= 0:
        return []
    base, rest = divmod(total, count)
    return [base + (1 if i < rest else 0) for i in range(count)]


def _check_participants(session: GroupSession, participants) -> list[tuple[Case, bool]]:
    """Participants as (case, attended); each a case of the session's unit, open on the day."""
    errors: dict = {}
    if not isinstance(participants, list | tuple):
        raise ValidationFailed(fields={"participants": _("Give a list of participants.")})
    seen: set[int] = set()
    cleaned = []
    for index, item in enumerate(participants):
        at = f"participants.{index}"
        case, attended = item.get("case"), item.get("attended", True)
        if not isinstance(case, Case):
            errors[f"{at}.case"] = _("No such case in your scope.")
            continue
        if case.pk in seen:
            errors[f"{at}.case"] = _("This case is listed twice.")
            continue
        seen.add(case.pk)
        if case.unit_id != session.unit_id:
            errors[f"{at}.case"] = _("Only cases of the session's unit can take part.")
        elif case.opened_on > session.held_on or (
            case.closed_on and case.closed_on < session.held_on
        ):
            errors[f"{at}.case"] = _("The case was not open on the day of the session.")
        if not isinstance(attended, bool):
            errors[f"{at}.attended"] = _("Say yes or no.")
        cleaned.append((case, bool(attended)))
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _write_attendance(user, session: GroupSession, participants: list[tuple[Case, bool]]) -> dict:
    """Create, update and remove the session's records to match ``participants``, and
    share its cost among those who attended. Returns counts for the event."""
    existing = {r.case_id: r for r in session.records.select_related("case__person")}
    wanted = {case.pk: (case, attended) for case, attended in participants}
    removed = [r for case_id, r in existing.items() if case_id not in wanted]
    attending = sorted(pk for pk, (_case, attended) in wanted.items() if attended)
    shares = dict(zip(attending, _shares(int(session.cost_rp), len(attending)), strict=True))
    created, updated = [], []
    for case_id, (case, attended) in wanted.items():
        record = existing.get(case_id)
        fields = {
            "component": session.component,
            "delivered_on": session.held_on,
            "description": session.topic[:300],
            "provider_kind": session.provider_kind,
            "provider_name": session.provider_name,
            "quantity": session.duration_hours if attended else Decimal(0),
            "unit_of_measure": "hours",
            "cost_rp": shares.get(case_id, 0),
            "attended": attended,
        }
        if record is None:
            created.append(
                ServiceRecord(case=case, group_session=session, recorded_by=user, **fields)
            )
        elif any(getattr(record, k) != v for k, v in fields.items()):
            for name, value in fields.items():
                setattr(record, name, value)
            updated.append((record, case))
    removed = [(record.pk, record.case) for record in removed]
    for record in session.records.filter(pk__in=[pk for pk, _case in removed]):
        record.delete()  # one by one: the audit log records each removal
    ServiceRecord.objects.bulk_create(created)
    for record, _case in updated:
        record.save()  # through the model, so each correction is audited
    session_id = str(session.public_id)
    for record in created:
        events.record(
            record.case,
            "service_recorded",
            actor=user,
            service=record.pk,
            component=session.component.code,
            on=session.held_on.isoformat(),
            session=session_id,
            attended=record.attended,
            cost_rp=int(record.cost_rp),
        )
    for record, case in updated:
        events.record(
            case,
            "attendance_corrected",
            actor=user,
            service=record.pk,
            session=session_id,
            attended=record.attended,
        )
    for pk, case in removed:
        events.record(case, "service_deleted", actor=user, service=pk, session=session_id)
    return {"created": len(created), "updated": len(updated), "removed": len(removed)}


def create_group_session(user, *, unit, data: dict, participants=()) -> GroupSession:
    """A group session at ``unit`` with its participants (each ``{"case": Case,
    "attended": bool}``), one service record each."""
    values = clean_session(data)
    if unit is None:
        raise ValidationFailed(fields={"unit": _("Choose the unit that held the session.")})
    with transaction.atomic():
        session = GroupSession.objects.create(unit=unit, recorded_by=user, **values)
        checked = _check_participants(session, list(participants))
        _write_attendance(user, session, checked)
    return session


def set_attendance(user, session: GroupSession, *, version, participants) -> GroupSession:
    """Replace the session's attendance: listed cases get (or keep) a record with their
    attendance, cases no longer listed lose theirs."""
    with transaction.atomic():
        current = (
            GroupSession.objects.select_for_update().select_related("component").get(pk=session.pk)
        )
        try:
            given = int(version)
        except (TypeError, ValueError):
            raise ValidationFailed(
                fields={"version": _("Send the row version you edited.")}
            ) from None
        if given != current.version:
            raise Conflict(
                _("Someone else changed this session's attendance. Reload and try again."),
                extra={"current_version": current.version, "your_version": given},
            )
        checked = _check_participants(current, list(participants))
        _write_attendance(user, current, checked)
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
    return current


# --- reads -----------------------------------------------------------------------------


def component_totals(case) -> list[dict]:
    """Services, cost and assistance per component for a case (attended records only)."""
    rows = (
        ServiceRecord.objects.filter(case=case, attended=True)
        .values("component__code", "component__number")
        .annotate(services=Count("id"), cost=Sum("cost_rp"), assistance=Sum("assistance_amount_rp"))
        .order_by("component__number")
    )
    return [
        {
            "component": r["component__code"],
            "services": r["services"],
            "cost_rp": int(r["cost"] or 0),
            "assistance_rp": int(r["assistance"] or 0),
        }
        for r in rows
    ]
