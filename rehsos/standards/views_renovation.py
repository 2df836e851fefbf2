"""Pages of renovation projects: the list, a project with its S-curve, milestones,
money, supervision reports and photos, handover, re-assessment and closing, the forms
for each, and the chain from an audit finding to the action closed."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.forms import add_domain_errors
from rehsos.core.models import User
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import can, requires, scoped
from rehsos.facilities.models import Facility
from rehsos.partners.models import Agreement, Partner
from rehsos.standards import forms_renovation as f
from rehsos.standards import selectors_renovation as selectors
from rehsos.standards import services_renovation as services
from rehsos.standards.models import Action, Assessment, SupervisionPhoto

Status = services.Status
PAGE_SIZE = 50


# --- choices and lookups -----------------------------------------------------------------


def _facilities(user) -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in scoped(user, Facility.objects.filter(is_active=True))
        .order_by("name")
        .values_list("code", "name")
    ]


def _action_choices(facility: Facility | None, linked=()) -> list[tuple[str, str]]:
    if facility is None:
        return []
    actions = Action.objects.filter(facility=facility).select_related("criterion")
    actions = actions.exclude(status=Action.Status.CANCELLED) | Action.objects.filter(
        pk__in=[a.pk for a in linked]
    )
    return [
        (
            str(a.public_id),
            " · ".join(
                p
                for p in (
                    a.criterion.code if a.criterion_id else "",
                    a.title,
                    str(a.get_status_display()),
                )
                if p
            ),
        )
        for a in actions.select_related("criterion").order_by("due_on", "id").distinct()
    ]


def _partner_choices():
    return [(p.code, str(p.name)) for p in Partner.objects.filter(is_active=True)]


def _agreement_choices():
    return [
        (str(a.public_id), f"{a.partner} · {a.number + ' · ' if a.number else ''}{a.title}")
        for a in Agreement.objects.select_related("partner").order_by("partner__name", "title")
    ]


def _project_form(request, *, data=None, initial, facility: Facility | None, project=None):
    linked = list(project.actions.all()) if project else []
    return f.ProjectForm(
        data,
        initial=initial,
        facilities=_facilities(request.user),
        actions=_action_choices(facility, linked),
        partners=_partner_choices(),
        agreements=_agreement_choices(),
        consultants=f.consultant_choices(),
    )


def _project_fields(user, data: dict) -> dict:
    """The service's arguments from a valid project form (unknown choices → errors)."""
    errors = {}
    facility = scoped(user, Facility.objects.filter(code=data["facility"])).first()
    if facility is None:
        errors["facility"] = _("Choose a centre in your scope.")
    actions = list(Action.objects.filter(public_id__in=data["actions"]))
    partner = Partner.objects.filter(code=data["partner"]).first() if data["partner"] else None
    agreement = (
        Agreement.objects.select_related("partner").filter(public_id=data["agreement"]).first()
        if data["agreement"]
        else None
    )
    consultant = (
        User.objects.filter(pk=data["consultant_user"]).first() if data["consultant_user"] else None
    )
    if errors:
        raise ValidationFailed(fields=errors)
    return {
        "facility": facility,
        "title": data["title"],
        "scope": data["scope"],
        "actions": actions,
        "partner": partner,
        "agreement": agreement,
        "budget": data["budget"],
        "contractor": data["contractor"],
        "consultant": data["consultant"],
        "consultant_user": consultant,
        "starts_on": data["starts_on"],
        "planned_end_on": data["planned_end_on"],
    }


def _detail_url(project) -> str:
    return reverse("standards:renovation_detail", args=[project.public_id])


def _project(request, public_id):
    return selectors.project_for(request.user, public_id)


def _conflict(project, rows) -> dict:
    return {"version": project.version, "rows": rows}


# --- the list -------------------------------------------------------------------------


