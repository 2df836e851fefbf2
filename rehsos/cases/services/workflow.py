"""Moving a case through its stages, closing and reopening it.

Forward, a case may skip stages, but it must meet the requirements of EVERY stage it
enters; the refusal lists everything missing and changes nothing. Back needs a reason.
Each move is a ``Transition`` row with the days spent in the stage left."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import Case, CaseStatus, Stage, Termination, Transition
from rehsos.cases.services import events, stage_rules
from rehsos.cases.services.cases import lock, require_open
from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.permissions import require
from rehsos.core.roles import Role

MIN_REASON = 5


def stages_of(case: Case) -> list[Stage]:
    return list(Stage.objects.filter(stage_set_id=case.stage.stage_set_id).order_by("order"))


def next_stage(case: Case) -> Stage | None:
    return (
        Stage.objects.filter(stage_set_id=case.stage.stage_set_id, order__gt=case.stage.order)
        .order_by("order")
        .first()
    )


def may_move_into(user, stage: Stage) -> bool:
    return not stage.movers or user.role in stage.movers


def _movers_text(stage: Stage) -> str:
    return ", ".join(str(Role(code).label) for code in stage.movers if code in Role.values)


def _days_since(moment) -> int:
    return max((timezone.now() - moment).days, 0)


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and len(reason) < MIN_REASON:
        raise ValidationFailed(fields={"reason": _("Give the reason (at least a few words).")})
    return reason


def resolve_stage(case: Case, value) -> Stage:
    """A stage of the case's stage list, from an instance or a code."""
    if isinstance(value, Stage):
        found = value if value.stage_set_id == case.stage.stage_set_id else None
    else:
        code = str(value or "").strip()
        found = Stage.objects.filter(stage_set_id=case.stage.stage_set_id, code=code).first()
    if found is None:
        raise ValidationFailed(fields={"to_stage": _("Choose a stage of this case's stage list.")})
    return found


def move_stage(user, case: Case, to_stage, *, reason: str = "", version: int) -> Case:
    require(user, "cases.move")
    with transaction.atomic():
        current = lock(case, version)
        require_open(current)
        target = resolve_stage(current, to_stage)
        here = current.stage
        if target.pk == here.pk:
            raise ValidationFailed(fields={"to_stage": _("The case is already in this stage.")})
        if target.is_closing:
            raise ValidationFailed(
                fields={"to_stage": _("This stage closes the case: use Close case instead.")}
            )
        forward = target.order > here.order
        if forward:
            entered = [s for s in stages_of(current) if here.order < s.order <= target.order]
            reason = _clean_reason(reason, required=False)
        else:
            entered = [target]
            reason = _clean_reason(reason, required=True)
        for stage in entered:
            if not may_move_into(user, stage):
                raise PermissionDenied(
                    _("Only %(roles)s may move a case into %(stage)s.")
                    % {"roles": _movers_text(stage), "stage": stage}
                )
        if forward:
            missing = []
            for stage in entered:
                missing += [
                    _("%(stage)s: %(missing)s") % {"stage": stage, "missing": message}
                    for message in stage_rules.check(current, stage)
                ]
            if missing:
                raise ValidationFailed(
                    _("The case cannot move yet: %(missing)s") % {"missing": " ".join(missing)},
                    fields={"stage": " ".join(missing)},
                    code="stage_requirements",
                    extra={"missing": missing},
                )
        now = timezone.now()
        Transition.objects.create(
            case=current,
            kind=Transition.Kind.FORWARD if forward else Transition.Kind.BACK,
            from_stage=here,
            to_stage=target,
            reason=reason,
            actor=user,
            at=now,
            days_in_previous=_days_since(current.stage_entered_at),
        )
        current.stage = target
        current.stage_entered_at = now
        current.version += 1
        current.save(update_fields=["stage", "stage_entered_at", "version", "updated_at"])
        events.record(
            current,
            "stage_moved",
            actor=user,
            from_stage=here.code,
            to_stage=target.code,
            direction="forward" if forward else "back",
        )
        if forward and any(stage.is_aftercare for stage in entered):
            from rehsos.cases.services.aftercare import schedule_visits

            visits = schedule_visits(current, start=timezone.localdate())
            if visits:
                events.record(
                    current,
                    "aftercare_scheduled",
                    actor=user,
                    months=[visit.months_after for visit in visits],
                )
    return current


