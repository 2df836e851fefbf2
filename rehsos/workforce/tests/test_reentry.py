"""Reports during and after an internship and the re-entry action plan, tracked to
completion per returnee and per cohort; who may write them; the home panel of
actions due; the pages and the API."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rehsos.core import home_panels
from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.workforce import selectors
from rehsos.workforce.models import Application, InternshipReport, ReentryAction
from rehsos.workforce.services import returns
from rehsos.workforce.tests.factories import ApplicationFactory, CallFactory, StaffFactory

TODAY = timezone.localdate()
DONE = ReentryAction.Status.DONE
RESULT = "The new daily-living routine runs on every ward."


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def returnee_user(handayani):
    return UserFactory(
        username="pelatih.kembali",
        role=Role.INSTRUCTOR,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


@pytest.fixture
def returnee(handayani, returnee_user):
    """Selected, placed in Japan from 120 to 30 days ago."""
    return ApplicationFactory(
        staff=StaffFactory(facility=handayani, user=returnee_user),
        decision=Application.Decision.SELECTED,
        total=Decimal("88"),
        host_institution="Yokohama Rehabilitation Centre",
        placement_starts_on=days(-120),
        placement_ends_on=days(-30),
    )


def plan(user, application, *dues):
    return [
        returns.add_reentry_action(user, application, what=f"Langkah {i}", due_on=due)
        for i, due in enumerate(dues)
    ]


def test_completion_leaves_dropped_actions_out(returnee_user, returnee):
    first, second, third, _fourth = plan(
        returnee_user, returnee, days(-5), days(10), days(20), days(30)
    )
    returns.update_reentry_action(
        returnee_user, first, status=DONE, done_on=days(-6), result=RESULT
    )
    returns.update_reentry_action(
        returnee_user, second, status=ReentryAction.Status.DROPPED, result="The ward was closed."
    )
    returns.update_reentry_action(returnee_user, third, status=ReentryAction.Status.IN_PROGRESS)
    c = selectors.completion_by_application([returnee.pk])[returnee.pk]
    assert (c.actions, c.done, c.dropped, c.counted, c.percent) == (4, 1, 1, 3, Decimal("33.3"))
    assert c.overdue == 0
    assert not c.complete


def test_cohort_completion_pools_the_actions(returnee_user, returnee, national_admin):
    other = ApplicationFactory(
        call=returnee.call,
        decision=Application.Decision.SELECTED,
        placement_starts_on=days(-120),
        placement_ends_on=days(-30),
    )
    a1, a2 = plan(returnee_user, returnee, days(-1), days(5))
    (b1,) = plan(national_admin, other, days(-2))
    for action in (a1, a2, b1):
        returns.update_reentry_action(
            national_admin, action, status=DONE, done_on=TODAY, result=RESULT
        )
    plan(national_admin, other, days(-1))  # overdue, open
    per = selectors.completion_by_application([returnee.pk, other.pk])
    assert per[returnee.pk].percent == Decimal("100.0")
    assert per[returnee.pk].complete
    assert per[other.pk].percent == Decimal("50.0")
    cohort = selectors.cohort_completion(per)
    assert (cohort.done, cohort.counted, cohort.percent, cohort.overdue) == (
        3,
        4,
        Decimal("75.0"),
        1,
    )


def test_no_plan_no_percent(returnee):
    c = selectors.completion_by_application([returnee.pk])[returnee.pk]
    assert c.percent is None


def test_done_needs_its_day_and_result(returnee_user, returnee):
    (action,) = plan(returnee_user, returnee, days(5))
    with pytest.raises(ValidationFailed) as raised:
        returns.update_reentry_action(returnee_user, action, status=DONE)
    assert set(raised.value.fields) == {"done_on", "result"}
    with pytest.raises(ValidationFailed) as raised:
        returns.update_reentry_action(
            returnee_user, action, status=DONE, done_on=days(1), result=RESULT
        )
    assert set(raised.value.fields) == {"done_on"}
    action.refresh_from_db()
    assert action.status == ReentryAction.Status.PLANNED


def test_a_plan_is_for_selected_interns_and_due_after_the_start(returnee_user, returnee):
    with pytest.raises(ValidationFailed) as raised:
        plan(returnee_user, returnee, days(-200))
    assert "due_on" in raised.value.fields
    returnee.decision = Application.Decision.RESERVE
    returnee.save()
    with pytest.raises(ValidationFailed) as raised:
        plan(returnee_user, returnee, days(5))
    assert "application" in raised.value.fields


def test_who_may_write_the_plan(returnee, facility_head, galih_pakuan, social_worker, analyst):
    plan(facility_head, returnee, days(5))  # the head of the returnee's centre
    other_head = UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    for outsider in (other_head, social_worker, analyst):
        with pytest.raises(PermissionDenied):
            plan(outsider, returnee, days(5))
    assert ReentryAction.objects.count() == 1


def test_reports_are_dated_by_kind(returnee_user, returnee):
    text = "Minggu ketiga: belajar terapi okupasi di bangsal lansia."
    returns.add_report(returnee_user, returnee, kind="during", reported_on=days(-100), text=text)
    with pytest.raises(ValidationFailed) as raised:
        returns.add_report(returnee_user, returnee, kind="during", reported_on=days(-10), text=text)
    assert "reported_on" in raised.value.fields
    with pytest.raises(ValidationFailed) as raised:
        returns.add_report(
            returnee_user, returnee, kind="follow_up", reported_on=days(-40), text=text
        )
    assert "reported_on" in raised.value.fields
    with pytest.raises(ValidationFailed) as raised:
        returns.add_report(
            returnee_user, returnee, kind="final", reported_on=days(-20), text="short"
        )
    assert set(raised.value.fields) == {"text"}
    returns.add_report(returnee_user, returnee, kind="follow_up", reported_on=days(-1), text=text)
    assert InternshipReport.objects.filter(application=returnee).count() == 2


def test_home_panel_of_actions_due(returnee_user, returnee, facility_head, galih_pakuan):
    (soon,) = plan(returnee_user, returnee, days(7))
    plan(returnee_user, returnee, days(90))  # not due yet
    for user in (returnee_user, facility_head):
        found = [p for p in home_panels.panels_for(user) if "reentry" in p.template]
        assert [a.pk for a in found[0].context["rows"]] == [soon.pk]
    other_head = UserFactory(
        username="kepala.galih",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    assert not [p for p in home_panels.panels_for(other_head) if "reentry" in p.template]


def test_the_returnee_keeps_their_plan_on_their_page(client, returnee_user, returnee):
    client.force_login(returnee_user)
    url = f"/workforce/my/{returnee.public_id}/"
    response = client.post(
        url, {"op": "action", "what": "Ruang terapi okupasi", "due_on": str(days(20))}
    )
    assert response.status_code == 302
    action = ReentryAction.objects.get()
    response = client.post(
        url,
        {
            "op": "update",
            "action_id": action.pk,
            f"a{action.pk}-status": "done",
            f"a{action.pk}-done_on": str(TODAY),
            f"a{action.pk}-result": "",
        },
    )
    assert response.status_code == 422
    assert b"Describe the result (at least 10 characters)." in response.content
    client.post(
        url,
        {
            "op": "update",
            "action_id": action.pk,
            f"a{action.pk}-status": "done",
            f"a{action.pk}-done_on": str(TODAY),
            f"a{action.pk}-result": RESULT,
        },
    )
    page = client.get(url)
    assert b"<strong>100.0%</strong>" in page.content
    # The cohort page shows it to the head.
    assert client.get(f"/workforce/calls/{returnee.call.public_id}/cohort/").status_code == 403


def test_cohort_page_and_api(client, facility_head, returnee, national_admin):
    (action,) = plan(facility_head, returnee, days(3))
    client.force_login(facility_head)
    page = client.get(f"/workforce/calls/{returnee.call.public_id}/cohort/")
    assert page.status_code == 200
    assert b"Yokohama Rehabilitation Centre" in page.content
    _token, raw = ApiToken.issue(facility_head, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    response = client.patch(
        f"/api/v1/workforce/reentry-actions/{action.pk}",
        {"status": "done", "done_on": str(TODAY), "result": RESULT},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    cohort = client.get(f"/api/v1/workforce/calls/{returnee.call.public_id}/cohort").json()
    assert cohort["completion"]["percent"] == 100.0
    assert cohort["members"][0]["host_institution"] == "Yokohama Rehabilitation Centre"
    bad = client.post(
        f"/api/v1/workforce/applications/{returnee.public_id}/reports",
        {"kind": "during", "reported_on": str(TODAY), "text": "x" * 30},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "reported_on"


def test_api_for_the_returnee(client, returnee_user, returnee):
    _token, raw = ApiToken.issue(returnee_user, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    added = client.post(
        f"/api/v1/workforce/me/applications/{returnee.public_id}/reentry-actions",
        {"what": "Jadwal kegiatan harian baru", "due_on": str(days(10))},
        content_type="application/json",
    )
    assert added.status_code == 201, added.content
    plan_body = client.get(
        f"/api/v1/workforce/me/applications/{returnee.public_id}/reentry-actions"
    ).json()
    assert plan_body["completion"] == {
        "actions": 1,
        "done": 0,
        "dropped": 0,
        "overdue": 0,
        "percent": 0.0,
    }
    # Another's application is not theirs.
    other = ApplicationFactory(call=CallFactory(), decision=Application.Decision.SELECTED)
    response = client.get(f"/api/v1/workforce/me/applications/{other.public_id}/reentry-actions")
    assert response.status_code == 404
    # The manager's endpoints are not for an instructor.
    response = client.get(f"/api/v1/workforce/applications/{returnee.public_id}/reentry-actions")
    assert response.status_code == 403