@requires("standards.view")
@require_GET
def renovation_list(request):
    user = request.user
    facilities = _facilities(user)
    filters = f.ListFilterForm(request.GET or None, facilities=facilities)
    data = filters.cleaned_data if filters.is_valid() else {}
    projects = selectors.project_list(
        user,
        status=data.get("status", ""),
        facility=data.get("facility", ""),
        q=data.get("q", ""),
    )
    try:
        page = keyset_page(
            projects,
            order=("starts_on", "id"),
            after=request.GET.get("after"),
            limit=PAGE_SIZE,
            descending=True,
        )
    except ValidationFailed:
        page = keyset_page(
            projects, order=("starts_on", "id"), after=None, limit=PAGE_SIZE, descending=True
        )
    rows = selectors.progress_rows(page.items)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "standards/renovation/list.html",
        {
            "filters": filters,
            "rows": rows,
            "next": page.next_cursor,
            "query": query.urlencode(),
            "may_create": can(user, "standards.manage_renovation"),
        },
    )


# --- create and edit --------------------------------------------------------------------


@requires("standards.manage_renovation")
def renovation_create(request):
    user = request.user
    code = request.POST.get("facility") or request.GET.get("facility", "")
    facility = scoped(user, Facility.objects.filter(code=code, is_active=True)).first()
    if facility is None:
        picker = f.CentrePickForm(
            request.GET or None, facilities=_facilities(user), initial={"facility": code}
        )
        return render(request, "standards/renovation/create_pick.html", {"picker": picker})
    initial = {"facility": facility.code, "starts_on": timezone.localdate()}
    form = _project_form(
        request,
        data=request.POST if request.method == "POST" else None,
        initial=initial,
        facility=facility,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                project = services.create_project(user, **_project_fields(user, form.cleaned_data))
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The renovation project is created."))
                return redirect(_detail_url(project))
    return render(
        request,
        "standards/renovation/form.html",
        {"form": form, "facility": facility, "project": None},
        status=status,
    )


@requires("standards.manage_renovation")
def renovation_edit(request, public_id):
    user = request.user
    project = _project(request, public_id)
    initial = {
        "facility": project.facility.code,
        "title": project.title,
        "scope": project.scope,
        "actions": [str(a.public_id) for a in project.actions.all()],
        "partner": project.partner.code if project.partner_id else "",
        "agreement": str(project.agreement.public_id) if project.agreement_id else "",
        "budget": project.budget,
        "contractor": project.contractor,
        "consultant": project.consultant,
        "consultant_user": str(project.consultant_user_id or ""),
        "starts_on": project.starts_on,
        "planned_end_on": project.planned_end_on,
        "version": project.version,
    }
    form = _project_form(
        request,
        data=request.POST if request.method == "POST" else None,
        initial=initial,
        facility=project.facility,
        project=project,
    )
    conflict, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                fields = _project_fields(user, data)
                services.update_project(user, project, version=data["version"], **fields)
            except Conflict:
                project.refresh_from_db()
                status = 409
                conflict = _conflict(
                    project,
                    [
                        (_("Title"), project.title, data["title"]),
                        (_("Budget (Rp)"), project.budget, data["budget"]),
                        (_("Works start"), project.starts_on, data["starts_on"]),
                        (_("Planned end"), project.planned_end_on, data["planned_end_on"]),
                        (_("Contractor"), project.contractor, data["contractor"]),
                    ],
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The project is saved."))
                return redirect(_detail_url(project))
    return render(
        request,
        "standards/renovation/form.html",
        {"form": form, "facility": project.facility, "project": project, "conflict": conflict},
        status=status,
    )


# --- the project page -----------------------------------------------------------------


def _status_choices(project) -> list[tuple[str, str]]:
    return [(s, Status(s).label) for s in services.TRANSITIONS[project.status]]


def _detail_context(request, project, **extra) -> dict:
    user = request.user
    curve = selectors.curve_for(project)
    reports = list(
        project.supervision_reports.select_related("author")
        .prefetch_related("photos")
        .order_by("-reported_on", "-id")
    )
    events = list(project.events.select_related("actor").order_by("-at", "-id")[:50])
    for event in events:
        event.label = services.EVENT_LABELS.get(event.kind, event.kind)
        status = event.data.get("status") if event.kind == "status" else None
        event.status_label = Status(status).label if status in Status.values else ""
    context = {
        "project": project,
        "curve": curve,
        "chart": selectors.chart(curve),
        "money": selectors.money(project),
        "milestones": list(project.milestones.order_by("planned_on", "id")),
        "tranches": list(project.disbursements.order_by("status", "paid_on", "planned_on", "id")),
        "reports": reports,
        "events": events,
        "chains": selectors.chains_for_project(project),
        "may_manage": can(user, "standards.manage_renovation"),
        "may_supervise": services.may_supervise(user, project),
        "status_form": f.StatusForm(
            initial={"version": project.version}, choices=_status_choices(project)
        ),
        "behind_points": selectors.BEHIND_POINTS,
    }
    context.update(extra)
    return context


@requires("standards.view")
@require_GET
def renovation_detail(request, public_id):
    project = _project(request, public_id)
    return render(request, "standards/renovation/detail.html", _detail_context(request, project))


@requires("standards.manage_renovation")
@require_POST
def renovation_status(request, public_id):
    project = _project(request, public_id)
    form = f.StatusForm(request.POST, choices=_status_choices(project))
    status, conflict = 422, None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.change_status(
                request.user, project, to=data["to"], version=data["version"], reason=data["reason"]
            )
        except Conflict:
            project.refresh_from_db()
            status = 409
            conflict = _conflict(
                project, [(_("Status"), project.get_status_display(), Status(data["to"]).label)]
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The status is changed."))
            return redirect(_detail_url(project))
    return render(
        request,
        "standards/renovation/detail.html",
        _detail_context(request, project, status_form=form, conflict=conflict),
        status=status,
    )


# --- milestones -----------------------------------------------------------------------


def _formset_errors(formset, exc: ValidationFailed) -> list[str]:
    """Put ``milestones.<n>.<field>`` errors on the rows; return the others."""
    rest = []
    for key, message in exc.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "milestones" and parts[1].isdigit():
            row = int(parts[1])
            forms = [form for form in formset.forms if not _skipped(form)]
            if row < len(forms):
                forms[row].add_error(parts[2], str(message))
                continue
        rest.append(str(message))
    if not exc.fields:
        rest.append(str(exc.message))
    return rest


def _skipped(form) -> bool:
    data = getattr(form, "cleaned_data", {})
    return form.is_blank() or data.get("DELETE", False)


@requires("standards.manage_renovation")
def renovation_milestones(request, public_id):
    project = _project(request, public_id)
    existing = [
        {"name": m.name, "weight": m.weight, "planned_on": m.planned_on, "done_on": m.done_on}
        for m in project.milestones.order_by("planned_on", "id")
    ]
    if request.method == "POST":
        formset = f.MilestoneFormSet(request.POST, prefix="m")
        plan = f.VersionForm(request.POST)
    else:
        formset = f.MilestoneFormSet(initial=existing, prefix="m")
        plan = f.VersionForm(initial={"version": project.version})
    errors, conflict, status = [], None, 200
    if request.method == "POST":
        status = 422
        if formset.is_valid() and plan.is_valid():
            rows = [
                {
                    "name": form.cleaned_data.get("name") or "",
                    "weight": form.cleaned_data.get("weight"),
                    "planned_on": form.cleaned_data.get("planned_on"),
                    "done_on": form.cleaned_data.get("done_on"),
                }
                for form in formset.forms
                if not _skipped(form)
            ]
            try:
                services.set_milestones(
                    request.user, project, milestones=rows, version=plan.cleaned_data["version"]
                )
            except Conflict:
                project.refresh_from_db()
                status = 409
                conflict = _conflict(
                    project,
                    [
                        (_("Milestones"), len(existing), len(rows)),
                        (
                            _("Sum of weights"),
                            services.milestone_total(project),
                            sum((r["weight"] or 0) for r in rows),
                        ),
                    ],
                )
            except ValidationFailed as exc:
                errors = _formset_errors(formset, exc)
            else:
                messages.success(request, _("The milestones are saved."))
                return redirect(_detail_url(project))
        else:
            errors = [str(e) for e in formset.non_form_errors()]
    return render(
        request,
        "standards/renovation/milestones.html",
        {
            "project": project,
            "formset": formset,
            "plan": plan,
            "errors": errors,
            "conflict": conflict,
            "total": services.milestone_total(project),
        },
        status=status,
    )


# --- money ----------------------------------------------------------------------------


@requires("standards.manage_renovation")
def renovation_disbursements(request, public_id):
    project = _project(request, public_id)
    user = request.user
    action = request.POST.get("action", "add") if request.method == "POST" else None
    add_form = f.DisbursementForm(
        request.POST if action == "add" else None,
        initial={"currency": "IDR", "paid_on": timezone.localdate()},
    )
    pay_form = f.PayForm(request.POST if action == "pay" else None)
    status = 200
    if action == "add":
        status = 422
        if add_form.is_valid():
            data = add_form.cleaned_data
            try:
                services.add_disbursement(user, project, **data)
            except ValidationFailed as exc:
                add_domain_errors(add_form, exc)
            else:
                messages.success(request, _("The tranche is recorded."))
                return redirect("standards:renovation_disbursements", public_id=project.public_id)
    elif action == "pay":
        status = 422
        if pay_form.is_valid():
            data = dict(pay_form.cleaned_data)
            try:
                tranche = services.disbursement_for(project, data.pop("disbursement"))
                services.pay_disbursement(
                    user,
                    tranche,
                    paid_on=data["paid_on"],
                    amount=data["amount"],
                    rate=data["rate"],
                    note=data["note"] or None,
                )
            except ValidationFailed as exc:
                add_domain_errors(pay_form, exc)
            else:
                messages.success(request, _("The tranche is paid."))
                return redirect("standards:renovation_disbursements", public_id=project.public_id)
    elif action == "remove":
        try:
            services.remove_disbursement(
                user, services.disbursement_for(project, request.POST.get("disbursement"))
            )
        except ValidationFailed as exc:
            messages.error(request, " ".join(str(m) for m in exc.fields.values()))
        else:
            messages.success(request, _("The planned tranche is removed."))
        return redirect("standards:renovation_disbursements", public_id=project.public_id)
    return render(
        request,
        "standards/renovation/disbursements.html",
        {
            "project": project,
            "add_form": add_form,
            "pay_form": pay_form,
            "paying": pay_form.data.get("disbursement") if action == "pay" else None,
            "tranches": list(
                project.disbursements.select_related("recorded_by").order_by(
                    "status", "paid_on", "planned_on", "id"
                )
            ),
            "money": selectors.money(project),
            "today": timezone.localdate(),
        },
        status=status,
    )


# --- supervision ----------------------------------------------------------------------


@requires("standards.supervise")
def renovation_report(request, public_id):
    project = _project(request, public_id)
    if not services.may_supervise(request.user, project):
        raise PermissionDenied(
            _("Only the project's supervising consultant can write its supervision reports.")
        )
    form = f.ReportForm(
        request.POST or None,
        request.FILES or None,
        initial={"reported_on": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.add_supervision_report(request.user, project, **form.cleaned_data)
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The supervision report is saved."))
                return redirect(_detail_url(project))
    last = services.latest_report(project)
    return render(
        request,
        "standards/renovation/report_form.html",
        {"project": project, "form": form, "last": last},
        status=status,
    )


@requires("standards.supervise")
def renovation_photos_add(request, public_id):
    project = _project(request, public_id)
    if not services.may_supervise(request.user, project):
        raise PermissionDenied(
            _("Only the project's supervising consultant can add photos to its reports.")
        )
    reports = [
        (str(r.pk), f"{r.reported_on} · {r.progress} %")
        for r in project.supervision_reports.order_by("-reported_on", "-id")
    ]
    form = f.PhotoForm(
        request.POST or None,
        request.FILES or None,
        reports=reports,
        initial={"report": request.GET.get("report", "")},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.report_for(project, data["report"])
                services.add_photos(
                    request.user,
                    report,
                    photos=data["photos"],
                    caption=data["caption"],
                    taken_on=data["taken_on"],
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The photos are added."))
                return redirect(_detail_url(project))
    return render(
        request,
        "standards/renovation/photos_form.html",
        {"project": project, "form": form},
        status=status,
    )


@requires("standards.view")
@require_GET
def renovation_photo(request, public_id, attachment_id: int):
    """A supervision photo, shown inline, to users who may see the project."""
    project = _project(request, public_id)
    photo = SupervisionPhoto.objects.filter(pk=attachment_id, report__project=project).first()
    if photo is None:
        raise NotFound(_("No such photo on this project."))
    try:
        handle = services.open_photo(photo)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; tell the administrator.")) from None
    response = FileResponse(
        handle, as_attachment=False, filename=photo.original_name, content_type=photo.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- handover, re-assessment, closing ---------------------------------------------------


@requires("standards.manage_renovation")
def renovation_handover(request, public_id):
    project = _project(request, public_id)
    form = f.HandoverForm(
        request.POST or None,
        initial={"handed_over_on": timezone.localdate(), "version": project.version},
    )
    status, conflict = 200, None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.hand_over(request.user, project, **data)
            except Conflict:
                project.refresh_from_db()
                status = 409
                conflict = _conflict(
                    project,
                    [(_("Handed over on"), project.handed_over_on, data["handed_over_on"])],
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The handover is recorded."))
                return redirect(_detail_url(project))
    return render(
        request,
        "standards/renovation/handover.html",
        {
            "project": project,
            "form": form,
            "conflict": conflict,
            "last": services.latest_report(project),
        },
        status=status,
    )


@requires("standards.manage_renovation")
def renovation_reassessment(request, public_id):
    project = _project(request, public_id)
    candidates = list(services.reassessment_candidates(project))
    choices = [
        (
            str(a.public_id),
            f"{services.assessment_day(a)} · {a.get_kind_display()} · {a.title or a.version}",
        )
        for a in candidates
    ]
    form = f.ReassessmentForm(
        request.POST or None, candidates=choices, initial={"version": project.version}
    )
    status, conflict = 200, None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            assessment = Assessment.objects.filter(public_id=data["assessment"]).first()
            try:
                if assessment is None:
                    raise ValidationFailed(fields={"assessment": _("Choose an assessment.")})
                services.link_reassessment(
                    request.user, project, assessment=assessment, version=data["version"]
                )
            except Conflict:
                project.refresh_from_db()
                status = 409
                conflict = _conflict(
                    project, [(_("Re-assessment"), project.reassessment, assessment)]
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The re-assessment is linked."))
                return redirect("standards:renovation_close", public_id=project.public_id)
    return render(
        request,
        "standards/renovation/reassessment.html",
        {"project": project, "form": form, "conflict": conflict, "candidates": candidates},
        status=status,
    )


@requires("standards.manage_renovation")
def renovation_close(request, public_id):
    project = _project(request, public_id)
    checks = services.check_gaps(project, project.reassessment) if project.reassessment_id else []
    form = f.CloseForm(request.POST or None, initial={"version": project.version})
    status, conflict = 200, None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                project = services.close_project(
                    request.user, project, version=data["version"], note=data["note"]
                )
            except Conflict:
                project.refresh_from_db()
                status = 409
                conflict = _conflict(
                    project, [(_("Status"), project.get_status_display(), Status.CLOSED.label)]
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                still_open = len(project.closing_result.get("open", []))
                if still_open:
                    messages.warning(
                        request,
                        _("The project is closed; %(n)d gaps are still open.") % {"n": still_open},
                    )
                else:
                    messages.success(request, _("The project is closed; every gap is closed."))
                return redirect(_detail_url(project))
    return render(
        request,
        "standards/renovation/close.html",
        {
            "project": project,
            "form": form,
            "conflict": conflict,
            "checks": checks,
            "open_count": sum(1 for c in checks if not c.proven),
        },
        status=status,
    )


# --- the chain ------------------------------------------------------------------------


@requires("standards.view")
@require_GET
def renovation_chain(request, public_id):
    project = _project(request, public_id)
    return render(
        request,
        "standards/renovation/chain.html",
        {"project": project, "action": None, "chains": selectors.chains_for_project(project)},
    )


@requires("standards.view")
@require_GET
def renovation_action_chain(request, public_id):
    """The chain of one action: every renovation project that carries it out."""
    action = selectors.action_for(request.user, public_id)
    return render(
        request,
        "standards/renovation/chain.html",
        {
            "project": None,
            "action": action,
            "action_url": selectors.action_url(action),
            "chains": selectors.chains_for_action(request.user, action),
        },
    )
