"""Incoming referrals (receive, screen, accept as a case, decline) and outgoing ones."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from rehsos.cases.models import Case, CaseEvent, OutgoingReferral, Referral
from rehsos.cases.services import referrals
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

TODAY = timezone.localdate()


def receive(user, unit, **kwargs):
    values = {
        "source": "police",
        "source_name": "Polsek Pasar Rebo",
        "unit": unit,
        "cluster": "ANAK",
        "reason": "Anak ditemukan sendirian di terminal",
        "urgency": "high",
    }
    return referrals.receive(user, **{**values, **kwargs})


def test_a_referral_is_received_without_a_person_and_accepted_once_linked(
    social_worker, handayani, person_in_handayani
):
    referral = receive(social_worker, handayani, ppks_type="AJ")
    assert (referral.status, referral.person, referral.province_code) == ("received", None, "31")

    referral = referrals.screen(social_worker, referral, note="Memenuhi syarat", version=1)
    assert (referral.status, referral.version) == ("screening", 2)

    with pytest.raises(ValidationFailed) as raised:
        referrals.accept(social_worker, referral, setting="residential")
    assert set(raised.value.fields) == {"person"}
    assert not Case.objects.exists()

    referrals.link_person(social_worker, referral, person_in_handayani, version=2)
    accepted = referrals.accept(
        social_worker, referral, setting="residential", social_worker=social_worker, version=3
    )
    case = accepted.case
    assert accepted.status == "accepted"
    assert accepted.decided_by == social_worker
    assert (case.person, case.cluster, case.ppks_type.code, case.risk_level) == (
        person_in_handayani,
        "ANAK",
        "AJ",
        "high",
    )
    assert case.summary == "Anak ditemukan sendirian di terminal"
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == [
        "opened",
        "referral_accepted",
    ]
    with pytest.raises(Conflict):
        referrals.decline(social_worker, accepted, reason="capacity")


def test_a_refused_acceptance_leaves_the_referral_undecided(
    social_worker, handayani, person_in_handayani
):
    referral = receive(social_worker, handayani, person=person_in_handayani)
    with pytest.raises(ValidationFailed) as raised:
        referrals.accept(social_worker, referral, setting="hotel", ppks_type="AJ")
    assert set(raised.value.fields) == {"setting"}
    referral.refresh_from_db()
    assert (referral.status, referral.case) == ("received", None)


def test_declining_needs_a_reason_code(social_worker, handayani):
    referral = receive(social_worker, handayani)
    with pytest.raises(ValidationFailed) as raised:
        referrals.decline(social_worker, referral, reason="")
    assert set(raised.value.fields) == {"decline_reason"}
    declined = referrals.decline(social_worker, referral, reason="capacity", note="Penuh")
    assert (declined.status, declined.decline_reason, declined.screening_note) == (
        "declined",
        "capacity",
        "Penuh",
    )
    assert Referral.objects.filter(decline_reason="capacity").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source": "aliens"}, "source"),
        ({"source_name": " "}, "source_name"),
        ({"cluster": "XX"}, "cluster"),
        ({"urgency": "now"}, "urgency"),
        ({"reason": ""}, "reason"),
        ({"ppks_type": "LUT"}, "ppks_type"),
        ({"referred_on": TODAY + datetime.timedelta(days=1)}, "referred_on"),
    ],
)
def test_receiving_refuses_bad_values(social_worker, handayani, change, field):
    with pytest.raises(ValidationFailed) as raised:
        receive(social_worker, handayani, **change)
    assert field in raised.value.fields
    assert not Referral.objects.exists()


def test_a_unit_outside_the_scope_cannot_receive_or_be_seen(
    social_worker, handayani, galih_pakuan, national_admin
):
    with pytest.raises(ValidationFailed) as raised:
        receive(social_worker, galih_pakuan)
    assert set(raised.value.fields) == {"unit"}
    elsewhere = receive(national_admin, galih_pakuan, cluster="KPN")
    with pytest.raises(NotFound):
        referrals.referral_for(social_worker, elsewhere.public_id)
    assert list(referrals.queue(social_worker)) == []


def test_an_analyst_cannot_receive_referrals(analyst, handayani):
    with pytest.raises(PermissionDenied):
        receive(analyst, handayani)


# --- outgoing ---------------------------------------------------------------------------


def test_an_outgoing_referral_and_its_outcome(social_worker, handayani, galih_pakuan):
    case = CaseFactory(unit=handayani, opened_on=TODAY - datetime.timedelta(days=20))
    outgoing = referrals.refer_out(
        social_worker,
        case,
        service_name="RSUD Pasar Rebo",
        service_kind="Kesehatan jiwa",
        reason="Perlu pemeriksaan psikiater",
    )
    assert outgoing.outcome == "pending"
    with pytest.raises(Conflict):
        referrals.record_outcome(social_worker, outgoing, outcome="served", version=7)
    done = referrals.record_outcome(
        social_worker, outgoing, outcome="served", note="Sudah diperiksa", version=1
    )
    assert (done.outcome, done.outcome_on, done.version) == ("served", TODAY, 2)
    assert CaseEvent.objects.filter(case=case, kind="referral_outcome").count() == 1

    with pytest.raises(ValidationFailed) as raised:
        referrals.refer_out(
            social_worker,
            case,
            service_name="",
            reason="x",
            referred_on=TODAY - datetime.timedelta(days=30),
        )
    assert set(raised.value.fields) == {"service_name", "reason", "referred_on"}
    unit_referral = referrals.refer_out(
        social_worker, case, to_unit=galih_pakuan, reason="Rehabilitasi NAPZA"
    )
    assert unit_referral.service_name == galih_pakuan.name
    assert OutgoingReferral.objects.filter(case=case).count() == 2


# --- pages ------------------------------------------------------------------------------


def test_the_queue_page_and_the_decline_form(client, social_worker, handayani):
    client.force_login(social_worker)
    referral = receive(social_worker, handayani)
    page = client.get(reverse("cases:referrals"))
    assert page.status_code == 200
    assert "Polsek Pasar Rebo" in page.content.decode()

    refused = client.post(
        reverse("cases:referral_decline", args=[referral.public_id]), {"decline_reason": ""}
    )
    assert refused.status_code == 422
    assert "This field is required." in refused.content.decode()
    done = client.post(
        reverse("cases:referral_decline", args=[referral.public_id]),
        {"decline_reason": "not_eligible", "version": 1},
    )
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.decline_reason == "not_eligible"


def test_accepting_on_the_page_opens_the_case(
    client, social_worker, handayani, person_in_handayani
):
    client.force_login(social_worker)
    referral = receive(social_worker, handayani, person=person_in_handayani, ppks_type="AJ")
    assert client.get(reverse("cases:referral", args=[referral.public_id])).status_code == 200
    response = client.post(
        reverse("cases:referral_accept", args=[referral.public_id]),
        {"setting": "community", "risk_level": "high", "version": 1},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.public_id])
    assert case.setting == "community"


def test_a_worker_elsewhere_gets_404_on_the_referral_page(client, galih_pakuan, handayani):
    admin = UserFactory(username="admin.x", role=Role.NATIONAL_ADMIN)
    referral = receive(admin, handayani)
    other = UserFactory(
        username="peksos.galih.2",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    client.force_login(other)
    assert client.get(reverse("cases:referral", args=[referral.public_id])).status_code == 404
