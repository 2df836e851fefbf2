"""Intervention plans: the editor (goal and service rows added and removed with HTMX),
submit, approve or return, review with attainment per goal, the printable plan, and
the plan section of the case page."""

import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rehsos.cases import access
from rehsos.cases.models import Attainment, LifeDomain, Plan, ServiceComponent
from rehsos.cases.services import plans as plan_services
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.permissions import can, requires

GOAL_FIELDS = ("domain", "statement", "indicator", "baseline", "target", "target_date")
SERVICE_FIELDS = ("component", "description", "frequency", "provider")


def _plan(request, plan_id, action: str) -> Plan:
    plan = (
        Plan.objects.select_related("case", "created_by", "approved_by")
        .filter(public_id=plan_id)
        .first()
    )
    if plan is None:
        raise NotFound(_("No such plan in your scope."))
    plan.case = access.get_case(request, plan.case.public_id, action)
    return plan


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _choices() -> dict:
    return {
        "domains": LifeDomain.choices,
        "components": list(ServiceComponent.objects.in_force()),
        "attainment_levels": Attainment.choices,
    }


def _rows(request, prefix: str, fields: tuple[str, ...]) -> list[dict]:
    """The rows posted by the editor, in order, each with its key and typed values."""
    rows = []
    for key in request.POST.getlist(f"{prefix}_keys"):
        if not key.isalnum():
            continue
        values = {name: request.POST.get(f"{prefix}-{key}-{name}", "").strip() for name in fields}
        rows.append({"key": key, "values": values, "errors": {}})
    return rows


def _rows_of(plan: Plan) -> tuple[list[dict], list[dict]]:
    goals = [
        {
            "key": f"g{g.pk}",
            "values": {
                **{name: getattr(g, name) or "" for name in GOAL_FIELDS},
                "target_date": g.target_date.isoformat() if g.target_date else "",
            },
            "errors": {},
        }
        for g in plan.goals.all()
    ]
    services = [
        {
            "key": f"s{s.pk}",
            "values": {
                "component": s.component.code,
                "description": s.description,
                "frequency": s.frequency,
                "provider": s.provider,
            },
            "errors": {},
        }
        for s in plan.planned_services.select_related("component")
    ]
    return goals, services


def _place_errors(fields: dict, goals: list, services: list) -> dict:
    """Service errors (``goals.1.indicator``) onto the rows; the rest stay by name."""
    rest = {}
    for name, message in fields.items():
        parts = name.split(".")
        target = {"goals": goals, "planned_services": services}.get(parts[0])
        if target is not None and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(target):
                target[index]["errors"][parts[2] if len(parts) > 2 else "row"] = str(message)
                continue
        rest[name] = str(message)
    return rest


@require_POST
@requires("cases.edit")
def plan_new(request, public_id):
    case = access.get_case(request, public_id, "cases.edit")
    try:
        plan = plan_services.create_plan(request.user, case)
    except Conflict as exc:
        messages.warning(request, str(exc.message))
        pending = case.plans.filter(status=Plan.Status.DRAFT).first()
        if pending is not None:
            return redirect("cases:plan_edit", plan_id=pending.public_id)
        return redirect("cases:detail", public_id=case.public_id)
    messages.success(request, _("Revision %(n)s is started as a draft.") % {"n": plan.revision})
    return redirect("cases:plan_edit", plan_id=plan.public_id)


@requires("cases.view")
def plan_detail(request, plan_id):
    plan = _plan(request, plan_id, "cases.view")
    return render(
        request,
        "cases/plans/detail.html",
        {
            "plan": plan,
            "case": plan.case,
            "goals": plan.goals.all(),
            "services": plan.planned_services.select_related("component"),
            "reviews": plan.reviews.select_related("reviewer").order_by("-reviewed_on", "-pk"),
            "revisions": plan.case.plans.order_by("-revision"),
            "may_edit": can(request.user, "cases.edit"),
            "may_approve": plan.status == Plan.Status.SUBMITTED
            and plan_services.may_approve(request.user, plan),
        },
    )


