"""Doing assessments (the services): starting one, who may work on it, saving answers
in revision order, N/A with a justification, evidence checks, findings, submitting
(missing criteria, score, actions, schedule), read-only and reopening, schedules and
their reminders."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.roles import Role
from rehsos.core.tests.factories import UserFactory
from rehsos.standards import services_assessments as services
from rehsos.standards import services_schedules as schedules
from rehsos.standards.models import (
    Action,
    Answer,
    Assessment,
    CatalogueVersion,
    Domain,
    Evidence,
    Finding,
    Scale,
    Schedule,
)
from rehsos.standards.tests.factories import CriterionFactory, small_catalogue

TODAY = timezone.localdate()
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def png_bytes() -> bytes:
    """A small real PNG (a photo of nothing)."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG_BYTES = png_bytes()


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture
def version(db):
    """An adopted catalogue for children's centres: ACC-1..3 and SAFE-1..3, weights 1,
    2, 3 in each domain, the first of each critical."""
    version = small_catalogue()
    version.catalogue.clusters = ["ANAK"]
    version.catalogue.save()
    return version


@pytest.fixture
def catalogue(version):
    return version.catalogue


@pytest.fixture
def assessor(db):
    return UserFactory(
        username="asesor.dewi", role=Role.STANDARDS_ASSESSOR, email="dewi@example.org"
    )


@pytest.fixture
def other_assessor(db):
    return UserFactory(username="asesor.budi", role=Role.STANDARDS_ASSESSOR)


@pytest.fixture
def self_assessment(facility_head, handayani, catalogue):
    return services.start_self_assessment(
        user=facility_head, facility=handayani, catalogue=catalogue
    )


@pytest.fixture
def audit(national_admin, handayani, catalogue, assessor):
    return services.create_audit(
        user=national_admin, facility=handayani, catalogue=catalogue, lead=assessor
    )


def crit(version, code):
    return version.criteria.get(code=code)


def rate(assessment, user, code, rating=2, revision=1, **kwargs):
    criterion = assessment.version.criteria.get(code=code)
    return services.save_answer(
        assessment=assessment,
        criterion=criterion,
        user=user,
        rating=rating,
        revision=revision,
        **kwargs,
    )


