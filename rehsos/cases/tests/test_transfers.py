"""Transfers between units: one pending at a time, answered by the receiving unit; on
acceptance the case (and who sees it) moves."""

import pytest
from django.urls import reverse

from rehsos.cases import access
from rehsos.cases.models import CaseEvent, Transfer
from rehsos.cases.services import transfers
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory


@pytest.fixture
def galih_head(galih_pakuan):
    galih_pakuan.clusters = ["KPN", "ANAK"]
    galih_pakuan.save()
    return UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )


@pytest.fixture
def case(handayani, social_worker):
    return CaseFactory(unit=handayani, social_worker=social_worker, supervisor=social_worker)


def test_an_accepted_transfer_moves_the_case_and_its_visibility(
    social_worker, galih_head, galih_pakuan, case
):
    transfer = transfers.request_transfer(
        social_worker, case, to_unit=galih_pakuan, reason="Dekat keluarga di Bogor"
    )
    assert transfer.status == "pending"
    assert list(transfers.incoming(galih_head)) == [transfer]
    assert list(transfers.incoming(social_worker)) == []
    assert list(transfers.outgoing(social_worker)) == [transfer]
    assert not access.visible_cases(galih_head).filter(pk=case.pk).exists()

    transfers.accept(galih_head, transfer, note="Diterima")

    case.refresh_from_db()
    assert (case.unit, case.province_code) == (galih_pakuan, "32")
    assert (case.social_worker, case.supervisor, case.version) == (None, None, 2)
    assert access.visible_cases(galih_head).filter(pk=case.pk).exists()
    assert not access.visible_cases(social_worker).filter(pk=case.pk).exists()
    event = CaseEvent.objects.get(case=case, kind="transfer_accepted")
    assert event.data["from_unit"] == "brsampk-handayani"
    assert event.data["to_unit"] == "brskpn-galih-pakuan"


def test_one_pending_transfer_at_a_time_and_only_the_receiver_answers(
    social_worker, galih_head, galih_pakuan, handayani, case
):
    transfer = transfers.request_transfer(
        social_worker, case, to_unit=galih_pakuan, reason="Dekat keluarga"
    )
    with pytest.raises(Conflict):
        transfers.request_transfer(social_worker, case, to_unit=galih_pakuan, reason="Sekali lagi")
    with pytest.raises(PermissionDenied):
        transfers.accept(social_worker, transfer)
    with pytest.raises(ValidationFailed) as raised:
        transfers.decline(galih_head, transfer, note="")
    assert set(raised.value.fields) == {"note"}

    declined = transfers.decline(galih_head, transfer, note="Kapasitas penuh")
    assert declined.status == "declined"
    case.refresh_from_db()
    assert case.unit == handayani
    with pytest.raises(Conflict):
        transfers.accept(galih_head, transfer)


def test_the_sender_cancels_and_the_receiver_cannot_find_it_elsewhere(
    social_worker, galih_head, galih_pakuan, case
):
    transfer = transfers.request_transfer(
        social_worker, case, to_unit=galih_pakuan, reason="Dekat keluarga"
    )
    with pytest.raises(PermissionDenied):
        transfers.cancel(galih_head, transfer)
    cancelled = transfers.cancel(social_worker, transfer)
    assert cancelled.status == "cancelled"
    other = UserFactory(
        username="peksos.lain.unit",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=CaseFactory().unit,
    )
    with pytest.raises(NotFound):
        transfers.transfer_for(other, transfer.public_id)


@pytest.mark.parametrize(
    ("to", "reason", "field"),
    [("same", "Dekat keluarga", "to_unit"), ("other", "", "reason"), (None, "Alasan", "to_unit")],
)
def test_a_bad_request_is_refused(social_worker, handayani, galih_head, case, to, reason, field):
    unit = {"same": handayani, "other": galih_head.facility, None: None}[to]
    with pytest.raises(ValidationFailed) as raised:
        transfers.request_transfer(social_worker, case, to_unit=unit, reason=reason)
    assert field in raised.value.fields
    assert not Transfer.objects.exists()


def test_a_unit_that_does_not_serve_the_cluster_is_refused(social_worker, galih_pakuan, case):
    with pytest.raises(ValidationFailed) as raised:
        transfers.request_transfer(social_worker, case, to_unit=galih_pakuan, reason="Pindah")
    assert set(raised.value.fields) == {"to_unit"}


def test_the_inbox_page_accepts_a_transfer(client, social_worker, galih_head, galih_pakuan, case):
    transfer = transfers.request_transfer(
        social_worker, case, to_unit=galih_pakuan, reason="Dekat keluarga"
    )
    client.force_login(galih_head)
    page = client.get(reverse("cases:transfers"))
    assert page.status_code == 200
    assert case.number in page.content.decode()
    response = client.post(
        reverse("cases:transfer_decide", args=[transfer.public_id]), {"decision": "accept"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.public_id])
    transfer.refresh_from_db()
    assert transfer.status == "accepted"
