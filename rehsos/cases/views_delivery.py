"""Services delivered, group sessions with attendance, assistance: the recording form,
a case's services with totals per component, the unit's sessions and the quick
attendance page for a whole class on a tablet, and the services section of the case page."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rehsos.cases import access
from rehsos.cases.models import (
    AssistanceKind,
    CaseStatus,
    Cluster,
    GroupSession,
    ProviderKind,
    ServiceComponent,
    ServiceRecord,
    Setting,
)
from rehsos.cases.services import delivery
from rehsos.core.access import log_access
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import can, requires, scoped

RECORD_INPUTS = delivery.RECORD_FIELDS
SESSION_INPUTS = delivery.SESSION_FIELDS
PAGE = 50


def _choices(on=None) -> dict:
    components = {c.code: c for c in ServiceComponent.objects.in_force(on)}
    totals_names = {c.code: c for c in ServiceComponent.objects.all()}
    return {
        "components": list(components.values()),
        "component_names": totals_names,
        "provider_kinds": ProviderKind.choices,
        "assistance_kinds": AssistanceKind.choices,
        "clusters": Cluster.choices,
        "settings": Setting.choices,
    }


def _totals(case) -> list[dict]:
    names = {c.code: c for c in ServiceComponent.objects.all()}
    rows = delivery.component_totals(case)
    for row in rows:
        row["name"] = names.get(row["component"])
    return rows


def _record(request, service_id, action: str) -> ServiceRecord:
    record = (
        ServiceRecord.objects.select_related("case", "component", "recorded_by")
        .filter(pk=service_id)
        .first()
    )
    if record is None:
        raise NotFound(_("No such service record in your scope."))
    record.case = access.get_case(request, record.case.public_id, action)
    return record


def _form_values(record: ServiceRecord | None) -> dict:
    if record is None:
        return {
            "delivered_on": timezone.localdate().isoformat(),
            "provider_kind": ProviderKind.STAFF,
            "quantity": "1",
            "cost_rp": "0",
            "assistance_amount_rp": "0",
        }
    values = {name: getattr(record, name) for name in RECORD_INPUTS if name != "component"}
    values["component"] = record.component.code
    values["delivered_on"] = record.delivered_on.isoformat()
    values["quantity"] = f"{record.quantity.normalize():f}"
    values["cost_rp"] = str(int(record.cost_rp))
    values["assistance_amount_rp"] = str(int(record.assistance_amount_rp))
    return values


def _posted(request, names) -> dict:
    return {name: request.POST.get(name, "").strip() for name in names}


@requires("cases.edit")
def service_new(request, public_id):
    case = access.get_case(request, public_id, "cases.edit")
    values, errors, status = _form_values(None), {}, 200
    if request.method == "POST":
        values = _posted(request, RECORD_INPUTS)
        try:
            delivery.record_service(request.user, case, values)
        except ValidationFailed as exc:
            errors, status = {k: str(v) for k, v in exc.fields.items()}, 422
        else:
            messages.success(request, _("The service is recorded."))
            if request.POST.get("another"):
                return redirect("cases:service_new", public_id=case.public_id)
            return redirect("cases:services", public_id=case.public_id)
    return render(
        request,
        "cases/delivery/record_form.html",
        {"case": case, "record": None, "values": values, "errors": errors, **_choices()},
        status=status,
    )


@requires("cases.edit")
def service_edit(request, service_id):
    record = _record(request, service_id, "cases.edit")
    if not delivery.may_change(request.user, record):
        messages.warning(
            request,
            _("Only the person who entered a service may change it, for %(days)s days.")
            % {"days": delivery.EDIT_DAYS},
        )
        return redirect("cases:services", public_id=record.case.public_id)
    values, errors, status = _form_values(record), {}, 200
    if request.method == "POST":
        values = _posted(request, RECORD_INPUTS)
        try:
            delivery.update_service(request.user, record, values)
        except ValidationFailed as exc:
            errors, status = {k: str(v) for k, v in exc.fields.items()}, 422
        else:
            messages.success(request, _("The service is corrected."))
            return redirect("cases:services", public_id=record.case.public_id)
    return render(
        request,
        "cases/delivery/record_form.html",
        {"case": record.case, "record": record, "values": values, "errors": errors, **_choices()},
        status=status,
    )


@require_POST
@requires("cases.edit")
def service_delete(request, service_id):
    record = _record(request, service_id, "cases.edit")
    delivery.delete_service(request.user, record)
    messages.success(request, _("The service record is deleted."))
    return redirect("cases:services", public_id=record.case.public_id)


@requires("cases.view")
def service_list(request, public_id):
    case = access.get_case(request, public_id, "cases.view")
    page = keyset_page(
        ServiceRecord.objects.filter(case=case).select_related(
            "component", "group_session", "recorded_by"
        ),
        order=("delivered_on", "id"),
        after=request.GET.get("after") or None,
        limit=PAGE,
        descending=True,
    )
    for record in page.items:
        record.changeable = delivery.may_change(request.user, record)
    return render(
        request,
        "cases/delivery/list.html",
        {
            "case": case,
            "records": page.items,
            "next": page.next_cursor,
            "totals": _totals(case),
            "may_record": can(request.user, "cases.edit") and case.status == CaseStatus.OPEN,
        },
    )


# --- group sessions -------------------------------------------------------------------


def _sessions(user):
    return scoped(user, GroupSession.objects.select_related("unit", "component"))


def _session(request, session_id) -> GroupSession:
    session = _sessions(request.user).filter(public_id=session_id).first()
    if session is None:
        raise NotFound(_("No such group session in your scope."))
    return session


@requires("cases.view")
def session_list(request):
    sessions = _sessions(request.user).annotate(
        n_participants=Count("records"),
        n_attended=Count("records", filter=Q(records__attended=True)),
    )
    page = keyset_page(
        sessions,
        order=("held_on", "id"),
        after=request.GET.get("after") or None,
        limit=PAGE,
        descending=True,
    )
    return render(
        request,
        "cases/delivery/sessions.html",
        {
            "sessions": page.items,
            "next": page.next_cursor,
            "may_record": can(request.user, "cases.edit") and bool(request.user.facility_id),
        },
    )


@requires("cases.edit")
def session_new(request):
    unit = request.user.facility
    values = {"held_on": timezone.localdate().isoformat(), "duration_hours": "1", "cost_rp": "0"}
    errors, status = {}, 200
    if unit is None:
        errors["unit"] = _("Group sessions are recorded by the staff of a unit.")
    if request.method == "POST" and unit is not None:
        values = _posted(request, SESSION_INPUTS)
        try:
            session = delivery.create_group_session(request.user, unit=unit, data=values)
        except ValidationFailed as exc:
            errors, status = {k: str(v) for k, v in exc.fields.items()}, 422
        else:
            messages.success(request, _("The session is recorded: now take the attendance."))
            return redirect("cases:session_attendance", session_id=session.public_id)
    return render(
        request,
        "cases/delivery/session_form.html",
        {"values": values, "errors": errors, "unit": unit, **_choices()},
        status=status,
    )


def _candidates(user, session: GroupSession):
    """The unit's cases open on the session day, of its cluster and setting, plus any
    case already recorded at the session."""
    cases = access.visible_cases(user).filter(unit_id=session.unit_id)
    day = Q(opened_on__lte=session.held_on) & (
        Q(closed_on__isnull=True) | Q(closed_on__gte=session.held_on)
    )
    filters = day
    if session.cluster:
        filters &= Q(cluster=session.cluster)
    if session.setting:
        filters &= Q(setting=session.setting)
    recorded = session.records.values("case_id")
    return (
        cases.filter(filters | Q(pk__in=recorded))
        .select_related("person")
        .order_by("person__full_name", "pk")
    )


@requires("cases.edit")
def session_attendance(request, session_id):
    """One page for the whole class: a big Present / Absent / not in this session
    choice per case, saved with one POST."""
    session = _session(request, session_id)
    cases = list(_candidates(request.user, session))
    recorded = {r.case_id: r.attended for r in session.records.all()}
    errors, status, conflict = {}, 200, None
    if request.method == "POST":
        participants = []
        for case in cases:
            choice = request.POST.get(f"case-{case.public_id}", "")
            if choice in ("present", "absent"):
                participants.append({"case": case, "attended": choice == "present"})
        try:
            delivery.set_attendance(
                request.user,
                session,
                version=request.POST.get("version"),
                participants=participants,
            )
        except ValidationFailed as exc:
            errors, status = {k: str(v) for k, v in exc.fields.items()}, 422
        except Conflict as exc:
            if "current_version" not in exc.extra:
                raise
            conflict = {
                "yours": request.POST.get("version"),
                "theirs": exc.extra["current_version"],
            }
            session = _session(request, session_id)
            recorded = {r.case_id: r.attended for r in session.records.all()}
            status = 409
        else:
            messages.success(request, _("The attendance is saved."))
            return redirect("cases:session_attendance", session_id=session.public_id)
    everyone = request.GET.get("all") == "present"
    rows = []
    for case in cases:
        if request.method == "POST" and status == 422:
            state = request.POST.get(f"case-{case.public_id}", "")
        elif case.pk in recorded:
            state = "present" if recorded[case.pk] else "absent"
        else:
            state = "present" if everyone else ""
        rows.append({"case": case, "state": state})
    if cases:
        log_access(request, [c.person for c in cases], purpose="group session attendance")
    return render(
        request,
        "cases/delivery/attendance.html",
        {
            "session": session,
            "rows": rows,
            "errors": errors,
            "conflict": conflict,
            "present": sum(1 for v in recorded.values() if v),
            "absent": sum(1 for v in recorded.values() if not v),
        },
        status=status,
    )


def section_context(request, case) -> dict | None:
    """The case page's services section: the latest services and totals per component."""
    user = request.user
    if not can(user, "cases.view"):
        return None
    recent = list(
        ServiceRecord.objects.filter(case=case)
        .select_related("component", "group_session")
        .order_by("-delivered_on", "-pk")[:5]
    )
    return {
        "recent": recent,
        "totals": _totals(case),
        "may_record": can(user, "cases.edit") and case.status == CaseStatus.OPEN,
    }


urlpatterns = [
    path("<uuid:public_id>/services/", service_list, name="services"),
    path("<uuid:public_id>/services/new/", service_new, name="service_new"),
    path("services/<int:service_id>/edit/", service_edit, name="service_edit"),
    path("services/<int:service_id>/delete/", service_delete, name="service_delete"),
    path("sessions/", session_list, name="sessions"),
    path("sessions/new/", session_new, name="session_new"),
    path("sessions/<uuid:session_id>/attendance/", session_attendance, name="session_attendance"),
]
