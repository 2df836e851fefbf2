"""Opening a case, editing it with a row version, assigning its worker and supervisor.

A case number reads ``ANAK-3175-2026-000123``: cluster, the regency of the responsible
unit, the year of opening and a sequence. The sequence runs per regency and year
(``CaseNumberSeries``), so two units of one regency never hand out the same number."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import (
    SENSITIVITY_FLAGS,
    Case,
    CaseNumberSeries,
    CaseStatus,
    Cluster,
    PpksType,
    RiskLevel,
    Setting,
    Stage,
    StageSet,
    Transition,
)
from rehsos.cases.services import events
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.permissions import can, require, scoped
from rehsos.core.roles import ScopeLevel
from rehsos.facilities.models import Facility

ADULT_AGE = 18
FLAG_FIELDS = tuple(field for field, _label in SENSITIVITY_FLAGS)
EDITABLE = ("cluster", "ppks_type", "setting", "risk_level", "summary", *FLAG_FIELDS)


# --- small shared checks (the other workflow services use them) ----------------------


def age_on(birth_date: datetime.date | None, on: datetime.date) -> int | None:
    if not birth_date:
        return None
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def covers(user, unit: Facility) -> bool:
    """Whether the user's scope covers the unit (without a query)."""
    if not user or not user.is_active:
        return False
    if user.scope_level == ScopeLevel.NATION:
        return True
    if user.scope_level == ScopeLevel.PROVINCE:
        return bool(user.province_code) and user.province_code == unit.province_code
    if user.scope_level == ScopeLevel.FACILITY:
        return user.facility_id == unit.pk
    return False


def snapshot(case: Case) -> dict:
    """The case's editable values and state, as codes (for a 409's "current")."""
    return {
        "public_id": str(case.public_id),
        "number": case.number,
        "version": case.version,
        "status": case.status,
        "stage": case.stage.code,
        "cluster": case.cluster,
        "ppks_type": case.ppks_type.code,
        "setting": case.setting,
        "unit": case.unit.code,
        "social_worker": case.social_worker.username if case.social_worker_id else None,
        "supervisor": case.supervisor.username if case.supervisor_id else None,
        "risk_level": case.risk_level,
        "summary": case.summary,
        **{field: getattr(case, field) for field in FLAG_FIELDS},
    }


def lock(case: Case, version: int | None) -> Case:
    """The case's row, locked for this transaction; a stale ``version`` is a 409."""
    current = (
        Case.objects.select_for_update(of=("self",))
        .select_related("stage", "ppks_type", "unit", "social_worker", "supervisor", "person")
        .get(pk=case.pk)
    )
    if version is not None and current.version != version:
        raise Conflict(
            _("Someone else changed this case after you opened it. Compare and try again."),
            extra={"current": snapshot(current), "current_version": current.version},
        )
    return current


def require_open(case: Case) -> None:
    if case.status != CaseStatus.OPEN:
        raise ValidationFailed(
            _("The case is closed."),
            fields={"status": _("The case is closed: reopen it first.")},
        )


def bump(case: Case, fields: list[str]) -> None:
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


def ppks_in_force(value) -> PpksType | None:
    """A PPKS type in force, from an instance or a code."""
    if isinstance(value, PpksType):
        return value
    if not value:
        return None
    return PpksType.objects.in_force().filter(code=str(value).strip().upper()).first()


def default_stages() -> list[Stage]:
    stage_set = StageSet.objects.in_force().filter(is_default=True).first()
    if stage_set is None:
        stage_set = StageSet.objects.filter(is_default=True).first()
    if stage_set is None:
        raise ValidationFailed(
            _("No stage list is set as the default: an administrator must set one."),
            fields={"stage": _("No default stage list.")},
        )
    return list(stage_set.stages.order_by("order"))


def check_staff(user, unit: Facility, field: str, errors: dict) -> None:
    """A worker or supervisor: an active user doing case work whose scope covers the unit."""
    if user is None:
        return
    if not (user.is_active and can(user, "cases.edit")):
        errors[field] = _("Choose an active member of staff who works on cases.")
    elif not covers(user, unit):
        errors[field] = _("This person does not work for %(unit)s.") % {"unit": unit.name}


# --- case numbers --------------------------------------------------------------------------


def regency_code(unit: Facility) -> str:
    digits = "".join(ch for ch in (unit.region_id or "")[:5] if ch.isdigit())
    return (digits + "0000")[:4]


