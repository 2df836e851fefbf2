"""Uploaded files: checked by their content, stored privately, never trusted by name.

The type is decided by the content, never by the name or the browser's claim:
PDF by its ``%PDF-`` header, JPEG and PNG by Pillow's verify, DOCX and XLSX as zip
packages whose ``[Content_Types].xml`` declares the Word or Excel main part.
Anything else (an .exe renamed .pdf, a macro-enabled document, a zip) is refused.
Files go through the default storage (``var/files``, outside the web root) under a
random name; their SHA-256 is kept. Every app's uploads (case attachments,
standards evidence, centre photos, supervision photos) use :func:`check_upload`
and :func:`store`.
"""

import hashlib
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import ValidationFailed

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


def digest(stream) -> str:
    stream.seek(0)
    sha = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        sha.update(chunk)
    stream.seek(0)
    return sha.hexdigest()


IMAGES = (JPEG, PNG)
DOCUMENTS = (PDF, JPEG, PNG, DOCX, XLSX)


@dataclass(frozen=True)
class CheckedUpload:
    upload: object
    content_type: str
    size: int
    sha256: str
    original_name: str


def _refusal(allowed: tuple[str, ...]) -> str:
    if set(allowed) <= set(IMAGES):
        return _("This type of file is not accepted. Upload a JPEG or PNG image.")
    return _(
        "This type of file is not accepted. Upload a PDF, a JPEG or PNG image, "
        "or a Word (DOCX) or Excel (XLSX) document."
    )


def upload_problem(upload, allowed: tuple[str, ...] = DOCUMENTS) -> str | None:
    """Why the upload is refused (translated), or None when it may be stored."""
    if upload is None:
        return _("Choose a file to upload.")
    if upload.size > max_bytes():
        return too_large_message()
    if upload.size == 0:
        return _("The file is empty.")
    stream = upload.file if hasattr(upload, "file") else upload
    content_type = sniff(stream)
    if content_type is None or content_type not in allowed:
        return _refusal(allowed)
    return None


def check_upload(
    upload, *, field: str = "file", allowed: tuple[str, ...] = DOCUMENTS
) -> CheckedUpload:
    """Check an uploaded file; raise ``ValidationFailed`` naming ``field`` when it is
    refused (too large, empty, or of a type not in ``allowed``)."""
    problem = upload_problem(upload, allowed)
    if problem:
        raise ValidationFailed(fields={field: problem})
    stream = upload.file if hasattr(upload, "file") else upload
    return CheckedUpload(
        upload=upload,
        content_type=sniff(stream),
        size=upload.size,
        sha256=digest(stream),
        original_name=safe_name(upload.name),
    )


def store(checked: CheckedUpload, prefix: str) -> str:
    """Save a checked upload under ``prefix/YYYY/MM/<random><ext>``; return the stored
    name (delete it with ``default_storage.delete`` if the transaction fails)."""
    stream = checked.upload.file if hasattr(checked.upload, "file") else checked.upload
    stream.seek(0)
    name = (
        f"{prefix.strip('/')}/{timezone.now():%Y/%m}/"
        f"{secrets.token_urlsafe(24)}{EXTENSIONS[checked.content_type]}"
    )
    return default_storage.save(name, stream)
