"""`rehsos worker`: the django-tasks-db worker runs queued jobs, and a job whose
worker died is queued again (or failed after three attempts) when a worker starts."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from rehsos.core.jobs import MAX_ATTEMPTS, STALE_AFTER, job_handler, recover_stale_jobs, start_job
from rehsos.core.models import Job

RUNS: list[int] = []


@job_handler("test.slow_count")
def slow_count(job, progress):
    RUNS.append(job.attempts)
    progress.total = 3
    progress.advance(3, "counted")
    return {"counted": 3}


@pytest.fixture(autouse=True)
def in_test_transaction(monkeypatch):
    """The worker checks its connection between tasks; inside a test's transaction
    that would end the transaction, so the check is left out here (the worker is
    otherwise the real one, reading and claiming tasks from the database)."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    RUNS.clear()


def run_worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", "--verbosity", "0")


def queued_job(user, capture) -> Job:
    with capture(execute=True):
        job = start_job("test.slow_count", user=user, title="Slow count")
    job.refresh_from_db()
    return job


def test_the_worker_runs_a_queued_job(social_worker, django_capture_on_commit_callbacks):
    job = queued_job(social_worker, django_capture_on_commit_callbacks)

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.result) == ("done", 3, 3, {"counted": 3})
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "SUCCESSFUL"
    assert task.return_value == {"job": str(job.public_id), "status": "done"}
    assert RUNS == [1]


def test_a_job_whose_worker_died_is_queued_again_and_completes(
    social_worker, django_capture_on_commit_callbacks
):
    job = queued_job(social_worker, django_capture_on_commit_callbacks)
    # A worker claimed the task and started the job, then was killed mid-way.
    lost_task = DBTaskResult.objects.get(id=job.task_id)
    lost_task.claim("worker-that-died")
    long_ago = timezone.now() - STALE_AFTER - timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(
        status="running", done=1, total=3, started_at=long_ago, heartbeat_at=long_ago
    )

    run_worker()  # a new worker starts: recovery first, then the queue

    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == ("done", 2, {"counted": 3})
    assert (job.done, job.total) == (3, 3)  # counted afresh, not on top of the lost run
    assert job.task_id != str(lost_task.id)
    lost_task.refresh_from_db()
    assert lost_task.status == "FAILED"
    assert lost_task.exception_class_path == "rehsos.core.jobs.WorkerLost"
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    assert RUNS == [2]


def test_a_job_that_keeps_losing_its_worker_fails_after_three_attempts(
    social_worker, django_capture_on_commit_callbacks
):
    job = queued_job(social_worker, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - STALE_AFTER - timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(
        status="running", attempts=MAX_ATTEMPTS, started_at=long_ago, heartbeat_at=long_ago
    )
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING", started_at=long_ago)

    recovery = recover_stale_jobs()

    job.refresh_from_db()
    assert recovery.failed == [str(job.public_id)]
    assert recovery.requeued == []
    assert job.status == "failed"
    assert job.error == (
        "The worker stopped 3 times while this job was queued or running; "
        "it was not tried again. Start it anew."
    )
    assert DBTaskResult.objects.filter(status="READY").count() == 0


def test_a_running_job_with_a_fresh_heartbeat_is_left_alone(
    social_worker, django_capture_on_commit_callbacks
):
    job = queued_job(social_worker, django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(
        status="running", started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    assert recover_stale_jobs().requeued == []
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)


def test_a_queued_job_waits_in_the_database_for_a_worker(
    social_worker, django_capture_on_commit_callbacks
):
    """Queued long ago with its task still waiting: nothing to recover, the worker runs it."""
    job = queued_job(social_worker, django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert recover_stale_jobs().requeued == []
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 1)


def test_a_queued_job_whose_task_was_lost_is_queued_again(social_worker):
    """The process stopped between the commit and the enqueue: a job without a task."""
    job = Job.objects.create(
        kind="test.slow_count", title="Lost", created_by=social_worker, attempts=1
    )
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)


def test_a_job_whose_worker_died_before_starting_it_is_queued_again(
    social_worker, django_capture_on_commit_callbacks
):
    """The worker claimed the task, then died before the job was marked running."""
    job = queued_job(social_worker, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - STALE_AFTER - timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(created_at=long_ago)
    claimed = DBTaskResult.objects.get(id=job.task_id)
    claimed.claim("worker-that-died")

    assert recover_stale_jobs().requeued == []  # claimed a moment ago: about to start

    DBTaskResult.objects.filter(id=claimed.id).update(started_at=long_ago)
    assert recover_stale_jobs().requeued == [str(job.public_id)]
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