def _next_in_series(series: str) -> int:
    # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before the
    # read, so concurrent openings queue here instead of reading the same number.
    if not CaseNumberSeries.objects.filter(series=series).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                CaseNumberSeries.objects.create(series=series, last=1)
                return 1
        except IntegrityError:
            CaseNumberSeries.objects.filter(series=series).update(last=F("last") + 1)
    return CaseNumberSeries.objects.get(series=series).last


def next_number(cluster: str, unit: Facility, year: int) -> str:
    series = f"{regency_code(unit)}-{year}"
    while True:
        number = f"{cluster}-{series}-{_next_in_series(series):06d}"
        # Numbers given before the series existed (imports, demo data) are skipped.
        if not Case.objects.filter(number=number).exists():
            return number


# --- opening --------------------------------------------------------------------------------


def _clean_common(values: dict, errors: dict) -> None:
    if "cluster" in values and values["cluster"] not in Cluster.values:
        errors["cluster"] = _("Choose a cluster from the list.")
    if "setting" in values and values["setting"] not in Setting.values:
        errors["setting"] = _("Choose family-based, community-based or residential.")
    if "risk_level" in values and values["risk_level"] not in RiskLevel.values:
        errors["risk_level"] = _("Choose low, medium or high.")
    ppks = values.get("ppks_type")
    cluster = values.get("cluster")
    if ppks is not None and cluster and "cluster" not in errors and ppks.cluster != cluster:
        errors["ppks_type"] = _(
            "%(type)s belongs to the cluster %(its)s, not %(cluster)s: choose a PPKS type "
            "of the case's cluster or change the cluster."
        ) % {
            "type": ppks,
            "its": Cluster(ppks.cluster).label,
            "cluster": Cluster(cluster).label,
        }


def open_case(
    user,
    *,
    person,
    ppks_type,
    setting: str,
    unit: Facility,
    cluster: str | None = None,
    social_worker=None,
    supervisor=None,
    risk_level: str = RiskLevel.LOW,
    flags: dict | None = None,
    summary: str = "",
    opened_on: datetime.date | None = None,
) -> Case:
    """Open a case at the first stage of the default stage list."""
    require(user, "cases.open")
    errors: dict = {}
    ppks = ppks_in_force(ppks_type)
    if ppks is None:
        errors["ppks_type"] = _("Choose a PPKS type from the list.")
    cluster = cluster or (ppks.cluster if ppks else "")
    today = timezone.localdate()
    opened_on = opened_on or today
    if opened_on > today:
        errors["opened_on"] = _("A case cannot be opened on a future date.")
    values = {"cluster": cluster, "setting": setting, "risk_level": risk_level, "ppks_type": ppks}
    _clean_common(values, errors)
    if person is None:
        errors["person"] = _("Choose the person (register them first if needed).")
    elif person.merged_into_id or person.erased_at:
        errors["person"] = _("This record was merged or erased: choose the current record.")
    elif not scoped(user, type(person).objects.filter(pk=person.pk)).exists():
        errors["person"] = _("This person is not in your area of work.")
    if unit is None:
        errors["unit"] = _("Choose the responsible unit.")
    elif not unit.is_active:
        errors["unit"] = _("This unit is no longer active.")
    elif not covers(user, unit):
        errors["unit"] = _("Choose a unit in your area of work.")
    if unit is not None and "unit" not in errors:
        check_staff(social_worker, unit, "social_worker", errors)
        check_staff(supervisor, unit, "supervisor", errors)
    if social_worker is not None and social_worker == supervisor:
        errors["supervisor"] = _("The supervisor must be someone other than the social worker.")
    unknown = set(flags or {}) - set(FLAG_FIELDS)
    if unknown:
        errors["flags"] = _("Unknown flags: %(flags)s.") % {"flags": ", ".join(sorted(unknown))}
    if not errors and person is not None:
        duplicate = Case.objects.filter(person=person, cluster=cluster, status=CaseStatus.OPEN)
        existing = duplicate.values_list("number", flat=True).first()
        if existing:
            errors["person"] = _(
                "This person already has an open case in this cluster (%(number)s)."
            ) % {"number": existing}
    if errors:
        raise ValidationFailed(fields=errors)

    flag_values = {field: bool((flags or {}).get(field)) for field in FLAG_FIELDS}
    age = age_on(person.birth_date, opened_on)
    if age is not None and age < ADULT_AGE:
        flag_values["flag_child"] = True
    stages = default_stages()
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            number=next_number(cluster, unit, opened_on.year),
            person=person,
            cluster=cluster,
            ppks_type=ppks,
            setting=setting,
            unit=unit,
            province_code=unit.province_code,
            social_worker=social_worker,
            supervisor=supervisor,
            risk_level=risk_level,
            stage=stages[0],
            stage_entered_at=now,
            opened_on=opened_on,
            summary=(summary or "").strip(),
            opened_by=user,
            **flag_values,
        )
        Transition.objects.create(
            case=case, kind=Transition.Kind.OPEN, to_stage=stages[0], actor=user, at=now
        )
        events.record(
            case,
            "opened",
            actor=user,
            number=case.number,
            cluster=cluster,
            ppks_type=ppks.code,
            setting=setting,
            unit=unit.code,
            stage=stages[0].code,
            risk_level=risk_level,
        )
    return case


