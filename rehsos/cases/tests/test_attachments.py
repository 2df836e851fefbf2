"""Attachments: the type by content, the size limit, private storage under a random
name, downloads only through the permission check (access-logged), deletion."""

import hashlib
import io
import zipfile

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from rehsos.cases.models import Attachment
from rehsos.cases.services import attachments as attachment_services
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core import uploads
from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.models import AccessLog
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    return tmp_path / "files"


@pytest.fixture
def case(handayani, social_worker, person_in_handayani):
    return CaseFactory(unit=handayani, social_worker=social_worker, person=person_in_handayani)


def image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, kind)
    return out.getvalue()


def office(main_part: str, extra: dict | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types><Override PartName="/main.xml" '
            f'ContentType="{main_part}"/></Types>',
        )
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


DOCX_PART = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_PART = "application/vnd.ms-word.document.macroEnabled.main+xml"


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("letter.pdf", PDF_BYTES, uploads.PDF),
        ("photo.jpeg", image("JPEG"), uploads.JPEG),
        ("photo.png", image("PNG"), uploads.PNG),
        ("report.docx", office(DOCX_PART), uploads.DOCX),
        ("budget.xlsx", xlsx(), uploads.XLSX),
        ("misnamed.bin", PDF_BYTES, uploads.PDF),
    ],
)
def test_allowed_types_are_recognised_by_content(
    case, social_worker, private_files, name, data, content_type
):
    attachment = attachment_services.upload_attachment(
        social_worker, case, upload=upload(name, data), kind="report", title=""
    )
    assert (attachment.content_type, attachment.size, attachment.original_name) == (
        content_type,
        len(data),
        name,
    )
    assert attachment.title == name
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    [stored] = stored_files(private_files)
    assert stored.read_bytes() == data
    assert name.split(".")[0] not in stored.name  # a random name, not the uploaded one
    assert case.events.get(kind="attachment_added").data["attachment"] == attachment.pk


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("letter.pdf", EXE_BYTES),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"junk" * 20),
        ("macro.docx", office(DOCM_PART)),
        ("archive.docx", office("application/zip", {"evil.exe": EXE_BYTES})),
        ("page.pdf", b"<html><script>alert(1)</script></html>"),
        ("notes.txt", b"plain text"),
    ],
)
def test_other_types_are_refused_naming_the_file(case, social_worker, private_files, name, data):
    with pytest.raises(ValidationFailed) as refused:
        attachment_services.upload_attachment(
            social_worker, case, upload=upload(name, data), kind="report"
        )
    assert set(refused.value.fields) == {"file"}
    assert "not accepted" in str(refused.value.fields["file"])
    assert not Attachment.objects.exists()
    assert stored_files(private_files) == []


def test_a_file_over_the_limit_is_refused_with_the_limit(
    case, social_worker, settings, private_files
):
    settings.REHSOS_ATTACHMENT_MAX_MB = 1
    data = PDF_BYTES + b"0" * (1024 * 1024)
    with pytest.raises(ValidationFailed) as refused:
        attachment_services.upload_attachment(
            social_worker, case, upload=upload("big.pdf", data), kind="report"
        )
    assert refused.value.fields == {"file": "The file is larger than the limit of 1 MB."}
    assert not Attachment.objects.exists()
    assert stored_files(private_files) == []


def test_kind_and_empty_file_are_checked(case, social_worker):
    with pytest.raises(ValidationFailed) as refused:
        attachment_services.upload_attachment(
            social_worker, case, upload=upload("empty.pdf", b""), kind="selfie"
        )
    assert set(refused.value.fields) == {"file", "kind"}


def test_the_stored_name_hides_the_path_given(case, social_worker):
    attachment = attachment_services.upload_attachment(
        social_worker, case, upload=upload("..\\..\\etc/pass\x00wd.pdf", PDF_BYTES), kind="other"
    )
    assert attachment.original_name == "passwd.pdf"
    assert ".." not in attachment.file.name


# --- download and delete -------------------------------------------------------------------


@pytest.fixture
def letter(case, social_worker):
    return attachment_services.upload_attachment(
        social_worker, case, upload=upload("letter.pdf", PDF_BYTES), kind="referral"
    )


def test_download_needs_permission_and_writes_the_access_log(
    client, case, letter, social_worker, analyst
):
    url = reverse("cases:attachment_file", args=[case.public_id, letter.pk])
    client.force_login(analyst)
    assert client.get(url).status_code == 403

    client.force_login(social_worker)
    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="letter.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    logged = AccessLog.objects.get(user=social_worker)
    assert logged.subject_id == str(case.person.public_id)
    assert logged.purpose == f"attachment {letter.pk} of case {case.number}"


def test_another_centre_gets_404_and_no_file(client, case, letter, galih_pakuan):
    other = UserFactory(
        role=Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    client.force_login(other)
    assert (
        client.get(reverse("cases:attachment_file", args=[case.public_id, letter.pk])).status_code
        == 404
    )
    own_case = CaseFactory(unit=galih_pakuan)
    # The file of a case in scope cannot be reached through another case's address either.
    assert (
        client.get(
            reverse("cases:attachment_file", args=[own_case.public_id, letter.pk])
        ).status_code
        == 404
    )
    assert not AccessLog.objects.filter(user=other, purpose__startswith="attachment").exists()


def test_the_upload_page_shows_the_reason(client, case, social_worker, settings):
    settings.REHSOS_ATTACHMENT_MAX_MB = 1
    client.force_login(social_worker)
    url = reverse("cases:attachments", args=[case.public_id])

    fake = client.post(url, {"kind": "report", "file": upload("letter.pdf", EXE_BYTES)})
    big = client.post(
        url, {"kind": "report", "file": upload("big.pdf", PDF_BYTES + b"0" * 1024 * 1024)}
    )

    assert fake.status_code == 422
    assert "This type of file is not accepted" in fake.content.decode()
    assert big.status_code in (413, 422)
    assert "larger than the limit of 1 MB" in big.content.decode()
    assert not Attachment.objects.exists()
    good = client.post(
        url, {"kind": "report", "title": "Surat", "file": upload("a.pdf", PDF_BYTES)}
    )
    assert good.status_code == 302
    page = client.get(url).content.decode()
    file_url = reverse("cases:attachment_file", args=[case.public_id, Attachment.objects.get().pk])
    assert file_url in page


def attachment_log(attachment_id):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Attachment), object_pk=str(attachment_id)
    )


def test_only_the_uploader_or_the_head_deletes(
    case, letter, handayani, facility_head, private_files, django_capture_on_commit_callbacks
):
    colleague = UserFactory(
        role=Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=handayani
    )
    with pytest.raises(PermissionDenied):
        attachment_services.delete_attachment(colleague, letter)
    assert Attachment.objects.filter(pk=letter.pk).exists()

    pk = letter.pk
    with django_capture_on_commit_callbacks(execute=True):
        attachment_services.delete_attachment(facility_head, letter)

    assert not Attachment.objects.filter(pk=pk).exists()
    assert stored_files(private_files) == []
    deleted = attachment_log(pk).get(action=LogEntry.Action.DELETE)
    assert deleted.actor == facility_head
    assert case.events.filter(kind="attachment_deleted").count() == 1
