"""Opening, editing, assigning, stage moves, closing and reopening a case; termination;
transfers. The case page's ``workflow`` section (stage path, the next stage's rules,
the actions the user may take) is built here too."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rehsos.cases import access
from rehsos.cases.models import (
    SENSITIVITY_FLAGS,
    Case,
    CaseStatus,
    ClosureReason,
    Cluster,
    PpksType,
    RiskLevel,
    Setting,
    Termination,
    Transfer,
)
from rehsos.cases.services import cases as case_services
from rehsos.cases.services import stage_rules, workflow
from rehsos.cases.services import termination as termination_services
from rehsos.cases.services import transfers as transfer_services
from rehsos.core.access import log_access
from rehsos.core.errors import Conflict, DomainError, ValidationFailed
from rehsos.core.permissions import can, requires, scoped
from rehsos.core.roles import PERMISSIONS, ScopeLevel
from rehsos.facilities.models import Facility
from rehsos.registry import selectors as person_selectors

TEXTAREA = forms.Textarea(attrs={"rows": 3})


def _blank(choices) -> list:
    return [("", "—"), *choices]


def _staff_queryset(user):
    """Staff who may work on cases in the user's area (the service checks the unit)."""
    roles = [role for role, actions in PERMISSIONS.items() if "cases.edit" in actions]
    users = get_user_model().objects.filter(is_active=True, role__in=roles)
    if user.scope_level == ScopeLevel.FACILITY:
        unit = user.facility
        users = users.filter(
            Q(facility=unit) | Q(scope_level=ScopeLevel.PROVINCE, province_code=unit.province_code)
        )
    elif user.scope_level == ScopeLevel.PROVINCE:
        users = users.filter(
            Q(facility__province_code=user.province_code) | Q(province_code=user.province_code)
        )
    return users.order_by("first_name", "last_name", "username")


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class CaseFieldsForm(forms.Form):
    """The case's description, shared by the open and the edit form."""

    ppks_type = forms.ModelChoiceField(
        label=gettext_lazy("PPKS type"), queryset=PpksType.objects.none()
    )
    cluster = forms.ChoiceField(
        label=gettext_lazy("Cluster"),
        choices=_blank(Cluster.choices),
        required=False,
        help_text=gettext_lazy("Left empty: the PPKS type's cluster."),
    )
    setting = forms.ChoiceField(label=gettext_lazy("Setting"), choices=_blank(Setting.choices))
    risk_level = forms.ChoiceField(
        label=gettext_lazy("Risk level"), choices=RiskLevel.choices, initial=RiskLevel.LOW
    )
    flag_child = forms.BooleanField(
        label=gettext_lazy("Child"),
        required=False,
        help_text=gettext_lazy("Set automatically for a person under 18."),
    )
    flag_trafficking = forms.BooleanField(label=gettext_lazy("Trafficking"), required=False)
    flag_napza = forms.BooleanField(label=gettext_lazy("NAPZA"), required=False)
    flag_hiv = forms.BooleanField(label=gettext_lazy("HIV"), required=False)
    flag_law = forms.BooleanField(label=gettext_lazy("In conflict with the law"), required=False)
    summary = forms.CharField(
        label=gettext_lazy("Presenting problem"), required=False, widget=TEXTAREA, max_length=5000
    )

    flag_names = [field for field, _label in SENSITIVITY_FLAGS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ppks_type"].queryset = PpksType.objects.in_force().order_by("number")
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def flags(self) -> dict:
        return {name: self.cleaned_data.get(name, False) for name in self.flag_names}

    def add_service_errors(self, fields: dict) -> None:
        for name, message in fields.items():
            target = name if name in self.fields else None
            if name == "flags":
                target = None
            self.add_error(target, str(message))


class OpenCaseForm(CaseFieldsForm):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Responsible unit"), queryset=Facility.objects.none()
    )
    social_worker = StaffChoice(
        label=gettext_lazy("Social worker"),
        queryset=get_user_model().objects.none(),
        required=False,
    )
    supervisor = StaffChoice(
        label=gettext_lazy("Supervisor"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped(user, Facility.objects.filter(is_active=True))
        self.fields["unit"].widget.attrs["class"] = "form-select"
        for name in ("social_worker", "supervisor"):
            self.fields[name].queryset = _staff_queryset(user)
            self.fields[name].widget.attrs["class"] = "form-select"


class AssignForm(forms.Form):
    social_worker = StaffChoice(
        label=gettext_lazy("Social worker"),
        queryset=get_user_model().objects.none(),
        required=False,
    )
    supervisor = StaffChoice(
        label=gettext_lazy("Supervisor"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("social_worker", "supervisor"):
            self.fields[name].queryset = case_services.staff_for(case.unit)
            self.fields[name].widget.attrs["class"] = "form-select"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class TerminationForm(forms.Form):
    goals_met = forms.ChoiceField(
        label=gettext_lazy("Goals met"),
        choices=_blank(Termination.GoalsMet.choices),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Why the case ends"),
        choices=_blank(ClosureReason.choices),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    summary = forms.CharField(
        label=gettext_lazy("Termination summary"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )
    recommendations = forms.CharField(
        label=gettext_lazy("Recommendations for aftercare"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class TransferForm(forms.Form):
    to_unit = forms.ModelChoiceField(
        label=gettext_lazy("Receiving unit"),
        queryset=Facility.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = Facility.objects.filter(is_active=True).exclude(
            pk=case.unit_id
        )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


def _add_errors(form, exc: DomainError) -> None:
    if not exc.fields:
        form.add_error(None, str(exc.message))
    for name, message in exc.fields.items():
        form.add_error(name if name in form.fields else None, str(message))


def _version(request) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


def _detail(case):
    return redirect("cases:detail", public_id=case.public_id)


# --- open, edit, assign ------------------------------------------------------------------------


@requires("cases.open")
def open_case(request):
    person_id = request.POST.get("person") or request.GET.get("person")
    person = None
    if person_id:
        try:
            person, _redirected = person_selectors.person_for(request.user, person_id)
        except (DomainError, ValueError, DjangoValidationError):
            person = None
    if person is None:
        messages.error(request, _("Open a case from the person's record (search the registry)."))
        return redirect("registry:search")
    log_access(request, person, purpose="open case")
    initial = {"unit": request.user.facility_id} if request.user.facility_id else {}
    if request.user.role == "social_worker":
        initial["social_worker"] = request.user.pk
    form = OpenCaseForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_services.open_case(
                request.user,
                person=person,
                ppks_type=data["ppks_type"],
                cluster=data["cluster"] or None,
                setting=data["setting"],
                unit=data["unit"],
                social_worker=data["social_worker"],
                supervisor=data["supervisor"],
                risk_level=data["risk_level"],
                flags=form.flags(),
                summary=data["summary"],
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc.fields)
        else:
            messages.success(request, _("Case %(number)s is open.") % {"number": case.number})
            return _detail(case)
    return render(request, "cases/workflow/open.html", {"form": form, "person": person})


def _edit_initial(case: Case) -> dict:
    data = {name: getattr(case, name) for name in ("cluster", "setting", "risk_level", "summary")}
    data["ppks_type"] = case.ppks_type_id
    data.update({name: getattr(case, name) for name in CaseFieldsForm.flag_names})
    return data


@requires("cases.edit")
def edit(request, public_id):
    case = access.get_case(request, public_id, "cases.edit")
    form = CaseFieldsForm(request.POST or None, initial=_edit_initial(case))
    conflict = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if "cluster" in data and not data["cluster"]:
            data["cluster"] = form.cleaned_data["ppks_type"].cluster
        try:
            case_services.update_case(request.user, case, data, version=_version(request))
        except Conflict:
            current = Case.objects.select_related("ppks_type").get(pk=case.pk)
            theirs = _edit_initial(current)
            conflict = [
                (
                    form.fields[name].label,
                    _display(form.fields[name], theirs.get(name)),
                    _display(form.fields[name], form.cleaned_data.get(name)),
                )
                for name in form.fields
                if theirs.get(name) != _raw(form.cleaned_data.get(name))
            ]
            case, status = current, 409
        except ValidationFailed as exc:
            form.add_service_errors(exc.fields)
        else:
            messages.success(request, _("The changes are saved."))
            return _detail(case)
    return render(
        request,
        "cases/workflow/edit.html",
        {"form": form, "case": case, "conflict": conflict},
        status=status,
    )


def _raw(value):
    return value.pk if hasattr(value, "pk") else value


def _display(field, value):
    value = _raw(value)
    if isinstance(field, forms.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, forms.ModelChoiceField):
        found = field.queryset.filter(pk=value).first() if value else None
        return str(found) if found else "—"
    if isinstance(field, forms.ChoiceField):
        return dict(field.choices).get(value, value) or "—"
    return value or "—"


@requires("cases.assign")
def assign(request, public_id):
    case = access.get_case(request, public_id, "cases.assign")
    initial = {"social_worker": case.social_worker_id, "supervisor": case.supervisor_id}
    form = AssignForm(request.POST or None, case=case, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            case_services.assign(
                request.user,
                case,
                social_worker=form.cleaned_data["social_worker"],
                supervisor=form.cleaned_data["supervisor"],
                version=_version(request),
            )
        except Conflict as exc:
            form.add_error(None, str(exc.message))
            case = access.get_case(request, public_id, "cases.assign", log=False)
            status = 409
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The case's team is saved."))
            return _detail(case)
    return render(
        request, "cases/workflow/assign.html", {"form": form, "case": case}, status=status
    )


# --- stages -----------------------------------------------------------------------------------


def stage_path(case: Case) -> list[dict]:
    return [
        {
            "stage": stage,
            "state": (
                "done"
                if stage.order < case.stage.order
                else "current"
                if stage.pk == case.stage_id
                else "later"
            ),
        }
        for stage in workflow.stages_of(case)
    ]


@requires("cases.move")
def move(request, public_id):
    case = access.get_case(request, public_id, "cases.move")
    stages = workflow.stages_of(case)
    following = workflow.next_stage(case)
    chosen = (
        request.POST.get("to_stage")
        or request.GET.get("to")
        or (following.code if following else "")
    )
    target = next((s for s in stages if s.code == chosen), following)
    form = ReasonForm(request.POST or None)
    missing, status = [], 200
    if request.method == "POST" and form.is_valid():
        try:
            workflow.move_stage(
                request.user,
                case,
                chosen,
                reason=form.cleaned_data["reason"],
                version=_version(request),
            )
        except Conflict as exc:
            form.add_error(None, str(exc.message))
            case = access.get_case(request, public_id, "cases.move", log=False)
            status = 409
        except DomainError as exc:
            missing = exc.extra.get("missing", [])
            if not missing:
                _add_errors(form, exc)
        else:
            messages.success(request, _("The case moved to %(stage)s.") % {"stage": target})
            return _detail(case)
    requirements = []
    if target is not None and target.order > case.stage.order:
        for stage in stages:
            if case.stage.order < stage.order <= target.order:
                requirements += [
                    {**result, "stage": stage} for result in stage_rules.evaluate(case, stage)
                ]
    return render(
        request,
        "cases/workflow/move.html",
        {
            "case": case,
            "form": form,
            "stages": stages,
            "target": target,
            "requirements": requirements,
            "missing": missing,
            "backward": target is not None and target.order < case.stage.order,
            "path": stage_path(case),
        },
        status=status,
    )


@requires("cases.move")
def close(request, public_id):
    case = access.get_case(request, public_id, "cases.move")
    form = ReasonForm(request.POST or None)
    missing, status = [], 200
    if request.method == "POST" and form.is_valid():
        try:
            workflow.close_case(
                request.user, case, reason=form.cleaned_data["reason"], version=_version(request)
            )
        except Conflict as exc:
            form.add_error(None, str(exc.message))
            case = access.get_case(request, public_id, "cases.move", log=False)
            status = 409
        except DomainError as exc:
            missing = exc.extra.get("missing", [])
            if not missing:
                _add_errors(form, exc)
        else:
            messages.success(request, _("The case is closed."))
            return _detail(case)
    termination = Termination.objects.filter(case=case).first()
    return render(
        request,
        "cases/workflow/close.html",
        {"case": case, "form": form, "missing": missing, "termination": termination},
        status=status,
    )


class ReopenForm(ReasonForm):
    to_stage = forms.ChoiceField(
        label=gettext_lazy("Reopen at the stage"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )


@requires("cases.move")
def reopen(request, public_id):
    case = access.get_case(request, public_id, "cases.move")
    form = ReopenForm(request.POST or None, initial={"to_stage": case.stage.code})
    form.fields["to_stage"].choices = [
        (s.code, f"{s.order}. {s}") for s in workflow.stages_of(case) if s.order <= case.stage.order
    ]
    missing = []
    if request.method == "POST" and form.is_valid():
        try:
            workflow.reopen_case(
                request.user,
                case,
                reason=form.cleaned_data["reason"],
                to_stage=form.cleaned_data["to_stage"],
            )
        except DomainError as exc:
            missing = exc.extra.get("missing", [])
            _add_errors(form, exc)
        else:
            messages.success(request, _("The case is open again."))
            return _detail(case)
    return render(
        request, "cases/workflow/reopen.html", {"case": case, "form": form, "missing": missing}
    )


# --- termination ----------------------------------------------------------------------------


@requires("cases.view")
def termination(request, public_id):
    case = access.get_case(request, public_id)
    current = Termination.objects.filter(case=case).select_related("written_by").first()
    initial = {}
    if current:
        initial = {
            name: getattr(current, name)
            for name in ("goals_met", "reason", "summary", "recommendations")
        }
    may_write = (
        can(request.user, "cases.edit")
        and case.status == CaseStatus.OPEN
        and not (current and current.approved_at)
    )
    form = TerminationForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not may_write:
            messages.error(request, _("The summary can no longer be changed."))
            return redirect("cases:termination", public_id=case.public_id)
        if form.is_valid():
            try:
                termination_services.write_summary(
                    request.user,
                    case,
                    version=_version(request) if current else None,
                    **form.cleaned_data,
                )
            except Conflict as exc:
                form.add_error(None, str(exc.message))
                current = Termination.objects.filter(case=case).first()
                status = 409
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The termination summary is saved."))
                return redirect("cases:termination", public_id=case.public_id)
    may_approve = (
        current is not None
        and current.approved_at is None
        and can(request.user, "cases.approve")
        and termination_services.may_approve(request.user, case)
        and current.written_by_id != request.user.pk
    )
    return render(
        request,
        "cases/workflow/termination.html",
        {
            "case": case,
            "form": form,
            "termination": current,
            "may_write": may_write,
            "may_approve": may_approve,
        },
        status=status,
    )


@require_POST
@requires("cases.approve")
def termination_approve(request, public_id):
    case = access.get_case(request, public_id, "cases.approve")
    try:
        termination_services.approve(request.user, case, version=_version(request) or None)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The termination is approved: the case may be closed."))
    return redirect("cases:termination", public_id=case.public_id)


# --- transfers ------------------------------------------------------------------------------


@requires("cases.transfer")
def transfer(request, public_id):
    case = access.get_case(request, public_id, "cases.transfer")
    pending = transfer_services.pending_for(case)
    form = TransferForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            transfer_services.request_transfer(request.user, case, **form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The receiving unit is asked to accept the case."))
            return _detail(case)
    history = case.transfers.select_related("from_unit", "to_unit").order_by("-created_at")[:20]
    return render(
        request,
        "cases/workflow/transfer.html",
        {"case": case, "form": form, "pending": pending, "history": history},
    )


@requires("cases.transfer")
def transfers(request):
    incoming = transfer_services.incoming(request.user)[:200]
    outgoing = transfer_services.outgoing(request.user)[:200]
    return render(
        request,
        "cases/workflow/transfers.html",
        {"incoming": incoming, "outgoing": outgoing, "form": NoteForm()},
    )


@require_POST
@requires("cases.transfer")
def transfer_decide(request, public_id):
    found = transfer_services.transfer_for(request.user, public_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    decision = request.POST.get("decision")
    try:
        if decision == "accept":
            transfer_services.accept(request.user, found, note=note)
            messages.success(
                request,
                _("Case %(number)s is now at %(unit)s: assign its worker and supervisor.")
                % {"number": found.case.number, "unit": found.to_unit.name},
            )
            return redirect("cases:detail", public_id=found.case.public_id)
        if decision == "decline":
            transfer_services.decline(request.user, found, note=note)
            messages.success(request, _("The transfer is declined."))
        elif decision == "cancel":
            transfer_services.cancel(request.user, found, note=note)
            messages.success(request, _("The transfer is cancelled."))
            return redirect("cases:detail", public_id=found.case.public_id)
        else:
            messages.error(request, _("Choose accept, decline or cancel."))
    except DomainError as exc:
        messages.error(request, " ".join(str(m) for m in exc.fields.values()) or str(exc.message))
    return redirect("cases:transfers")


# --- the case page's section ------------------------------------------------------------------


def section_context(request, case) -> dict:
    user = request.user
    is_open = case.status == CaseStatus.OPEN
    following = workflow.next_stage(case) if is_open else None
    requirements = stage_rules.evaluate(case, following) if following else []
    termination_row = Termination.objects.filter(case=case).first()
    pending = transfer_services.pending_for(case)
    actions = []

    def offer(action: str, label, name: str, when: bool = True):
        if when and can(user, action):
            actions.append({"label": label, "url": reverse(name, args=[case.public_id])})

    offer("cases.move", _("Move to another stage"), "cases:move", is_open)
    offer("cases.edit", _("Edit"), "cases:edit", is_open)
    offer("cases.assign", _("Assign worker and supervisor"), "cases:assign", is_open)
    offer("cases.view", _("Termination summary"), "cases:termination")
    offer("cases.move", _("Close case"), "cases:close", is_open)
    offer("cases.move", _("Reopen"), "cases:reopen", not is_open)
    offer(
        "cases.transfer", _("Transfer to another unit"), "cases:transfer", is_open and not pending
    )
    offer("cases.view", _("Referrals to other services"), "cases:outgoing")
    return {
        "path": stage_path(case),
        "next_stage": following,
        "requirements": requirements,
        "ready": all(r["met"] for r in requirements),
        "may_move": following is not None and workflow.may_move_into(user, following),
        "actions": actions,
        "pending_transfer": pending,
        "termination": termination_row,
        "days_in_stage": max((timezone.now() - case.stage_entered_at).days, 0),
        "open_transfer_states": Transfer.Status,
    }


urlpatterns = [
    path("open/", open_case, name="open"),
    path("transfers/", transfers, name="transfers"),
    path("transfers/<uuid:public_id>/decide/", transfer_decide, name="transfer_decide"),
    path("<uuid:public_id>/edit/", edit, name="edit"),
    path("<uuid:public_id>/assign/", assign, name="assign"),
    path("<uuid:public_id>/move/", move, name="move"),
    path("<uuid:public_id>/close/", close, name="close"),
    path("<uuid:public_id>/reopen/", reopen, name="reopen"),
    path("<uuid:public_id>/termination/", termination, name="termination"),
    path("<uuid:public_id>/termination/approve/", termination_approve, name="termination_approve"),
    path("<uuid:public_id>/transfer/", transfer, name="transfer"),
]
