"""Pages of the improvement plans: a centre's plan, adding and editing an action,
its status, its evidence (uploaded and served only through a permission check) and
the head's yearly attestation."""

from django.contrib import messages
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.forms import add_domain_errors
from rehsos.core.permissions import can, require, requires
from rehsos.core.uploads import max_bytes, too_large_message
from rehsos.standards import selectors_actions as selectors
from rehsos.standards import services_actions as services
from rehsos.standards.forms_actions import (
    ActionForm,
    AttestationForm,
    EvidenceForm,
    PlanFilterForm,
    StatusForm,
)
from rehsos.standards.models import Action

# Form fields and multipart framing around an uploaded file.
BODY_SLACK = 64 * 1024


def _plan_url(facility) -> str:
    return reverse("standards:actions_plan", args=[facility.code])


def _detail_url(action: Action) -> str:
    return reverse("standards:actions_detail", args=[action.public_id])


# --- the plan ---------------------------------------------------------------------


@requires("standards.view")
def plan(request, code):
    """The centre's actions grouped by status, with filters; overdue ones highlighted."""
    facility = selectors.facility_for(request.user, code)
    today = timezone.localdate()
    form = PlanFilterForm(request.GET or None)
    filters = selectors.ActionFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ActionFilters(
            status=data["status"], overdue=data["overdue"], funding=data["funding"], q=data["q"]
        )
    actions = list(selectors.plan_of(facility, filters, today))
    for action in actions:
        action.overdue = selectors.is_overdue(action, today)
    groups = []
    for status, label in Action.Status.choices:
        rows = [a for a in actions if a.status == status]
        if rows:
            groups.append({"status": status, "label": label, "actions": rows})
    counts = selectors.due_counts(
        selectors.due_actions(request.user, today).filter(facility=facility), today
    )
    return render(
        request,
        "standards/actions/plan.html",
        {
            "facility": facility,
            "form": form,
            "groups": groups,
            "count": len(actions),
            "counts": counts,
            "today": today,
            "can_manage": can(request.user, "standards.manage_actions"),
            "attestation": selectors.attestation_status(request.user, facility, today),
        },
    )


