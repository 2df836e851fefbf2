"""Intervention plans (penyusunan rencana pemecahan masalah): goals per life domain, the
planned ATENSI services, who takes part, approval by the supervisor, reviews with goal
attainment.

A plan is revised, never rewritten once approved: a new revision starts as a draft
(copying the goals and services of the latest one), is submitted, and is approved or
returned with a note. Approving a revision supersedes the one approved before it, so
a case always has at most one approved plan. ``Plan.review_on`` holds the next review
date (the overdue-work job reads it)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases import access
from rehsos.cases.models import (
    Attainment,
    Case,
    CaseStatus,
    Goal,
    LifeDomain,
    Plan,
    PlannedService,
    PlanReview,
    ServiceComponent,
)
from rehsos.cases.services import events
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.permissions import can

# Days from approval to the first review when the plan does not say.
REVIEW_DAYS = getattr(settings, "REHSOS_PLAN_REVIEW_DAYS", 90)
TEXT_FIELDS = {"family_participation": 4000, "community_participation": 4000}
OPEN_STATUSES = (Plan.Status.DRAFT, Plan.Status.SUBMITTED)


# --- reading and cleaning input -------------------------------------------------------


def as_date(value, field: str, errors: dict) -> datetime.date | None:
    """A date from a date or an ISO string; an error naming ``field`` otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None


def _text(item: dict, key: str, field: str, errors: dict, *, limit: int, required=False) -> str:
    value = item.get(key)
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("At most %(limit)s characters.") % {"limit": limit}
    return value


def components_in_force(on: datetime.date | None = None) -> dict[str, ServiceComponent]:
    return {c.code: c for c in ServiceComponent.objects.in_force(on)}


def clean_goals(case: Case, items, errors: dict) -> list[dict]:
    """Goals as model fields; errors are keyed ``goals.<index>.<field>``."""
    if not isinstance(items, list | tuple):
        errors["goals"] = _("Give a list of goals.")
        return []
    domains = set(LifeDomain.values)
    cleaned = []
    for index, item in enumerate(items):
        at = f"goals.{index}"
        if not isinstance(item, dict):
            errors[at] = _("Each goal is an object with its fields.")
            continue
        domain = str(item.get("domain") or "").strip()
        if domain not in domains:
            errors[f"{at}.domain"] = _("Choose a life domain.")
        target_date = as_date(item.get("target_date"), f"{at}.target_date", errors)
        if target_date and target_date < case.opened_on:
            errors[f"{at}.target_date"] = _(
                "The target date cannot be before the case was opened (%(date)s)."
            ) % {"date": case.opened_on.isoformat()}
        cleaned.append(
            {
                "domain": domain,
                "statement": _text(
                    item, "statement", f"{at}.statement", errors, limit=2000, required=True
                ),
                "indicator": _text(
                    item, "indicator", f"{at}.indicator", errors, limit=300, required=True
                ),
                "baseline": _text(item, "baseline", f"{at}.baseline", errors, limit=200),
                "target": _text(item, "target", f"{at}.target", errors, limit=200, required=True),
                "target_date": target_date,
            }
        )
    return cleaned


def clean_planned_services(items, errors: dict) -> list[dict]:
    """Planned services; the component must be one in force today (by its code)."""
    if not isinstance(items, list | tuple):
        errors["planned_services"] = _("Give a list of planned services.")
        return []
    in_force = components_in_force()
    cleaned = []
    for index, item in enumerate(items):
        at = f"planned_services.{index}"
        if not isinstance(item, dict):
            errors[at] = _("Each planned service is an object with its fields.")
            continue
        code = str(item.get("component") or "").strip()
        if code not in in_force:
            errors[f"{at}.component"] = _("Choose an ATENSI component in force.")
        cleaned.append(
            {
                "component": in_force.get(code),
                "description": _text(
                    item, "description", f"{at}.description", errors, limit=300, required=True
                ),
                "frequency": _text(item, "frequency", f"{at}.frequency", errors, limit=100),
                "provider": _text(item, "provider", f"{at}.provider", errors, limit=200),
            }
        )
    return cleaned


