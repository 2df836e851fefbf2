"""Pages of the centres: the list, a centre's profile (with the panels other apps add),
and the forms that change it: edit, rename, merge, capacity, rooms, contacts, photos."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.forms import add_domain_errors
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import can, requires
from rehsos.core.uploads import max_bytes, too_large_message
from rehsos.facilities import forms, selectors, services
from rehsos.facilities.models import Cluster, Facility, RoomKind, Setting
from rehsos.facilities.panels import panels_for

PAGE_SIZE = 50
# A request body far above the upload limit is refused before it is read.
BODY_SLACK = 64 * 1024


# --- the list ---------------------------------------------------------------------------


@requires("facilities.view")
@require_GET
def centre_list(request):
    filters = selectors.parse_filters(request.GET)
    rows = selectors.centres(filters)
    counts = selectors.kind_counts(rows)
    after = request.GET.get("after") or None
    try:
        page = keyset_page(
            rows.select_related("merged_into"), order=("name", "id"), after=after, limit=PAGE_SIZE
        )
    except ValidationFailed as exc:
        filters.errors.update({k: str(v) for k, v in exc.fields.items()})
        page = keyset_page(
            rows.select_related("merged_into"), order=("name", "id"), after=None, limit=PAGE_SIZE
        )
        after = None
    names = selectors.province_names(f.province_code for f in page.items)
    query = {k: v for k, v in filters.values.items() if v and not (k == "active" and v == "active")}
    return render(
        request,
        "facilities/list.html",
        {
            "rows": [(f, names.get(f.province_code, f.province_code)) for f in page.items],
            "next_cursor": page.next_cursor,
            "first_page": bool(after),
            "base_query": urlencode(query),
            "filters": filters,
            "counts": counts,
            "total": sum(n for _kind, _label, n in counts),
            "kinds": Facility.Kind.choices,
            "owners": Facility.Owner.choices,
            "clusters": Cluster.choices,
            "provinces": selectors.provinces(),
            "may_create": can(request.user, "facilities.create"),
        },
    )


# --- the profile ------------------------------------------------------------------------


def _capacity_rows(facility: Facility) -> list[tuple[str, str, int]]:
    labels = dict(Cluster.choices)
    places = {c.cluster: c.places for c in facility.capacities.all()}
    return [(c, labels[c], places[c]) for c in Cluster.values if c in places]


def _room_rows(facility: Facility) -> list[tuple[str, int]]:
    labels = dict(RoomKind.choices)
    counts = {r.kind: r.count for r in facility.rooms.all()}
    return [(labels[k], counts[k]) for k in RoomKind.values if k in counts]


@requires("facilities.view")
@require_GET
def centre_detail(request, code):
    facility = selectors.profile(code)
    user = request.user
    labels = {"clusters": dict(Cluster.choices), "settings": dict(Setting.choices)}
    return render(
        request,
        "facilities/detail.html",
        {
            "facility": facility,
            "path": selectors.region_path(facility.region),
            "clusters": [(c, labels["clusters"].get(c, c)) for c in facility.clusters or []],
            "settings": [labels["settings"].get(s, s) for s in facility.settings_offered or []],
            "names": selectors.timeline(facility),
            "capacity_rows": _capacity_rows(facility),
            "room_rows": _room_rows(facility),
            "contacts": list(facility.contacts.all()),
            "contact_details": selectors.sees_contact_details(user, facility),
            "photos": list(facility.photos.all()),
            "merged_from": list(facility.merged_from.all()),
            "may_manage": services.may_manage(user, facility) and not facility.merged_into_id,
            "may_create": can(user, "facilities.create"),
            "panels": panels_for(request, facility),
        },
    )


# --- create and edit --------------------------------------------------------------------


def _managed(request, code) -> Facility:
    """A centre the user may change (403 outside the scope, 404 for a missing one)."""
    facility = selectors.centre(code)
    if not services.may_manage(request.user, facility):
        raise PermissionDenied(
            _("You can change only the centres in your scope (%(scope)s).")
            % {"scope": request.user.scope_label}
        )
    if facility.merged_into_id:
        raise Conflict(
            _("This centre was merged into %(into)s; its record is kept as history.")
            % {"into": facility.merged_into.name},
            code="merged",
        )
    return facility


@requires("facilities.create")
def centre_create(request):
    form = forms.FacilityForm(
        request.POST or None,
        editing=False,
        national=True,
        initial={"kind": Facility.Kind.NATIONAL, "owner": Facility.Owner.MINISTRY},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = {
                **form.changes(),
                "code": form.cleaned_data["code"],
                "name": form.cleaned_data["name"],
                "founded_on": form.cleaned_data["founded_on"],
                "legal_basis": form.cleaned_data["legal_basis"],
            }
            try:
                facility = services.create_facility(request.user, data=data)
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(
                    request, _("The centre %(name)s was created.") % {"name": facility}
                )
                return redirect("facilities:detail", code=facility.code)
    return render(request, "facilities/form.html", {"form": form, "facility": None}, status=status)


def _display(facility: Facility, name: str):
    value = getattr(facility, name, None)
    if name in ("region", "owner_region"):
        return getattr(facility, f"{name}_id") or ""
    if name in ("clusters", "settings_offered"):
        return ", ".join(value or [])
    if name in ("kind", "owner"):
        return getattr(facility, f"get_{name}_display")()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else value


def _mine(changes: dict, name: str):
    value = changes.get(name)
    if name in ("clusters", "settings_offered"):
        return ", ".join(value or [])
    if name in ("kind", "owner"):
        choices = dict(Facility.Kind.choices if name == "kind" else Facility.Owner.choices)
        return choices.get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else value


def _edit_conflict(facility: Facility, changes: dict, form) -> dict:
    """The saved record beside the user's input, field by field where they differ."""
    rows = []
    for name in services.EDITABLE_FIELDS:
        if name not in changes:
            continue
        theirs, mine = _display(facility, name), _mine(changes, name)
        if str(theirs) != str(mine):
            rows.append((form.fields[name].label, theirs, mine))
    return {"version": facility.version, "rows": rows}


