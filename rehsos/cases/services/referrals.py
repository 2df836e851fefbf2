"""Incoming referrals (received, screened, accepted as a case or declined with a reason)
and outgoing referrals from a case to another service, with their outcome.

A declined referral keeps its reason code (``capacity`` among them): later indicators
count declines for lack of capacity per centre."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import Case, Cluster, OutgoingReferral, Referral, ReferralSource, RiskLevel
from rehsos.cases.services import events
from rehsos.cases.services.cases import covers, open_case, ppks_in_force, require_open
from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.core.permissions import require, scoped
from rehsos.registry import events as person_events

OPEN_STATUSES = (Referral.Status.RECEIVED, Referral.Status.SCREENING)


def _check_person(user, person, errors: dict) -> None:
    if person is None:
        return
    if person.merged_into_id or person.erased_at:
        errors["person"] = _("This record was merged or erased: choose the current record.")
    elif not scoped(user, type(person).objects.filter(pk=person.pk)).exists():
        errors["person"] = _("This person is not in your area of work.")


def _lock(referral: Referral, version: int | None) -> Referral:
    current = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("unit", "person", "ppks_type")
        .get(pk=referral.pk)
    )
    if version is not None and current.version != version:
        raise Conflict(
            _("Someone else changed this referral after you opened it."),
            extra={"current": {"version": current.version, "status": current.status}},
        )
    return current


def _require_undecided(referral: Referral) -> None:
    if referral.status not in OPEN_STATUSES:
        raise Conflict(
            _("This referral was already %(status)s.")
            % {"status": referral.get_status_display().lower()},
            code="referral_decided",
        )


def receive(
    user,
    *,
    source: str,
    source_name: str,
    unit,
    cluster: str,
    reason: str,
    referred_on: datetime.date | None = None,
    person=None,
    ppks_type=None,
    urgency: str = RiskLevel.MEDIUM,
    source_contact: str = "",
    source_reference: str = "",
) -> Referral:
    require(user, "cases.referrals")
    errors: dict = {}
    if source not in ReferralSource.values:
        errors["source"] = _("Choose who referred the person.")
    if not (source_name or "").strip():
        errors["source_name"] = _("Enter the referring organisation or person.")
    if cluster not in Cluster.values:
        errors["cluster"] = _("Choose a cluster from the list.")
    if urgency not in RiskLevel.values:
        errors["urgency"] = _("Choose low, medium or high.")
    if len((reason or "").strip()) < 5:
        errors["reason"] = _("Say why the person is referred.")
    referred_on = referred_on or timezone.localdate()
    if referred_on > timezone.localdate():
        errors["referred_on"] = _("The date cannot be in the future.")
    ppks = None
    if ppks_type:
        ppks = ppks_in_force(ppks_type)
        if ppks is None:
            errors["ppks_type"] = _("Choose a PPKS type from the list.")
        elif cluster in Cluster.values and ppks.cluster != cluster:
            errors["ppks_type"] = _("This PPKS type belongs to another cluster.")
    if unit is None or not unit.is_active:
        errors["unit"] = _("Choose the unit the person is referred to.")
    elif not covers(user, unit):
        errors["unit"] = _("Choose a unit in your area of work.")
    _check_person(user, person, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        referral = Referral.objects.create(
            source=source,
            source_name=source_name.strip(),
            source_contact=(source_contact or "").strip(),
            source_reference=(source_reference or "").strip(),
            referred_on=referred_on,
            unit=unit,
            province_code=unit.province_code,
            person=person,
            cluster=cluster,
            ppks_type=ppks,
            reason=reason.strip(),
            urgency=urgency,
            received_by=user,
        )
        if person is not None:
            person_events.record(
                person, "referral.received", actor=user, source=source, unit=unit.code
            )
    return referral


def link_person(user, referral: Referral, person, *, version: int | None = None) -> Referral:
    require(user, "cases.referrals")
    errors: dict = {}
    if person is None:
        errors["person"] = _("Choose the person (register them first if needed).")
    _check_person(user, person, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        current = _lock(referral, version)
        _require_undecided(current)
        current.person = person
        current.version += 1
        current.save(update_fields=["person", "version", "updated_at"])
        person_events.record(person, "referral.linked", actor=user, unit=current.unit.code)
    return current


def screen(user, referral: Referral, *, note: str, version: int | None = None) -> Referral:
    require(user, "cases.referrals")
    note = (note or "").strip()
    if len(note) < 5:
        raise ValidationFailed(fields={"note": _("Write what the screening found.")})
    with transaction.atomic():
        current = _lock(referral, version)
        _require_undecided(current)
        current.status = Referral.Status.SCREENING
        current.screening_note = note
        current.version += 1
        current.save(update_fields=["status", "screening_note", "version", "updated_at"])
    return current


def accept(
    user,
    referral: Referral,
    *,
    setting: str,
    person=None,
    ppks_type=None,
    social_worker=None,
    supervisor=None,
    risk_level: str | None = None,
    flags: dict | None = None,
    summary: str = "",
    version: int | None = None,
) -> Referral:
    """Accept the referral: open the case (through ``open_case``) and link it."""
    require(user, "cases.referrals")
    with transaction.atomic():
        current = _lock(referral, version)
        _require_undecided(current)
        person = person or current.person
        if person is None:
            raise ValidationFailed(
                fields={"person": _("Link the referred person's record before accepting.")}
            )
        case = open_case(
            user,
            person=person,
            cluster=current.cluster,
            ppks_type=ppks_type or current.ppks_type,
            setting=setting,
            unit=current.unit,
            social_worker=social_worker,
            supervisor=supervisor,
            risk_level=risk_level or current.urgency,
            flags=flags,
            summary=summary or current.reason,
        )
        current.person = person
        current.case = case
        current.status = Referral.Status.ACCEPTED
        current.decided_by = user
        current.decided_at = timezone.now()
        current.version += 1
        current.save()
        events.record(case, "referral_accepted", actor=user, source=current.source)
    return current


def decline(
    user, referral: Referral, *, reason: str, note: str = "", version: int | None = None
) -> Referral:
    require(user, "cases.referrals")
    if reason not in Referral.DeclineReason.values:
        raise ValidationFailed(fields={"decline_reason": _("Choose why the referral is declined.")})
    with transaction.atomic():
        current = _lock(referral, version)
        _require_undecided(current)
        current.status = Referral.Status.DECLINED
        current.decline_reason = reason
        note = (note or "").strip()
        if note:
            current.screening_note = (
                f"{current.screening_note}\n{note}".strip() if current.screening_note else note
            )
        current.decided_by = user
        current.decided_at = timezone.now()
        current.version += 1
        current.save()
        if current.person_id:
            person_events.record(
                current.person,
                "referral.declined",
                actor=user,
                reason=reason,
                unit=current.unit.code,
            )
    return current


# --- outgoing -------------------------------------------------------------------------------


def refer_out(
    user,
    case: Case,
    *,
    reason: str,
    service_name: str = "",
    referred_on: datetime.date | None = None,
    to_unit=None,
    service_kind: str = "",
) -> OutgoingReferral:
    require(user, "cases.referrals")
    require_open(case)
    errors: dict = {}
    if not (service_name or "").strip() and to_unit is None:
        errors["service_name"] = _("Enter the service the person is referred to.")
    if len((reason or "").strip()) < 5:
        errors["reason"] = _("Say why the person is referred.")
    referred_on = referred_on or timezone.localdate()
    if referred_on > timezone.localdate():
        errors["referred_on"] = _("The date cannot be in the future.")
    if referred_on < case.opened_on:
        errors["referred_on"] = _("The date is before the case was opened.")
    if to_unit is not None and to_unit.pk == case.unit_id:
        errors["to_unit"] = _("This is the case's own unit.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        outgoing = OutgoingReferral.objects.create(
            case=case,
            service_name=(service_name or "").strip() or to_unit.name,
            to_unit=to_unit,
            service_kind=(service_kind or "").strip(),
            referred_on=referred_on,
            reason=reason.strip(),
            created_by=user,
        )
        events.record(
            case,
            "referred_out",
            actor=user,
            outgoing=str(outgoing.public_id),
            to_unit=to_unit.code if to_unit else None,
        )
    return outgoing


def record_outcome(
    user,
    outgoing: OutgoingReferral,
    *,
    outcome: str,
    outcome_on: datetime.date | None = None,
    note: str = "",
    version: int,
) -> OutgoingReferral:
    require(user, "cases.referrals")
    errors: dict = {}
    if outcome not in OutgoingReferral.Outcome.values:
        errors["outcome"] = _("Choose the outcome from the list.")
    outcome_on = outcome_on or timezone.localdate()
    if outcome_on > timezone.localdate():
        errors["outcome_on"] = _("The date cannot be in the future.")
    if outcome_on < outgoing.referred_on:
        errors["outcome_on"] = _("The outcome cannot come before the referral.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        current = OutgoingReferral.objects.select_for_update(of=("self",)).get(pk=outgoing.pk)
        if current.version != version:
            raise Conflict(
                _("Someone else changed this referral after you opened it."),
                extra={
                    "current": {
                        "version": current.version,
                        "outcome": current.outcome,
                        "outcome_on": str(current.outcome_on or ""),
                        "outcome_note": current.outcome_note,
                    }
                },
            )
        current.outcome = outcome
        current.outcome_on = None if outcome == OutgoingReferral.Outcome.PENDING else outcome_on
        current.outcome_note = (note or "").strip()
        current.version += 1
        current.save()
        events.record(
            current.case,
            "referral_outcome",
            actor=user,
            outgoing=str(current.public_id),
            outcome=outcome,
        )
    return current


# --- reads ----------------------------------------------------------------------------------


def queue(user, *, status: str | None = None):
    """The referrals addressed to units in the user's scope, oldest undecided first."""
    queryset = scoped(user, Referral.objects.all()).select_related("unit", "person", "ppks_type")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def referral_for(user, public_id) -> Referral:
    from rehsos.core.errors import NotFound

    require(user, "cases.referrals")
    found = queue(user).filter(public_id=public_id).first()
    if found is None:
        raise NotFound(_("No such referral in your area of work."))
    return found


def outgoing_for(user, public_id) -> OutgoingReferral:
    from rehsos.cases.access import visible_cases
    from rehsos.core.errors import NotFound

    require(user, "cases.referrals")
    found = (
        OutgoingReferral.objects.filter(public_id=public_id, case__in=visible_cases(user))
        .select_related("case", "to_unit")
        .first()
    )
    if found is None:
        raise NotFound(_("No such referral in your area of work."))
    return found