@requires("standards.manage_actions")
def create(request, code):
    facility = selectors.facility_for(request.user, code)
    initial = {"funding": Action.Funding.OWN}
    if request.GET.get("criterion", "").isdigit():
        initial["criterion"] = int(request.GET["criterion"])
    form = ActionForm(request.POST or None, initial=initial, facility=facility)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                action = services.create_action(
                    user=request.user,
                    facility=facility,
                    title=data["title"],
                    description=data["description"],
                    criterion=data["criterion"],
                    owner=data["owner"],
                    due_on=data["due_on"],
                    cost_estimate=data["cost_estimate"],
                    funding=data["funding"],
                    agreement=data["agreement"],
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The action is added to the plan."))
                return redirect(_detail_url(action))
    return render(
        request,
        "standards/actions/create.html",
        {"facility": facility, "form": form},
        status=status,
    )


# --- one action -------------------------------------------------------------------


def _edit_initial(action: Action) -> dict:
    return {
        "title": action.title,
        "description": action.description,
        "criterion": action.criterion_id,
        "owner": action.owner_id,
        "due_on": action.due_on,
        "cost_estimate": action.cost_estimate,
        "funding": action.funding,
        "agreement": str(action.agreement.public_id) if action.agreement_id else "",
        "version": action.version,
    }


def _detail(request, action: Action, *, status=200, **forms) -> object:
    user = request.user
    today = timezone.localdate()
    manage = can(user, "standards.manage_actions")
    is_open = action.status in services.OPEN_STATUSES
    allowed = services.TRANSITIONS[action.status]
    context = {
        "action": action,
        "facility": action.facility,
        "today": today,
        "overdue": selectors.is_overdue(action, today),
        "evidence": list(action.evidence.select_related("uploaded_by").order_by("-valid_from")),
        "can_manage": manage,
        "is_open": is_open,
        "edit_form": None,
        "status_form": None,
        "evidence_form": None,
        "conflict": forms.pop("conflict", None),
    }
    if manage and is_open:
        context["edit_form"] = forms.get("edit_form") or ActionForm(
            initial=_edit_initial(action), facility=action.facility
        )
    if manage and allowed:
        context["status_form"] = forms.get("status_form") or StatusForm(
            initial={"version": action.version, "status": allowed[0]}, allowed=allowed
        )
    if manage and action.status != Action.Status.CANCELLED:
        context["evidence_form"] = forms.get("evidence_form") or EvidenceForm(
            initial={"valid_from": today}
        )
    return render(request, "standards/actions/detail.html", context, status=status)


def _conflict(action: Action, data: dict) -> dict:
    """The saved values beside the user's, for the fields they sent."""
    action.refresh_from_db()
    rows = []
    labels = {
        "title": _("Action"),
        "due_on": _("Due on"),
        "cost_estimate": _("Cost estimate (Rp)"),
        "funding": _("Funding"),
        "status": _("Status"),
        "note": _("Note"),
    }
    for name, label in labels.items():
        if name not in data:
            continue
        theirs = getattr(action, name, None) if name != "note" else action.closing_note
        if name == "funding":
            theirs = action.get_funding_display()
        elif name == "status":
            theirs = action.get_status_display()
        rows.append((label, theirs, data[name]))
    return {"version": action.version, "rows": rows}


@requires("standards.view")
def detail(request, public_id):
    """The action; a POST saves the edit form."""
    if request.method != "POST":
        return _detail(request, selectors.action_for(request.user, public_id))
    action = selectors.action_for(request.user, public_id, write=True)
    form = ActionForm(request.POST, facility=action.facility)
    if form.is_valid():
        data = form.cleaned_data
        version = data.pop("version")
        try:
            services.update_action(user=request.user, action=action, version=version, **data)
        except Conflict:
            return _detail(
                request, action, status=409, edit_form=form, conflict=_conflict(action, data)
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The action is saved."))
            return redirect(_detail_url(action))
    return _detail(request, action, status=422, edit_form=form)


@requires("standards.manage_actions")
@require_POST
def change_status(request, public_id):
    action = selectors.action_for(request.user, public_id, write=True)
    form = StatusForm(request.POST, allowed=services.TRANSITIONS[action.status] or (action.status,))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.change_status(
                user=request.user,
                action=action,
                status=data["status"],
                version=data["version"],
                note=data["note"],
                closed_on=data["closed_on"],
            )
        except Conflict:
            return _detail(
                request, action, status=409, status_form=form, conflict=_conflict(action, data)
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The status is saved."))
            return redirect(_detail_url(action))
    return _detail(request, action, status=422, status_form=form)


@requires("standards.manage_actions")
@require_POST
def evidence_upload(request, public_id):
    action = selectors.action_for(request.user, public_id, write=True)
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > max_bytes() + BODY_SLACK:
        form = EvidenceForm()
        form.add_error(None, too_large_message())
        return _detail(request, action, status=413, evidence_form=form)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_evidence(
                user=request.user,
                action=action,
                upload=data["file"],
                valid_from=data["valid_from"],
                caption=data["caption"],
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The evidence is added."))
            return redirect(_detail_url(action))
    return _detail(request, action, status=422, evidence_form=form)


@requires("standards.view")
def evidence_file(request, public_id, pk: int):
    """The file as a download, never rendered by the browser, for users who may see
    the action."""
    action = selectors.action_for(request.user, public_id)
    evidence = selectors.evidence_for(request.user, action, pk)
    try:
        handle = services.open_evidence(evidence)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; tell the administrator.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@requires("standards.manage_actions")
@require_POST
def evidence_delete(request, public_id, pk: int):
    action = selectors.action_for(request.user, public_id, write=True)
    evidence = selectors.evidence_for(request.user, action, pk)
    try:
        services.remove_evidence(user=request.user, evidence=evidence)
    except ValidationFailed as exc:
        for message in exc.fields.values():
            messages.error(request, message)
    else:
        messages.success(request, _("The file is removed."))
    return HttpResponseRedirect(_detail_url(action))


# --- attestation ------------------------------------------------------------------


@requires("standards.view")
def attestation(request, code):
    """The centre's attestations; its head makes this year's here."""
    facility = selectors.facility_for(request.user, code)
    today = timezone.localdate()
    form = AttestationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        require(request.user, "standards.attest")
        status = 422
        if form.is_valid():
            try:
                services.attest(
                    user=request.user,
                    facility=facility,
                    statement=form.cleaned_data["statement"],
                    today=today,
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(
                    request, _("The plan is attested for %(year)s.") % {"year": today.year}
                )
                return redirect("standards:actions_attestation", code=facility.code)
    return render(
        request,
        "standards/actions/attestation.html",
        {
            "facility": facility,
            "form": form,
            "status": selectors.attestation_status(request.user, facility, today),
            "counts": services.plan_counts(facility, today),
            "attestations": list(selectors.attestations_of(facility)),
        },
        status=status,
    )