@requires("cases.edit")
def plan_edit(request, plan_id):
    plan = _plan(request, plan_id, "cases.edit")
    if plan.status != Plan.Status.DRAFT:
        messages.warning(request, _("Only a draft can be edited."))
        return redirect("cases:plan_detail", plan_id=plan.public_id)
    status, errors, conflict = 200, {}, None
    if request.method == "POST":
        goals = _rows(request, "goal", GOAL_FIELDS)
        services = _rows(request, "service", SERVICE_FIELDS)
        values = {
            name: request.POST.get(name, "")
            for name in ("family_participation", "community_participation", "review_on")
        }
        data = {
            **values,
            "review_on": values["review_on"] or None,
            "goals": [row["values"] for row in goals],
            "planned_services": [row["values"] for row in services],
        }
        try:
            plan_services.update_plan(request.user, plan, data, version=_version(request))
        except ValidationFailed as exc:
            errors, status = _place_errors(exc.fields, goals, services), 422
        except Conflict as exc:
            if "current_version" not in exc.extra:
                raise
            current = Plan.objects.get(pk=plan.pk)
            conflict = {
                "yours": _version(request),
                "theirs": current.version,
                "saved": current,
                "saved_goals": list(current.goals.all()),
            }
            plan.version, status = current.version, 409
        else:
            messages.success(request, _("The plan is saved."))
            return redirect("cases:plan_detail", plan_id=plan.public_id)
    else:
        values = {
            "family_participation": plan.family_participation,
            "community_participation": plan.community_participation,
            "review_on": plan.review_on.isoformat() if plan.review_on else "",
        }
        goals, services = _rows_of(plan)
    return render(
        request,
        "cases/plans/edit.html",
        {
            "plan": plan,
            "case": plan.case,
            "values": values,
            "goals": goals,
            "services": services,
            "errors": errors,
            "conflict": conflict,
            **_choices(),
        },
        status=status,
    )


@requires("cases.edit")
def goal_row(request):
    """A blank goal row for the editor (HTMX)."""
    row = {"key": secrets.token_hex(4), "values": {}, "errors": {}}
    return render(request, "cases/plans/_goal_row.html", {"row": row, **_choices()})


@requires("cases.edit")
def service_row(request):
    """A blank planned-service row for the editor (HTMX)."""
    row = {"key": secrets.token_hex(4), "values": {}, "errors": {}}
    return render(request, "cases/plans/_service_row.html", {"row": row, **_choices()})


def _act(request, plan, action, done: str):
    try:
        action()
    except ValidationFailed as exc:
        for message in exc.fields.values():
            messages.error(request, message)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("cases:plan_detail", plan_id=plan.public_id)


@require_POST
@requires("cases.edit")
def plan_submit(request, plan_id):
    plan = _plan(request, plan_id, "cases.edit")
    return _act(
        request,
        plan,
        lambda: plan_services.submit_plan(request.user, plan, version=_version(request)),
        _("The plan is submitted for approval."),
    )


@require_POST
@requires("cases.edit")
def plan_decide(request, plan_id):
    plan = _plan(request, plan_id, "cases.edit")
    note = request.POST.get("note", "")
    if request.POST.get("decision") == "approve":
        return _act(
            request,
            plan,
            lambda: plan_services.approve_plan(
                request.user, plan, version=_version(request), note=note
            ),
            _("The plan is approved."),
        )
    return _act(
        request,
        plan,
        lambda: plan_services.return_plan(request.user, plan, version=_version(request), note=note),
        _("The plan is returned to its author."),
    )


