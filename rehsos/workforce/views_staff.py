"""Staff pages: the list, a staff member's page (qualifications, certifications,
competencies, trainings, internships), the form to add or edit one, and the small
forms that add or remove what they bring.

Names show only to readers of the workforce in scope (``workforce.view``); the list
never shows a birth year or contact details. Opening a staff member's page writes an
access-log row (who read which record: no personal data)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rehsos.core.access import log_access
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.forms import add_domain_errors
from rehsos.core.models import User
from rehsos.core.permissions import can, requires, scoped
from rehsos.workforce import selectors
from rehsos.workforce.forms import (
    CertificationForm,
    CompetencyForm,
    QualificationForm,
    StaffFilterForm,
    StaffForm,
)
from rehsos.workforce.models import Competency, Qualification, StaffMember
from rehsos.workforce.services import staff as services

PAGE_SIZE = 50


def facility_choices(user) -> list[tuple[str, str]]:
    return list(selectors.facilities_in_scope(user).values_list("code", "name"))


@requires("workforce.view")
def staff_list(request):
    user = request.user
    form = StaffFilterForm(request.GET or None, facilities=facility_choices(user))
    filters = {"status": "active"}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"status": data["status"] or "active", "role": data["role"], "q": data["q"]}
        if data["facility"]:
            filters["facility"] = selectors.facility_for(user, data["facility"])
    rows = selectors.staff_list(user, **filters)
    page = Paginator(rows.order_by("facility__name", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workforce/staff/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_manage": can(user, "workforce.manage"),
            "today": timezone.localdate(),
        },
    )


def _detail_context(request, staff: StaffMember, **forms) -> dict:
    today = timezone.localdate()
    certifications = [
        (cert, selectors.certification_status(cert, today))
        for cert in staff.certifications.order_by("expires_on", "pk")
    ]
    return {
        "staff": staff,
        "certifications": certifications,
        "qualifications": staff.qualifications.order_by("-year", "pk"),
        "competencies": staff.competencies.order_by("code", "name", "pk"),
        "trainings": selectors.training_history(staff),
        "applications": staff.applications.select_related("call").order_by("-submitted_at"),
        "can_manage": can(request.user, "workforce.manage"),
        "qualification_form": forms.get("qualification_form") or QualificationForm(),
        "certification_form": forms.get("certification_form") or CertificationForm(),
        "competency_form": forms.get("competency_form") or CompetencyForm(),
        "today": today,
        "expiring_days": selectors.EXPIRING_DAYS,
    }


@requires("workforce.view")
def staff_detail(request, public_id):
    staff = selectors.staff_for(request.user, public_id)
    log_access(request, staff, purpose="staff record")
    return render(request, "workforce/staff/detail.html", _detail_context(request, staff))


def _account(form, data: dict, facility):
    username = (data.get("account") or "").strip()
    if not username:
        return None
    account = User.objects.filter(username=username, facility=facility).first()
    if account is None:
        form.add_error("account", _("No account with this username at the centre."))
    return account


def _staff_data(request, form) -> dict | None:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    try:
        data["facility"] = selectors.facility_for(request.user, data["facility"])
    except NotFound:
        form.add_error("facility", _("Choose an active centre in your scope."))
        return None
    data["account"] = _account(form, data, data["facility"])
    return None if form.errors else data


@requires("workforce.manage")
def staff_create(request):
    user = request.user
    initial = {"started_on": timezone.localdate()}
    if user.facility_id:
        initial["facility"] = user.facility.code
    form = StaffForm(request.POST or None, initial=initial, facilities=facility_choices(user))
    if request.method == "POST" and form.is_valid():
        data = _staff_data(request, form)
        if data is not None:
            try:
                staff = services.create_staff(user, **data)
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The staff member is added."))
                return redirect("workforce:staff_detail", public_id=staff.public_id)
    return render(request, "workforce/staff/form.html", {"form": form, "staff": None})


@requires("workforce.manage")
def staff_edit(request, public_id):
    user = request.user
    staff = selectors.staff_for(user, public_id)
    form = StaffForm(
        request.POST or None,
        initial=StaffForm.initial_of(staff),
        facilities=facility_choices(user) or [(staff.facility.code, staff.facility.name)],
    )
    conflict, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = _staff_data(request, form)
        if data is not None:
            try:
                staff = services.update_staff(
                    user, staff, version=form.cleaned_data.get("version"), **data
                )
            except Conflict:
                staff.refresh_from_db()
                conflict, status = _conflict(staff, form.cleaned_data), 409
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The staff record is saved."))
                return redirect("workforce:staff_detail", public_id=staff.public_id)
    return render(
        request,
        "workforce/staff/form.html",
        {"form": form, "staff": staff, "conflict": conflict},
        status=status,
    )


def _conflict(staff: StaffMember, data: dict) -> dict:
    labels = dict(StaffMember._meta.get_field("role").choices)
    employment = dict(StaffMember.Employment.choices)
    return {
        "version": staff.version,
        "rows": [
            (_("Centre"), staff.facility.name, data.get("facility")),
            (_("Name"), staff.name, data.get("name")),
            (_("Role"), staff.get_role_display(), labels.get(data.get("role"), "")),
            (
                _("Employment"),
                staff.get_employment_display(),
                employment.get(data.get("employment"), ""),
            ),
            (_("Position"), staff.position, data.get("position")),
            (_("Started on"), staff.started_on, data.get("started_on")),
            (_("Left on"), staff.left_on, data.get("left_on")),
        ],
    }


# --- qualifications, certifications, competencies -------------------------------------


def _add(request, public_id, form_class, service, key: str, done: str):
    staff = selectors.staff_for(request.user, public_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(request.user, staff, **form.cleaned_data)
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(reverse("workforce:staff_detail", args=[staff.public_id]) + f"#{key}")
    context = _detail_context(request, staff, **{f"{key}_form": form})
    return render(request, "workforce/staff/detail.html", context, status=422)


@requires("workforce.manage")
@require_POST
def qualification_add(request, public_id):
    return _add(
        request,
        public_id,
        QualificationForm,
        services.add_qualification,
        "qualification",
        _("The qualification is added."),
    )


@requires("workforce.manage")
@require_POST
def certification_add(request, public_id):
    return _add(
        request,
        public_id,
        CertificationForm,
        services.add_certification,
        "certification",
        _("The certification is added."),
    )


@requires("workforce.manage")
@require_POST
def competency_add(request, public_id):
    return _add(
        request,
        public_id,
        CompetencyForm,
        services.add_competency,
        "competency",
        _("The competency is added."),
    )


@requires("workforce.manage")
def certification_edit(request, pk):
    cert = selectors.certification_for(request.user, pk)
    form = CertificationForm(request.POST or None, initial=CertificationForm.initial_of(cert))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_certification(request.user, cert, **form.cleaned_data)
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The certification is saved."))
            return redirect("workforce:staff_detail", public_id=cert.staff.public_id)
    return render(request, "workforce/staff/certification_form.html", {"form": form, "cert": cert})


def _child(request, model, pk):
    row = scoped(request.user, model.objects.select_related("staff")).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("Not found in your scope."))
    return row


@requires("workforce.manage")
@require_POST
def certification_delete(request, pk):
    cert = selectors.certification_for(request.user, pk)
    services.remove_certification(request.user, cert)
    messages.success(request, _("The certification is removed."))
    return redirect("workforce:staff_detail", public_id=cert.staff.public_id)


@requires("workforce.manage")
@require_POST
def qualification_delete(request, pk):
    row = _child(request, Qualification, pk)
    services.remove_qualification(request.user, row)
    messages.success(request, _("The qualification is removed."))
    return redirect("workforce:staff_detail", public_id=row.staff.public_id)


@requires("workforce.manage")
@require_POST
def competency_delete(request, pk):
    row = _child(request, Competency, pk)
    services.remove_competency(request.user, row)
    messages.success(request, _("The competency is removed."))
    return redirect("workforce:staff_detail", public_id=row.staff.public_id)


@requires("workforce.view")
def certifications_expiring(request):
    user = request.user
    expired = request.GET.get("expired") == "1"
    rows = selectors.certifications_expiring(user, expired=expired)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workforce/staff/certifications.html",
        {
            "page": page,
            "expired": expired,
            "expiring_days": selectors.EXPIRING_DAYS,
            "today": timezone.localdate(),
        },
    )


urlpatterns = [
    path("staff/", staff_list, name="staff_list"),
    path("staff/new/", staff_create, name="staff_create"),
    path("staff/<uuid:public_id>/", staff_detail, name="staff_detail"),
    path("staff/<uuid:public_id>/edit/", staff_edit, name="staff_edit"),
    path("staff/<uuid:public_id>/qualifications/", qualification_add, name="qualification_add"),
    path("staff/<uuid:public_id>/certifications/", certification_add, name="certification_add"),
    path("staff/<uuid:public_id>/competencies/", competency_add, name="competency_add"),
    path("certifications/", certifications_expiring, name="certifications"),
    path("certifications/<int:pk>/", certification_edit, name="certification_edit"),
    path("certifications/<int:pk>/delete/", certification_delete, name="certification_delete"),
    path("qualifications/<int:pk>/delete/", qualification_delete, name="qualification_delete"),
    path("competencies/<int:pk>/delete/", competency_delete, name="competency_delete"),
]
