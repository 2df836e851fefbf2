"""Improvement plans: actions from audit findings, the rules of an action (owner,
cost, funding, status), its evidence, the yearly attestation, scope, and the
e-mail reminders."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.partners.models import Agreement, Partner
from rehsos.standards import selectors_actions, services_actions
from rehsos.standards.models import Action, ActionEvidence, Assessment, Attestation, Finding
from rehsos.standards.tests.factories import AssessmentFactory, FindingFactory, small_catalogue

TODAY = timezone.localdate()
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def pdf(name="foto-ramp.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


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
    return small_catalogue()


@pytest.fixture
def audit(handayani, version):
    return AssessmentFactory(
        facility=handayani,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        status=Assessment.Status.SUBMITTED,
        visit_on=datetime.date(2026, 2, 10),
        submitted_at=timezone.make_aware(datetime.datetime(2026, 2, 20, 10)),
    )


@pytest.fixture
def action(handayani):
    return Action.objects.create(facility=handayani, title="Install handrails", due_on=days(30))


@pytest.fixture
def other_head(galih_pakuan):
    return UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )


@pytest.fixture
def jica(db):
    return Partner.objects.create(
        code="jica",
        name="Japan International Cooperation Agency",
        acronym="JICA",
        kind=Partner.Kind.BILATERAL,
    )


def agreement(partner, status):
    return Agreement.objects.create(
        partner=partner, kind=Agreement.Kind.GRANT, title=f"Grant ({status})", status=status
    )


# --- from audit findings ----------------------------------------------------------


def test_each_recommendation_becomes_one_action_due_90_days_after_the_visit(
    audit, version, national_admin
):
    ramp = version.criteria.get(code="ACC-1")
    FindingFactory(assessment=audit, criterion=ramp, text="Ramp too steep.\nRebuild it at 1:12.")
    FindingFactory(assessment=audit, criterion=None, text="No evacuation drill recorded.")
    FindingFactory(assessment=audit, kind=Finding.Kind.STRENGTH, text="Clean kitchen.")
    FindingFactory(assessment=audit, kind=Finding.Kind.ADVICE, text="Consider a garden.")

    created = services_actions.create_from_findings(audit, user=national_admin)

    assert len(created) == 2
    first, second = created
    assert first.due_on == datetime.date(2026, 5, 11)  # 10 February + 90 days
    assert second.due_on == datetime.date(2026, 5, 11)
    assert first.criterion == ramp
    assert second.criterion is None
    assert first.title == "Ramp too steep."
    assert first.description == "Ramp too steep.\nRebuild it at 1:12."
    assert first.facility == audit.facility
    assert first.province_code == "31"
    assert first.funding == Action.Funding.NONE
    assert first.status == Action.Status.OPEN
    assert {a.finding.kind for a in created} == {Finding.Kind.RECOMMENDATION}


def test_creating_from_findings_twice_creates_nothing_new(audit, national_admin):
    FindingFactory(assessment=audit)
    assert len(services_actions.create_from_findings(audit, user=national_admin)) == 1
    assert services_actions.create_from_findings(audit, user=national_admin) == []
    FindingFactory(assessment=audit, text="A second recommendation added later.")
    assert len(services_actions.create_from_findings(audit, user=national_admin)) == 1
    assert Action.objects.count() == 2


def test_without_a_visit_date_the_actions_are_due_90_days_after_submission(audit, national_admin):
    audit.visit_on = None
    audit.save()
    FindingFactory(assessment=audit)
    (action,) = services_actions.create_from_findings(audit, user=national_admin)
    assert action.due_on == datetime.date(2026, 5, 21)  # 20 February + 90 days


# --- the fields of an action ------------------------------------------------------


def test_the_head_adds_an_action_with_an_owner_of_the_centre(facility_head, social_worker):
    action = services_actions.create_action(
        user=facility_head,
        facility=facility_head.facility,
        title="  Train   staff in evacuation ",
        due_on=days(60),
        owner=social_worker,
        cost_estimate=2_500_000,
    )
    assert action.title == "Train staff in evacuation"
    assert action.owner == social_worker
    assert action.cost_estimate == Decimal(2_500_000)
    assert action.funding == Action.Funding.OWN
    assert action.province_code == "31"


def test_the_owner_must_be_of_the_centre_or_national(facility_head, other_head, analyst):
    with pytest.raises(ValidationFailed) as raised:
        services_actions.create_action(
            user=facility_head,
            facility=facility_head.facility,
            title="Fix the ramp",
            due_on=days(10),
            owner=other_head,
        )
    assert set(raised.value.fields) == {"owner"}
    assert not Action.objects.exists()
    action = services_actions.create_action(
        user=facility_head,
        facility=facility_head.facility,
        title="Fix the ramp",
        due_on=days(10),
        owner=analyst,
    )
    assert action.owner == analyst


@pytest.mark.parametrize(
    ("cost", "message"),
    [(-1, "cannot be negative"), ("12.5", "whole rupiah"), ("abc", "whole rupiah")],
)
def test_the_cost_is_whole_rupiah_at_least_zero(facility_head, cost, message):
    with pytest.raises(ValidationFailed) as raised:
        services_actions.create_action(
            user=facility_head,
            facility=facility_head.facility,
            title="Buy a hoist",
            due_on=days(10),
            cost_estimate=cost,
        )
    assert message in raised.value.fields["cost_estimate"]
    assert not Action.objects.exists()


def test_partner_funding_needs_a_signed_or_in_force_agreement(facility_head, jica):
    draft = agreement(jica, Agreement.Status.DRAFT)
    signed = agreement(jica, Agreement.Status.SIGNED)
    common = {"user": facility_head, "facility": facility_head.facility, "due_on": days(10)}
    for given in (None, draft):
        with pytest.raises(ValidationFailed) as raised:
            services_actions.create_action(
                title="Renovate the bathrooms",
                funding=Action.Funding.PARTNER,
                agreement=given,
                **common,
            )
        assert set(raised.value.fields) == {"agreement"}
    with pytest.raises(ValidationFailed) as raised:
        services_actions.create_action(
            title="Renovate the bathrooms", funding=Action.Funding.OWN, agreement=signed, **common
        )
    assert set(raised.value.fields) == {"agreement"}
    assert not Action.objects.exists()

    action = services_actions.create_action(
        title="Renovate the bathrooms", funding=Action.Funding.PARTNER, agreement=signed, **common
    )
    assert action.agreement == signed


def test_a_new_due_date_cannot_be_in_the_past(facility_head, action):
    with pytest.raises(ValidationFailed) as raised:
        services_actions.update_action(
            user=facility_head, action=action, version=action.version, due_on=days(-1)
        )
    assert set(raised.value.fields) == {"due_on"}


def test_an_edit_on_a_stale_version_is_refused_and_changes_nothing(facility_head, action):
    services_actions.update_action(
        user=facility_head, action=action, version=1, title="Install handrails both sides"
    )
    with pytest.raises(Conflict):
        services_actions.update_action(user=facility_head, action=action, version=1, title="Mine")
    action.refresh_from_db()
    assert action.title == "Install handrails both sides"
    assert action.version == 2


def test_switching_away_from_partner_funding_drops_the_agreement(facility_head, jica):
    signed = agreement(jica, Agreement.Status.IN_FORCE)
    action = services_actions.create_action(
        user=facility_head,
        facility=facility_head.facility,
        title="Buy wheelchairs",
        due_on=days(5),
        funding=Action.Funding.PARTNER,
        agreement=signed,
    )
    action = services_actions.update_action(
        user=facility_head, action=action, version=action.version, funding=Action.Funding.OWN
    )
    assert action.agreement is None
    assert action.version == 2


# --- status -----------------------------------------------------------------------


def test_done_needs_evidence_and_a_closing_note(facility_head, action):
    with pytest.raises(ValidationFailed) as raised:
        services_actions.change_status(
            user=facility_head, action=action, status=Action.Status.DONE, version=1
        )
    assert set(raised.value.fields) == {"evidence", "note"}
    action.refresh_from_db()
    assert (action.status, action.version, action.closed_on) == (Action.Status.OPEN, 1, None)

    services_actions.add_evidence(
        user=facility_head, action=action, upload=pdf(), valid_from=days(-2), caption="Photo"
    )
    done = services_actions.change_status(
        user=facility_head,
        action=action,
        status=Action.Status.DONE,
        version=1,
        note="Handrails installed on both sides of the ramp.",
    )
    assert done.status == Action.Status.DONE
    assert done.closed_on == TODAY
    assert done.version == 2


def test_cancelling_needs_a_reason_and_done_or_cancelled_is_final(facility_head, action):
    with pytest.raises(ValidationFailed) as raised:
        services_actions.change_status(
            user=facility_head, action=action, status=Action.Status.CANCELLED, version=1, note=""
        )
    assert set(raised.value.fields) == {"note"}
    services_actions.change_status(
        user=facility_head, action=action, status=Action.Status.IN_PROGRESS, version=1
    )
    cancelled = services_actions.change_status(
        user=facility_head,
        action=action,
        status=Action.Status.CANCELLED,
        version=2,
        note="The building will be demolished next year.",
    )
    assert cancelled.closing_note == "The building will be demolished next year."
    with pytest.raises(ValidationFailed) as raised:
        services_actions.change_status(
            user=facility_head, action=action, status=Action.Status.OPEN, version=3
        )
    assert "final" in raised.value.fields["status"]
    with pytest.raises(ValidationFailed) as raised:
        services_actions.update_action(user=facility_head, action=action, version=3, title="x")
    assert set(raised.value.fields) == {"status"}


def test_evidence_of_the_wrong_type_is_refused(facility_head, action):
    fake = SimpleUploadedFile(
        "laporan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(ValidationFailed) as raised:
        services_actions.add_evidence(
            user=facility_head, action=action, upload=fake, valid_from=days(1)
        )
    assert set(raised.value.fields) == {"file", "valid_from"}
    assert not ActionEvidence.objects.exists()


# --- attestation ------------------------------------------------------------------


def test_the_head_attests_once_a_year_with_the_counts_of_the_moment(facility_head, handayani):
    Action.objects.create(facility=handayani, title="Late", due_on=days(-3))
    Action.objects.create(facility=handayani, title="Soon", due_on=days(3))
    Action.objects.create(
        facility=handayani, title="Done", due_on=days(-9), status=Action.Status.DONE
    )
    statement = "The plan is reviewed every month with the staff."
    row = services_actions.attest(user=facility_head, facility=handayani, statement=statement)
    assert (row.year, row.open_actions, row.overdue_actions) == (TODAY.year, 2, 1)

    with pytest.raises(ValidationFailed) as raised:
        services_actions.attest(user=facility_head, facility=handayani, statement=statement)
    assert f"already attested for {TODAY.year}" in raised.value.fields["year"]
    assert Attestation.objects.count() == 1
    # Next year is a new year.
    later = services_actions.attest(
        user=facility_head,
        facility=handayani,
        statement=statement,
        today=datetime.date(TODAY.year + 1, 1, 2),
    )
    assert later.year == TODAY.year + 1


def test_only_the_head_of_that_centre_attests(
    facility_head, other_head, provincial_officer, handayani, galih_pakuan
):
    statement = "The plan is reviewed every month with the staff."
    with pytest.raises(NotFound):
        services_actions.attest(user=other_head, facility=handayani, statement=statement)
    with pytest.raises(PermissionDenied):
        services_actions.attest(user=provincial_officer, facility=handayani, statement=statement)
    assert not Attestation.objects.exists()


# --- scope ------------------------------------------------------------------------


def test_another_centres_head_can_neither_see_nor_change_an_action(other_head, action):
    with pytest.raises(NotFound):
        selectors_actions.action_for(other_head, action.public_id)
    with pytest.raises(NotFound):
        services_actions.update_action(user=other_head, action=action, version=1, title="Mine")
    with pytest.raises(NotFound):
        services_actions.change_status(
            user=other_head, action=action, status=Action.Status.IN_PROGRESS, version=1
        )
    action.refresh_from_db()
    assert (action.title, action.version) == ("Install handrails", 1)


def test_an_analyst_sees_but_cannot_change(analyst, action):
    assert selectors_actions.action_for(analyst, action.public_id) == action
    with pytest.raises(PermissionDenied):
        selectors_actions.action_for(analyst, action.public_id, write=True)
    with pytest.raises(PermissionDenied):
        services_actions.update_action(user=analyst, action=action, version=1, title="Mine")


# --- e-mail reminders -------------------------------------------------------------


def test_reminders_go_once_a_day_to_owners_and_to_the_head_for_unowned(
    settings, handayani, facility_head, social_worker
):
    settings.REHSOS_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    social_worker.email = "peksos@example.org"
    social_worker.save()
    facility_head.email = "kepala@example.org"
    facility_head.save()
    Action.objects.create(facility=handayani, title="A", due_on=days(-1), owner=social_worker)
    Action.objects.create(facility=handayani, title="B", due_on=days(5), owner=social_worker)
    Action.objects.create(facility=handayani, title="C", due_on=days(-4))
    Action.objects.create(facility=handayani, title="Later", due_on=days(40))

    assert services_actions.send_reminders() == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "1 improvement actions overdue, 1 due soon" in by_address["peksos@example.org"].subject
    assert "1 improvement actions overdue, 0 due soon" in by_address["kepala@example.org"].subject
    assert "/standards/centres/brsampk-handayani/actions/" in by_address["kepala@example.org"].body

    assert services_actions.send_reminders() == 0
    assert len(mail.outbox) == 2
