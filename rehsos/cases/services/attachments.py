"""Attachments of a case: checked on upload, stored privately, served only through a
permission check.

The checks and the private storage are :mod:`rehsos.core.uploads`.
"""

from auditlog.context import set_actor
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from rehsos.cases.models import Attachment, Case
from rehsos.cases.services import events
from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.permissions import can
from rehsos.core.roles import Role
from rehsos.core.uploads import (  # noqa: F401  (re-exported for the attachment views)
    EXTENSIONS,
    check_upload,
    max_bytes,
    safe_name,
    sniff,
    store,
    too_large_message,
    upload_problem,
)

TITLE_MAX = 200


def upload_attachment(user, case: Case, *, upload, kind: str, title: str = "") -> Attachment:
    """Check and store an uploaded file as an attachment of the case."""
    problems = {}
    if kind not in Attachment.Kind.values:
        problems["kind"] = _("Choose one of: %(kinds)s.") % {
            "kinds": ", ".join(Attachment.Kind.values)
        }
    title = " ".join((title or "").split())
    if len(title) > TITLE_MAX:
        problems["title"] = _("Enter at most %(limit)s characters.") % {"limit": TITLE_MAX}
    problem = upload_problem(upload)
    if problem:
        problems["file"] = problem
    if problems:
        raise ValidationFailed(fields=problems)

    checked = check_upload(upload)
    content_type, sha256, original = checked.content_type, checked.sha256, checked.original_name
    stored = store(checked, "cases/attachments")
    try:
        with transaction.atomic(), set_actor(user):
            attachment = Attachment.objects.create(
                case=case,
                kind=kind,
                title=title or original,
                file=stored,
                original_name=original,
                content_type=content_type,
                size=upload.size,
                sha256=sha256,
                uploaded_by=user,
            )
            events.record(
                case,
                "attachment_added",
                actor=user,
                attachment=attachment.pk,
                attachment_kind=kind,
                content_type=content_type,
                size=upload.size,
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return attachment


def may_delete(user, attachment: Attachment) -> bool:
    """The uploader, or a head of the case's unit (and the supervising roles above it)."""
    if attachment.uploaded_by_id == user.pk:
        return True
    if user.role == Role.FACILITY_HEAD:
        return user.facility_id == attachment.case.unit_id
    return can(user, "cases.approve")


@transaction.atomic
def delete_attachment(user, attachment: Attachment) -> None:
    if not may_delete(user, attachment):
        raise PermissionDenied(
            _("Only the person who uploaded the file or the head of the centre may delete it.")
        )
    case, name, pk = attachment.case, attachment.file.name, attachment.pk
    with set_actor(user):
        attachment.delete()
    events.record(case, "attachment_deleted", actor=user, attachment=pk)
    transaction.on_commit(lambda: default_storage.delete(name))


def open_file(attachment: Attachment):
    """The stored file, opened for reading."""
    return default_storage.open(attachment.file.name, "rb")