# --- editing -----------------------------------------------------------------------------


def update_case(user, case: Case, data: dict, *, version: int) -> Case:
    """Edit the case's description (cluster, PPKS type, setting, risk, flags, summary).
    The unit changes by transfer, the team by ``assign``, the stage by a move."""
    require(user, "cases.edit")
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            fields={name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )
    with transaction.atomic():
        current = lock(case, version)
        require_open(current)
        values = dict(data)
        errors: dict = {}
        if "ppks_type" in values:
            values["ppks_type"] = ppks_in_force(values["ppks_type"])
            if values["ppks_type"] is None:
                errors["ppks_type"] = _("Choose a PPKS type from the list.")
        merged = {
            "cluster": values.get("cluster", current.cluster),
            "ppks_type": values.get("ppks_type", current.ppks_type),
        }
        if "setting" in values:
            merged["setting"] = values["setting"]
        if "risk_level" in values:
            merged["risk_level"] = values["risk_level"]
        if "ppks_type" not in errors:
            _clean_common(merged, errors)
        age = age_on(current.person.birth_date, timezone.localdate())
        if values.get("flag_child") is False and age is not None and age < ADULT_AGE:
            errors["flag_child"] = _("The person is under 18: the child flag stays set.")
        if errors:
            raise ValidationFailed(fields=errors)
        changed = []
        for name, value in values.items():
            if name == "summary":
                value = (value or "").strip()
            elif name in FLAG_FIELDS:
                value = bool(value)
            if getattr(current, name) != value:
                setattr(current, name, value)
                changed.append(name)
        if changed:
            bump(current, changed)
            events.record(
                current,
                "edited",
                actor=user,
                fields=sorted(changed),
                cluster=current.cluster,
                ppks_type=current.ppks_type.code,
                risk_level=current.risk_level,
            )
    return current


def assign(user, case: Case, *, social_worker, supervisor, version: int) -> Case:
    """Set the case's social worker and supervisor (either may be left empty)."""
    require(user, "cases.assign")
    with transaction.atomic():
        current = lock(case, version)
        require_open(current)
        if not covers(user, current.unit):
            raise PermissionDenied(_("You may assign staff only in your own area of work."))
        errors: dict = {}
        check_staff(social_worker, current.unit, "social_worker", errors)
        check_staff(supervisor, current.unit, "supervisor", errors)
        if social_worker is not None and social_worker == supervisor:
            errors["supervisor"] = _("The supervisor must be someone other than the social worker.")
        if errors:
            raise ValidationFailed(fields=errors)
        worker_id = social_worker.pk if social_worker else None
        supervisor_id = supervisor.pk if supervisor else None
        if (current.social_worker_id, current.supervisor_id) != (worker_id, supervisor_id):
            current.social_worker = social_worker
            current.supervisor = supervisor
            bump(current, ["social_worker", "supervisor"])
            events.record(
                current,
                "assigned",
                actor=user,
                social_worker=worker_id,
                supervisor=supervisor_id,
            )
    return current


def staff_for(unit: Facility):
    """Active users who may be a case's worker or supervisor at the unit."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from rehsos.core.roles import PERMISSIONS

    roles = [role for role, actions in PERMISSIONS.items() if "cases.edit" in actions]
    return (
        get_user_model()
        .objects.filter(is_active=True, role__in=roles)
        .filter(
            Q(scope_level=ScopeLevel.FACILITY, facility=unit)
            | Q(scope_level=ScopeLevel.PROVINCE, province_code=unit.province_code)
        )
        .order_by("first_name", "last_name", "username")
    )
