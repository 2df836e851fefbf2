"""Attachments of a case: checked on upload, stored privately, served only through a
permission check.

The type is decided by the content, never by the name or the browser's claim:
PDF by its ``%PDF-`` header, JPEG and PNG by Pillow's verify, DOCX and XLSX as zip
packages whose ``[Content_Types].xml`` declares the Word or Excel main part.
Anything else (an .exe renamed .pdf, a macro-enabled document, a zip) is refused.
The file is stored through the default storage (``var/files``, outside the web
root) under a random name; its SHA-256 is kept.
"""

import hashlib
import secrets
import unicodedata
import zipfile
from pathlib import PurePath

from auditlog.context import set_actor
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import Attachment, Case
from rehsos.cases.services import events
from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.permissions import can
from rehsos.core.roles import Role

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", DOCX: ".docx", XLSX: ".xlsx"}
# The main part each Office package must declare in [Content_Types].xml.
OFFICE_MAIN_PARTS = {
    DOCX: b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
CONTENT_TYPES_MAX_BYTES = 256 * 1024
TITLE_MAX = 200


def max_bytes() -> int:
    return settings.REHSOS_ATTACHMENT_MAX_MB * 1024 * 1024


def too_large_message() -> str:
    return _("The file is larger than the limit of %(limit)s MB.") % {
        "limit": settings.REHSOS_ATTACHMENT_MAX_MB
    }


def _is_image(stream) -> str | None:
    from PIL import Image, UnidentifiedImageError

    stream.seek(0)
    try:
        with Image.open(stream) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return {"JPEG": JPEG, "PNG": PNG}.get(kind or "")


def _office_type(stream) -> str | None:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as package:
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > CONTENT_TYPES_MAX_BYTES:
                return None
            declared = package.read(info)
    # Not an Office file: no zip (BadZipFile), no content-types part (KeyError), a
    # truncated or malformed member (OSError, ValueError), an encrypted member
    # (RuntimeError) or a compression method zipfile cannot read (NotImplementedError).
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, NotImplementedError):
        return None
    for content_type, main_part in OFFICE_MAIN_PARTS.items():
        if main_part in declared:
            return content_type
    return None


def sniff(stream) -> str | None:
    """The content type of the file by its content, or None when it is not allowed."""
    stream.seek(0)
    head = stream.read(8)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return _is_image(stream)
    if head.startswith(b"PK\x03\x04"):
        return _office_type(stream)
    return None


def safe_name(name: str) -> str:
    """The uploaded file's base name, without paths or control characters (for display
    and the download's filename only; the stored name is random)."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return base[:255] or "file"


def _digest(stream) -> str:
    stream.seek(0)
    sha = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        sha.update(chunk)
    stream.seek(0)
    return sha.hexdigest()


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
    if upload is None:
        problems["file"] = _("Choose a file to upload.")
    elif upload.size > max_bytes():
        problems["file"] = too_large_message()
    elif upload.size == 0:
        problems["file"] = _("The file is empty.")
    content_type = None
    if "file" not in problems and upload is not None:
        stream = upload.file if hasattr(upload, "file") else upload
        content_type = sniff(stream)
        if content_type is None:
            problems["file"] = _(
                "This type of file is not accepted. Upload a PDF, a JPEG or PNG image, "
                "or a Word (DOCX) or Excel (XLSX) document."
            )
    if problems:
        raise ValidationFailed(fields=problems)

    stream = upload.file if hasattr(upload, "file") else upload
    sha256 = _digest(stream)
    original = safe_name(upload.name)
    stored_name = (
        f"cases/attachments/{timezone.now():%Y/%m}/"
        f"{secrets.token_urlsafe(24)}{EXTENSIONS[content_type]}"
    )
    stored = default_storage.save(stored_name, stream)
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