def _clean(case: Case, data: dict) -> tuple[dict, list | None, list | None]:
    errors: dict = {}
    values = {}
    for name, limit in TEXT_FIELDS.items():
        if name in data:
            values[name] = _text(data, name, name, errors, limit=limit)
    if "review_on" in data:
        review_on = as_date(data["review_on"], "review_on", errors)
        if review_on and review_on < case.opened_on:
            errors["review_on"] = _("The review date cannot be before the case was opened.")
        values["review_on"] = review_on
    goals = clean_goals(case, data["goals"], errors) if data.get("goals") is not None else None
    services = (
        clean_planned_services(data["planned_services"], errors)
        if data.get("planned_services") is not None
        else None
    )
    if errors:
        raise ValidationFailed(fields=errors)
    return values, goals, services


def _replace_children(plan: Plan, goals: list | None, services: list | None) -> None:
    if goals is not None:
        plan.goals.all().delete()
        Goal.objects.bulk_create([Goal(plan=plan, **g) for g in goals])
    if services is not None:
        plan.planned_services.all().delete()
        PlannedService.objects.bulk_create([PlannedService(plan=plan, **s) for s in services])


def _locked(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().select_related("case").get(pk=plan.pk)


def _check_version(plan: Plan, version) -> None:
    try:
        given = int(version)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"version": _("Send the row version you edited.")}) from None
    if given != plan.version:
        raise Conflict(
            _("Someone else saved this plan after you opened it. Compare and try again."),
            extra={"current_version": plan.version, "your_version": version},
        )


def _refuse_closed(case: Case) -> None:
    if case.status != CaseStatus.OPEN:
        raise Conflict(_("The case is closed; reopen it to change its plan."), code="case_closed")


# --- who may approve ----------------------------------------------------------------


def may_approve(user, plan: Plan) -> bool:
    """The case's supervisor or a holder of cases.approve, never the plan's author."""
    if not user or not user.is_authenticated or user.pk == plan.created_by_id:
        return False
    return user.pk == plan.case.supervisor_id or can(user, "cases.approve")


def _require_approver(user, plan: Plan) -> None:
    if user.pk == plan.created_by_id:
        raise PermissionDenied(
            _("You wrote this plan: another person (the supervisor or the head) must approve it."),
            code="own_plan",
        )
    if not may_approve(user, plan) or not access.in_scope(user).filter(pk=plan.case_id).exists():
        raise PermissionDenied(
            _("Only the case's supervisor or a head in its scope may approve its plan."),
            code="not_approver",
        )


# --- writes -----------------------------------------------------------------------------


def create_plan(user, case: Case, data: dict | None = None, *, copy_previous: bool = True) -> Plan:
    """A new revision as a draft. Without goals or services in ``data`` it starts from
    the latest revision's (attainment left out)."""
    data = dict(data or {})
    values, goals, services = _clean(case, data)
    with transaction.atomic():
        # Locking the case makes revision numbers and the one-open-revision rule safe.
        case = Case.objects.select_for_update().get(pk=case.pk)
        _refuse_closed(case)
        pending = case.plans.filter(status__in=OPEN_STATUSES).first()
        if pending is not None:
            raise Conflict(
                _("Revision %(revision)s is not approved yet: edit it instead of starting another.")
                % {"revision": pending.revision},
                code="plan_in_progress",
                extra={"plan": str(pending.public_id)},
            )
        previous = case.plans.order_by("-revision").first()
        revision = (case.plans.aggregate(last=Max("revision"))["last"] or 0) + 1
        plan = Plan(case=case, revision=revision, created_by=user, **values)
        if previous is not None and copy_previous:
            for name in TEXT_FIELDS:
                if name not in values:
                    setattr(plan, name, getattr(previous, name))
        plan.save()
        if goals is None and previous is not None and copy_previous:
            goals = list(
                previous.goals.values(
                    "domain", "statement", "indicator", "baseline", "target", "target_date"
                )
            )
        if services is None and previous is not None and copy_previous:
            services = [
                {
                    "component_id": s.component_id,
                    "description": s.description,
                    "frequency": s.frequency,
                    "provider": s.provider,
                }
                for s in previous.planned_services.all()
            ]
        _replace_children(plan, goals, services)
        events.record(case, "plan_created", actor=user, plan=str(plan.public_id), revision=revision)
    return plan


