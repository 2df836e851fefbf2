"""Aftercare visits: recording outcomes, rescheduling, lost to follow-up, the due list,
the outcome summary; the pages and the API."""

import datetime

import pytest
from django.utils import timezone

from rehsos.cases.models import AftercareVisit, CaseEvent
from rehsos.cases.services import aftercare
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def visits(handayani, social_worker):
    """A case terminated about 100 days ago: visits due at 1, 3, 6 and 12 months."""
    case = CaseFactory(unit=handayani, social_worker=social_worker, opened_on=days_ago(400))
    aftercare.schedule_visits(case, days_ago(100))
    return {v.months_after: v for v in case.aftercare_visits.all()}


def test_schedule_keeps_existing_visits(visits):
    case = visits[1].case
    assert sorted(visits) == [1, 3, 6, 12]
    assert aftercare.schedule_visits(case, days_ago(10), months=[1, 24]) != []
    assert case.aftercare_visits.count() == 5
    assert case.aftercare_visits.get(months_after=1).due_on == visits[1].due_on


def test_record_a_visit(social_worker, visits):
    visit = aftercare.record_visit(
        social_worker,
        visits[1],
        visited_on=days_ago(60),
        outcome="with_family",
        note="Back at school next term",
        version=1,
    )
    assert (visit.outcome, visit.visited_on, visit.visitor) == (
        "with_family",
        days_ago(60),
        social_worker,
    )
    assert visit.version == 2
    event = CaseEvent.objects.get(kind="aftercare_visited")
    assert event.data == {
        "visit": str(visit.public_id),
        "months_after": 1,
        "outcome": "with_family",
    }


@pytest.mark.parametrize(
    ("visited_on", "outcome", "field"),
    [
        (None, "working", "visited_on"),
        (TODAY + datetime.timedelta(days=1), "working", "visited_on"),
        (days_ago(500), "working", "visited_on"),
        (days_ago(5), "", "outcome"),
        (days_ago(5), "married", "outcome"),
    ],
)
def test_a_visit_needs_a_past_date_and_an_outcome(
    social_worker, visits, visited_on, outcome, field
):
    with pytest.raises(ValidationFailed) as raised:
        aftercare.record_visit(social_worker, visits[3], visited_on=visited_on, outcome=outcome)
    assert field in raised.value.fields
    visits[3].refresh_from_db()
    assert visits[3].outcome == ""


def test_a_stale_visit_edit_is_a_conflict(social_worker, visits):
    aftercare.record_visit(social_worker, visits[1], visited_on=days_ago(60), outcome="working")
    with pytest.raises(Conflict):
        aftercare.record_visit(
            social_worker, visits[1], visited_on=days_ago(59), outcome="relapsed", version=1
        )
    assert AftercareVisit.objects.get(pk=visits[1].pk).outcome == "working"


def test_reschedule_and_its_limits(social_worker, visits):
    moved = aftercare.reschedule(
        social_worker, visits[6], due_on=TODAY + datetime.timedelta(days=7)
    )
    assert moved.due_on == TODAY + datetime.timedelta(days=7)
    assert CaseEvent.objects.filter(kind="aftercare_rescheduled").count() == 1
    with pytest.raises(ValidationFailed) as raised:
        aftercare.reschedule(social_worker, visits[6], due_on=None)
    assert "due_on" in raised.value.fields
    aftercare.record_visit(social_worker, visits[1], visited_on=days_ago(60), outcome="working")
    with pytest.raises(ValidationFailed):
        aftercare.reschedule(social_worker, visits[1], due_on=TODAY)


def test_lost_to_follow_up(social_worker, visits):
    lost = aftercare.mark_lost(social_worker, visits[3], note="Phone disconnected, moved away")
    assert (lost.outcome, lost.visited_on) == ("lost", None)
    with pytest.raises(ValidationFailed):
        aftercare.mark_lost(social_worker, visits[3])


def test_an_analyst_cannot_record(analyst, visits):
    with pytest.raises(PermissionDenied):
        aftercare.record_visit(analyst, visits[1], visited_on=days_ago(1), outcome="working")


def test_due_list_is_scoped_and_skips_visits_with_an_outcome(
    social_worker, visits, galih_pakuan, handayani
):
    aftercare.record_visit(social_worker, visits[1], visited_on=days_ago(60), outcome="working")
    elsewhere = CaseFactory(unit=galih_pakuan, opened_on=days_ago(400))
    aftercare.schedule_visits(elsewhere, days_ago(100))
    colleague = UserFactory(
        username="peksos.lain",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )
    sensitive = CaseFactory(unit=handayani, flag_child=True, opened_on=days_ago(400))
    aftercare.schedule_visits(sensitive, days_ago(100), months=[1])

    due = list(aftercare.visits_due(social_worker))
    assert due == [visits[3]]  # due ~10 days ago; 6 and 12 months later
    assert [v.case for v in aftercare.visits_due(colleague)] == [visits[3].case]
    assert len(aftercare.visits_due(social_worker, within_days=100)) == 2


