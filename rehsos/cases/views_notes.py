"""Case notes, conferences, attachments, tasks and reminders (pages).

Every page gets its case through ``access.get_case`` (permission, scope, the
sensitive-case rule, the access log); an attachment is downloaded only through
:func:`attachment_file`, which does the same before it streams the file.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from rehsos.cases import access
from rehsos.cases.models import Attachment, Case, Note, Task
from rehsos.cases.services import attachments as attachment_services
from rehsos.cases.services import notes as note_services
from rehsos.cases.services import tasks as task_services
from rehsos.core.access import log_access
from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.permissions import can, requires
from rehsos.core.roles import Role

# Form fields and multipart framing around an uploaded file.
BODY_SLACK = 64 * 1024
LIST_LIMIT = 100


# --- forms ---------------------------------------------------------------------------


class NoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Note"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Bold, italics, lists and links are kept; other formatting is removed."
        ),
    )


class ConferenceForm(forms.Form):
    held_on = forms.DateField(
        label=gettext_lazy("Held on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    attendees = forms.CharField(
        label=gettext_lazy("Attendees"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One per line: name; role; organisation (e.g. Siti; mother; — or "
            "Budi; police officer; Polres Jakarta Timur)."
        ),
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    decisions = forms.CharField(
        label=gettext_lazy("Decisions"), widget=forms.Textarea(attrs={"rows": 4})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Attachment.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("What has to be done"), max_length=200)
    due_on = forms.DateField(
        label=gettext_lazy("Due on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assigned to"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("Me"),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                facility_id=case.unit_id,
                role__in=[Role.SOCIAL_WORKER, Role.FACILITY_HEAD],
            )
            .order_by("first_name", "last_name", "username")
        )


def _form_errors(form: forms.Form, error: ValidationFailed) -> None:
    for field, message in error.fields.items():
        name = field.split("[")[0].split(".")[0]
        form.add_error(name if name in form.fields else None, str(message))
    if not error.fields:
        form.add_error(None, str(error.message))


def parse_attendees(text: str) -> list[dict]:
    """'name; role; organisation' per line, as the conference service takes them."""
    attendees = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        parts += [""] * (3 - len(parts))
        name, role, organisation = parts[0], parts[1], "; ".join(p for p in parts[2:] if p)
        attendees.append({"name": name, "role": role, "organisation": organisation})
    return attendees


def _case_context(case: Case, **extra) -> dict:
    return {"case": case, **extra}


def _with_safe_html(notes) -> list[Note]:
    # Stored notes are sanitised on write; sanitising again on display keeps a row
    # changed by other means (the admin, a restore) from ever reaching the page raw.
    notes = list(notes)
    for note in notes:
        note.safe_html = note_services.sanitise(note.body_html)
    return notes


def _body_value(form: NoteForm) -> str:
    # What the user typed comes back to the editor sanitised: the rich editor loads it
    # as HTML, and markup that would not be kept must not run there either.
    return note_services.sanitise(form["body"].value() or "")


# --- notes ----------------------------------------------------------------------------


@requires("cases.view")
def notes(request, public_id):
    action = "cases.edit" if request.method == "POST" else "cases.view"
    case = access.get_case(request, public_id, action)
    form = NoteForm()
    status = 200
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                note_services.add_note(request.user, case, body=form.cleaned_data["body"])
            except ValidationFailed as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The note was saved."))
                return redirect("cases:notes", public_id=case.public_id)
        status = 422
    rows = _with_safe_html(
        case.notes.select_related("author").order_by("-written_at", "-pk")[:LIST_LIMIT]
    )
    now = timezone.now()
    for note in rows:
        note.editable = note_services.may_edit(request.user, note, now)
    context = _case_context(
        case,
        form=form,
        body_value=_body_value(form),
        notes=rows,
        may_write=can(request.user, "cases.edit"),
    )
    return render(request, "cases/notes/notes.html", context, status=status)


@requires("cases.edit")
def note_edit(request, public_id, note_id: int):
    case = access.get_case(request, public_id, "cases.edit")
    note = case.notes.filter(pk=note_id).first()
    if note is None:
        raise NotFound(_("No such note on this case."))
    if not note_services.may_edit(request.user, note):
        raise PermissionDenied(
            _("A note can be edited only by its author, within 24 hours of writing it.")
        )
    form = NoteForm(initial={"body": note.body_html})
    status = 200
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                note_services.edit_note(request.user, note, body=form.cleaned_data["body"])
            except ValidationFailed as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The note was changed."))
                return redirect("cases:notes", public_id=case.public_id)
        status = 422
    context = _case_context(case, form=form, body_value=_body_value(form), note=note)
    return render(request, "cases/notes/note_edit.html", context, status=status)


# --- conferences ----------------------------------------------------------------------


@requires("cases.view")
def conferences(request, public_id):
    action = "cases.edit" if request.method == "POST" else "cases.view"
    case = access.get_case(request, public_id, action)
    form = ConferenceForm(initial={"held_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        form = ConferenceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                note_services.record_conference(
                    request.user,
                    case,
                    held_on=data["held_on"],
                    attendees=parse_attendees(data["attendees"]),
                    agenda=data["agenda"],
                    decisions=data["decisions"],
                )
            except ValidationFailed as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The conference was recorded."))
                return redirect("cases:conferences", public_id=case.public_id)
        status = 422
    rows = case.conferences.select_related("recorded_by").order_by("-held_on", "-pk")[:LIST_LIMIT]
    context = _case_context(
        case, form=form, conferences=rows, may_write=can(request.user, "cases.edit")
    )
    return render(request, "cases/notes/conferences.html", context, status=status)


# --- attachments ----------------------------------------------------------------------


def _attachments_page(request, case, form, errors=None, status=200):
    rows = case.attachments.select_related("uploaded_by").order_by("-uploaded_at", "-pk")
    rows = list(rows[:LIST_LIMIT])
    for row in rows:
        row.deletable = attachment_services.may_delete(request.user, row)
    context = _case_context(
        case,
        form=form,
        errors=errors or [],
        attachments=rows,
        limit_mb=attachment_services.max_bytes() // 2**20,
        may_write=can(request.user, "cases.edit"),
    )
    return render(request, "cases/notes/attachments.html", context, status=status)


@requires("cases.view")
def attachments(request, public_id):
    """The case's attachments and the upload form. A body far above the limit is
    refused before it is read."""
    if request.method != "POST":
        case = access.get_case(request, public_id, "cases.view")
        return _attachments_page(request, case, AttachmentForm())
    case = access.get_case(request, public_id, "cases.edit")
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > attachment_services.max_bytes() + BODY_SLACK:
        form = AttachmentForm()
        form.add_error(None, attachment_services.too_large_message())
        return _attachments_page(request, case, form, status=413)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            attachment_services.upload_attachment(
                request.user, case, upload=data["file"], kind=data["kind"], title=data["title"]
            )
        except ValidationFailed as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The file was added."))
            return redirect("cases:attachments", public_id=case.public_id)
    return _attachments_page(request, case, form, status=422)


def file_response(request, case: Case, attachment: Attachment) -> FileResponse:
    """The file as a download, never rendered by the browser; the read is access-logged."""
    try:
        handle = attachment_services.open_file(attachment)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; tell the administrator.")) from None
    log_access(request, case.person, purpose=f"attachment {attachment.pk} of case {case.number}")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@requires("cases.view")
@require_GET
def attachment_file(request, public_id, attachment_id: int):
    case = access.get_case(request, public_id, "cases.view", log=False)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such file on this case."))
    return file_response(request, case, attachment)


@requires("cases.edit")
@require_POST
def attachment_delete(request, public_id, attachment_id: int):
    case = access.get_case(request, public_id, "cases.edit")
    attachment = case.attachments.select_related("case").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such file on this case."))
    attachment_services.delete_attachment(request.user, attachment)
    messages.success(request, _("The file was deleted."))
    return redirect("cases:attachments", public_id=case.public_id)


# --- tasks ----------------------------------------------------------------------------


@requires("cases.view")
def case_tasks(request, public_id):
    action = "cases.edit" if request.method == "POST" else "cases.view"
    case = access.get_case(request, public_id, action)
    form = TaskForm(case=case)
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST, case=case)
        if form.is_valid():
            data = form.cleaned_data
            try:
                task_services.create_task(
                    request.user,
                    case,
                    title=data["title"],
                    due_on=data["due_on"],
                    assignee=data["assignee"],
                )
            except ValidationFailed as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The task was added."))
                return redirect("cases:case_tasks", public_id=case.public_id)
        status = 422
    rows = case.tasks.select_related("assignee").order_by("status", "due_on", "pk")[:LIST_LIMIT]
    context = _case_context(
        case,
        form=form,
        tasks=rows,
        today=timezone.localdate(),
        may_write=can(request.user, "cases.edit"),
    )
    return render(request, "cases/notes/case_tasks.html", context, status=status)


@requires("cases.view")
@require_GET
def my_tasks(request):
    """The user's open tasks (for a head: the centre's too), then the recently closed."""
    today = timezone.localdate()
    user = request.user
    own = task_services.visible_tasks(user).filter(assignee=user)
    open_tasks = own.filter(status=Task.Status.OPEN)
    unit_tasks = Task.objects.none()
    if user.role == Role.FACILITY_HEAD and user.facility_id:
        unit_tasks = (
            Task.objects.filter(unit_id=user.facility_id, status=Task.Status.OPEN)
            .exclude(assignee=user)
            .select_related("case", "assignee")
            .order_by("due_on", "pk")[:LIST_LIMIT]
        )
    context = {
        "today": today,
        "open_tasks": open_tasks.select_related("case").order_by("due_on", "pk")[:LIST_LIMIT],
        "unit_tasks": unit_tasks,
        "closed_tasks": own.exclude(status=Task.Status.OPEN)
        .select_related("case")
        .order_by("-done_at", "-pk")[:20],
        "counts": task_services.work_counts(open_tasks, today),
        "is_head": user.role == Role.FACILITY_HEAD,
    }
    return render(request, "cases/notes/my_tasks.html", context)


@requires("cases.edit")
@require_POST
def task_status(request, task_id):
    task = task_services.task_for(request.user, task_id)
    version = request.POST.get("version")
    try:
        task_services.set_status(
            request.user,
            task,
            status=request.POST.get("status", ""),
            version=int(version) if (version or "").isdigit() else None,
        )
    except Conflict:
        messages.error(request, _("The task was changed by someone else meanwhile; see it now."))
    except ValidationFailed as error:
        for message in error.fields.values():
            messages.error(request, str(message))
    else:
        messages.success(request, _("The task was updated."))
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("cases:my_tasks")


# --- the case page's section ----------------------------------------------------------


def section_context(request, case: Case) -> dict | None:
    """Latest notes, conferences and attachments, and the open tasks."""
    if not can(request.user, "cases.view"):
        return None
    return {
        "notes": _with_safe_html(case.notes.select_related("author").order_by("-written_at")[:3]),
        "conferences": list(case.conferences.order_by("-held_on", "-pk")[:3]),
        "attachments": list(case.attachments.order_by("-uploaded_at", "-pk")[:5]),
        "tasks": list(
            case.tasks.filter(status=Task.Status.OPEN)
            .select_related("assignee")
            .order_by("due_on", "pk")[:10]
        ),
        "today": timezone.localdate(),
        "may_write": can(request.user, "cases.edit"),
    }


urlpatterns = [
    path("<uuid:public_id>/notes/", notes, name="notes"),
    path("<uuid:public_id>/notes/<int:note_id>/edit/", note_edit, name="note_edit"),
    path("<uuid:public_id>/conferences/", conferences, name="conferences"),
    path("<uuid:public_id>/attachments/", attachments, name="attachments"),
    path(
        "<uuid:public_id>/attachments/<int:attachment_id>/",
        attachment_file,
        name="attachment_file",
    ),
    path(
        "<uuid:public_id>/attachments/<int:attachment_id>/delete/",
        attachment_delete,
        name="attachment_delete",
    ),
    path("<uuid:public_id>/tasks/", case_tasks, name="case_tasks"),
    path("tasks/", my_tasks, name="my_tasks"),
    path("tasks/<uuid:task_id>/status/", task_status, name="task_status"),
]