def update_plan(user, plan: Plan, data: dict, *, version) -> Plan:
    """Edit a draft with its row version. ``goals`` and ``planned_services``, when given,
    replace the lists whole."""
    values, goals, services = _clean(plan.case, data)
    with transaction.atomic():
        current = _locked(plan)
        _check_version(current, version)
        _refuse_closed(current.case)
        if current.status != Plan.Status.DRAFT:
            raise Conflict(
                _("Only a draft can be edited; this plan is %(status)s.")
                % {"status": current.get_status_display().lower()},
                code="plan_not_draft",
            )
        for name, value in values.items():
            setattr(current, name, value)
        _replace_children(current, goals, services)
        current.version += 1
        current.save()
        changed = sorted(values) + [
            name
            for name, given in (("goals", goals), ("planned_services", services))
            if given is not None
        ]
        events.record(
            current.case, "plan_edited", actor=user, plan=str(current.public_id), fields=changed
        )
    return current


def submit_plan(user, plan: Plan, *, version) -> Plan:
    with transaction.atomic():
        current = _locked(plan)
        _check_version(current, version)
        _refuse_closed(current.case)
        if current.status != Plan.Status.DRAFT:
            raise Conflict(_("Only a draft can be submitted."), code="plan_not_draft")
        goals = list(current.goals.all())
        errors = {}
        if not goals:
            errors["goals"] = _("Add at least one goal before submitting the plan.")
        for index, goal in enumerate(goals):
            if goal.target_date is None:
                errors[f"goals.{index}.target_date"] = _("Give each goal a target date.")
        if errors:
            raise ValidationFailed(fields=errors)
        current.status = Plan.Status.SUBMITTED
        current.submitted_at = timezone.now()
        current.version += 1
        current.save(update_fields=["status", "submitted_at", "version", "updated_at"])
        events.record(
            current.case,
            "plan_submitted",
            actor=user,
            plan=str(current.public_id),
            revision=current.revision,
        )
    return current


def approve_plan(user, plan: Plan, *, version, note: str = "") -> Plan:
    """Approve a submitted plan; the revision approved before it becomes superseded."""
    note = (note or "").strip()
    with transaction.atomic():
        current = _locked(plan)
        _check_version(current, version)
        _require_approver(user, current)
        _refuse_closed(current.case)
        if current.status != Plan.Status.SUBMITTED:
            raise Conflict(_("Only a submitted plan can be approved."), code="plan_not_submitted")
        superseded = list(
            Plan.objects.filter(case_id=current.case_id, status=Plan.Status.APPROVED)
            .exclude(pk=current.pk)
            .values_list("public_id", flat=True)
        )
        Plan.objects.filter(case_id=current.case_id, status=Plan.Status.APPROVED).exclude(
            pk=current.pk
        ).update(status=Plan.Status.SUPERSEDED, version=F("version") + 1, updated_at=timezone.now())
        now = timezone.now()
        current.status = Plan.Status.APPROVED
        current.approved_by = user
        current.approved_at = now
        current.approval_note = note[:4000]
        if current.review_on is None:
            current.review_on = timezone.localdate() + datetime.timedelta(days=REVIEW_DAYS)
        current.version += 1
        current.save()
        events.record(
            current.case,
            "plan_approved",
            actor=user,
            plan=str(current.public_id),
            revision=current.revision,
            superseded=[str(p) for p in superseded],
        )
    return current