def close_case(user, case: Case, *, reason: str = "", version: int) -> Case:
    """Close the case: its termination summary (which holds the closure reason, also for
    a death, a move or lost contact) must be approved, and no residential stay open."""
    require(user, "cases.move")
    with transaction.atomic():
        current = lock(case, version)
        require_open(current)
        termination = Termination.objects.filter(case=current).first()
        missing = stage_rules.RULES["termination_approved"].check(current)
        missing += stage_rules.RULES["no_open_stay"].check(current)
        if missing:
            raise ValidationFailed(
                _("The case cannot be closed yet: %(missing)s") % {"missing": " ".join(missing)},
                fields={"termination": " ".join(missing)},
                code="close_requirements",
                extra={"missing": missing},
            )
        now = timezone.now()
        Transition.objects.create(
            case=current,
            kind=Transition.Kind.CLOSE,
            from_stage=current.stage,
            to_stage=current.stage,
            reason=_clean_reason(reason, required=False),
            actor=user,
            at=now,
            days_in_previous=_days_since(current.stage_entered_at),
        )
        current.status = CaseStatus.CLOSED
        current.closed_on = timezone.localdate()
        current.closure_reason = termination.reason
        current.version += 1
        current.save(
            update_fields=["status", "closed_on", "closure_reason", "version", "updated_at"]
        )
        events.record(
            current,
            "closed",
            actor=user,
            closure_reason=termination.reason,
            stage=current.stage.code,
            goals_met=termination.goals_met,
        )
    return current


def reopen_case(user, case: Case, *, reason: str, to_stage=None, version: int | None = None):
    """Reopen a closed case at a stage no later than the one it closed in. The
    termination's approval is withdrawn: closing again needs a new one."""
    require(user, "cases.move")
    with transaction.atomic():
        current = lock(case, version)
        if current.status != CaseStatus.CLOSED:
            raise ValidationFailed(fields={"status": _("The case is open already.")})
        reason = _clean_reason(reason, required=True)
        target = current.stage if to_stage in (None, "") else resolve_stage(current, to_stage)
        if target.order > current.stage.order:
            raise ValidationFailed(
                fields={"to_stage": _("Reopen at the stage the case closed in or an earlier one.")}
            )
        if target.is_closing:
            raise ValidationFailed(fields={"to_stage": _("Choose a stage that keeps it open.")})
        if not may_move_into(user, target):
            raise PermissionDenied(
                _("Only %(roles)s may move a case into %(stage)s.")
                % {"roles": _movers_text(target), "stage": target}
            )
        Termination.objects.filter(case=current).update(approved_at=None, approved_by=None)
        missing = stage_rules.check(current, target)
        if missing:
            raise ValidationFailed(
                fields={"to_stage": " ".join(missing)},
                code="stage_requirements",
                extra={"missing": missing},
            )
        now = timezone.now()
        Transition.objects.create(
            case=current,
            kind=Transition.Kind.REOPEN,
            from_stage=current.stage,
            to_stage=target,
            reason=reason,
            actor=user,
            at=now,
        )
        previous = current.stage.code
        current.status = CaseStatus.OPEN
        current.closed_on = None
        current.closure_reason = ""
        current.stage = target
        current.stage_entered_at = now
        current.version += 1
        current.save(
            update_fields=[
                "status",
                "closed_on",
                "closure_reason",
                "stage",
                "stage_entered_at",
                "version",
                "updated_at",
            ]
        )
        events.record(current, "reopened", actor=user, from_stage=previous, to_stage=target.code)
    return current


def history(case: Case):
    return case.transitions.select_related("from_stage", "to_stage", "actor").order_by("at", "pk")