def _with_version(form, version: int):
    """The same input, carrying the version now saved (so saving again overwrites it)."""
    data = form.data.copy()
    data["version"] = str(version)
    return data


@requires("facilities.manage")
def centre_edit(request, code):
    facility = _managed(request, code)
    national = can(request.user, "facilities.create")
    initial = forms.initial_of(facility)
    form = forms.FacilityForm(
        request.POST or None, editing=True, national=national, initial=initial
    )
    conflict, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            changes = form.changes()
            try:
                services.update_facility(
                    request.user,
                    facility,
                    changes=changes,
                    version=form.cleaned_data["version"],
                )
            except Conflict:
                facility.refresh_from_db()
                conflict, status = _edit_conflict(facility, changes, form), 409
                form = forms.FacilityForm(
                    _with_version(form, facility.version),
                    editing=True,
                    national=national,
                    initial=forms.initial_of(facility),
                )
                form.is_valid()
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The centre's record is saved."))
                return redirect("facilities:detail", code=facility.code)
    return render(
        request,
        "facilities/form.html",
        {"form": form, "facility": facility, "conflict": conflict},
        status=status,
    )


# --- rename and merge ---------------------------------------------------------------------


def _simple_conflict(facility: Facility) -> dict:
    return {"version": facility.version, "rows": []}


@requires("facilities.manage")
def centre_rename(request, code):
    facility = _managed(request, code)
    form = forms.RenameForm(request.POST or None, initial={"version": facility.version})
    conflict, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.rename_facility(
                    request.user,
                    facility,
                    name=data["name"],
                    on=data["on"],
                    reason=data["reason"],
                    legal_basis=data["legal_basis"],
                    short_name=data["short_name"] or None,
                    version=data["version"],
                )
            except Conflict:
                facility.refresh_from_db()
                status = 409
                conflict = {
                    "version": facility.version,
                    "rows": [(_("Name"), facility.name, data["name"])],
                }
                form = forms.RenameForm(_with_version(form, facility.version))
                form.is_valid()
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The centre is renamed."))
                return redirect("facilities:detail", code=facility.code)
    return render(
        request,
        "facilities/rename.html",
        {"form": form, "facility": facility, "conflict": conflict},
        status=status,
    )


@requires("facilities.create")
def centre_merge(request, code):
    facility = _managed(request, code)
    form = forms.MergeForm(
        request.POST or None, facility=facility, initial={"version": facility.version}
    )
    conflict, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            into = Facility.objects.filter(code=data["into"]).first()
            try:
                if into is None:
                    raise ValidationFailed(fields={"into": _("Choose a centre from the list.")})
                services.merge_facility(
                    request.user,
                    facility,
                    into=into,
                    on=data["on"],
                    legal_basis=data["legal_basis"],
                    version=data["version"],
                )
            except Conflict:
                facility.refresh_from_db()
                conflict, status = _simple_conflict(facility), 409
                form = forms.MergeForm(_with_version(form, facility.version), facility=facility)
                form.is_valid()
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s is merged into %(into)s.") % {"name": facility, "into": into},
                )
                return redirect("facilities:detail", code=into.code)
    return render(
        request,
        "facilities/merge.html",
        {"form": form, "facility": facility, "conflict": conflict},
        status=status,
    )


# --- capacity, rooms, contacts ------------------------------------------------------------


def _service_errors(form, exc: ValidationFailed, field_of) -> None:
    for name, message in exc.fields.items():
        target = field_of(name)
        form.add_error(target if target in form.fields else None, str(message))
    if not exc.fields:
        form.add_error(None, str(exc.message))


