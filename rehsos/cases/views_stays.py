"""Residential stays (admission, discharge, transfer, capacity override), the centre's
residents and occupancy, aftercare visits due and the visit form; the case page's
``stays`` section."""

import csv
import datetime

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.cases import access
from rehsos.cases.models import AftercareOutcome, Case, Setting, Stay
from rehsos.cases.services import aftercare, stays
from rehsos.core.access import log_access
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.forms import BootstrapForm, add_domain_errors
from rehsos.core.permissions import can, requires

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OCCUPANCY_DAYS = 30


def case_url(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.public_id])
    except NoReverseMatch:  # the case page is built beside this module
        return reverse("cases:stays", args=[case.public_id])


def _facility_choices(user) -> list[tuple[str, str]]:
    return [(f.code, f.name) for f in stays.facilities_in_scope(user)]


# --- forms ----------------------------------------------------------------------------


class AdmitForm(BootstrapForm):
    facility = forms.ChoiceField(label=gettext_lazy("Centre"))
    admitted_on = forms.DateField(label=gettext_lazy("Admitted on"), widget=DATE)
    planned_discharge_on = forms.DateField(
        label=gettext_lazy("Planned discharge"), required=False, widget=DATE
    )
    room = forms.CharField(label=gettext_lazy("Room or bed"), required=False, max_length=40)
    setting_reason = forms.CharField(
        label=gettext_lazy("Reason for the change to a residential setting"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Reason for admitting beyond the capacity"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Recorded on the stay and shown to whoever reviews occupancy."),
    )

    def __init__(self, *args, user, case: Case, show_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = _facility_choices(user)
        if case.setting == Setting.RESIDENTIAL:
            del self.fields["setting_reason"]
        if not show_override:
            del self.fields["override_reason"]


class TransferForm(BootstrapForm):
    to = forms.ChoiceField(label=gettext_lazy("To the centre"))
    on = forms.DateField(label=gettext_lazy("Transferred on"), widget=DATE)
    room = forms.CharField(label=gettext_lazy("Room or bed"), required=False, max_length=40)
    override_reason = forms.CharField(
        label=gettext_lazy("Reason for admitting beyond the capacity"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, user, stay: Stay, show_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [
            c for c in _facility_choices(user) if c[0] != stay.facility.code
        ]
        if not show_override:
            del self.fields["override_reason"]


class DischargeForm(BootstrapForm):
    discharged_on = forms.DateField(label=gettext_lazy("Discharged on"), widget=DATE)
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), choices=[("", "—"), *Stay.DischargeReason.choices]
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class VisitForm(BootstrapForm):
    visited_on = forms.DateField(label=gettext_lazy("Visited on"), widget=DATE)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=[("", "—"), *AftercareOutcome.choices]
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class RescheduleForm(BootstrapForm):
    due_on = forms.DateField(label=gettext_lazy("New due date"), widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput)


class LostForm(BootstrapForm):
    note = forms.CharField(
        label=gettext_lazy("What was tried"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


# --- admission, transfer, discharge ---------------------------------------------------


def _capacity_refusal(form, exc: stays.CapacityExceeded) -> bool:
    """Show a capacity refusal on the form; True when the user may override it."""
    may_override = bool(exc.extra.get("may_override"))
    form.add_error(None, str(exc.message))
    if may_override and "override_reason" in form.fields:
        for message in exc.fields.values():
            form.add_error("override_reason", str(message))
    return may_override


@requires("cases.edit")
def admit(request, public_id):
    case = access.get_case(request, public_id, "cases.edit")
    user = request.user
    show_override = bool(request.POST.get("override_reason"))
    initial = {"facility": case.unit.code, "admitted_on": timezone.localdate()}
    form = AdmitForm(
        request.POST or None, initial=initial, user=user, case=case, show_override=show_override
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stay = stays.admit(
                user,
                case,
                facility=stays.facility_for(user, data["facility"]),
                admitted_on=data["admitted_on"],
                planned_discharge_on=data["planned_discharge_on"],
                room=data["room"],
                setting_reason=data.get("setting_reason", ""),
                override_reason=data.get("override_reason", ""),
            )
        except stays.CapacityExceeded as exc:
            status = 409
            if exc.extra.get("may_override") and "override_reason" not in form.fields:
                form = AdmitForm(
                    request.POST, initial=initial, user=user, case=case, show_override=True
                )
                form.is_valid()
            _capacity_refusal(form, exc)
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Admitted to %(centre)s.") % {"centre": stay.facility.name})
            return redirect(case_url(case))
    return render(
        request,
        "cases/stays/admit.html",
        {"case": case, "form": form, "case_url": case_url(case)},
        status=status,
    )


def _stay(request, public_id, action: str = "cases.edit"):
    stay = stays.stay_for(request.user, public_id)
    case = access.get_case(request, stay.case.public_id, action)
    return stay, case


@requires("cases.edit")
def discharge(request, public_id):
    stay, case = _stay(request, public_id)
    initial = {"discharged_on": timezone.localdate(), "version": stay.version}
    form = DischargeForm(request.POST or None, initial=initial)
    conflict, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stays.discharge(
                request.user,
                stay,
                discharged_on=data["discharged_on"],
                reason=data["reason"],
                version=data["version"],
            )
        except Conflict:
            stay.refresh_from_db()
            conflict, status = _stay_conflict(stay, data), 409
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The stay is discharged."))
            return redirect(case_url(case))
    return render(
        request,
        "cases/stays/discharge.html",
        {
            "case": case,
            "stay": stay,
            "form": form,
            "conflict": conflict,
            "case_url": case_url(case),
        },
        status=status,
    )


def _stay_conflict(stay: Stay, data: dict) -> dict:
    return {
        "version": stay.version,
        "rows": [
            (_("Discharged on"), stay.discharged_on, data.get("discharged_on") or data.get("on")),
            (
                _("Reason"),
                stay.get_discharge_reason_display() if stay.discharge_reason else "",
                dict(Stay.DischargeReason.choices).get(data.get("reason"), _("Transferred")),
            ),
        ],
    }


@requires("cases.edit")
def transfer(request, public_id):
    stay, case = _stay(request, public_id)
    user = request.user
    show_override = bool(request.POST.get("override_reason"))
    initial = {"on": timezone.localdate(), "version": stay.version}
    form = TransferForm(
        request.POST or None, initial=initial, user=user, stay=stay, show_override=show_override
    )
    conflict, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = stays.transfer(
                user,
                stay,
                to=stays.facility_for(user, data["to"]),
                on=data["on"],
                room=data["room"],
                override_reason=data.get("override_reason", ""),
                version=data["version"],
            )
        except stays.CapacityExceeded as exc:
            status = 409
            if exc.extra.get("may_override") and "override_reason" not in form.fields:
                form = TransferForm(
                    request.POST, initial=initial, user=user, stay=stay, show_override=True
                )
                form.is_valid()
            _capacity_refusal(form, exc)
        except Conflict:
            stay.refresh_from_db()
            conflict, status = _stay_conflict(stay, data), 409
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request, _("Transferred to %(centre)s.") % {"centre": new.facility.name}
            )
            return redirect(case_url(case))
    return render(
        request,
        "cases/stays/transfer.html",
        {
            "case": case,
            "stay": stay,
            "form": form,
            "conflict": conflict,
            "case_url": case_url(case),
        },
        status=status,
    )


@requires("cases.view")
def case_stays(request, public_id):
    """The case's stays and aftercare visits on a page of their own (the same section
    the case page shows)."""
    case = access.get_case(request, public_id)
    return render(
        request,
        "cases/stays/case_stays.html",
        {"case": case, "section": _section(request, case), "case_url": case_url(case)},
    )


# --- the centre: residents, occupancy -------------------------------------------------


def _default_facility(user):
    if user.facility_id:
        try:
            return stays.facility_for(user, user.facility.code)
        except NotFound:
            pass
    return stays.facilities_in_scope(user).first()


@requires("cases.view")
def residents_home(request):
    code = request.GET.get("facility", "")
    facility = stays.facility_for(request.user, code) if code else _default_facility(request.user)
    if facility is None:
        raise NotFound(_("No centre in your scope."))
    return redirect("cases:residents", code=facility.code)


@requires("cases.view")
def residents(request, code):
    user = request.user
    facility = stays.facility_for(user, code)
    rows = list(stays.residents(facility))
    open_ids = set(
        access.visible_cases(user)
        .filter(pk__in=[s.case_id for s in rows])
        .values_list("pk", flat=True)
    )
    shown = [s.case.person for s in rows if s.case_id in open_ids]
    if shown:
        log_access(request, shown, purpose="residents list")
    return render(
        request,
        "cases/stays/residents.html",
        {
            "facility": facility,
            "rows": [(s, s.case_id in open_ids, case_url(s.case)) for s in rows],
            "capacity": facility.capacity,
            "facilities": _facility_choices(user),
            "today": timezone.localdate(),
        },
    )


def _chart(table: stays.Occupancy) -> dict:
    """Geometry of a small bar chart of beds used per day, with the capacity line."""
    width, height, pad = 720, 160, 20
    top = max([table.peak, table.capacity or 0, 1])
    step = (width - 2 * pad) / max(len(table.days), 1)
    scale = (height - 2 * pad) / top
    bars = []
    for i, day in enumerate(table.days):
        h = round(day.total * scale, 1)
        bars.append(
            {
                "x": round(pad + i * step, 1),
                "y": round(height - pad - h, 1),
                "w": max(round(step * 0.8, 1), 1),
                "h": h,
                "over": day.over,
                "label": f"{day.day.isoformat()}: {day.total}",
            }
        )
    line = round(height - pad - table.capacity * scale, 1) if table.capacity else None
    return {"width": width, "height": height, "pad": pad, "bars": bars, "capacity_y": line}


def _occupancy_csv(table: stays.Occupancy) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"occupancy-{table.facility.code}-{table.start}-{table.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["date", *table.clusters, "total", "capacity", "percent_used"])
    for day in table.days:
        writer.writerow(
            [
                day.day.isoformat(),
                *[cell.used for cell in day.cells],
                day.total,
                "" if day.capacity is None else day.capacity,
                "" if day.percent is None else day.percent,
            ]
        )
    return response


@requires("cases.view")
def occupancy(request):
    user = request.user
    today = timezone.localdate()
    code = request.GET.get("facility", "")
    facility = stays.facility_for(user, code) if code else _default_facility(user)
    if facility is None:
        raise NotFound(_("No centre in your scope."))
    raw_from = request.GET.get("from") or (today - datetime.timedelta(days=OCCUPANCY_DAYS - 1))
    raw_to = request.GET.get("to") or today
    table, chart, errors = None, None, {}
    try:
        start, end = stays.parse_range(raw_from, raw_to)
    except ValidationFailed as exc:
        errors = {name: str(message) for name, message in exc.fields.items()}
    else:
        table = stays.occupancy(facility, start, end)
        if request.GET.get("format") == "csv":
            return _occupancy_csv(table)
        chart = _chart(table)
    return render(
        request,
        "cases/stays/occupancy.html",
        {
            "facility": facility,
            "facilities": _facility_choices(user),
            "raw_from": raw_from,
            "raw_to": raw_to,
            "errors": errors,
            "table": table,
            "chart": chart,
        },
    )


# --- aftercare ------------------------------------------------------------------------


@requires("cases.view")
def aftercare_due(request):
    user = request.user
    try:
        within = max(0, min(int(request.GET.get("within", 14)), 366))
    except ValueError:
        within = 14
    visits = list(aftercare.visits_due(user, within_days=within)[:200])
    if visits:
        log_access(request, [v.case.person for v in visits], purpose="aftercare visits due")
    return render(
        request,
        "cases/stays/aftercare_due.html",
        {"visits": visits, "within": within, "today": timezone.localdate()},
    )


@requires("cases.edit")
def aftercare_visit(request, public_id):
    visit = aftercare.visit_for(request.user, public_id)
    case = access.get_case(request, visit.case.public_id, "cases.edit")
    action = request.POST.get("action", "record") if request.method == "POST" else None
    version = {"version": visit.version}
    record_form = VisitForm(
        request.POST if action == "record" else None,
        initial={
            **version,
            "visited_on": visit.visited_on or timezone.localdate(),
            "outcome": visit.outcome,
            "note": visit.note,
        },
    )
    reschedule_form = RescheduleForm(
        request.POST if action == "reschedule" else None,
        initial={**version, "due_on": visit.due_on},
    )
    lost_form = LostForm(request.POST if action == "lost" else None, initial=version)
    forms_by_action = {"record": record_form, "reschedule": reschedule_form, "lost": lost_form}
    conflict, status = None, 200
    form = forms_by_action.get(action)
    if form is not None and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if action == "record":
                aftercare.record_visit(request.user, visit, **data)
            elif action == "reschedule":
                aftercare.reschedule(request.user, visit, **data)
            else:
                aftercare.mark_lost(request.user, visit, **data)
        except Conflict:
            visit.refresh_from_db()
            status = 409
            conflict = {
                "version": visit.version,
                "rows": [
                    (_("Visited on"), visit.visited_on, data.get("visited_on")),
                    (
                        _("Outcome"),
                        visit.get_outcome_display(),
                        dict(AftercareOutcome.choices).get(data.get("outcome"), ""),
                    ),
                    (_("Due on"), visit.due_on, data.get("due_on")),
                ],
            }
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The aftercare visit is saved."))
            return redirect(case_url(case))
    return render(
        request,
        "cases/stays/aftercare_visit.html",
        {
            "case": case,
            "visit": visit,
            "record_form": record_form,
            "reschedule_form": reschedule_form,
            "lost_form": lost_form,
            "conflict": conflict,
            "case_url": case_url(case),
        },
        status=status,
    )


# --- the case page's section ----------------------------------------------------------


def _section(request, case: Case) -> dict:
    all_stays = list(case.stays.select_related("facility").order_by("-admitted_on", "-pk"))
    current = next((s for s in all_stays if s.discharged_on is None), None)
    user = request.user
    return {
        "current": current,
        "previous": [s for s in all_stays if s is not current],
        "visits": list(case.aftercare_visits.order_by("due_on", "pk")),
        "can_edit": can(user, "cases.edit") and case.status == "open",
        "can_record": can(user, "cases.edit"),
        "today": timezone.localdate(),
    }


def section_context(request, case: Case) -> dict | None:
    """Current and previous stays and aftercare visits with their outcomes; left out
    for a case that is not residential and has neither."""
    section = _section(request, case)
    if (
        case.setting != Setting.RESIDENTIAL
        and not section["current"]
        and not section["previous"]
        and not section["visits"]
    ):
        return None
    return section


urlpatterns = [
    path("<uuid:public_id>/stays/", case_stays, name="stays"),
    path("<uuid:public_id>/stays/admit/", admit, name="stay_admit"),
    path("stays/<uuid:public_id>/discharge/", discharge, name="stay_discharge"),
    path("stays/<uuid:public_id>/transfer/", transfer, name="stay_transfer"),
    path("residents/", residents_home, name="residents_home"),
    path("centres/<slug:code>/residents/", residents, name="residents"),
    path("occupancy/", occupancy, name="occupancy"),
    path("aftercare/", aftercare_due, name="aftercare_due"),
    path("aftercare/<uuid:public_id>/", aftercare_visit, name="aftercare_visit"),
]