def upload(name="photo.png", content=PNG_BYTES, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- starting -------------------------------------------------------------------------


def test_a_head_starts_the_centres_self_assessment_on_the_adopted_version(
    self_assessment, facility_head, handayani, version
):
    assert self_assessment.kind == Assessment.Kind.SELF
    assert self_assessment.facility == handayani
    assert self_assessment.version == version
    assert self_assessment.province_code == "31"
    assert self_assessment.status == Assessment.Status.IN_PROGRESS
    assert self_assessment.started_on == TODAY


def test_the_newest_adopted_version_in_force_is_used(facility_head, handayani, catalogue, version):
    CatalogueVersion.objects.create(catalogue=catalogue, number=version.number + 1)  # a draft
    newer = CatalogueVersion.objects.create(
        catalogue=catalogue,
        number=version.number + 2,
        status=CatalogueVersion.Status.ADOPTED,
        effective_from=TODAY,
    )
    CatalogueVersion.objects.create(
        catalogue=catalogue,
        number=version.number + 3,
        status=CatalogueVersion.Status.ADOPTED,
        effective_from=TODAY + datetime.timedelta(days=30),  # not in force yet
    )
    started = services.start_self_assessment(
        user=facility_head, facility=handayani, catalogue=catalogue
    )
    assert started.version == newer


def test_a_catalogue_for_other_functions_is_refused(facility_head, handayani, catalogue):
    catalogue.clusters = ["LU"]
    catalogue.save()
    with pytest.raises(ValidationFailed) as raised:
        services.start_self_assessment(user=facility_head, facility=handayani, catalogue=catalogue)
    assert set(raised.value.fields) == {"catalogue"}
    assert not Assessment.objects.exists()


def test_one_self_assessment_in_progress_per_centre_and_catalogue(
    self_assessment, facility_head, handayani, catalogue
):
    with pytest.raises(ValidationFailed) as raised:
        services.start_self_assessment(user=facility_head, facility=handayani, catalogue=catalogue)
    assert "already in progress" in str(raised.value.fields["catalogue"])
    assert raised.value.extra["assessment"] == str(self_assessment.public_id)
    assert Assessment.objects.count() == 1


def test_a_head_cannot_start_one_for_another_centre(facility_head, galih_pakuan, catalogue):
    with pytest.raises(NotFound):
        services.start_self_assessment(
            user=facility_head, facility=galih_pakuan, catalogue=catalogue
        )


def test_an_assessor_cannot_start_a_self_assessment(assessor, handayani, catalogue):
    with pytest.raises(PermissionDenied):
        services.start_self_assessment(user=assessor, facility=handayani, catalogue=catalogue)


def test_an_audit_has_a_lead_who_is_an_assessor(
    national_admin, handayani, catalogue, social_worker
):
    with pytest.raises(ValidationFailed) as raised:
        services.create_audit(
            user=national_admin, facility=handayani, catalogue=catalogue, lead=social_worker
        )
    assert set(raised.value.fields) == {"lead"}


def test_an_assessor_creating_an_audit_must_be_in_its_team(
    assessor, other_assessor, handayani, catalogue
):
    with pytest.raises(ValidationFailed) as raised:
        services.create_audit(
            user=assessor, facility=handayani, catalogue=catalogue, lead=other_assessor
        )
    assert set(raised.value.fields) == {"assessors"}
    audit = services.create_audit(
        user=assessor,
        facility=handayani,
        catalogue=catalogue,
        lead=other_assessor,
        assessors=[assessor],
    )
    assert list(audit.assessors.all()) == [assessor]


# --- who works on it ------------------------------------------------------------------


def test_an_assessor_not_assigned_to_the_audit_is_refused(audit, other_assessor, assessor):
    with pytest.raises(PermissionDenied) as raised:
        rate(audit, other_assessor, "ACC-1")
    assert "not assigned" in str(raised.value.message)
    assert not Answer.objects.exists()

    rate(audit, assessor, "ACC-1")
    audit.assessors.add(other_assessor)
    rate(audit, other_assessor, "ACC-2")
    assert Answer.objects.filter(assessment=audit).count() == 2


def test_the_centre_cannot_answer_its_external_audit(audit, facility_head):
    with pytest.raises(PermissionDenied):
        rate(audit, facility_head, "ACC-1")


def test_an_assessor_cannot_answer_a_self_assessment(self_assessment, assessor):
    with pytest.raises(PermissionDenied):
        rate(self_assessment, assessor, "ACC-1")


def test_the_provincial_officer_helps_with_a_self_assessment(self_assessment, provincial_officer):
    saved = rate(self_assessment, provincial_officer, "ACC-1")
    assert saved.answer.answered_by == provincial_officer


# --- answers --------------------------------------------------------------------------


def test_a_rating_outside_the_scale_is_refused_naming_rating(
    self_assessment, facility_head, version
):
    CriterionFactory(version=version, code="GOV-1", domain=Domain.GOVERNANCE, scale=Scale.YES_NO)
    for code, rating in (("ACC-1", 4), ("ACC-1", 7), ("GOV-1", 1), ("GOV-1", 3)):
        with pytest.raises(ValidationFailed) as raised:
            rate(self_assessment, facility_head, code, rating=rating)
        assert set(raised.value.fields) == {"rating"}
    assert not Answer.objects.exists()
    assert rate(self_assessment, facility_head, "GOV-1", rating=2).answer.rating == 2


def test_not_applicable_needs_a_justification_and_no_rating(self_assessment, facility_head):
    with pytest.raises(ValidationFailed) as raised:
        rate(self_assessment, facility_head, "ACC-3", rating=None, not_applicable=True)
    assert set(raised.value.fields) == {"justification"}
    with pytest.raises(ValidationFailed) as raised:
        rate(
            self_assessment,
            facility_head,
            "ACC-3",
            rating=2,
            not_applicable=True,
            justification="No lift: the centre has one floor.",
        )
    assert set(raised.value.fields) == {"rating"}
    assert not Answer.objects.exists()

    saved = rate(
        self_assessment,
        facility_head,
        "ACC-3",
        rating=None,
        not_applicable=True,
        justification="  No lift: the centre has one floor. ",
    )
    assert (saved.answer.rating, saved.answer.not_applicable) == (None, True)
    assert saved.answer.justification == "No lift: the centre has one floor."


def test_an_older_revision_never_overwrites_a_newer_answer(self_assessment, facility_head):
    rate(self_assessment, facility_head, "ACC-1", rating=1, revision=1)
    rate(self_assessment, facility_head, "ACC-1", rating=3, revision=3, comment="Wide doors")

    with pytest.raises(Conflict) as raised:  # the offline save of revision 2, replayed late
        rate(self_assessment, facility_head, "ACC-1", rating=0, revision=2)
    assert raised.value.code == "stale_answer"
    assert raised.value.extra["current"]["rating"] == 3
    assert raised.value.extra["current"]["revision"] == 3

    answer = Answer.objects.get()
    assert (answer.rating, answer.revision, answer.comment) == (3, 3, "Wide doors")


def test_the_same_save_twice_is_idempotent(self_assessment, facility_head):
    first = rate(self_assessment, facility_head, "ACC-1", rating=2, revision=4, comment="ok")
    again = rate(self_assessment, facility_head, "ACC-1", rating=2, revision=4, comment="ok")
    assert (first.changed, again.changed) == (True, False)
    assert again.answer.answered_at == first.answer.answered_at
    # The same revision with other content is another device's change: a conflict.
    with pytest.raises(Conflict):
        rate(self_assessment, facility_head, "ACC-1", rating=0, revision=4)
    assert Answer.objects.get().rating == 2


def test_a_revision_must_be_positive(self_assessment, facility_head):
    with pytest.raises(ValidationFailed) as raised:
        rate(self_assessment, facility_head, "ACC-1", revision=0)
    assert set(raised.value.fields) == {"revision"}


def test_a_criterion_of_another_version_is_not_found(self_assessment, facility_head):
    stranger = CriterionFactory(code="X-1")
    with pytest.raises(NotFound):
        services.save_answer(
            assessment=self_assessment,
            criterion=stranger,
            user=facility_head,
            rating=2,
            revision=1,
        )


# --- evidence -------------------------------------------------------------------------


def add_evidence(assessment, user, *, file=None, kind="photo", valid_from=TODAY, code="ACC-1"):
    return services.upload_evidence(
        assessment=assessment,
        criterion=assessment.version.criteria.get(code=code),
        user=user,
        upload=file if file is not None else upload(),
        kind=kind,
        valid_from=valid_from,
        caption="Ramp at the dormitory",
    )


def test_evidence_is_checked_stored_privately_and_dated(self_assessment, facility_head):
    evidence = add_evidence(
        self_assessment, facility_head, valid_from=TODAY - datetime.timedelta(3)
    )
    assert evidence.kind == Evidence.Kind.PHOTO
    assert evidence.content_type == "image/png"
    assert evidence.valid_from == TODAY - datetime.timedelta(3)
    assert evidence.file.name.startswith("standards/evidence/")
    assert default_storage.exists(evidence.file.name)
    assert evidence.answer.rating is None  # evidence first, rating later: still unrated
    document = add_evidence(
        self_assessment,
        facility_head,
        file=upload("sop.pdf", PDF_BYTES, "application/pdf"),
        kind="document",
    )
    assert document.answer_id == evidence.answer_id


@pytest.mark.parametrize(
    ("file", "kind", "reason"),
    [
        (upload("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"), "document", "type"),
        (upload("sop.pdf", PDF_BYTES, "application/pdf"), "photo", "JPEG or PNG"),
        (upload("empty.png", b"", "image/png"), "photo", "empty"),
    ],
)
def test_evidence_of_the_wrong_type_is_refused_with_a_reason(
    self_assessment, facility_head, file, kind, reason
):
    with pytest.raises(ValidationFailed) as raised:
        add_evidence(self_assessment, facility_head, file=file, kind=kind)
    assert set(raised.value.fields) == {"file"}
    assert reason in str(raised.value.fields["file"])
    assert not Evidence.objects.exists()


def test_evidence_above_the_size_limit_is_refused(self_assessment, facility_head, settings):
    settings.REHSOS_ATTACHMENT_MAX_MB = 1
    big = upload("big.pdf", PDF_BYTES + b"0" * (1024 * 1024), "application/pdf")
    with pytest.raises(ValidationFailed) as raised:
        add_evidence(self_assessment, facility_head, file=big, kind="document")
    assert "larger than the limit of 1 MB" in str(raised.value.fields["file"])
    assert not Evidence.objects.exists()


def test_evidence_valid_from_is_required_and_not_in_the_future(self_assessment, facility_head):
    for day in (None, TODAY + datetime.timedelta(days=1)):
        with pytest.raises(ValidationFailed) as raised:
            add_evidence(self_assessment, facility_head, valid_from=day)
        assert set(raised.value.fields) == {"valid_from"}
    assert not Evidence.objects.exists()
    assert not Answer.objects.exists()


def test_only_the_uploader_deletes_evidence(
    self_assessment, facility_head, provincial_officer, django_capture_on_commit_callbacks
):
    evidence = add_evidence(self_assessment, facility_head)
    name = evidence.file.name
    with pytest.raises(PermissionDenied):
        services.delete_evidence(evidence=evidence, user=provincial_officer)
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_evidence(evidence=evidence, user=facility_head)
    assert not Evidence.objects.exists()
    assert not default_storage.exists(name)


# --- findings -------------------------------------------------------------------------


def test_findings_are_typed_and_may_name_a_criterion(self_assessment, facility_head, version):
    finding = services.add_finding(
        assessment=self_assessment,
        user=facility_head,
        kind=Finding.Kind.RECOMMENDATION,
        text="Install handrails on both sides of the ramp.",
        criterion=crit(version, "ACC-1"),
    )
    assert finding.criterion.code == "ACC-1"
    with pytest.raises(ValidationFailed) as raised:
        services.add_finding(assessment=self_assessment, user=facility_head, kind="praise", text="")
    assert set(raised.value.fields) == {"kind", "text"}


# --- submit ---------------------------------------------------------------------------


def answer_all_but(assessment, user, *left_out):
    ratings = {"ACC-1": 2, "ACC-2": 1, "SAFE-1": 3, "SAFE-2": 0, "SAFE-3": 2}
    for code, rating in ratings.items():
        if code not in left_out:
            rate(assessment, user, code, rating=rating)
    if "ACC-3" not in left_out:
        rate(
            assessment,
            user,
            "ACC-3",
            rating=None,
            not_applicable=True,
            justification="One floor only: no lift needed.",
        )


def test_submit_with_unrated_criteria_lists_them(self_assessment, facility_head):
    answer_all_but(self_assessment, facility_head, "ACC-2", "SAFE-3")
    with pytest.raises(ValidationFailed) as raised:
        services.submit(self_assessment, user=facility_head)
    error = raised.value
    assert error.code == "unrated_criteria"
    assert [m["code"] for m in error.extra["missing"]] == ["ACC-2", "SAFE-3"]
    assert error.extra["missing"][0]["text"] == crit(self_assessment.version, "ACC-2").text_en
    assert "ACC-2" in str(error.fields["answers"])
    assert "SAFE-3" in str(error.fields["answers"])
    self_assessment.refresh_from_db()
    assert self_assessment.status == Assessment.Status.IN_PROGRESS
    assert self_assessment.score is None


def test_submit_stores_the_score_makes_actions_and_moves_the_schedule(
    self_assessment, facility_head, handayani, catalogue, version
):
    schedule = Schedule.objects.create(
        facility=handayani,
        catalogue=catalogue,
        kind=Assessment.Kind.SELF,
        interval_months=12,
        next_due=TODAY - datetime.timedelta(days=10),
    )
    Schedule.objects.create(  # the external audit's schedule stays where it is
        facility=handayani,
        catalogue=catalogue,
        kind=Assessment.Kind.EXTERNAL,
        interval_months=24,
        next_due=TODAY + datetime.timedelta(days=5),
    )
    answer_all_but(self_assessment, facility_head)
    services.add_finding(
        assessment=self_assessment,
        user=facility_head,
        kind=Finding.Kind.RECOMMENDATION,
        text="Replace the broken fire extinguisher in the kitchen.",
        criterion=crit(version, "SAFE-2"),
    )
    services.add_finding(
        assessment=self_assessment,
        user=facility_head,
        kind=Finding.Kind.STRENGTH,
        text="Clear signage.",
    )

    submitted = services.submit(self_assessment, user=facility_head)

    # ACC-1 w1×1 + ACC-2 w2×0.5 + SAFE-1 w1×1 + SAFE-2 w2×0 + SAFE-3 w3×1 = 6 of 9;
    # ACC-3 (w3) is N/A and leaves the denominator.
    assert submitted.score == Decimal("66.67")
    assert submitted.passed is True  # the critical ACC-1 and SAFE-1 are met
    assert submitted.status == Assessment.Status.SUBMITTED
    assert submitted.submitted_by == facility_head
    schedule.refresh_from_db()
    assert schedule.next_due == services.add_months(TODAY, 12)
    other = Schedule.objects.get(kind=Assessment.Kind.EXTERNAL)
    assert other.next_due == TODAY + datetime.timedelta(days=5)
    action = Action.objects.get()
    assert action.finding.text.startswith("Replace the broken fire extinguisher")
    assert action.facility == handayani


def test_a_failed_critical_criterion_fails_the_assessment(self_assessment, facility_head):
    answer_all_but(self_assessment, facility_head, "ACC-1")
    rate(self_assessment, facility_head, "ACC-1", rating=1)  # critical, only partly met
    submitted = services.submit(self_assessment, user=facility_head)
    assert submitted.passed is False


def test_only_the_lead_submits_an_audit(audit, assessor, other_assessor, national_admin):
    audit.assessors.add(other_assessor)
    answer_all_but(audit, other_assessor)
    with pytest.raises(PermissionDenied):
        services.submit(audit, user=other_assessor)
    assert services.submit(audit, user=assessor).status == Assessment.Status.SUBMITTED


def test_a_submitted_assessment_is_read_only_until_reopened(
    self_assessment, facility_head, national_admin
):
    answer_all_but(self_assessment, facility_head)
    services.submit(self_assessment, user=facility_head)
    self_assessment.refresh_from_db()
    with pytest.raises(services.ReadOnly):
        rate(self_assessment, facility_head, "ACC-1", rating=0, revision=9)
    with pytest.raises(services.ReadOnly):
        add_evidence(self_assessment, facility_head)
    with pytest.raises(services.ReadOnly):
        services.add_finding(
            assessment=self_assessment, user=facility_head, kind="advice", text="Later"
        )
    assert Answer.objects.get(criterion__code="ACC-1").rating == 2

    with pytest.raises(PermissionDenied):
        services.reopen(self_assessment, user=facility_head, reason="A rating was mistyped.")
    with pytest.raises(ValidationFailed) as raised:
        services.reopen(self_assessment, user=national_admin, reason="typo")
    assert set(raised.value.fields) == {"reason"}

    reopened = services.reopen(
        self_assessment, user=national_admin, reason="The rating of ACC-1 was mistyped."
    )
    assert reopened.status == Assessment.Status.IN_PROGRESS
    assert (reopened.score, reopened.passed, reopened.reopened_by) == (None, None, national_admin)
    rate(reopened, facility_head, "ACC-1", rating=3, revision=2)
    assert Answer.objects.get(criterion__code="ACC-1").rating == 3


def test_submitting_twice_makes_no_second_set_of_actions(
    self_assessment, facility_head, national_admin
):
    answer_all_but(self_assessment, facility_head)
    services.add_finding(
        assessment=self_assessment,
        user=facility_head,
        kind=Finding.Kind.RECOMMENDATION,
        text="Fit grab bars in the bathroom.",
    )
    services.submit(self_assessment, user=facility_head)
    services.reopen(self_assessment, user=national_admin, reason="Check the bathroom again.")
    services.submit(self_assessment, user=facility_head)
    assert Action.objects.count() == 1


# --- schedules ------------------------------------------------------------------------


def test_a_head_plans_self_assessments_but_not_audits(
    facility_head, handayani, catalogue, assessor
):
    schedule = schedules.create_schedule(
        user=facility_head,
        facility=handayani,
        catalogue=catalogue,
        kind=Assessment.Kind.SELF,
        next_due=TODAY + datetime.timedelta(days=20),
        interval_months=12,
        assessor=facility_head,
    )
    assert schedule.assessor == facility_head
    with pytest.raises(PermissionDenied):
        schedules.create_schedule(
            user=facility_head,
            facility=handayani,
            catalogue=catalogue,
            kind=Assessment.Kind.EXTERNAL,
            next_due=TODAY,
            assessor=assessor,
        )
    with pytest.raises(ValidationFailed) as raised:  # one per centre, catalogue and kind
        schedules.create_schedule(
            user=facility_head,
            facility=handayani,
            catalogue=catalogue,
            kind=Assessment.Kind.SELF,
            next_due=TODAY,
        )
    assert set(raised.value.fields) == {"catalogue"}


def test_a_schedules_assessor_must_fit_its_kind(
    national_admin, handayani, catalogue, social_worker
):
    with pytest.raises(ValidationFailed) as raised:
        schedules.create_schedule(
            user=national_admin,
            facility=handayani,
            catalogue=catalogue,
            kind=Assessment.Kind.EXTERNAL,
            next_due=TODAY,
            interval_months=0,
            assessor=social_worker,
        )
    assert set(raised.value.fields) == {"assessor", "interval_months"}
    assert not Schedule.objects.exists()


def test_add_months_keeps_the_end_of_the_month():
    assert services.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert services.add_months(datetime.date(2026, 11, 15), 14) == datetime.date(2028, 1, 15)


def test_reminders_go_once_per_due_date(settings, handayani, catalogue, assessor, facility_head):
    settings.REHSOS_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    facility_head.email = "kepala@example.org"
    facility_head.save()
    soon = Schedule.objects.create(
        facility=handayani,
        catalogue=catalogue,
        kind=Assessment.Kind.EXTERNAL,
        next_due=TODAY + datetime.timedelta(days=10),
        assessor=assessor,
    )
    Schedule.objects.create(
        facility=handayani,
        catalogue=catalogue,
        kind=Assessment.Kind.SELF,
        next_due=TODAY + datetime.timedelta(days=90),  # not due yet
    )
    assert schedules.remind_due_schedules() == {"due_soon": 1, "overdue": 0}
    assert sorted(m.to[0] for m in mail.outbox) == ["dewi@example.org", "kepala@example.org"]
    assert "Sentra Handayani" in mail.outbox[0].subject
    assert schedules.remind_due_schedules() == {"due_soon": 0, "overdue": 0}
    assert len(mail.outbox) == 2

    # Later it is overdue: one more reminder.
    later = TODAY + datetime.timedelta(days=11)
    assert schedules.remind_due_schedules(today=later) == {"due_soon": 0, "overdue": 1}
    assert len(mail.outbox) == 4
    assert "overdue" in mail.outbox[-1].subject
    soon.refresh_from_db()
    assert soon.reminded_overdue == soon.next_due


def test_no_reminders_without_email(settings, handayani, catalogue):
    settings.REHSOS_EMAIL_ENABLED = False
    Schedule.objects.create(
        facility=handayani, catalogue=catalogue, kind=Assessment.Kind.SELF, next_due=TODAY
    )
    assert schedules.remind_due_schedules() == {"due_soon": 0, "overdue": 0}
    assert Schedule.objects.get().reminded_due is None