@requires("facilities.manage")
def centre_capacity(request, code):
    facility = _managed(request, code)
    places = {c.cluster: c.places for c in facility.capacities.all()}
    initial = {"version": facility.version}
    initial.update({forms.CapacityForm.key(c): n for c, n in places.items()})
    if not places:
        initial["total"] = facility.capacity
    form = forms.CapacityForm(request.POST or None, facility=facility, initial=initial)
    conflict, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.set_capacity(
                    request.user,
                    facility,
                    places=form.places(facility),
                    total=form.cleaned_data["total"],
                    version=form.cleaned_data["version"],
                )
            except Conflict:
                facility.refresh_from_db()
                conflict, status = _simple_conflict(facility), 409
                form = forms.CapacityForm(_with_version(form, facility.version), facility=facility)
                form.is_valid()
            except ValidationFailed as exc:
                _service_errors(form, exc, form.field_of)
            else:
                messages.success(request, _("The capacity is saved."))
                return redirect("facilities:detail", code=facility.code)
    return render(
        request,
        "facilities/capacity.html",
        {"form": form, "facility": facility, "conflict": conflict},
        status=status,
    )


@requires("facilities.manage")
def centre_rooms(request, code):
    facility = _managed(request, code)
    initial = {"version": facility.version}
    initial.update({f"rooms_{r.kind}": r.count for r in facility.rooms.all()})
    form = forms.RoomsForm(request.POST or None, initial=initial)
    conflict, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.set_rooms(
                    request.user,
                    facility,
                    rooms=form.rooms(),
                    version=form.cleaned_data["version"],
                )
            except Conflict:
                facility.refresh_from_db()
                conflict, status = _simple_conflict(facility), 409
                form = forms.RoomsForm(_with_version(form, facility.version))
                form.is_valid()
            except ValidationFailed as exc:
                _service_errors(form, exc, lambda name: name.replace("rooms.", "rooms_"))
            else:
                messages.success(request, _("The rooms are saved."))
                return redirect("facilities:detail", code=facility.code)
    return render(
        request,
        "facilities/rooms.html",
        {"form": form, "facility": facility, "conflict": conflict},
        status=status,
    )


@requires("facilities.manage")
def centre_contacts(request, code):
    facility = _managed(request, code)
    saved = [
        {"position": c.position, "name": c.name, "phone": c.phone, "email": c.email}
        for c in facility.contacts.all()
    ]
    data = request.POST or None
    formset = forms.ContactFormSet(data, initial=saved, prefix="contacts")
    version_form = forms.VersionForm(data, initial={"version": facility.version})
    conflict, status = None, 200
    if request.method == "POST":
        status = 422
        if formset.is_valid() and version_form.is_valid():
            # Blank rows are left out; remember which form each contact came from.
            filled = [f for f in formset.forms if not f.is_blank()]
            contacts = [{k: f.cleaned_data.get(k, "") for k in f.fields} for f in filled]
            try:
                services.set_contacts(
                    request.user,
                    facility,
                    contacts=contacts,
                    version=version_form.cleaned_data["version"],
                )
            except Conflict:
                facility.refresh_from_db()
                conflict, status = _simple_conflict(facility), 409
                version_form = forms.VersionForm(initial={"version": facility.version})
            except ValidationFailed as exc:
                for name, message in exc.fields.items():
                    parts = name.split(".")
                    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
                        filled[int(parts[1])].add_error(parts[2], str(message))
                    else:
                        messages.error(request, str(message))
            else:
                messages.success(request, _("The contacts are saved."))
                return redirect("facilities:detail", code=facility.code)
    return render(
        request,
        "facilities/contacts.html",
        {
            "formset": formset,
            "version_form": version_form,
            "facility": facility,
            "conflict": conflict,
        },
        status=status,
    )


# --- photos ---------------------------------------------------------------------------------


def _photos_page(request, facility, form, status=200):
    return render(
        request,
        "facilities/photos.html",
        {
            "facility": facility,
            "form": form,
            "photos": list(facility.photos.select_related("uploaded_by")),
            "limit_mb": max_bytes() // 2**20,
            "may_manage": services.may_manage(request.user, facility)
            and not facility.merged_into_id,
        },
        status=status,
    )


@requires("facilities.view")
def centre_photos(request, code):
    """The centre's photos, and the upload form for those who manage it."""
    if request.method != "POST":
        facility = selectors.centre(code)
        return _photos_page(request, facility, forms.PhotoForm())
    facility = _managed(request, code)
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > max_bytes() + BODY_SLACK:
        form = forms.PhotoForm({})  # bound, so it can carry the error
        form.full_clean()
        form.errors.clear()
        form.add_error(None, too_large_message())
        return _photos_page(request, facility, form, status=413)
    form = forms.PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_photo(
                request.user,
                facility,
                upload=data["file"],
                caption=data["caption"],
                taken_on=data["taken_on"],
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The photo was added."))
            return redirect("facilities:photos", code=facility.code)
    return _photos_page(request, facility, form, status=422)


def photo_response(photo) -> FileResponse:
    """The photo shown inline (it was checked to be a JPEG or PNG by its content)."""
    try:
        handle = services.open_photo(photo)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; tell the administrator.")) from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@requires("facilities.view")
@require_GET
def photo_file(request, code, photo_id: int):
    facility = selectors.centre(code)
    return photo_response(selectors.photo(facility, photo_id))


@requires("facilities.manage")
@require_POST
def photo_delete(request, code, photo_id: int):
    facility = _managed(request, code)
    services.delete_photo(request.user, selectors.photo(facility, photo_id))
    messages.success(request, _("The photo was deleted."))
    return redirect("facilities:photos", code=facility.code)
