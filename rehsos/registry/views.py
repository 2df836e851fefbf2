"""Registry pages: search, register (with the duplicate step), view, edit, household,
consent, guardians and data-subject rights."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rehsos.core.access import log_access
from rehsos.core.errors import Conflict, DomainError, ValidationFailed
from rehsos.core.permissions import can, requires
from rehsos.registry import person_panels, selectors
from rehsos.registry.forms import (
    ConsentForm,
    CorrectionForm,
    DecisionForm,
    ErasureForm,
    GuardianForm,
    HouseholdForm,
    JoinHouseholdForm,
    PersonForm,
    WithdrawForm,
)
from rehsos.registry.models import DataRequest, Person
from rehsos.registry.services import consent as consent_services
from rehsos.registry.services import households as household_services
from rehsos.registry.services import persons as person_services
from rehsos.registry.services import rights


@requires("persons.view")
def search(request):
    from rehsos.registry.search import search_persons

    # Posted, not in the URL: names and NIKs stay out of server logs and browser history.
    q = request.POST.get("q", "").strip()
    nik = request.POST.get("nik", "").strip()
    birth_year = request.POST.get("birth_year", "").strip()
    hits, error = [], ""
    if q or nik or birth_year:
        try:
            hits = search_persons(
                request.user,
                # A 16-digit q matches a NIK or a KK number; with a name, the number narrows it.
                q=q or nik or None,
                nik=nik if q and nik else None,
                birth_year=int(birth_year) if birth_year.isdigit() else None,
                limit=25,
            )
        except DomainError as exc:
            error = " ".join(str(m) for m in exc.fields.values()) or str(exc.message)
        if hits:
            log_access(request, [h.person for h in hits], purpose="search")
    return render(
        request,
        "registry/search.html",
        {"q": q, "nik": nik, "birth_year": birth_year, "hits": hits, "error": error},
    )


@requires("persons.register")
def register(request):
    form = PersonForm(request.POST or None)
    warnings, duplicates = [], []
    if request.method == "POST" and form.is_valid():
        try:
            person = person_services.register_person(
                request.user, form.service_data(), confirmed=request.POST.get("confirm") == "1"
            )
        except person_services.NeedsConfirmation as exc:
            warnings = exc.extra.get("warnings", [])
            duplicates = exc.extra.get("duplicates", [])
        except ValidationFailed as exc:
            form.add_service_errors(exc.fields)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": person.full_name})
            return redirect("registry:detail", public_id=person.public_id)
    return render(
        request,
        "registry/register.html",
        {"form": form, "warnings": warnings, "duplicates": duplicates},
    )


def _person(request, public_id):
    person, redirected = selectors.person_for(request.user, public_id)
    return person, redirected


@requires("persons.view")
def detail(request, public_id):
    person, redirected = _person(request, public_id)
    if redirected:
        return redirect("registry:detail", public_id=person.public_id)
    log_access(request, person)
    membership = selectors.current_household(person)
    return render(
        request,
        "registry/detail.html",
        {
            "person": person,
            "nik_masked": person_services.masked_identifier(person, "nik"),
            "kk_masked": person_services.masked_identifier(person, "kk"),
            "can_unmask": can(request.user, "persons.view_identifiers"),
            "consents": person.consents.all(),
            "allowed": consent_services.allowed_purposes(person),
            "membership": membership,
            "guardians": person.guardians.select_related("guardian"),
            "events": selectors.timeline(person),
            "requests": person.requests.all()[:20],
            "consent_form": ConsentForm(),
            "guardian_form": GuardianForm(),
            "panels": person_panels.panels_for(request, person),
        },
    )


@requires("persons.view_identifiers")
def identifiers(request, public_id):
    person, _redirected = _person(request, public_id)
    log_access(request, person, purpose="unmask identifiers")
    return render(
        request,
        "registry/partials/identifiers.html",
        {
            "nik": person_services.reveal_identifier(person, "nik"),
            "kk": person_services.reveal_identifier(person, "kk"),
        },
    )


def _initial(person: Person) -> dict:
    data = {name: getattr(person, name) for name in PersonForm.base_fields if hasattr(person, name)}
    data["other_names"] = "; ".join(person.other_names)
    data["village"] = person.village_id
    data["nik"] = person_services.reveal_identifier(person, "nik")
    data["kk_number"] = person_services.reveal_identifier(person, "kk")
    for name in person_services.WG_FIELDS:
        data[name] = getattr(person, name)
    return data


@requires("persons.edit")
def edit(request, public_id):
    person, _redirected = _person(request, public_id)
    log_access(request, person, purpose="edit")
    form = PersonForm(request.POST or None, initial=_initial(person))
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            version = int(request.POST.get("version", "0"))
        except ValueError:
            version = 0
        changed = {k: v for k, v in form.service_data().items() if k in form.changed_data}
        try:
            person_services.update_person(request.user, person, changed, version=version)
        except Conflict:
            current = Person.objects.get(pk=person.pk)
            conflict = {
                "current": current,
                "rows": [
                    (form.fields[name].label, _initial(current).get(name), form.cleaned_data[name])
                    for name in form.changed_data
                ],
            }
            response = render(
                request,
                "registry/edit.html",
                {"form": form, "person": current, "conflict": conflict},
                status=409,
            )
            return response
        except ValidationFailed as exc:
            form.add_service_errors(exc.fields)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("registry:detail", public_id=person.public_id)
    return render(request, "registry/edit.html", {"form": form, "person": person})


def _submit(request, person, form, save, done: str):
    """Run a small form posted from the person page; errors come back as messages there."""
    if form.is_valid():
        try:
            save(**form.cleaned_data)
        except ValidationFailed as exc:
            for message in exc.fields.values():
                messages.error(request, message)
        else:
            messages.success(request, done)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("registry:detail", public_id=person.public_id)


@require_POST
@requires("persons.manage_consent")
def add_consent(request, public_id):
    person, _redirected = _person(request, public_id)
    return _submit(
        request,
        person,
        ConsentForm(request.POST),
        lambda **data: consent_services.give_consent(request.user, person, **data),
        _("The consent is recorded."),
    )


@require_POST
@requires("persons.manage_consent")
def withdraw_consent(request, public_id):
    consent = selectors.consent_for(request.user, public_id)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        consent_services.withdraw_consent(
            request.user, consent, reason=form.cleaned_data.get("reason", "")
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The consent is withdrawn."))
    return redirect("registry:detail", public_id=consent.person.public_id)


@require_POST
@requires("persons.edit")
def add_guardian(request, public_id):
    person, _redirected = _person(request, public_id)
    return _submit(
        request,
        person,
        GuardianForm(request.POST),
        lambda **data: household_services.add_guardian(request.user, person, **data),
        _("The guardian is recorded."),
    )


@require_POST
@requires("persons.edit")
def upload_photo(request, public_id):
    person, _redirected = _person(request, public_id)
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, _("Choose a photo file."))
    else:
        try:
            person_services.set_photo(request.user, person, upload)
        except ValidationFailed as exc:
            for message in exc.fields.values():
                messages.error(request, message)
        else:
            messages.success(request, _("The photo is saved."))
    return redirect("registry:detail", public_id=person.public_id)


@requires("persons.view")
def photo(request, public_id):
    """The photo, served through the app (never as a public file) and access-logged."""
    person, _redirected = _person(request, public_id)
    if not person.photo:
        raise Http404
    log_access(request, person, purpose="photo")
    content_type = "image/png" if person.photo.name.endswith(".png") else "image/jpeg"
    response = FileResponse(person.photo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@requires("persons.edit")
def household(request, public_id):
    """Create a household for the person, or put them on an existing KK."""
    person, _redirected = _person(request, public_id)
    form = HouseholdForm(request.POST or None, initial={"village": person.village_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = household_services.create_household(
                request.user,
                kk_number=data["kk_number"],
                village=getattr(data["village"], "code", data["village"]),
                address=data["address"],
            )
            household_services.add_member(
                request.user, new, person, relationship=data["relationship"]
            )
        except ValidationFailed as exc:
            for name, message in exc.fields.items():
                form.add_error(name if name in form.fields else None, str(message))
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The household is recorded."))
            return redirect("registry:household_detail", public_id=new.public_id)
    return render(request, "registry/household_form.html", {"form": form, "person": person})


@requires("persons.view")
def household_detail(request, public_id):
    found = selectors.household_for(request.user, public_id)
    members = list(found.memberships.select_related("person"))
    log_access(request, [m.person for m in members], purpose="household")
    kk = ""
    if found.kk_sealed:
        from rehsos.registry import nik
        from rehsos.registry.identifiers import unseal

        kk = nik.mask(unseal(found.kk_sealed))
    return render(
        request,
        "registry/household.html",
        {"household": found, "members": members, "kk_masked": kk, "join_form": JoinHouseholdForm()},
    )


@requires("persons.handle_requests")
def rights_page(request, public_id):
    person, _redirected = _person(request, public_id)
    log_access(request, person, purpose="data-subject rights")
    return render(
        request,
        "registry/rights.html",
        {
            "person": person,
            "requests": person.requests.select_related("requested_by", "decided_by"),
            "correction_form": CorrectionForm(),
            "erasure_form": ErasureForm(),
            "decision_form": DecisionForm(),
        },
    )


@requires("persons.handle_requests")
def export_json(request, public_id):
    person, _redirected = _person(request, public_id)
    rights.record_export(request.user, person)
    log_access(request, person, purpose="data-subject export")
    response = JsonResponse(rights.export_person(person), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="person-{person.public_id}.json"'
    return response


@requires("persons.handle_requests")
def export_pdf(request, public_id):
    person, _redirected = _person(request, public_id)
    rights.record_export(request.user, person)
    log_access(request, person, purpose="data-subject export")
    response = HttpResponse(rights.export_pdf(person), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="person-{person.public_id}.pdf"'
    return response


@require_POST
@requires("persons.edit")
def request_correction(request, public_id):
    person, _redirected = _person(request, public_id)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            rights.request_correction(
                request.user,
                person,
                changes={form.cleaned_data["field"]: form.cleaned_data["value"]},
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as exc:
            for message in exc.fields.values():
                messages.error(request, message)
        else:
            messages.success(request, _("The correction request is recorded."))
    else:
        messages.error(request, _("Choose a field and give the correct value."))
    return redirect("registry:rights", public_id=person.public_id)


@require_POST
@requires("persons.handle_requests")
def decide_request(request, public_id):
    req = selectors.request_for(request.user, public_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            rights.decide_correction(
                request.user,
                req,
                accept=form.cleaned_data["accept"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            detail = " ".join(str(m) for m in exc.fields.values())
            messages.error(request, detail or exc.message)
        else:
            messages.success(request, _("The request is decided."))
    return redirect("registry:rights", public_id=req.person.public_id)


@require_POST
@requires("persons.handle_requests")
def request_erasure(request, public_id):
    person, _redirected = _person(request, public_id)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the erasure request."))
        return redirect("registry:rights", public_id=person.public_id)
    req = rights.request_erasure(request.user, person, reason=form.cleaned_data["reason"])
    if req.status == DataRequest.Status.REFUSED:
        messages.error(request, rights.refusal_message(req))
    else:
        messages.success(request, _("The person's data is erased."))
    return redirect("registry:rights", public_id=person.public_id)
