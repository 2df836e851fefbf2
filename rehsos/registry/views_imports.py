"""Pages of the bulk import of persons: the list with the upload form, one import
with its progress bar (refreshed by HTMX until it ends), the template and the
rejects report. Users see their own imports; national administrators see all.

The upload view reads the request body itself: it refuses a body above the
import limit before reading it (a 2 GB file gets a clear message, not a long
wait), then lets the CSRF check run on the parsed form, as Django documents for
views that change their upload handlers.
"""

from django import forms
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from rehsos.core.errors import DomainError, NotFound
from rehsos.core.permissions import can, requires
from rehsos.registry.importers import columns, files, jobs, runner
from rehsos.registry.importers.columns import FileRefused
from rehsos.registry.models_import import ImportBatch

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Form fields and multipart framing around the file itself.
BODY_SLACK = 64 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        help_text=gettext_lazy("Use the template's headers, in Indonesian or English."),
    )
    source_system = forms.CharField(
        label=gettext_lazy("Source system"),
        max_length=40,
        required=False,
        help_text=gettext_lazy(
            "The system the list comes from (e.g. SIKS-NG), when its source_id column holds "
            "that system's ids."
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: only check the rows and count, import nothing"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class _LimitedUpload(FileUploadHandler):
    """Stops reading an upload as soon as it passes the import limit."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.import_too_large = self.received
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def _too_large(size: int) -> str:
    try:
        files.check_size(size)
    except FileRefused as refused:
        return refused.problems[0]
    return ""


def _list_context(request, form: UploadForm, errors: list[str] | None = None) -> dict:
    batches = list(runner.visible_batches(request.user).order_by("-created_at", "-id")[:PAGE_SIZE])
    return {
        "form": form,
        "errors": errors or [],
        "batches": batches,
        "sees_all": can(request.user, "jobs.view_all"),
        "limit_mb": f"{files.max_bytes() / 2**20:,.0f}",
        "columns": columns.COLUMNS,
    }


@requires("persons.import")
@csrf_exempt
def import_list(request):
    """The imports and the upload form. A POST larger than the limit is answered before
    its body is read; any other POST goes through the CSRF check in _upload."""
    if request.method == "POST":
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > files.max_bytes() + BODY_SLACK:
            context = _list_context(request, UploadForm(), [_too_large(declared)])
            return render(request, "registry/imports/list.html", context, status=413)
        request.upload_handlers.insert(0, _LimitedUpload(request, files.max_bytes()))
        return _upload(request)
    return render(request, "registry/imports/list.html", _list_context(request, UploadForm()))


@csrf_protect
def _upload(request):
    too_large = getattr(request, "import_too_large", 0)
    form = UploadForm(request.POST, request.FILES)
    if too_large:
        context = _list_context(request, UploadForm(), [_too_large(too_large)])
        return render(request, "registry/imports/list.html", context, status=413)
    if not form.is_valid():
        return render(
            request, "registry/imports/list.html", _list_context(request, form), status=422
        )
    try:
        batch = runner.accept_upload(
            form.cleaned_data["file"],
            user=request.user,
            dry_run=form.cleaned_data["dry_run"],
            source_system=form.cleaned_data["source_system"],
            language=getattr(request, "LANGUAGE_CODE", ""),
        )
    except FileRefused as refused:
        context = _list_context(request, form, refused.problems)
        return render(request, "registry/imports/list.html", context, status=422)
    jobs.start(batch, user=request.user)
    return redirect("registry:import_detail", public_id=batch.public_id)


def _batch(request, public_id) -> ImportBatch:
    try:
        return runner.batch_for_user(request.user, public_id)
    except NotFound:
        raise Http404 from None


@requires("persons.import")
@require_GET
def import_detail(request, public_id):
    return render(request, "registry/imports/detail.html", {"batch": _batch(request, public_id)})


@requires("persons.import")
@require_GET
def import_progress(request, public_id):
    """The progress partial; it asks to be fetched again until the import ends."""
    return render(request, "registry/imports/_progress.html", {"batch": _batch(request, public_id)})


@requires("persons.import")
@require_GET
def import_template(request, language: str, fmt: str):
    if language not in columns.LANGUAGES or fmt not in ("xlsx", "csv"):
        raise Http404
    if fmt == "csv":
        response = HttpResponse(columns.template_csv(language), content_type="text/csv")
    else:
        response = HttpResponse(columns.template_xlsx(language), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="rehsos-persons-{language}.{fmt}"'
    return response


@requires("persons.import")
@require_GET
def import_rejects(request, public_id):
    batch = _batch(request, public_id)
    if not batch.rejects_file:
        raise Http404
    try:
        handle = batch.rejects_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=f"rejects-{batch.public_id}.xlsx", content_type=XLSX
    )


@requires("persons.import")
@require_POST
def import_resume(request, public_id):
    batch = _batch(request, public_id)
    try:
        runner.resume(batch, user=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("registry:import_detail", public_id=batch.public_id)


@requires("persons.import")
@require_POST
def import_commit(request, public_id):
    """Import the file that a finished dry run checked."""
    checked = _batch(request, public_id)
    try:
        batch = runner.import_again(checked, user=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("registry:import_detail", public_id=checked.public_id)
    jobs.start(batch, user=request.user)
    return redirect("registry:import_detail", public_id=batch.public_id)
