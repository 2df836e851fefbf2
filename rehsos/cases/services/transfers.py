"""Transfers of a case between units: requested by the sending unit, accepted or
declined by the receiving one. On acceptance the case's unit and province change, so
its visibility moves with it; the receiving head then assigns a worker and supervisor.

``Transfer.scope_fields`` follow the case's current unit (the sender's, while the
transfer waits); ``incoming(user)`` is how the receiving unit finds what is addressed
to it."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import Case, Task, Transfer
from rehsos.cases.services import events
from rehsos.cases.services.cases import covers, lock, require_open
from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.permissions import ScopeFields, require, scope_filter, scoped

RECEIVER_SCOPE = ScopeFields(province="to_province_code", facility="to_unit")


def request_transfer(user, case: Case, *, to_unit, reason: str) -> Transfer:
    require(user, "cases.transfer")
    errors: dict = {}
    reason = (reason or "").strip()
    if len(reason) < 5:
        errors["reason"] = _("Say why the case should move to another unit.")
    if to_unit is None or not to_unit.is_active:
        errors["to_unit"] = _("Choose an active unit.")
    elif to_unit.pk == case.unit_id:
        errors["to_unit"] = _("The case is at this unit already.")
    elif to_unit.clusters and case.cluster not in to_unit.clusters:
        errors["to_unit"] = _("%(unit)s does not serve this case's cluster.") % {
            "unit": to_unit.name
        }
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        current = lock(case, None)
        require_open(current)
        if not covers(user, current.unit):
            raise PermissionDenied(_("Only the case's own unit may ask for its transfer."))
        if Transfer.objects.filter(case=current, status=Transfer.Status.PENDING).exists():
            raise Conflict(
                _("A transfer of this case is already waiting for an answer."),
                code="transfer_pending",
            )
        try:
            with transaction.atomic():
                transfer = Transfer.objects.create(
                    case=current,
                    from_unit=current.unit,
                    to_unit=to_unit,
                    to_province_code=to_unit.province_code,
                    reason=reason,
                    requested_by=user,
                )
        except IntegrityError as exc:  # a second request that raced the first
            raise Conflict(
                _("A transfer of this case is already waiting for an answer."),
                code="transfer_pending",
            ) from exc
        events.record(
            current,
            "transfer_requested",
            actor=user,
            transfer=str(transfer.public_id),
            from_unit=current.unit.code,
            to_unit=to_unit.code,
        )
    return transfer


def _lock_pending(transfer: Transfer) -> Transfer:
    current = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("case", "from_unit", "to_unit")
        .get(pk=transfer.pk)
    )
    if current.status != Transfer.Status.PENDING:
        raise Conflict(
            _("This transfer was already %(status)s.")
            % {"status": current.get_status_display().lower()},
            code="transfer_decided",
        )
    return current


def _require_receiver(user, transfer: Transfer) -> None:
    require(user, "cases.transfer")
    if not covers(user, transfer.to_unit):
        raise PermissionDenied(_("Only the receiving unit may answer this transfer."))


def accept(user, transfer: Transfer, *, note: str = "") -> Transfer:
    with transaction.atomic():
        # The case first, then the transfer: the order request_transfer locks them in.
        case = lock(transfer.case, None)
        current = _lock_pending(transfer)
        _require_receiver(user, current)
        old_unit = case.unit
        now = timezone.now()
        current.status = Transfer.Status.ACCEPTED
        current.decided_by = user
        current.decided_at = now
        current.decision_note = (note or "").strip()
        current.version += 1
        current.save()
        case.unit = current.to_unit
        case.province_code = current.to_unit.province_code
        case.social_worker = None
        case.supervisor = None
        case.version += 1
        case.save(
            update_fields=[
                "unit",
                "province_code",
                "social_worker",
                "supervisor",
                "version",
                "updated_at",
            ]
        )
        # The case's open tasks follow it: the old unit no longer sees the case.
        Task.objects.filter(case=case, status=Task.Status.OPEN).update(
            unit=current.to_unit, province_code=current.to_unit.province_code, assignee=None
        )
        events.record(
            case,
            "transfer_accepted",
            actor=user,
            transfer=str(current.public_id),
            from_unit=old_unit.code,
            to_unit=current.to_unit.code,
        )
    return current


def decline(user, transfer: Transfer, *, note: str) -> Transfer:
    note = (note or "").strip()
    if len(note) < 5:
        raise ValidationFailed(fields={"note": _("Say why the transfer is declined.")})
    with transaction.atomic():
        current = _lock_pending(transfer)
        _require_receiver(user, current)
        current.status = Transfer.Status.DECLINED
        current.decided_by = user
        current.decided_at = timezone.now()
        current.decision_note = note
        current.version += 1
        current.save()
        events.record(
            current.case,
            "transfer_declined",
            actor=user,
            transfer=str(current.public_id),
            to_unit=current.to_unit.code,
        )
    return current


def cancel(user, transfer: Transfer, *, note: str = "") -> Transfer:
    require(user, "cases.transfer")
    with transaction.atomic():
        current = _lock_pending(transfer)
        if current.requested_by_id != user.pk and not covers(user, current.case.unit):
            raise PermissionDenied(_("Only the sending unit may cancel this transfer."))
        current.status = Transfer.Status.CANCELLED
        current.decided_by = user
        current.decided_at = timezone.now()
        current.decision_note = (note or "").strip()
        current.version += 1
        current.save()
        events.record(
            current.case, "transfer_cancelled", actor=user, transfer=str(current.public_id)
        )
    return current


# --- reads ----------------------------------------------------------------------------------


def incoming(user, *, pending_only: bool = True):
    """Transfers addressed to units in the user's scope."""
    condition = scope_filter(user, RECEIVER_SCOPE)
    queryset = Transfer.objects.all() if condition is None else Transfer.objects.filter(condition)
    if pending_only:
        queryset = queryset.filter(status=Transfer.Status.PENDING)
    return queryset.select_related("case", "case__ppks_type", "from_unit", "to_unit").order_by(
        "created_at", "pk"
    )


def outgoing(user, *, pending_only: bool = True):
    """Transfers of cases at units in the user's scope (what the sender sees)."""
    queryset = scoped(user, Transfer.objects.all())
    if pending_only:
        queryset = queryset.filter(status=Transfer.Status.PENDING)
    return queryset.select_related("case", "from_unit", "to_unit").order_by("created_at", "pk")


def transfer_for(user, public_id) -> Transfer:
    """A transfer the user sends or receives; 404 otherwise."""
    require(user, "cases.transfer")
    sent = scope_filter(user, Transfer.scope_fields)
    received = scope_filter(user, RECEIVER_SCOPE)
    queryset = Transfer.objects.filter(public_id=public_id)
    if sent is not None and received is not None:
        queryset = queryset.filter(Q(sent) | Q(received))
    found = queryset.select_related("case", "from_unit", "to_unit").first()
    if found is None:
        raise NotFound(_("No such transfer in your area of work."))
    return found


def pending_for(case: Case) -> Transfer | None:
    return (
        Transfer.objects.filter(case=case, status=Transfer.Status.PENDING)
        .select_related("to_unit", "from_unit")
        .first()
    )
