"""Tasks and the overdue alerts: manual tasks, each alert rule made once and closed
when its condition is gone, the daily digest without personal data."""

import datetime
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from rehsos.cases.models import (
    AftercareVisit,
    Assessment,
    Instrument,
    InstrumentVersion,
    Plan,
    Task,
    Transfer,
)
from rehsos.cases.services import tasks as task_services
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core import periodic
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

TODAY = timezone.localdate()


def alerts(kind=None):
    tasks = Task.objects.exclude(kind=Task.Kind.MANUAL)
    return tasks.filter(kind=kind) if kind else tasks


def an_assessment(case):
    instrument, _ = Instrument.objects.get_or_create(
        code="test-instrument", defaults={"name_id": "Uji", "name_en": "Test"}
    )
    version, _ = InstrumentVersion.objects.get_or_create(
        instrument=instrument, version=1, defaults={"definition": {}, "status": "published"}
    )
    return Assessment.objects.create(case=case, instrument_version=version, assessed_on=TODAY)


# --- manual tasks ---------------------------------------------------------------------


def test_a_caseworker_adds_a_task_for_a_colleague_who_can_see_the_case(
    handayani, social_worker, facility_head
):
    case = CaseFactory(unit=handayani, social_worker=social_worker)
    task = task_services.create_task(
        social_worker,
        case,
        title="  Call the family  ",
        due_on=TODAY + timedelta(days=2),
        assignee=facility_head,
    )
    assert (task.title, task.assignee, task.unit_id, task.province_code, task.kind) == (
        "Call the family",
        facility_head,
        handayani.pk,
        "31",
        "manual",
    )
    assert case.events.filter(kind="task_created").count() == 1


