"""Case notes, conferences, attachments and tasks under /api/v1/.

Every operation gets its case through ``access.get_case`` (permission, scope, the
sensitive-case rule, the access log); a note, file or task of a case outside the
user's reach answers 404, as if it did not exist.
"""

import datetime
from typing import Literal
from uuid import UUID

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rehsos.cases import access
from rehsos.cases.models import Attachment, Case, Conference, Note, Task
from rehsos.cases.services import attachments as attachment_services
from rehsos.cases.services import notes as note_services
from rehsos.cases.services import tasks as task_services
from rehsos.cases.views_notes import file_response
from rehsos.core.api import Problem
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires

router = Router(tags=["notes and tasks"])


class ListQuery(Schema):
    after: str | None = Field(None, description="The `next` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


def _user_name(user) -> str | None:
    return user.get_username() if user else None


# --- notes ---------------------------------------------------------------------------


class NoteIn(Schema):
    body: str = Field(
        ...,
        description="HTML: p, br, strong, em, ul, ol, li and a[href] are kept, the rest removed. "
        "At most 20,000 characters.",
    )


class NoteOut(Schema):
    id: int
    case: UUID
    author: str | None
    body_html: str
    written_at: datetime.datetime
    editable: bool = Field(..., description="Whether you may still edit it (author, 24 hours)")


class NotePage(Schema):
    items: list[NoteOut]
    next: str | None = None


def _note_out(request, note: Note, case: Case) -> dict:
    return {
        "id": note.pk,
        "case": case.public_id,
        "author": _user_name(note.author),
        "body_html": note.body_html,
        "written_at": note.written_at,
        "editable": note_services.may_edit(request.auth, note),
    }


@router.get(
    "/cases/{public_id}/notes",
    response={200: NotePage, 403: Problem, 404: Problem},
    summary="The case's notes, newest first",
    url_name="case_notes",
)
@requires("cases.view")
def list_notes(request, public_id: UUID, query: Query[ListQuery]):
    case = access.get_case(request, public_id, "cases.view")
    page = keyset_page(
        case.notes.select_related("author"),
        order=("written_at", "id"),
        after=query.after,
        limit=query.limit,
        descending=True,
    )
    return {"items": [_note_out(request, n, case) for n in page.items], "next": page.next_cursor}


@router.post(
    "/cases/{public_id}/notes",
    response={201: NoteOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Write a note (sanitised rich text)",
)
@requires("cases.edit")
def add_note(request, public_id: UUID, payload: NoteIn):
    case = access.get_case(request, public_id, "cases.edit")
    note = note_services.add_note(request.auth, case, body=payload.body)
    return Status(201, _note_out(request, note, case))


@router.patch(
    "/notes/{note_id}",
    response={200: NoteOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Change a note (its author, within 24 hours; audited)",
)
@requires("cases.edit")
def edit_note(request, note_id: int, payload: NoteIn):
    note = Note.objects.select_related("case").filter(pk=note_id).first()
    if note is None:
        raise NotFound(_("No such note in your scope."))
    case = access.get_case(request, note.case.public_id, "cases.edit")
    note = note_services.edit_note(request.auth, note, body=payload.body)
    return _note_out(request, note, case)


# --- conferences ---------------------------------------------------------------------


class AttendeeIn(Schema):
    name: str = Field(..., max_length=200)
    role: str = Field(..., max_length=200)
    organisation: str = Field("", max_length=200)


class ConferenceIn(Schema):
    held_on: datetime.date
    attendees: list[AttendeeIn] = Field(..., max_length=50)
    agenda: str = ""
    decisions: str


class ConferenceOut(Schema):
    id: int
    case: UUID
    held_on: datetime.date
    attendees: list[dict]
    agenda: str
    decisions: str
    recorded_by: str | None


class ConferencePage(Schema):
    items: list[ConferenceOut]
    next: str | None = None


def _conference_out(conference: Conference, case: Case) -> dict:
    return {
        "id": conference.pk,
        "case": case.public_id,
        "held_on": conference.held_on,
        "attendees": conference.attendees,
        "agenda": conference.agenda,
        "decisions": conference.decisions,
        "recorded_by": _user_name(conference.recorded_by),
    }


@router.get(
    "/cases/{public_id}/conferences",
    response={200: ConferencePage, 403: Problem, 404: Problem},
    summary="The case's conferences, latest first",
)
@requires("cases.view")
def list_conferences(request, public_id: UUID, query: Query[ListQuery]):
    case = access.get_case(request, public_id, "cases.view")
    page = keyset_page(
        case.conferences.select_related("recorded_by"),
        order=("held_on", "id"),
        after=query.after,
        limit=query.limit,
        descending=True,
    )
    return {
        "items": [_conference_out(c, case) for c in page.items],
        "next": page.next_cursor,
    }


@router.post(
    "/cases/{public_id}/conferences",
    response={201: ConferenceOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Record a case conference with its attendees and decisions",
)
@requires("cases.edit")
def add_conference(request, public_id: UUID, payload: ConferenceIn):
    case = access.get_case(request, public_id, "cases.edit")
    conference = note_services.record_conference(
        request.auth,
        case,
        held_on=payload.held_on,
        attendees=[attendee.dict() for attendee in payload.attendees],
        agenda=payload.agenda,
        decisions=payload.decisions,
    )
    return Status(201, _conference_out(conference, case))


# --- attachments ---------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    case: UUID
    kind: str
    title: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    uploaded_at: datetime.datetime
    file: str = Field(..., description="Download it here (permission-checked, access-logged)")


class AttachmentPage(Schema):
    items: list[AttachmentOut]
    next: str | None = None


def _attachment_out(request, attachment: Attachment, case: Case) -> dict:
    return {
        "id": attachment.pk,
        "case": case.public_id,
        "kind": attachment.kind,
        "title": attachment.title,
        "original_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": _user_name(attachment.uploaded_by),
        "uploaded_at": attachment.uploaded_at,
        "file": request.build_absolute_uri(reverse("api:attachment_file", args=[attachment.pk])),
    }


@router.get(
    "/cases/{public_id}/attachments",
    response={200: AttachmentPage, 403: Problem, 404: Problem},
    summary="The case's files, newest first",
)
@requires("cases.view")
def list_attachments(request, public_id: UUID, query: Query[ListQuery]):
    case = access.get_case(request, public_id, "cases.view")
    page = keyset_page(
        case.attachments.select_related("uploaded_by"),
        order=("uploaded_at", "id"),
        after=query.after,
        limit=query.limit,
        descending=True,
    )
    return {
        "items": [_attachment_out(request, a, case) for a in page.items],
        "next": page.next_cursor,
    }


@router.post(
    "/cases/{public_id}/attachments",
    response={201: AttachmentOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Upload a file (PDF, JPEG, PNG, DOCX or XLSX; multipart)",
)
@requires("cases.edit")
def upload_attachment(
    request,
    public_id: UUID,
    file: File[UploadedFile],
    kind: Form[str],
    title: Form[str] = "",
):
    """The type is decided by the file's content, not its name; a file above
    REHSOS_ATTACHMENT_MAX_MB or of another type answers 422 naming `file`."""
    case = access.get_case(request, public_id, "cases.edit")
    attachment = attachment_services.upload_attachment(
        request.auth, case, upload=file, kind=kind, title=title
    )
    return Status(201, _attachment_out(request, attachment, case))


def _attachment(request, attachment_id: int, action: str) -> tuple[Attachment, Case]:
    attachment = Attachment.objects.select_related("case").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such file in your scope."))
    case = access.get_case(request, attachment.case.public_id, action, log=False)
    return attachment, case


@router.get(
    "/attachments/{attachment_id}/file",
    response={200: None, 403: Problem, 404: Problem},
    summary="Download a file (permission-checked, access-logged)",
    url_name="attachment_file",
)
@requires("cases.view")
def download_attachment(request, attachment_id: int):
    attachment, case = _attachment(request, attachment_id, "cases.view")
    return file_response(request, case, attachment)


@router.delete(
    "/attachments/{attachment_id}",
    response={204: None, 403: Problem, 404: Problem},
    summary="Delete a file (its uploader or the head of the centre; audited)",
)
@requires("cases.edit")
def delete_attachment(request, attachment_id: int):
    attachment, _case = _attachment(request, attachment_id, "cases.edit")
    attachment_services.delete_attachment(request.auth, attachment)
    return Status(204, None)


# --- tasks ---------------------------------------------------------------------------


class TaskIn(Schema):
    title: str = Field(..., max_length=200)
    due_on: datetime.date
    assignee: str | None = Field(
        None, description="Username of a caseworker who can see the case (default: you)"
    )


class TaskPatch(Schema):
    status: Literal["open", "done", "cancelled"]
    version: int = Field(..., description="The task's version as you read it (409 when stale)")


class TaskOut(Schema):
    id: UUID
    version: int
    case: UUID | None
    case_number: str | None
    kind: str
    title: str
    due_on: datetime.date
    status: str
    overdue: bool
    assignee: str | None
    done_at: datetime.datetime | None


class TaskPage(Schema):
    items: list[TaskOut]
    next: str | None = None


class MyTasksQuery(ListQuery):
    status: Literal["open", "done", "cancelled"] = "open"


def _task_out(task: Task) -> dict:
    return {
        "id": task.public_id,
        "version": task.version,
        "case": task.case.public_id if task.case_id else None,
        "case_number": task.case.number if task.case_id else None,
        "kind": task.kind,
        "title": task.title,
        "due_on": task.due_on,
        "status": task.status,
        "overdue": task.status == Task.Status.OPEN and task.due_on < timezone.localdate(),
        "assignee": _user_name(task.assignee),
        "done_at": task.done_at,
    }


@router.get(
    "/cases/{public_id}/tasks",
    response={200: TaskPage, 403: Problem, 404: Problem},
    summary="The case's tasks and alerts, by due date",
)
@requires("cases.view")
def list_case_tasks(request, public_id: UUID, query: Query[ListQuery]):
    case = access.get_case(request, public_id, "cases.view")
    page = keyset_page(
        case.tasks.select_related("case", "assignee"),
        order=("due_on", "id"),
        after=query.after,
        limit=query.limit,
    )
    return {"items": [_task_out(t) for t in page.items], "next": page.next_cursor}


@router.post(
    "/cases/{public_id}/tasks",
    response={201: TaskOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a task or reminder to the case",
)
@requires("cases.edit")
def add_task(request, public_id: UUID, payload: TaskIn):
    case = access.get_case(request, public_id, "cases.edit")
    assignee = None
    if payload.assignee:
        assignee = get_user_model().objects.filter(username=payload.assignee).first()
        if assignee is None:
            raise ValidationFailed(
                fields={"assignee": _("Assign the task to a caseworker who can see this case.")}
            )
    task = task_services.create_task(
        request.auth, case, title=payload.title, due_on=payload.due_on, assignee=assignee
    )
    return Status(201, _task_out(task))


@router.get(
    "/tasks",
    response={200: TaskPage, 403: Problem, 422: Problem},
    summary="Your tasks (open by default), by due date",
)
@requires("cases.view")
def my_tasks(request, query: Query[MyTasksQuery]):
    tasks = task_services.visible_tasks(request.auth).filter(
        assignee=request.auth, status=query.status
    )
    page = keyset_page(
        tasks.select_related("case", "assignee"),
        order=("due_on", "id"),
        after=query.after,
        limit=query.limit,
    )
    return {"items": [_task_out(t) for t in page.items], "next": page.next_cursor}


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Mark a task done or cancelled (or open again), with its row version",
)
@requires("cases.edit")
def set_task_status(request, task_id: UUID, payload: TaskPatch):
    task = task_services.task_for(request.auth, task_id)
    try:
        task = task_services.set_status(
            request.auth, task, status=payload.status, version=payload.version
        )
    except Conflict as exc:
        current = Task.objects.select_related("case", "assignee").get(pk=task.pk)
        exc.extra = {**exc.extra, "current": _jsonable(_task_out(current))}
        raise
    task = Task.objects.select_related("case", "assignee").get(pk=task.pk)
    return _task_out(task)


def _jsonable(data: dict) -> dict:
    return {
        key: (value.isoformat() if hasattr(value, "isoformat") else value)
        if not isinstance(value, UUID)
        else str(value)
        for key, value in data.items()
    }