def return_plan(user, plan: Plan, *, version, note: str) -> Plan:
    """Send a submitted plan back to its author as a draft, with what to change."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(fields={"note": _("Say what should change before approval.")})
    with transaction.atomic():
        current = _locked(plan)
        _check_version(current, version)
        _require_approver(user, current)
        if current.status != Plan.Status.SUBMITTED:
            raise Conflict(_("Only a submitted plan can be returned."), code="plan_not_submitted")
        current.status = Plan.Status.DRAFT
        current.submitted_at = None
        current.approval_note = note[:4000]
        current.version += 1
        current.save()
        events.record(
            current.case,
            "plan_returned",
            actor=user,
            plan=str(current.public_id),
            revision=current.revision,
        )
    return current


def review_plan(
    user,
    plan: Plan,
    *,
    version,
    reviewed_on,
    summary: str,
    next_review_on=None,
    attainments,
) -> PlanReview:
    """Record a review of the approved plan: every goal's attainment on the five-point
    scale (-2 … +2), a summary and the next review date (kept on the plan)."""
    errors: dict = {}
    today = timezone.localdate()
    reviewed_on = as_date(reviewed_on, "reviewed_on", errors)
    if "reviewed_on" not in errors:
        if reviewed_on is None:
            errors["reviewed_on"] = _("This field is required.")
        elif reviewed_on > today:
            errors["reviewed_on"] = _("A review cannot be dated in the future.")
    next_review_on = as_date(next_review_on, "next_review_on", errors)
    if next_review_on and reviewed_on and next_review_on <= reviewed_on:
        errors["next_review_on"] = _("The next review must come after this one.")
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = _("Summarise the progress made.")
    with transaction.atomic():
        current = _locked(plan)
        _check_version(current, version)
        _refuse_closed(current.case)
        if current.status != Plan.Status.APPROVED:
            raise Conflict(_("Only the approved plan can be reviewed."), code="plan_not_approved")
        if (
            reviewed_on
            and current.approved_at
            and reviewed_on < timezone.localdate(current.approved_at)
        ):
            errors["reviewed_on"] = _("A review cannot be dated before the plan was approved.")
        goals = {g.pk: g for g in current.goals.all()}
        scale = set(Attainment.values)
        given: dict[int, dict] = {}
        for index, item in enumerate(attainments or []):
            at = f"attainments.{index}"
            try:
                goal_id = int(item.get("goal"))
            except (TypeError, ValueError, AttributeError):
                goal_id = None
            if goal_id not in goals:
                errors[f"{at}.goal"] = _("This goal is not part of the plan.")
                continue
            try:
                value = int(item.get("attainment"))
            except (TypeError, ValueError):
                value = None
            if value not in scale:
                errors[f"{at}.attainment"] = _("Choose a level from -2 to +2.")
                continue
            given[goal_id] = {"attainment": value, "note": str(item.get("note") or "").strip()}
        missing = [pk for pk in goals if pk not in given]
        if missing and "attainments" not in errors:
            errors["attainments"] = _(
                "Record the attainment of every goal (%(count)s missing)."
            ) % {"count": len(missing)}
        if errors:
            raise ValidationFailed(fields=errors)
        for pk, values in given.items():
            goal = goals[pk]
            goal.attainment = values["attainment"]
            goal.attainment_note = values["note"][:4000]
            goal.reviewed_on = reviewed_on
        Goal.objects.bulk_update(goals.values(), ["attainment", "attainment_note", "reviewed_on"])
        review = PlanReview.objects.create(
            plan=current,
            reviewed_on=reviewed_on,
            reviewer=user,
            summary=summary,
            next_review_on=next_review_on,
        )
        current.review_on = next_review_on
        current.version += 1
        current.save(update_fields=["review_on", "version", "updated_at"])
        events.record(
            current.case,
            "plan_reviewed",
            actor=user,
            plan=str(current.public_id),
            review=review.pk,
            attainment={str(pk): v["attainment"] for pk, v in given.items()},
            next_review_on=next_review_on.isoformat() if next_review_on else None,
        )
    return review


# --- reads ----------------------------------------------------------------------------


def current_plan(case: Case) -> Plan | None:
    """The approved plan, else the latest revision (a draft or one waiting for approval)."""
    plans = case.plans.order_by("-revision")
    return plans.filter(status=Plan.Status.APPROVED).first() or plans.first()
