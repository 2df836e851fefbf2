"""Pages of the standards catalogue: catalogues, versions (criteria by domain, in both
languages, the user's first), editing a draft, adoption and retirement, the XLSX
export and import (errors page, or preview → confirm), and the difference between two
versions. Reading needs ``standards.view``; every change ``standards.manage_catalogue``."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.core.forms import add_domain_errors
from rehsos.core.permissions import can, requires
from rehsos.standards import selectors_catalogue as selectors
from rehsos.standards import services_catalogue as services
from rehsos.standards import xlsx_catalogue as xlsx
from rehsos.standards.forms_catalogue import (
    AdoptForm,
    CatalogueForm,
    ConfirmImportForm,
    CriterionForm,
    DiffForm,
    DraftForm,
    ImportForm,
    RetireForm,
    VersionStampForm,
)
from rehsos.standards.models import CatalogueVersion

VIEW = "standards.view"
MANAGE = services.MANAGE
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _version_url(version: CatalogueVersion) -> str:
    return reverse("standards:catalogue_version", args=[version.catalogue.code, version.number])


def _context(request, version: CatalogueVersion | None = None, **extra) -> dict:
    context = {
        "id_first": (get_language() or "id").startswith("id"),
        "may_manage": can(request.user, MANAGE),
        **extra,
    }
    if version is not None:
        context.update(
            version=version,
            catalogue=version.catalogue,
            version_url=_version_url(version),
        )
    return context


# --- catalogues ------------------------------------------------------------------------


@requires(VIEW)
def catalogue_list(request):
    rows = selectors.catalogue_rows(request.user)
    return render(
        request,
        "standards/catalogue/list.html",
        _context(request, rows=rows, today=timezone.localdate()),
    )


@requires(MANAGE)
def catalogue_create(request):
    form = CatalogueForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            catalogue = services.create_catalogue(
                user=request.user,
                code=data["code"],
                name_id=data["name_id"],
                name_en=data["name_en"],
                clusters=data["clusters"],
                description=data["description"],
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
            status = 422
        else:
            messages.success(request, _("The catalogue is created with an empty draft version 1."))
            return redirect("standards:catalogue_version", code=catalogue.code, number=1)
    elif request.method == "POST":
        status = 422
    return render(
        request, "standards/catalogue/create.html", _context(request, form=form), status=status
    )


@requires(VIEW)
def catalogue_detail(request, code):
    catalogue = selectors.catalogue_for(request.user, code)
    versions = list(selectors.versions_of(catalogue))
    today = timezone.localdate()
    for version in versions:
        version.in_force = selectors.is_in_force(version, today)
    numbers = [v.number for v in versions]
    diff_form = DiffForm(
        initial={
            "before": numbers[1] if len(numbers) > 1 else None,
            "after": numbers[0] if numbers else None,
        },
        numbers=numbers,
    )
    draft = next((v for v in versions if v.status == CatalogueVersion.Status.DRAFT), None)
    latest = versions[0] if versions else None
    return render(
        request,
        "standards/catalogue/detail.html",
        _context(
            request,
            catalogue=catalogue,
            versions=versions,
            draft=draft,
            latest=latest,
            diff_form=diff_form,
        ),
    )


@requires(MANAGE)
def catalogue_new_draft(request, code):
    catalogue = selectors.catalogue_for(request.user, code)
    latest = selectors.latest_version(catalogue)
    form = DraftForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.new_draft(
                user=request.user, catalogue=catalogue, notes=form.cleaned_data["notes"]
            )
        except Conflict as exc:
            form.add_error(None, str(exc.message))
            status = 409
        else:
            messages.success(
                request,
                _("Version %(number)s is a new draft, a copy of version %(latest)s.")
                % {"number": draft.number, "latest": latest.number if latest else "—"},
            )
            return redirect(_version_url(draft))
    return render(
        request,
        "standards/catalogue/new_draft.html",
        _context(request, catalogue=catalogue, latest=latest, form=form),
        status=status,
    )


@requires(VIEW)
def catalogue_diff(request, code):
    catalogue = selectors.catalogue_for(request.user, code)
    versions = {v.number: v for v in selectors.versions_of(catalogue)}
    numbers = sorted(versions, reverse=True)
    form = DiffForm(request.GET or None, numbers=numbers)
    changes = before = after = None
    status = 200
    if request.GET:
        if form.is_valid():
            before = versions[form.cleaned_data["before"]]
            after = versions[form.cleaned_data["after"]]
            for version in (before, after):
                version.catalogue = catalogue
            changes = selectors.diff_versions(before, after)
        else:
            status = 422
    return render(
        request,
        "standards/catalogue/diff.html",
        _context(
            request,
            catalogue=catalogue,
            form=form,
            diff=changes,
            before=before,
            after=after,
        ),
        status=status,
    )


# --- a version -------------------------------------------------------------------------


@requires(VIEW)
def catalogue_version(request, code, number):
    version = selectors.version_for(request.user, code, number)
    groups = selectors.criteria_by_domain(version)
    roles = services.staff_roles()
    for group in groups:
        for criterion in group.criteria:
            criterion.role_label = roles.get(criterion.staff_role, criterion.staff_role)
    return render(
        request,
        "standards/catalogue/version.html",
        _context(
            request,
            version,
            groups=groups,
            totals=selectors.version_totals(version),
            in_force=selectors.is_in_force(version, timezone.localdate()),
            editable=version.is_editable and can(request.user, MANAGE),
        ),
    )


@requires(VIEW)
def catalogue_export(request, code, number):
    version = selectors.version_for(request.user, code, number)
    response = HttpResponse(xlsx.export_version(version), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{xlsx.export_filename(version)}"'
    return response


def _criterion_conflict(criterion, submitted: dict) -> dict:
    current = services.criterion_values(criterion)
    rows = []
    for f in services.FIELDS:
        theirs = selectors.display_value(f.name, current.get(f.name))
        mine = selectors.display_value(f.name, submitted.get(f.name))
        if theirs != mine:
            rows.append((f.label, theirs, mine))
    return {"version": criterion.version.version, "rows": rows}


def _not_a_draft(request, version):
    messages.error(
        request,
        _("Version %(number)s is %(status)s and cannot be changed; make a new draft.")
        % {"number": version.number, "status": version.get_status_display().lower()},
    )
    return redirect(_version_url(version))


@requires(MANAGE)
def catalogue_criterion_add(request, code, number):
    version = selectors.version_for(request.user, code, number)
    if not version.is_editable:
        return _not_a_draft(request, version)
    domain = request.GET.get("domain", "")
    form = CriterionForm(
        request.POST or None,
        initial={"version": version.version, "domain": domain, "weight": 1, "scale": "four"},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                criterion = services.add_criterion(
                    user=request.user,
                    version=version,
                    data=form.values(),
                    expected_version=form.cleaned_data["version"],
                )
            except services.NotADraft:
                return _not_a_draft(request, version)
            except Conflict as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("Criterion %(code)s added.") % {"code": criterion.code})
                return redirect(f"{_version_url(version)}#criterion-{criterion.code}")
    return render(
        request,
        "standards/catalogue/criterion_form.html",
        _context(request, version, form=form, criterion=None),
        status=status,
    )


@requires(MANAGE)
def catalogue_criterion_edit(request, code, number, criterion):
    version = selectors.version_for(request.user, code, number)
    row = selectors.criterion_for(version, criterion)
    if not version.is_editable:
        return _not_a_draft(request, version)
    initial = {**services.criterion_values(row), "version": version.version}
    form = CriterionForm(request.POST or None, initial=initial)
    conflict, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                row = services.update_criterion(
                    user=request.user,
                    criterion=row,
                    data=form.values(),
                    expected_version=form.cleaned_data["version"],
                )
            except services.NotADraft:
                return _not_a_draft(request, version)
            except Conflict:
                row = selectors.criterion_for(version, criterion)
                conflict, status = _criterion_conflict(row, form.values()), 409
                # Saving again applies the user's values over what is saved now.
                form.data = form.data.copy()
                form.data["version"] = str(row.version.version)
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("Criterion %(code)s saved.") % {"code": row.code})
                return redirect(f"{_version_url(version)}#criterion-{row.code}")
    return render(
        request,
        "standards/catalogue/criterion_form.html",
        _context(request, version, form=form, criterion=row, conflict=conflict),
        status=status,
    )


@requires(MANAGE)
def catalogue_criterion_delete(request, code, number, criterion):
    version = selectors.version_for(request.user, code, number)
    row = selectors.criterion_for(version, criterion)
    if not version.is_editable:
        return _not_a_draft(request, version)
    form = VersionStampForm(request.POST or None, initial={"version": version.version})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.delete_criterion(
                    user=request.user, criterion=row, expected_version=form.cleaned_data["version"]
                )
            except services.NotADraft:
                return _not_a_draft(request, version)
            except Conflict as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("Criterion %(code)s deleted.") % {"code": row.code})
                return redirect(_version_url(version))
    return render(
        request,
        "standards/catalogue/criterion_delete.html",
        _context(request, version, form=form, criterion=row),
        status=status,
    )


@requires(MANAGE)
@require_POST
def catalogue_criterion_move(request, code, number, criterion):
    version = selectors.version_for(request.user, code, number)
    row = selectors.criterion_for(version, criterion)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""), 0)
    form = VersionStampForm(request.POST)
    if not offset or not form.is_valid():
        messages.error(request, _("The move was not understood; reload the page and try again."))
        return redirect(_version_url(version))
    try:
        services.move_criterion(
            user=request.user,
            criterion=row,
            offset=offset,
            expected_version=form.cleaned_data["version"],
        )
    except services.NotADraft:
        return _not_a_draft(request, version)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    return redirect(f"{_version_url(version)}#criterion-{row.code}")


# --- adoption, retirement, discarding a draft ------------------------------------------


def _version_action(request, code, number, *, form_class, initial, template, act, done):
    version = selectors.version_for(request.user, code, number)
    form = form_class(request.POST or None, initial={"version": version.version, **initial})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                result = act(version, form.cleaned_data)
            except services.NotADraft as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except Conflict as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                return done(version, result)
    previous = None
    if version.status == CatalogueVersion.Status.DRAFT:
        previous = (
            CatalogueVersion.objects.filter(
                catalogue=version.catalogue, status=CatalogueVersion.Status.ADOPTED
            )
            .order_by("-number")
            .first()
        )
    return render(
        request,
        template,
        _context(
            request,
            version,
            form=form,
            previous=previous,
            totals=selectors.version_totals(version),
        ),
        status=status,
    )


@requires(MANAGE)
def catalogue_adopt(request, code, number):
    def act(version, data):
        return services.adopt(
            user=request.user,
            version=version,
            effective_from=data["effective_from"],
            expected_version=data["version"],
        )

    def done(version, adopted):
        messages.success(
            request,
            _("Version %(number)s is adopted, in force from %(day)s.")
            % {
                "number": adopted.number,
                "day": date_format(adopted.effective_from, "SHORT_DATE_FORMAT"),
            },
        )
        return redirect(_version_url(version))

    return _version_action(
        request,
        code,
        number,
        form_class=AdoptForm,
        initial={"effective_from": timezone.localdate()},
        template="standards/catalogue/adopt.html",
        act=act,
        done=done,
    )


@requires(MANAGE)
def catalogue_retire(request, code, number):
    def act(version, data):
        return services.retire(
            user=request.user, version=version, on=data["on"], expected_version=data["version"]
        )

    def done(version, retired):
        messages.success(
            request,
            _("Version %(number)s is withdrawn; its last day in force is %(day)s.")
            % {
                "number": retired.number,
                "day": date_format(retired.effective_to, "SHORT_DATE_FORMAT"),
            },
        )
        return redirect(_version_url(version))

    return _version_action(
        request,
        code,
        number,
        form_class=RetireForm,
        initial={"on": timezone.localdate()},
        template="standards/catalogue/retire.html",
        act=act,
        done=done,
    )


@requires(MANAGE)
def catalogue_discard(request, code, number):
    def act(version, data):
        services.discard_draft(user=request.user, version=version, expected_version=data["version"])

    def done(version, _result):
        messages.success(
            request, _("Draft version %(number)s is discarded.") % {"number": version.number}
        )
        return redirect("standards:catalogue_detail", code=version.catalogue.code)

    return _version_action(
        request,
        code,
        number,
        form_class=VersionStampForm,
        initial={},
        template="standards/catalogue/discard.html",
        act=act,
        done=done,
    )


# --- XLSX import ------------------------------------------------------------------------


@requires(MANAGE)
def catalogue_import(request, code, number):
    version = selectors.version_for(request.user, code, number)
    if not version.is_editable:
        return _not_a_draft(request, version)
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                preview = xlsx.preview_import(
                    user=request.user, version=version, upload=form.cleaned_data["file"]
                )
            except xlsx.ImportRejected as exc:
                return render(
                    request,
                    "standards/catalogue/import_errors.html",
                    _context(
                        request,
                        version,
                        errors=exc.rows,
                        file_name=form.cleaned_data["file"].name,
                        form=ImportForm(),
                    ),
                    status=422,
                )
            except services.NotADraft:
                return _not_a_draft(request, version)
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                return redirect(
                    "standards:catalogue_import_preview",
                    code=version.catalogue.code,
                    number=version.number,
                    import_id=preview.record.public_id,
                )
    return render(
        request,
        "standards/catalogue/import.html",
        _context(request, version, form=form, columns=xlsx.COLUMNS, required=xlsx.REQUIRED_COLUMNS),
        status=status,
    )


@requires(MANAGE)
def catalogue_import_preview(request, code, number, import_id):
    version = selectors.version_for(request.user, code, number)
    record = xlsx.import_for(version, import_id)
    form = ConfirmImportForm(request.POST or None)
    status, problem = 200, None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                xlsx.confirm_import(
                    user=request.user, version=version, token=form.cleaned_data["token"]
                )
            except (Conflict, services.NotADraft) as exc:
                problem, status = str(exc.message), 409
                record.refresh_from_db()
            except xlsx.ImportRejected as exc:
                return render(
                    request,
                    "standards/catalogue/import_errors.html",
                    _context(
                        request,
                        version,
                        errors=exc.rows,
                        file_name=record.original_name,
                        form=ImportForm(),
                    ),
                    status=422,
                )
            except ValidationFailed as exc:
                problem = str(next(iter(exc.fields.values()), exc.message))
            else:
                record.refresh_from_db()
                applied = record.summary.get("applied", {})
                messages.success(
                    request,
                    _(
                        "The file is imported: %(added)s criteria added, %(updated)s changed, "
                        "%(removed)s removed."
                    )
                    % {
                        "added": applied.get("added", 0),
                        "updated": applied.get("updated", 0),
                        "removed": applied.get("removed", 0),
                    },
                )
                return redirect(_version_url(version))
    try:
        preview = xlsx.load_preview(record)
    except Conflict as exc:
        preview, problem, status = None, str(exc.message), 409
    version.refresh_from_db()
    return render(
        request,
        "standards/catalogue/import_preview.html",
        _context(request, version, record=record, preview=preview, problem=problem),
        status=status,
    )
