"""Overseas internship pages: calls (list, form, detail with the applicants ranked by
total, status), the selection form, scores, placements, the cohort, an application's
page, and the re-entry plan with reports; for applicants, the open calls, the
application form and their own internships."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.forms import add_domain_errors
from rehsos.core.permissions import can, requires
from rehsos.partners.models import Agreement
from rehsos.workforce import eligibility, selectors
from rehsos.workforce.forms import (
    ApplyForm,
    CallForm,
    CallStatusForm,
    PlacementForm,
    ReentryActionForm,
    ReentryUpdateForm,
    ReportForm,
    ScoresForm,
    SelectionForm,
    WithdrawForm,
)
from rehsos.workforce.models import Application, InternshipCall, StaffMember
from rehsos.workforce.services import internships as services
from rehsos.workforce.services import returns
from rehsos.workforce.views_trainings import _partner, partner_choices

Status = InternshipCall.Status
# The next status a call can move to, with the button's label.
NEXT_STEP = {
    Status.DRAFT: (Status.OPEN, gettext_lazy("Open for applications")),
    Status.OPEN: (Status.SELECTION, gettext_lazy("Close applications and start selection")),
    Status.SELECTION: (Status.DECIDED, gettext_lazy("Publish the decisions")),
    Status.DECIDED: (Status.CLOSED, gettext_lazy("Close the call")),
}


def _json_errors(form, exc: ValidationFailed) -> None:
    """Rule and criterion errors name a place in the JSON (``eligibility[1].years``):
    show them under the text area they belong to."""
    rest = {}
    for key, message in exc.fields.items():
        base = key.split("[", 1)[0].split(".", 1)[0]
        if base in ("eligibility", "scoring") and base in form.fields:
            form.add_error(base, f"{key}: {message}" if key != base else str(message))
        else:
            rest[key] = message
    if rest or not exc.fields:
        add_domain_errors(form, ValidationFailed(exc.message, fields=rest))


# --- calls ----------------------------------------------------------------------------


@requires("workforce.view")
def call_list(request):
    rows = list(selectors.calls(request.user)[:500])
    return render(
        request,
        "workforce/internships/call_list.html",
        {"calls": rows, "can_run": can(request.user, "workforce.manage_internships")},
    )


def _call_form(request, call: InternshipCall | None):
    initial = {"country": "JP"}
    if call is not None:
        initial = {
            "title": call.title,
            "partner": call.partner.code if call.partner_id else "",
            "agreement": str(call.agreement.public_id) if call.agreement_id else "",
            "country": call.country,
            "description": call.description,
            "opens_on": call.opens_on,
            "closes_on": call.closes_on,
            "places": call.places,
            "eligibility": call.eligibility,
            "scoring": call.scoring,
            "version": call.version,
        }
    agreements = [
        (str(a.public_id), f"{a.partner} · {a.title}")
        for a in Agreement.objects.select_related("partner").order_by("partner__name", "title")
    ]
    return CallForm(
        request.POST or None, initial=initial, partners=partner_choices(), agreements=agreements
    )


def _call_data(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    data["partner"] = _partner(data.get("partner") or "")
    code = data.get("agreement") or ""
    data["agreement"] = Agreement.objects.filter(public_id=code).first() if code else None
    if code and data["agreement"] is None:
        raise ValidationFailed(fields={"agreement": _("No such agreement.")})
    return data


@requires("workforce.manage_internships")
def call_create(request):
    form = _call_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.create_call(request.user, **_call_data(form))
        except ValidationFailed as exc:
            _json_errors(form, exc)
        else:
            messages.success(request, _("The call is saved as a draft."))
            return redirect("workforce:call_detail", public_id=call.public_id)
    return render(request, "workforce/internships/call_form.html", {"form": form, "call": None})


@requires("workforce.manage_internships")
def call_edit(request, public_id):
    call = selectors.call_for(request.user, public_id)
    form = _call_form(request, call)
    conflict, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            call = services.update_call(
                request.user, call, version=form.cleaned_data.get("version"), **_call_data(form)
            )
        except Conflict:
            call.refresh_from_db()
            status = 409
            conflict = {
                "version": call.version,
                "rows": [
                    (_("Title"), call.title, form.cleaned_data.get("title")),
                    (_("Places"), call.places, form.cleaned_data.get("places")),
                    (_("Closes"), call.closes_on, form.cleaned_data.get("closes_on")),
                ],
            }
        except ValidationFailed as exc:
            _json_errors(form, exc)
        else:
            messages.success(request, _("The call is saved."))
            return redirect("workforce:call_detail", public_id=call.public_id)
    return render(
        request,
        "workforce/internships/call_form.html",
        {"form": form, "call": call, "conflict": conflict},
        status=status,
    )


def _decision_counts(call: InternshipCall) -> dict[str, int]:
    return dict(call.applications.values_list("decision").annotate(n=Count("pk")).order_by())


@requires("workforce.view")
def call_detail(request, public_id):
    user = request.user
    call = selectors.call_for(user, public_id)
    applications = list(selectors.call_applications(user, call))
    counts = _decision_counts(call)
    step = NEXT_STEP.get(call.status)
    return render(
        request,
        "workforce/internships/call_detail.html",
        {
            "call": call,
            "rules": [eligibility.describe(rule) for rule in call.eligibility or []],
            "applications": applications,
            "counts": counts,
            "selected": counts.get(Application.Decision.SELECTED, 0),
            "total_applications": sum(counts.values()),
            "can_run": can(user, "workforce.manage_internships"),
            "can_apply": can(user, "workforce.apply"),
            "next_step": step,
            "is_open": selectors.open_calls().filter(pk=call.pk).exists(),
        },
    )


@requires("workforce.manage_internships")
@require_POST
def call_status(request, public_id):
    call = selectors.call_for(request.user, public_id)
    form = CallStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the page and try again."))
    else:
        try:
            services.set_status(request.user, call, **form.cleaned_data)
        except Conflict:
            messages.error(request, _("Someone else changed the call; check it and try again."))
        except ValidationFailed as exc:
            for message in exc.fields.values() or [exc.message]:
                messages.error(request, str(message))
        else:
            messages.success(request, _("The call's status is changed."))
    return redirect("workforce:call_detail", public_id=call.public_id)


@requires("workforce.manage_internships")
def call_selection(request, public_id):
    """A decision with its written rationale for each eligible application, ranked."""
    user = request.user
    call = selectors.call_for(user, public_id)
    rows = list(
        selectors.call_applications(user, call).exclude(
            decision__in=[Application.Decision.INELIGIBLE, Application.Decision.WITHDRAWN]
        )
    )
    form = SelectionForm(request.POST or None, applications=rows)
    status = 200
    if request.method == "POST" and form.is_valid():
        by_id = {str(app.public_id): app for app in rows}
        items = [
            services.DecisionInput(by_id[key], decision, rationale, version, f"{key}.")
            for key, decision, rationale, version in form.decisions()
        ]
        try:
            services.decide_many(user, call, items)
        except Conflict:
            status = 409
            form.add_error(
                None,
                _(
                    "Someone else changed an application meanwhile. Nothing was saved; "
                    "reload the page."
                ),
            )
        except ValidationFailed as exc:
            status = 422
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("%(n)d decisions are recorded.") % {"n": len(items)})
            return redirect("workforce:call_detail", public_id=call.public_id)
    counts = _decision_counts(call)
    return render(
        request,
        "workforce/internships/selection.html",
        {
            "call": call,
            "form": form,
            "selected": counts.get(Application.Decision.SELECTED, 0),
        },
        status=status,
    )


@requires("workforce.view")
def call_cohort(request, public_id):
    user = request.user
    call = selectors.call_for(user, public_id)
    rows = list(selectors.cohort(user, call))
    completion = selectors.completion_by_application([a.pk for a in rows])
    return render(
        request,
        "workforce/internships/cohort.html",
        {
            "call": call,
            "rows": [(a, completion[a.pk]) for a in rows],
            "overall": selectors.cohort_completion(completion),
            "can_run": can(user, "workforce.manage_internships"),
        },
    )


# --- one application ------------------------------------------------------------------


@requires("workforce.view")
def application_detail(request, public_id):
    user = request.user
    application = selectors.application_for(user, public_id)
    call = application.call
    scores = [(c, application.scores.get(c["code"])) for c in call.scoring or []]
    return render(
        request,
        "workforce/internships/application.html",
        {
            "application": application,
            "call": call,
            "results": list((application.eligibility_result or {}).items()),
            "scores": scores,
            "can_run": can(user, "workforce.manage_internships"),
            "completion": selectors.completion_by_application([application.pk])[application.pk],
        },
    )


@requires("workforce.manage_internships")
def application_scores(request, public_id):
    application = selectors.application_for(request.user, public_id)
    call = application.call
    initial = {"version": application.version}
    initial.update({f"score_{code}": v for code, v in (application.scores or {}).items()})
    form = ScoresForm(request.POST or None, initial=initial, criteria=call.scoring or [])
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.enter_scores(
                request.user,
                application,
                points=form.points(),
                version=form.cleaned_data["version"],
            )
        except Conflict:
            status = 409
            form.add_error(None, _("Someone else scored this application meanwhile; reload."))
        except ValidationFailed as exc:
            status = 422
            for key, message in exc.fields.items():
                field = "score_" + key.removeprefix("scores.")
                form.add_error(field if field in form.fields else None, str(message))
        else:
            messages.success(request, _("The scores are saved."))
            return redirect("workforce:call_detail", public_id=call.public_id)
    return render(
        request,
        "workforce/internships/scores.html",
        {"application": application, "call": call, "form": form},
        status=status,
    )


@requires("workforce.manage_internships")
def application_placement(request, public_id):
    application = selectors.application_for(request.user, public_id)
    form = PlacementForm(
        request.POST or None,
        initial={
            "host_institution": application.host_institution,
            "placement_starts_on": application.placement_starts_on,
            "placement_ends_on": application.placement_ends_on,
            "version": application.version,
        },
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.set_placement(
                request.user,
                application,
                host_institution=data["host_institution"],
                starts_on=data["placement_starts_on"],
                ends_on=data["placement_ends_on"],
                version=data["version"],
            )
        except Conflict:
            status = 409
            form.add_error(None, _("Someone else changed this application meanwhile; reload."))
        except ValidationFailed as exc:
            status = 422
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The placement is saved."))
            return redirect("workforce:call_cohort", public_id=application.call.public_id)
    return render(
        request,
        "workforce/internships/placement.html",
        {"application": application, "form": form},
        status=status,
    )


@requires("workforce.manage_internships")
@require_POST
def application_recheck(request, public_id):
    application = selectors.application_for(request.user, public_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        application = services.recheck_eligibility(request.user, application, version=version)
    except Conflict:
        messages.error(request, _("Someone else changed this application meanwhile; reload."))
    except ValidationFailed as exc:
        for message in exc.fields.values():
            messages.error(request, str(message))
    else:
        messages.success(request, _("Eligibility is checked again."))
    return redirect("workforce:application_detail", public_id=application.public_id)


def _application_of_applicant(user, public_id) -> Application:
    """One's own application, or (for a head of centre) one of their staff's."""
    row = selectors.own_applications(user).filter(public_id=public_id).first()
    if row is None and can(user, "workforce.view"):
        row = selectors.applications_in_scope(user).filter(public_id=public_id).first()
    if row is None:
        raise NotFound(_("No such application of yours."))
    return row


@requires("workforce.apply")
def application_withdraw(request, public_id):
    application = _application_of_applicant(request.user, public_id)
    form = WithdrawForm(request.POST or None, initial={"version": application.version})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw(
                request.user,
                application,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except Conflict:
            status = 409
            form.add_error(None, _("Someone else changed this application meanwhile; reload."))
        except ValidationFailed as exc:
            status = 422
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The application is withdrawn."))
            return redirect("workforce:my_applications")
    return render(
        request,
        "workforce/internships/withdraw.html",
        {"application": application, "form": form},
        status=status,
    )


# --- reports and the re-entry plan ----------------------------------------------------


def _follow_page(request, application: Application, *, mine: bool):
    """The re-entry plan with its completion, and the reports; writable by the
    returnee or a manager of their centre."""
    user = request.user
    may_write = returns.may_follow(user, application)
    op = request.POST.get("op") if request.method == "POST" and may_write else None
    report_form = ReportForm(request.POST if op == "report" else None)
    action_form = ReentryActionForm(request.POST if op == "action" else None)
    update_form, update_for, status = None, None, 200
    if op == "update":
        update_for = application.reentry_actions.filter(
            pk=request.POST.get("action_id") or 0
        ).first()
        if update_for is None:
            raise NotFound(_("No such re-entry action."))
        update_form = ReentryUpdateForm(request.POST, prefix=f"a{update_for.pk}")
    form = {"report": report_form, "action": action_form, "update": update_form}.get(op)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if op == "report":
                returns.add_report(user, application, **data)
            elif op == "action":
                returns.add_reentry_action(user, application, **data)
            else:
                returns.update_reentry_action(user, update_for, **data)
        except ValidationFailed as exc:
            status = 422
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            name = "workforce:my_application" if mine else "workforce:reentry_plan"
            return redirect(name, public_id=application.public_id)
    elif form is not None:
        status = 422
    actions = []
    for action in selectors.reentry_actions(application):
        bound = update_form if update_for is not None and update_for.pk == action.pk else None
        actions.append(
            (
                action,
                bound
                or ReentryUpdateForm(
                    prefix=f"a{action.pk}",
                    initial={
                        "status": action.status,
                        "done_on": action.done_on,
                        "result": action.result,
                    },
                ),
            )
        )
    return render(
        request,
        "workforce/internships/reentry.html",
        {
            "application": application,
            "actions": actions,
            "reports": application.reports.select_related("author").order_by("reported_on", "pk"),
            "completion": selectors.completion_by_application([application.pk])[application.pk],
            "may_write": may_write and application.decision == Application.Decision.SELECTED,
            "report_form": report_form,
            "action_form": action_form,
            "mine": mine,
            "results": list((application.eligibility_result or {}).items()),
            "today": timezone.localdate(),
        },
        status=status,
    )


@requires("workforce.view")
def reentry_plan(request, public_id):
    application = selectors.application_for(request.user, public_id)
    return _follow_page(request, application, mine=False)


@requires("workforce.view")
def reentry_due(request):
    """Open re-entry actions of the returnees in scope, overdue or due within 30 days."""
    rows = list(selectors.reentry_due(request.user)[:500])
    return render(
        request,
        "workforce/internships/reentry_due.html",
        {"rows": rows, "today": timezone.localdate(), "days": selectors.REENTRY_DUE_DAYS},
    )


# --- applicants -----------------------------------------------------------------------


@requires("workforce.apply")
def open_calls(request):
    user = request.user
    rows = list(selectors.open_calls().select_related("partner"))
    mine = {
        a.call_id: a for a in selectors.own_applications(user).filter(call__in=[c.pk for c in rows])
    }
    return render(
        request,
        "workforce/internships/open_calls.html",
        {
            "rows": [
                (c, mine.get(c.pk), [eligibility.describe(r) for r in c.eligibility or []])
                for c in rows
            ],
            "linked": StaffMember.objects.filter(user=user).exists(),
        },
    )


def _applicant_choices(user) -> list[tuple[str, str]]:
    """Who the user may apply for: themselves, and (a head) the active staff of their
    centre. Empty when only themselves: the form then has no choice to make."""
    if not can(user, "workforce.manage"):
        return []
    rows = selectors.active_in_scope(user).order_by("name")[:500]
    return [(str(s.public_id), f"{s.name} · {s.get_role_display()}") for s in rows]


@requires("workforce.apply")
def apply(request, public_id):
    user = request.user
    call = selectors.open_calls().filter(public_id=public_id).first()
    if call is None:
        raise NotFound(_("This call is not open for applications."))
    form = ApplyForm(request.POST or None, staff_choices=_applicant_choices(user))
    own = StaffMember.objects.filter(user=user).first()
    if own is not None and "staff" in form.fields:
        form.fields["staff"].initial = str(own.public_id)
    status = 200
    if request.method == "POST" and form.is_valid():
        staff = None
        chosen = form.cleaned_data.get("staff")
        if chosen:
            staff = selectors.active_in_scope(user).filter(public_id=chosen).first()
        try:
            application = services.submit_application(
                user, call, staff=staff, motivation=form.cleaned_data["motivation"]
            )
        except ValidationFailed as exc:
            status = 422
            add_domain_errors(form, exc)
        else:
            if application.eligible:
                messages.success(request, _("The application is submitted and eligible."))
            else:
                messages.warning(
                    request,
                    _("The application is submitted, but it does not meet every rule of the call."),
                )
            if application.staff.user_id == user.pk:
                return redirect("workforce:my_application", public_id=application.public_id)
            return redirect("workforce:application_detail", public_id=application.public_id)
    return render(
        request,
        "workforce/internships/apply.html",
        {
            "call": call,
            "form": form,
            "rules": [eligibility.describe(r) for r in call.eligibility or []],
        },
        status=status,
    )


@requires("workforce.apply")
def my_applications(request):
    rows = list(selectors.own_applications(request.user))
    completion = selectors.completion_by_application([a.pk for a in rows])
    return render(
        request,
        "workforce/internships/my_applications.html",
        {"rows": [(a, completion[a.pk]) for a in rows]},
    )


@requires("workforce.apply")
def my_application(request, public_id):
    application = selectors.own_application_for(request.user, public_id)
    return _follow_page(request, application, mine=True)


urlpatterns = [
    path("calls/", call_list, name="call_list"),
    path("calls/new/", call_create, name="call_create"),
    path("calls/<uuid:public_id>/", call_detail, name="call_detail"),
    path("calls/<uuid:public_id>/edit/", call_edit, name="call_edit"),
    path("calls/<uuid:public_id>/status/", call_status, name="call_status"),
    path("calls/<uuid:public_id>/selection/", call_selection, name="call_selection"),
    path("calls/<uuid:public_id>/cohort/", call_cohort, name="call_cohort"),
    path("calls/<uuid:public_id>/apply/", apply, name="apply"),
    path("applications/<uuid:public_id>/", application_detail, name="application_detail"),
    path("applications/<uuid:public_id>/scores/", application_scores, name="application_scores"),
    path(
        "applications/<uuid:public_id>/placement/",
        application_placement,
        name="application_placement",
    ),
    path("applications/<uuid:public_id>/recheck/", application_recheck, name="application_recheck"),
    path(
        "applications/<uuid:public_id>/withdraw/",
        application_withdraw,
        name="application_withdraw",
    ),
    path("applications/<uuid:public_id>/reentry/", reentry_plan, name="reentry_plan"),
    path("reentry-due/", reentry_due, name="reentry_due"),
    path("open-calls/", open_calls, name="open_calls"),
    path("my/", my_applications, name="my_applications"),
    path("my/<uuid:public_id>/", my_application, name="my_application"),
]
