"""The termination summary (goals met, the reason the case ends) and its approval.

The approver is the head of the case's unit, a provincial officer of its province or
a national administrator — never the person who wrote the summary."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import Case, ClosureReason, Termination
from rehsos.cases.services import events
from rehsos.cases.services.cases import lock, require_open
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.permissions import require
from rehsos.core.roles import Role


def may_approve(user, case: Case) -> bool:
    if not user.is_active:
        return False
    if user.role == Role.NATIONAL_ADMIN:
        return True
    if user.role == Role.FACILITY_HEAD:
        return user.facility_id == case.unit_id
    if user.role == Role.PROVINCIAL_OFFICER:
        return bool(user.province_code) and user.province_code == case.province_code
    return False


def write_summary(
    user,
    case: Case,
    *,
    goals_met: str,
    reason: str,
    summary: str,
    recommendations: str = "",
    version: int | None = None,
) -> Termination:
    """Write the summary, or rewrite it while it is not approved (``version`` is the
    summary's row version when it exists)."""
    require(user, "cases.edit")
    errors = {}
    if goals_met not in Termination.GoalsMet.values:
        errors["goals_met"] = _("Choose how many of the goals were met.")
    if reason not in ClosureReason.values:
        errors["reason"] = _("Choose why the case ends.")
    summary = (summary or "").strip()
    if len(summary) < 10:
        errors["summary"] = _("Write the summary (at least a sentence).")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        current_case = lock(case, None)
        require_open(current_case)
        termination = Termination.objects.select_for_update().filter(case=current_case).first()
        if termination is None:
            termination = Termination.objects.create(
                case=current_case,
                goals_met=goals_met,
                reason=reason,
                summary=summary,
                recommendations=(recommendations or "").strip(),
                written_by=user,
            )
            kind = "termination_written"
        else:
            if termination.approved_at is not None:
                raise Conflict(
                    _("The summary is approved and can no longer be changed."),
                    code="termination_approved",
                )
            if version is None or termination.version != version:
                raise Conflict(
                    _("Someone else changed the summary after you opened it."),
                    extra={"current": summary_snapshot(termination)},
                )
            termination.goals_met = goals_met
            termination.reason = reason
            termination.summary = summary
            termination.recommendations = (recommendations or "").strip()
            termination.written_by = user
            termination.version += 1
            termination.save()
            kind = "termination_rewritten"
        events.record(current_case, kind, actor=user, goals_met=goals_met, reason=reason)
    return termination


def approve(user, case: Case, *, version: int | None = None) -> Termination:
    require(user, "cases.approve")
    with transaction.atomic():
        current_case = lock(case, None)
        require_open(current_case)
        termination = Termination.objects.select_for_update().filter(case=current_case).first()
        if termination is None:
            raise ValidationFailed(
                fields={"termination": _("The termination summary is not written.")}
            )
        if not may_approve(user, current_case):
            raise PermissionDenied(
                _(
                    "Only the head of the case's unit, a provincial officer of its province "
                    "or a national administrator may approve the termination."
                )
            )
        if termination.written_by_id == user.pk:
            raise PermissionDenied(_("You wrote this summary: someone else must approve it."))
        if termination.approved_at is not None:
            raise Conflict(_("The summary is approved already."), code="termination_approved")
        if version is not None and termination.version != version:
            raise Conflict(
                _("Someone else changed the summary after you opened it."),
                extra={"current": summary_snapshot(termination)},
            )
        termination.approved_by = user
        termination.approved_at = timezone.now()
        termination.version += 1
        termination.save()
        events.record(current_case, "termination_approved", actor=user, reason=termination.reason)
    return termination


def summary_snapshot(termination: Termination) -> dict:
    return {
        "version": termination.version,
        "goals_met": termination.goals_met,
        "reason": termination.reason,
        "summary": termination.summary,
        "recommendations": termination.recommendations,
        "approved": termination.approved_at is not None,
    }