def test_outcome_summary_counts_by_month_and_outcome(social_worker, handayani, galih_pakuan):
    for outcome in ("working", "working", "relapsed"):
        case = CaseFactory(unit=handayani, opened_on=days_ago(400))
        aftercare.schedule_visits(case, days_ago(100), months=[1, 3])
        visit = case.aftercare_visits.get(months_after=1)
        aftercare.record_visit(social_worker, visit, visited_on=days_ago(60), outcome=outcome)
    other = CaseFactory(unit=galih_pakuan, opened_on=days_ago(400))
    aftercare.schedule_visits(other, days_ago(100), months=[3])
    AftercareVisit.objects.filter(case=other).update(outcome="lost")

    assert aftercare.outcome_summary() == [
        {"months_after": 1, "outcome": "relapsed", "count": 1},
        {"months_after": 1, "outcome": "working", "count": 2},
        {"months_after": 3, "outcome": "lost", "count": 1},
    ]
    assert aftercare.outcome_summary(user=social_worker) == [
        {"months_after": 1, "outcome": "relapsed", "count": 1},
        {"months_after": 1, "outcome": "working", "count": 2},
    ]


# --- pages ----------------------------------------------------------------------------


@pytest.fixture
def browser(client, social_worker):
    client.force_login(social_worker)
    return client


def test_due_page_lists_the_visit(browser, visits):
    response = browser.get("/cases/aftercare/")
    assert response.status_code == 200
    page = response.content.decode()
    assert visits[3].case.number in page
    assert f"/cases/aftercare/{visits[3].public_id}/" in page


def test_visit_form_records_and_names_a_missing_outcome(browser, visits):
    url = f"/cases/aftercare/{visits[3].public_id}/"
    assert browser.get(url).status_code == 200
    form = {"action": "record", "visited_on": str(days_ago(2)), "note": "ok", "version": 1}
    response = browser.post(url, form)
    assert response.status_code == 200
    assert 'data-field-error="outcome"' in response.content.decode()
    response = browser.post(url, {**form, "outcome": "in_school"})
    assert response.status_code == 302
    visits[3].refresh_from_db()
    assert visits[3].outcome == "in_school"

    stale = browser.post(url, {**form, "outcome": "working", "version": 1})
    assert stale.status_code == 409
    assert "data-conflict" in stale.content.decode()


def test_visit_form_reschedule_and_lost(browser, visits):
    url = f"/cases/aftercare/{visits[6].public_id}/"
    due = TODAY + datetime.timedelta(days=3)
    response = browser.post(url, {"action": "reschedule", "due_on": str(due), "version": 1})
    assert response.status_code == 302
    response = browser.post(url, {"action": "lost", "note": "", "version": 2})
    assert response.status_code == 302
    visits[6].refresh_from_db()
    assert (visits[6].due_on, visits[6].outcome) == (due, "lost")


def test_visit_of_another_centre_is_404(browser, galih_pakuan):
    case = CaseFactory(unit=galih_pakuan)
    aftercare.schedule_visits(case, days_ago(10), months=[1])
    visit = case.aftercare_visits.get()
    assert browser.get(f"/cases/aftercare/{visit.public_id}/").status_code == 404


# --- API ------------------------------------------------------------------------------


@pytest.fixture
def api(client, social_worker):
    _token, raw = ApiToken.issue(social_worker, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_api_list_and_record(api, visits):
    case = visits[1].case
    body = api.get(f"/api/v1/cases/{case.public_id}/aftercare-visits").json()
    assert [v["months_after"] for v in body["items"]] == [1, 3, 6, 12]

    url = f"/api/v1/aftercare-visits/{visits[1].public_id}"
    ok = {"version": 1, "visited_on": str(days_ago(60)), "outcome": "working"}
    response = api.patch(url, ok, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "working"

    response = api.patch(url, ok, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2


def test_api_bad_input_names_the_field(api, visits):
    url = f"/api/v1/aftercare-visits/{visits[3].public_id}"
    cases = [
        ({"version": 1, "visited_on": str(days_ago(1))}, "outcome"),
        ({"version": 1, "visited_on": str(days_ago(1)), "outcome": "x" * 20}, "outcome"),
        ({"version": 1, "visited_on": "soon", "outcome": "working"}, "visited_on"),
        ({"outcome": "working"}, "version"),
    ]
    for body, field in cases:
        response = api.patch(url, body, content_type="application/json")
        assert response.status_code == 422, (body, response.content)
        assert field in {e["field"] for e in response.json()["errors"]}


def test_api_reschedule_and_lost(api, visits):
    url = f"/api/v1/aftercare-visits/{visits[6].public_id}"
    due = str(TODAY + datetime.timedelta(days=5))
    response = api.patch(url, {"version": 1, "due_on": due}, content_type="application/json")
    assert response.json()["due_on"] == due
    response = api.patch(url, {"version": 2, "lost": True}, content_type="application/json")
    assert response.json()["outcome"] == "lost"


def test_api_scope(api, galih_pakuan):
    case = CaseFactory(unit=galih_pakuan)
    aftercare.schedule_visits(case, days_ago(10), months=[1])
    visit = case.aftercare_visits.get()
    assert api.get(f"/api/v1/cases/{case.public_id}/aftercare-visits").status_code == 404
    response = api.patch(
        f"/api/v1/aftercare-visits/{visit.public_id}",
        {"version": 1, "lost": True},
        content_type="application/json",
    )
    assert response.status_code == 404
