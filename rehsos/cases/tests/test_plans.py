"""Intervention plans: revisions, goals, approval by someone other than the author,
reviews with goal attainment — through the services, the API and the pages."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from rehsos.cases.models import CaseEvent, Goal, Plan
from rehsos.cases.services import plans
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.models import ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

TODAY = timezone.localdate()


def goal(**overrides) -> dict:
    data = {
        "domain": "education",
        "statement": "Returns to school",
        "indicator": "Days at school per week",
        "baseline": "0",
        "target": "5",
        "target_date": (TODAY + datetime.timedelta(days=90)).isoformat(),
    }
    data.update(overrides)
    return data


def service(**overrides) -> dict:
    data = {"component": "TERAPI", "description": "Group counselling", "frequency": "weekly"}
    data.update(overrides)
    return data


@pytest.fixture
def supervisor(handayani):
    return UserFactory(
        username="supervisor.handayani",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


@pytest.fixture
def case(handayani, social_worker, supervisor):
    return CaseFactory(unit=handayani, social_worker=social_worker, supervisor=supervisor)


def submitted_plan(case, author):
    plan = plans.create_plan(author, case, {"goals": [goal()], "planned_services": [service()]})
    return plans.submit_plan(author, plan, version=plan.version)


def approved_plan(case, author, approver):
    plan = submitted_plan(case, author)
    return plans.approve_plan(approver, plan, version=plan.version, note="Good")


# --- services ------------------------------------------------------------------------------


def test_a_plan_goes_from_draft_to_approved_by_the_supervisor(case, social_worker, supervisor):
    plan = plans.create_plan(
        social_worker,
        case,
        {
            "goals": [goal(), goal(domain="family")],
            "planned_services": [service()],
            "family_participation": "Mother attends the family sessions",
        },
    )
    assert (plan.revision, plan.status, plan.goals.count()) == (1, "draft", 2)
    plan = plans.submit_plan(social_worker, plan, version=plan.version)
    plan = plans.approve_plan(supervisor, plan, version=plan.version, note="Agreed")

    assert plan.status == Plan.Status.APPROVED
    assert plan.approved_by == supervisor
    assert plan.review_on == TODAY + datetime.timedelta(days=plans.REVIEW_DAYS)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["plan_created", "plan_submitted", "plan_approved"]


def test_the_author_may_not_approve_even_as_head(case, facility_head):
    plan = submitted_plan(case, facility_head)
    with pytest.raises(PermissionDenied) as raised:
        plans.approve_plan(facility_head, plan, version=plan.version)
    assert raised.value.code == "own_plan"
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.SUBMITTED


def test_a_colleague_who_is_not_supervisor_may_not_approve(case, social_worker, handayani):
    colleague = UserFactory(
        username="peksos.lain",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )
    plan = submitted_plan(case, social_worker)
    with pytest.raises(PermissionDenied):
        plans.approve_plan(colleague, plan, version=plan.version)


def test_a_head_in_scope_may_approve(case, social_worker, facility_head):
    plan = submitted_plan(case, social_worker)
    plan = plans.approve_plan(facility_head, plan, version=plan.version)
    assert plan.status == Plan.Status.APPROVED


def test_a_new_revision_supersedes_the_old_only_when_approved(case, social_worker, supervisor):
    first = approved_plan(case, social_worker, supervisor)
    second = plans.create_plan(social_worker, case)
    assert second.revision == 2
    assert [g.statement for g in second.goals.all()] == ["Returns to school"]
    assert second.planned_services.get().component.code == "TERAPI"
    assert Plan.objects.get(pk=first.pk).status == Plan.Status.APPROVED

    second = plans.submit_plan(social_worker, second, version=second.version)
    plans.approve_plan(supervisor, second, version=second.version)
    assert Plan.objects.get(pk=first.pk).status == Plan.Status.SUPERSEDED
    assert Plan.objects.filter(case=case, status="approved").get().pk == second.pk


def test_only_one_unapproved_revision_at_a_time(case, social_worker):
    plans.create_plan(social_worker, case, {"goals": [goal()]})
    with pytest.raises(Conflict) as raised:
        plans.create_plan(social_worker, case)
    assert raised.value.code == "plan_in_progress"
    assert Plan.objects.filter(case=case).count() == 1


def test_goal_validation_names_the_field(case, social_worker):
    before = case.opened_on - datetime.timedelta(days=1)
    with pytest.raises(ValidationFailed) as raised:
        plans.create_plan(
            social_worker,
            case,
            {
                "goals": [
                    goal(),
                    goal(domain="moon", indicator="", target_date=before.isoformat()),
                ],
                "planned_services": [service(component="NOPE")],
            },
        )
    assert set(raised.value.fields) == {
        "goals.1.domain",
        "goals.1.indicator",
        "goals.1.target_date",
        "planned_services.0.component",
    }
    assert Plan.objects.count() == 0


def test_submitting_needs_a_goal(case, social_worker):
    plan = plans.create_plan(social_worker, case)
    with pytest.raises(ValidationFailed) as raised:
        plans.submit_plan(social_worker, plan, version=plan.version)
    assert "goals" in raised.value.fields
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.DRAFT


def test_a_stale_edit_is_refused(case, social_worker):
    plan = plans.create_plan(social_worker, case, {"goals": [goal()]})
    plans.update_plan(social_worker, plan, {"community_participation": "RT head"}, version=1)
    with pytest.raises(Conflict) as raised:
        plans.update_plan(social_worker, plan, {"community_participation": "Mosque"}, version=1)
    assert raised.value.extra["current_version"] == 2
    assert Plan.objects.get(pk=plan.pk).community_participation == "RT head"


def test_a_submitted_plan_is_not_editable_and_can_be_returned(case, social_worker, supervisor):
    plan = submitted_plan(case, social_worker)
    with pytest.raises(Conflict):
        plans.update_plan(social_worker, plan, {"review_on": None}, version=plan.version)
    with pytest.raises(ValidationFailed) as raised:
        plans.return_plan(supervisor, plan, version=plan.version, note=" ")
    assert "note" in raised.value.fields
    plan = plans.return_plan(supervisor, plan, version=plan.version, note="Add a family goal")
    assert (plan.status, plan.approval_note) == ("draft", "Add a family goal")
    plans.update_plan(social_worker, plan, {"goals": [goal(domain="family")]}, version=plan.version)


def test_a_review_records_attainment_per_goal_and_the_next_date(case, social_worker, supervisor):
    plan = approved_plan(case, social_worker, supervisor)
    goal_id = plan.goals.get().pk
    with pytest.raises(ValidationFailed) as raised:
        plans.review_plan(
            social_worker,
            plan,
            version=plan.version,
            reviewed_on=TODAY,
            summary="ok",
            next_review_on=TODAY + datetime.timedelta(days=60),
            attainments=[],
        )
    assert "attainments" in raised.value.fields
    with pytest.raises(ValidationFailed) as raised:
        plans.review_plan(
            social_worker,
            plan,
            version=plan.version,
            reviewed_on=TODAY,
            summary="ok",
            attainments=[{"goal": goal_id, "attainment": 3}],
        )
    assert "attainments.0.attainment" in raised.value.fields

    review = plans.review_plan(
        social_worker,
        plan,
        version=plan.version,
        reviewed_on=TODAY,
        summary="Attends 3 days",
        next_review_on=TODAY + datetime.timedelta(days=60),
        attainments=[{"goal": goal_id, "attainment": -1, "note": "3 of 5 days"}],
    )
    assert review.next_review_on == TODAY + datetime.timedelta(days=60)
    assert Plan.objects.get(pk=plan.pk).review_on == review.next_review_on
    assert Goal.objects.get(pk=goal_id).attainment == -1
    event = CaseEvent.objects.filter(case=case, kind="plan_reviewed").get()
    assert event.data["attainment"] == {str(goal_id): -1}


# --- API ------------------------------------------------------------------------------------


def api(client, user):
    _token, raw = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def call(client, method, url, headers, body=None):
    if method == "get":
        return client.get(url, **headers)
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json", **headers
    )


def test_the_plan_api_from_draft_to_review(client, case, social_worker, supervisor):
    worker, boss = api(client, social_worker), api(client, supervisor)
    created = call(
        client,
        "post",
        f"/api/v1/cases/{case.public_id}/plans",
        worker,
        {"goals": [goal()], "planned_services": [service()]},
    )
    assert created.status_code == 201, created.content
    plan = created.json()
    url = f"/api/v1/plans/{plan['public_id']}"
    assert (plan["revision"], plan["status"], len(plan["goals"])) == (1, "draft", 1)

    edited = call(client, "patch", url, worker, {"version": 1, "family_participation": "Aunt"})
    assert edited.json()["version"] == 2
    stale = call(client, "patch", url, worker, {"version": 1, "family_participation": "Uncle"})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2
    assert stale.json()["current"]["family_participation"] == "Aunt"

    submitted = call(client, "post", f"{url}/submit", worker, {"version": 2})
    assert submitted.json()["status"] == "submitted"
    own = call(client, "post", f"{url}/approve", worker, {"version": 3})
    assert own.status_code == 403
    assert own.json()["code"] == "own_plan"
    approved = call(client, "post", f"{url}/approve", boss, {"version": 3, "note": "ok"})
    assert approved.json()["status"] == "approved"

    goal_id = approved.json()["goals"][0]["id"]
    reviewed = call(
        client,
        "post",
        f"{url}/reviews",
        worker,
        {
            "version": 4,
            "reviewed_on": TODAY.isoformat(),
            "summary": "Progress",
            "next_review_on": (TODAY + datetime.timedelta(days=30)).isoformat(),
            "attainments": [{"goal": goal_id, "attainment": 1}],
        },
    )
    assert reviewed.status_code == 201, reviewed.content
    assert call(client, "get", url, worker).json()["goals"][0]["attainment"] == 1
    assert len(call(client, "get", f"{url}/reviews", worker).json()) == 1
    assert len(call(client, "get", f"/api/v1/cases/{case.public_id}/plans", worker).json()) == 1


def test_the_plan_api_names_bad_fields_and_never_500s(client, case, social_worker):
    headers = api(client, social_worker)
    url = f"/api/v1/cases/{case.public_id}/plans"
    bad = call(client, "post", url, headers, {"goals": [goal(target_date="1990-01-01")]})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["goals.0.target_date"]
    garbage = call(client, "post", url, headers, {"goals": "nope", "review_on": "soon"})
    assert garbage.status_code == 422
    assert call(client, "post", "/api/v1/plans/not-a-uuid/submit", headers).status_code == 422


def test_a_plan_of_another_centre_is_not_found(client, galih_pakuan, social_worker):
    elsewhere = CaseFactory(unit=galih_pakuan, cluster="KPN")
    plan = plans.create_plan(UserFactory(username="someone"), elsewhere, {"goals": [goal()]})
    headers = api(client, social_worker)
    assert call(client, "get", f"/api/v1/plans/{plan.public_id}", headers).status_code == 404
    listed = call(client, "get", f"/api/v1/cases/{elsewhere.public_id}/plans", headers)
    assert listed.status_code == 404


# --- pages ----------------------------------------------------------------------------------


def test_the_plan_editor_saves_goals_and_shows_errors_in_place(client, case, social_worker):
    client.force_login(social_worker)
    started = client.post(reverse("cases:plan_new", args=[case.public_id]))
    assert started.status_code == 302
    plan = Plan.objects.get(case=case)
    url = reverse("cases:plan_edit", args=[plan.public_id])
    form = {
        "version": plan.version,
        "family_participation": "Mother",
        "community_participation": "",
        "review_on": "",
        "goal_keys": ["a", "b"],
        "goal-a-domain": "education",
        "goal-a-statement": "Back to school",
        "goal-a-indicator": "Days a week",
        "goal-a-baseline": "0",
        "goal-a-target": "5",
        "goal-a-target_date": (TODAY + datetime.timedelta(days=30)).isoformat(),
        "goal-b-domain": "family",
        "goal-b-statement": "Lives with aunt",
        "goal-b-indicator": "",
        "goal-b-target": "yes",
        "goal-b-target_date": "",
        "service_keys": ["s"],
        "service-s-component": "TERAPI",
        "service-s-description": "Counselling",
        "service-s-frequency": "weekly",
        "service-s-provider": "",
    }
    bad = client.post(url, form)
    assert bad.status_code == 422
    assert b"Lives with aunt" in bad.content  # what was typed is kept
    assert b"This field is required." in bad.content
    form["goal-b-indicator"] = "Nights at the aunt's"
    saved = client.post(url, form)
    assert saved.status_code == 302
    plan.refresh_from_db()
    assert (plan.version, plan.goals.count(), plan.planned_services.count()) == (2, 2, 1)

    stale = client.post(url, form)  # version 1 again
    assert stale.status_code == 409
    assert b"version 2" in stale.content

    row = client.get(reverse("cases:plan_goal_row"))
    assert row.status_code == 200
    assert b"goal_keys" in row.content


def test_submit_approve_and_print_pages(client, case, social_worker, supervisor):
    plan = plans.create_plan(social_worker, case, {"goals": [goal()]})
    client.force_login(social_worker)
    submit = client.post(
        reverse("cases:plan_submit", args=[plan.public_id]), {"version": plan.version}
    )
    assert submit.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "submitted"
    client.force_login(supervisor)
    page = client.get(reverse("cases:plan_detail", args=[plan.public_id]))
    assert b"Approve" in page.content
    approve = client.post(
        reverse("cases:plan_decide", args=[plan.public_id]),
        {"version": plan.version, "decision": "approve", "note": ""},
    )
    assert approve.status_code == 302
    assert Plan.objects.get(pk=plan.pk).status == "approved"
    printable = client.get(reverse("cases:plan_print", args=[plan.public_id]))
    assert printable.status_code == 200
    assert b"Returns to school" in printable.content


def test_the_review_page_records_attainment(client, case, social_worker, supervisor):
    plan = approved_plan(case, social_worker, supervisor)
    goal_id = plan.goals.get().pk
    client.force_login(social_worker)
    url = reverse("cases:plan_review", args=[plan.public_id])
    assert client.get(url).status_code == 200
    missing = client.post(url, {"version": plan.version, "reviewed_on": TODAY, "summary": "x"})
    assert missing.status_code == 422
    done = client.post(
        url,
        {
            "version": plan.version,
            "reviewed_on": TODAY.isoformat(),
            "summary": "Going well",
            "next_review_on": (TODAY + datetime.timedelta(days=45)).isoformat(),
            f"attainment-{goal_id}": "2",
        },
    )
    assert done.status_code == 302
    assert Goal.objects.get(pk=goal_id).attainment == 2


def test_the_case_page_section(rf, case, social_worker, supervisor):
    from rehsos.cases.views_plans import section_context

    request = rf.get("/")
    request.user = social_worker
    assert section_context(request, case)["plan"] is None
    approved_plan(case, social_worker, supervisor)
    context = section_context(request, case)
    assert context["plan"].status == "approved"
    assert [g.statement for g in context["goals"]] == ["Returns to school"]