@requires("cases.edit")
def plan_review(request, plan_id):
    plan = _plan(request, plan_id, "cases.edit")
    if plan.status != Plan.Status.APPROVED:
        messages.warning(request, _("Only the approved plan can be reviewed."))
        return redirect("cases:plan_detail", plan_id=plan.public_id)
    goals = list(plan.goals.all())
    posted = request.POST if request.method == "POST" else {}
    errors, status = {}, 200
    if request.method == "POST":
        attainments = [
            {
                "goal": g.pk,
                "attainment": posted.get(f"attainment-{g.pk}", ""),
                "note": posted.get(f"note-{g.pk}", ""),
            }
            for g in goals
        ]
        try:
            plan_services.review_plan(
                request.user,
                plan,
                version=_version(request),
                reviewed_on=posted.get("reviewed_on") or None,
                summary=posted.get("summary", ""),
                next_review_on=posted.get("next_review_on") or None,
                attainments=attainments,
            )
        except ValidationFailed as exc:
            status = 422
            for name, message in exc.fields.items():
                parts = name.split(".")
                if parts[0] == "attainments" and len(parts) > 1 and parts[1].isdigit():
                    name = f"attainment-{goals[int(parts[1])].pk}"
                errors[name] = str(message)
            if "attainments" in errors:
                for g in goals:
                    if not posted.get(f"attainment-{g.pk}"):
                        errors.setdefault(f"attainment-{g.pk}", _("Choose a level."))
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("cases:plan_detail", plan_id=plan.public_id)
        else:
            messages.success(request, _("The review is recorded."))
            return redirect("cases:plan_detail", plan_id=plan.public_id)
    rows = [
        {
            "goal": g,
            "field": f"attainment-{g.pk}",
            "value": posted.get(f"attainment-{g.pk}", ""),
            "note": posted.get(f"note-{g.pk}", ""),
            "error": errors.get(f"attainment-{g.pk}", ""),
        }
        for g in goals
    ]
    return render(
        request,
        "cases/plans/review.html",
        {
            "plan": plan,
            "case": plan.case,
            "rows": rows,
            "values": {k: posted.get(k, "") for k in ("reviewed_on", "summary", "next_review_on")},
            "errors": errors,
            **_choices(),
        },
        status=status,
    )


@requires("cases.view")
def plan_print(request, plan_id):
    plan = _plan(request, plan_id, "cases.view")
    return render(
        request,
        "cases/plans/print.html",
        {
            "plan": plan,
            "case": plan.case,
            "goals": plan.goals.all(),
            "services": plan.planned_services.select_related("component"),
            "reviews": plan.reviews.select_related("reviewer"),
        },
    )


def section_context(request, case) -> dict | None:
    """The case page's plan section: the current plan, its goals with attainment and the
    next review."""
    user = request.user
    if not can(user, "cases.view"):
        return None
    plan = plan_services.current_plan(case)
    pending = None
    if plan is not None and plan.status == Plan.Status.APPROVED:
        pending = case.plans.filter(status__in=plan_services.OPEN_STATUSES).first()
    return {
        "plan": plan,
        "goals": list(plan.goals.all()) if plan else [],
        "pending": pending,
        "may_edit": can(user, "cases.edit") and case.status == "open",
    }


urlpatterns = [
    path("<uuid:public_id>/plans/new/", plan_new, name="plan_new"),
    path("plans/rows/goal/", goal_row, name="plan_goal_row"),
    path("plans/rows/service/", service_row, name="plan_service_row"),
    path("plans/<uuid:plan_id>/", plan_detail, name="plan_detail"),
    path("plans/<uuid:plan_id>/edit/", plan_edit, name="plan_edit"),
    path("plans/<uuid:plan_id>/submit/", plan_submit, name="plan_submit"),
    path("plans/<uuid:plan_id>/decide/", plan_decide, name="plan_decide"),
    path("plans/<uuid:plan_id>/review/", plan_review, name="plan_review"),
    path("plans/<uuid:plan_id>/print/", plan_print, name="plan_print"),
]