def test_a_task_cannot_go_to_someone_who_cannot_see_the_case(
    handayani, galih_pakuan, social_worker
):
    case = CaseFactory(unit=handayani, social_worker=social_worker)
    elsewhere = UserFactory(
        role=Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    analyst = UserFactory(role=Role.NATIONAL_ANALYST)
    for assignee in (elsewhere, analyst):
        with pytest.raises(ValidationFailed) as refused:
            task_services.create_task(
                social_worker, case, title="Visit", due_on=TODAY, assignee=assignee
            )
        assert set(refused.value.fields) == {"assignee"}
    with pytest.raises(ValidationFailed) as refused:
        task_services.create_task(social_worker, case, title=" ", due_on=None)
    assert set(refused.value.fields) == {"title", "due_on"}
    assert Task.objects.count() == 0


def test_done_and_cancel_carry_the_row_version(handayani, social_worker):
    case = CaseFactory(unit=handayani, social_worker=social_worker)
    task = task_services.create_task(social_worker, case, title="Visit", due_on=TODAY)

    done = task_services.set_status(social_worker, task, status="done", version=1)
    assert (done.status, done.version, done.done_at is not None) == ("done", 2, True)

    with pytest.raises(Conflict):
        task_services.set_status(social_worker, task, status="cancelled", version=1)
    with pytest.raises(ValidationFailed) as refused:
        task_services.set_status(social_worker, task, status="finished", version=2)
    assert set(refused.value.fields) == {"status"}
    task.refresh_from_db()
    assert (task.status, task.version) == ("done", 2)


def test_a_task_of_another_centre_is_not_found(handayani, galih_pakuan, social_worker):
    case = CaseFactory(unit=galih_pakuan)
    other = UserFactory(
        role=Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    task = task_services.create_task(other, case, title="Visit", due_on=TODAY)
    with pytest.raises(NotFound):
        task_services.task_for(social_worker, task.public_id)
    assert task_services.task_for(other, task.public_id) == task


# --- alert rules ------------------------------------------------------------------------


@pytest.fixture
def world(handayani, galih_pakuan, social_worker, facility_head):
    """One case for each rule, and one beside it where the rule does not apply."""
    due_days = 14
    late = CaseFactory(
        unit=handayani, social_worker=social_worker, opened_on=TODAY - timedelta(days=due_days + 1)
    )
    recent = CaseFactory(unit=handayani, social_worker=social_worker, opened_on=TODAY)
    assessed = CaseFactory(unit=handayani, opened_on=TODAY - timedelta(days=40))
    an_assessment(assessed)
    now = timezone.now()
    review = Plan.objects.create(
        case=recent,
        status=Plan.Status.APPROVED,
        approved_at=now,
        review_on=TODAY + timedelta(days=5),
    )
    Plan.objects.create(
        case=assessed,
        revision=1,
        status=Plan.Status.APPROVED,
        approved_at=now,
        review_on=TODAY + timedelta(days=30),
    )
    visit = AftercareVisit.objects.create(
        case=recent, months_after=1, due_on=TODAY - timedelta(days=1)
    )
    AftercareVisit.objects.create(case=recent, months_after=3, due_on=TODAY + timedelta(days=60))
    transfer = Transfer.objects.create(
        case=assessed, from_unit=handayani, to_unit=galih_pakuan, reason="Moving to Bogor"
    )
    Transfer.objects.filter(pk=transfer.pk).update(created_at=now - timedelta(days=4))
    waiting = Plan.objects.create(
        case=late, status=Plan.Status.SUBMITTED, submitted_at=now - timedelta(days=4)
    )
    return {
        "late": late,
        "review": review,
        "visit": visit,
        "transfer": transfer,
        "waiting": waiting,
    }


def test_each_rule_makes_its_task_once(world, settings, social_worker, facility_head):
    settings.REHSOS_ASSESSMENT_DUE_DAYS = 14
    galih_head = UserFactory(
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=world["transfer"].to_unit,
    )

    first = task_services.generate_alerts()
    second = task_services.generate_alerts()

    assert {kind: counts["created"] for kind, counts in first.items()} == {
        "assessment_due": 1,
        "plan_review": 1,
        "aftercare_visit": 1,
        "transfer_waiting": 1,
        "approval_waiting": 1,
    }
    assert all(counts == {"created": 0, "closed": 0} for counts in second.values())
    made = {task.kind: task for task in alerts()}
    assert made["assessment_due"].case == world["late"]
    assert made["assessment_due"].assignee == social_worker
    assert made["assessment_due"].due_on == world["late"].opened_on + timedelta(days=14)
    assert made["assessment_due"].source_key == f"assessment_due:{world['late'].pk}"
    assert made["plan_review"].due_on == world["review"].review_on
    assert made["aftercare_visit"].due_on == world["visit"].due_on
    # The receiving centre's head decides a transfer; the unit's head approves a plan
    # when the case has no supervisor.
    assert (made["transfer_waiting"].unit, made["transfer_waiting"].assignee) == (
        world["transfer"].to_unit,
        galih_head,
    )
    assert made["approval_waiting"].assignee == facility_head
    assert made["transfer_waiting"].due_on == TODAY - timedelta(days=1)
    assert all(task.status == "open" and task.version == 1 for task in made.values())
    assert len({task.public_id for task in made.values()}) == 5


def test_alerts_close_themselves_when_the_work_is_done(world, settings):
    settings.REHSOS_ASSESSMENT_DUE_DAYS = 14
    task_services.generate_alerts()

    an_assessment(world["late"])
    Plan.objects.filter(pk=world["review"].pk).update(review_on=TODAY + timedelta(days=90))
    AftercareVisit.objects.filter(pk=world["visit"].pk).update(
        visited_on=TODAY, outcome="with_family"
    )
    Transfer.objects.filter(pk=world["transfer"].pk).update(status=Transfer.Status.ACCEPTED)
    now = timezone.now()
    Plan.objects.filter(pk=world["waiting"].pk).update(status=Plan.Status.APPROVED, approved_at=now)

    result = task_services.generate_alerts()

    assert {kind: counts["closed"] for kind, counts in result.items()} == dict.fromkeys(result, 1)
    assert {kind: counts["created"] for kind, counts in result.items()} == dict.fromkeys(result, 0)
    assert set(alerts().values_list("status", flat=True)) == {"done"}
    assert all(task.done_at and task.version == 2 for task in alerts())


def test_a_new_review_date_makes_a_new_alert(world, settings):
    task_services.generate_alerts()
    Plan.objects.filter(pk=world["review"].pk).update(review_on=TODAY + timedelta(days=6))

    result = task_services.generate_alerts()

    assert result["plan_review"] == {"created": 1, "closed": 1}
    assert alerts("plan_review").filter(status="open").get().due_on == TODAY + timedelta(days=6)


def test_manual_tasks_are_left_alone_by_the_generator(handayani, social_worker):
    case = CaseFactory(unit=handayani, social_worker=social_worker, opened_on=TODAY)
    task = task_services.create_task(social_worker, case, title="Visit", due_on=TODAY)
    task_services.generate_alerts()
    task.refresh_from_db()
    assert (task.status, task.version) == ("open", 1)
    assert not alerts().exists()


# --- the digest -------------------------------------------------------------------------


@pytest.fixture
def email_on(settings):
    settings.REHSOS_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REHSOS_SITE_URL = "https://rehsos.example"


def test_one_digest_a_day_with_counts_and_no_names(
    email_on, world, settings, social_worker, person_in_handayani
):
    settings.REHSOS_ASSESSMENT_DUE_DAYS = 14
    social_worker.email = "peksos@example.org"
    social_worker.save()
    task_services.generate_alerts()
    expected = Task.objects.filter(assignee=social_worker, status="open")
    overdue = expected.filter(due_on__lt=TODAY).count()
    soon = expected.filter(due_on__gte=TODAY).count()
    assert overdue + soon == 3  # assessment, plan review, aftercare visit

    assert task_services.send_digests() == 1
    assert task_services.send_digests() == 0  # not twice on the same day

    [message] = mail.outbox
    assert message.to == ["peksos@example.org"]
    assert f"{overdue} overdue" in message.subject
    assert "https://rehsos.example/cases/tasks/" in message.body
    text = message.subject + message.body
    for case in (world["late"], world["review"].case, world["visit"].case):
        assert case.person.full_name not in text
        assert case.number not in text
    assert social_worker.first_name not in text
    assert all(task.notified_at for task in expected)

    tomorrow = timezone.now() + timedelta(days=1)
    assert task_services.send_digests(now=tomorrow) == 1


def test_no_mail_without_email_configured(world, settings, social_worker):
    settings.REHSOS_EMAIL_ENABLED = False
    social_worker.email = "peksos@example.org"
    social_worker.save()
    task_services.generate_alerts()
    assert task_services.send_digests() == 0
    assert mail.outbox == []


# --- the worker -------------------------------------------------------------------------


def test_the_worker_queues_the_alert_work_once_per_interval(db, settings):
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    cache.delete("rehsos:periodic:cases.alerts")
    settings.REHSOS_EMAIL_ENABLED = False

    assert "cases.alerts" in periodic.run_due()
    assert "cases.alerts" not in periodic.run_due()

    queued = DBTaskResult.objects.filter(task_path="rehsos.cases.tasks.generate_alerts")
    assert queued.count() == 1
    cache.delete("rehsos:periodic:cases.alerts")


def test_the_alert_task_runs(world):
    from rehsos.cases.tasks import generate_alerts

    result = generate_alerts.call()
    assert result["aftercare_visit"] == {"created": 1, "closed": 0}


def test_the_command_prints_what_it_did(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("generate_alerts", stdout=out)
    assert "aftercare_visit: 1 created, 0 closed" in out.getvalue()


def test_tomorrow_a_due_soon_task_becomes_overdue(handayani, social_worker):
    case = CaseFactory(unit=handayani, social_worker=social_worker)
    task_services.create_task(social_worker, case, title="Visit", due_on=TODAY)
    today_counts = task_services.work_counts(task_services.work_tasks(social_worker), TODAY)
    tomorrow = TODAY + datetime.timedelta(days=1)
    later = task_services.work_counts(
        task_services.work_tasks(social_worker, today=tomorrow), tomorrow
    )
    assert today_counts == {"overdue": 0, "due_soon": 1}
    assert later == {"overdue": 1, "due_soon": 0}


# --- pages --------------------------------------------------------------------------------


def test_the_home_panel_and_my_tasks_page(client, handayani, social_worker, facility_head):
    from django.urls import reverse

    case = CaseFactory(unit=handayani, social_worker=social_worker)
    late = task_services.create_task(
        social_worker, case, title="Late visit", due_on=case.opened_on + timedelta(days=1)
    )
    task_services.create_task(social_worker, case, title="Far away", due_on=TODAY + timedelta(30))
    client.force_login(social_worker)

    home = client.get(reverse("core:home")).content.decode()
    assert 'data-panel="work-tasks"' in home
    assert "Late visit" in home
    assert "Far away" not in home  # not due within the week
    assert case.number in home

    page = client.get(reverse("cases:my_tasks"))
    assert page.status_code == 200
    assert "Far away" in page.content.decode()

    response = client.post(
        reverse("cases:task_status", args=[late.public_id]),
        {"status": "done", "version": 1},
    )
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.status == "done"

    client.force_login(facility_head)
    assert "Far away" in client.get(reverse("cases:my_tasks")).content.decode()


def test_the_case_tasks_page_adds_a_task_and_shows_errors(client, handayani, social_worker):
    from django.urls import reverse

    case = CaseFactory(unit=handayani, social_worker=social_worker)
    client.force_login(social_worker)
    url = reverse("cases:case_tasks", args=[case.public_id])
    bad = client.post(url, {"title": "Visit", "due_on": "2000-01-01"})
    assert bad.status_code == 422
    assert 'data-field-error="due_on"' in bad.content.decode()
    assert client.post(url, {"title": "Visit", "due_on": TODAY.isoformat()}).status_code == 302
    assert Task.objects.get().assignee == social_worker
