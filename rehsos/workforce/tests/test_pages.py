"""Every workforce page opens with real rows behind it, for the national team and for
a head of centre; the staff form saves and shows a stale edit side by side."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.roles import Role
from rehsos.core.tests.factories import UserFactory
from rehsos.workforce.models import Application, InternshipCall, ReentryAction, StaffMember
from rehsos.workforce.tests.factories import (
    ApplicationFactory,
    CallFactory,
    CertificationFactory,
    StaffFactory,
    TrainingFactory,
)

TODAY = timezone.localdate()


@pytest.fixture
def admin_client(client, db):
    admin = UserFactory(username="admin.wf", role=Role.NATIONAL_ADMIN)
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def world(handayani):
    staff = StaffFactory(facility=handayani, name="Ratna Uji")
    cert = CertificationFactory(staff=staff, expires_on=TODAY + datetime.timedelta(days=9))
    staff.qualifications.create(level="s1", field="Kesejahteraan sosial")
    staff.competencies.create(code="Q.87SOS00.001.1", name="Asesmen", level="basic")
    training = TrainingFactory(facility=handayani)
    participant = training.participants.create(staff=staff, result="passed", pre_score=40, score=70)
    call = CallFactory(status=InternshipCall.Status.SELECTION)
    application = ApplicationFactory(
        call=call,
        staff=staff,
        decision=Application.Decision.SELECTED,
        total=Decimal("81.5"),
        scores={"motivation": 8, "plan": 16},
        rationale="Clear plan for the day-care unit.",
        eligibility_result={"max_age": {"ok": True, "reason": "Age 40."}},
        host_institution="Osaka Welfare Centre",
        placement_starts_on=TODAY - datetime.timedelta(days=90),
        placement_ends_on=TODAY - datetime.timedelta(days=10),
    )
    ReentryAction.objects.create(
        application=application,
        what="Ruang harian lansia",
        due_on=TODAY + datetime.timedelta(days=5),
    )
    application.reports.create(kind="final", reported_on=TODAY, text="Laporan akhir magang.")
    return {
        "staff": staff,
        "cert": cert,
        "training": training,
        "participant": participant,
        "call": call,
        "application": application,
    }


def pages(w, handayani) -> list[str]:
    s, t, c, a = w["staff"], w["training"], w["call"], w["application"]
    return [
        "/workforce/",
        "/workforce/staff/",
        "/workforce/staff/new/",
        f"/workforce/staff/{s.public_id}/",
        f"/workforce/staff/{s.public_id}/edit/",
        f"/workforce/staff/{s.public_id}/trainings/",
        "/workforce/certifications/",
        "/workforce/certifications/?expired=1",
        f"/workforce/certifications/{w['cert'].pk}/",
        "/workforce/ratios/",
        "/workforce/ratios/?all=1",
        f"/workforce/centres/{handayani.code}/ratios/",
        "/workforce/trainings/",
        "/workforce/trainings/new/",
        f"/workforce/trainings/{t.public_id}/",
        f"/workforce/trainings/{t.public_id}/edit/",
        "/workforce/calls/",
        f"/workforce/calls/{c.public_id}/",
        f"/workforce/calls/{c.public_id}/cohort/",
        f"/workforce/applications/{a.public_id}/",
        f"/workforce/applications/{a.public_id}/reentry/",
        "/workforce/reentry-due/",
    ]


def test_every_page_opens_for_the_national_team(admin_client, world, handayani):
    c, a = world["call"], world["application"]
    team_pages = [
        "/workforce/calls/new/",
        f"/workforce/calls/{c.public_id}/edit/",
        f"/workforce/calls/{c.public_id}/selection/",
        f"/workforce/applications/{a.public_id}/scores/",
        f"/workforce/applications/{a.public_id}/placement/",
    ]
    for url in pages(world, handayani) + team_pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    cohort = admin_client.get(f"/workforce/calls/{c.public_id}/cohort/").content.decode()
    assert "Osaka Welfare Centre" in cohort
    assert "0.0% (0/1)" in cohort


def test_every_page_opens_for_the_head(client, facility_head, world, handayani):
    client.force_login(facility_head)
    for url in pages(world, handayani):
        assert client.get(url).status_code == 200, url
    # The internships team's pages are not the head's.
    call = world["call"]
    assert client.get(f"/workforce/calls/{call.public_id}/selection/").status_code == 403
    withdraw = client.get(f"/workforce/applications/{world['application'].public_id}/withdraw/")
    assert withdraw.status_code == 200


def test_the_staff_form_saves_and_shows_a_stale_edit(client, facility_head, world, handayani):
    staff = world["staff"]
    client.force_login(facility_head)
    form = {
        "facility": handayani.code,
        "name": "Ratna Uji",
        "sex": "F",
        "role": "social_worker",
        "employment": "pns",
        "started_on": "2018-01-02",
        "position": "Pekerja sosial ahli muda",
        "version": "1",
    }
    response = client.post(f"/workforce/staff/{staff.public_id}/edit/", form)
    assert response.status_code == 302
    stale = client.post(
        f"/workforce/staff/{staff.public_id}/edit/", {**form, "position": "Koordinator"}
    )
    assert stale.status_code == 409
    assert b"data-conflict" in stale.content
    staff.refresh_from_db()
    assert staff.position == "Pekerja sosial ahli muda"
    created = client.post(
        "/workforce/staff/new/", {**form, "name": "Anggota Baru Uji", "account": "nobody"}
    )
    assert created.status_code == 200
    assert b"No account with this username at the centre." in created.content
    assert not StaffMember.objects.filter(name="Anggota Baru Uji").exists()
