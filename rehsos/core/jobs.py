"""Background jobs: a registry of job kinds, ``start_job``, and the runner that
records progress on the Job row.

A kind is a function registered in an app's ``tasks.py``::

    @job_handler("audit.export")
    def export_audit_log(job, progress):
        progress.total = queryset.count()
        for chunk in chunks:
            ...
            progress.advance(len(chunk), _("Writing rows"))
        return {"rows": progress.done, "summary": _("%s rows") % progress.done}

A handler returns a JSON-able dict, stored as ``job.result``; its ``summary``, a
sentence in the job creator's language (the handler runs in it), is shown on the
job's page.

``start_job(kind, user=…, title=…, params=…)`` writes the Job row and, once the
transaction commits, enqueues one django-tasks task
(:func:`rehsos.core.tasks.run_job`) for it; ``rehsos worker`` runs it.

Surviving a restart: while a job runs, a heartbeat thread touches
``heartbeat_at``. If the worker dies, the row stays "running" and its heartbeat
goes stale; every worker, when it starts and then periodically, calls
:func:`recover_stale_jobs`, which queues such a job again (a new task for the
same job, ``attempts`` + 1) or, after ``MAX_ATTEMPTS`` tasks, marks it failed.
``attempts`` counts the tasks queued for a job.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from rehsos.core.errors import DomainError
from rehsos.core.models import Job

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A running job's heartbeat is written this often, by a thread beside the handler.
HEARTBEAT_SECONDS = getattr(settings, "REHSOS_JOB_HEARTBEAT_SECONDS", 10)
# A running job whose heartbeat is older than this has lost its worker.
STALE_AFTER = timedelta(seconds=getattr(settings, "REHSOS_JOB_STALE_SECONDS", 60))

Handler = Callable[[Job, "Progress"], dict | None]
_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``handler(job, progress)`` as the code that runs jobs of ``kind``."""

    def register(handler: Handler) -> Handler:
        known = _HANDLERS.get(kind)
        if known is not None and known.__qualname__ != handler.__qualname__:
            raise ValueError(f"job kind {kind!r} is already handled by {known.__qualname__}")
        _HANDLERS[kind] = handler
        return handler

    return register


@cache
def _discover() -> None:
    """Import every app's tasks.py once, where the handlers are registered."""
    autodiscover_modules("tasks")


def handler_for(kind: str) -> Handler:
    _discover()
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise LookupError(f"no handler is registered for job kind {kind!r}") from None


def job_kinds() -> list[str]:
    _discover()
    return sorted(_HANDLERS)


class Progress:
    """What a handler reports while it works: ``total``, ``advance()``, ``note()``.

    Writes go to the Job row at most every ``FLUSH_SECONDS``, so a handler may call
    ``advance`` per row without slowing down."""

    FLUSH_SECONDS = 0.5

    def __init__(self, job: Job):
        self._job = job
        self.done = job.done
        self._total = job.total
        self.message = job.message
        self._flushed_at = 0.0

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int | None) -> None:
        self._total = value
        self.flush()

    def advance(self, count: int = 1, message: str | None = None) -> None:
        self.done += count
        if message is not None:
            self.message = str(message)[:300]
        if time.monotonic() - self._flushed_at >= self.FLUSH_SECONDS:
            self.flush()

    def note(self, message: str) -> None:
        """Change the message without counting anything (a phase: "Counting rows")."""
        self.message = str(message)[:300]
        self.flush()

    def flush(self) -> None:
        Job.objects.filter(pk=self._job.pk, attempts=self._job.attempts).update(
            done=self.done,
            total=self._total,
            message=self.message,
            heartbeat_at=timezone.now(),
        )
        self._flushed_at = time.monotonic()


class _Heartbeat:
    """Touches a running job's heartbeat from a thread, so that a long step of its
    handler (one big query, a slow file write) is not taken for a dead worker."""

    def __init__(self, job: Job):
        self._job = job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job.pk}", daemon=True)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                Job.objects.filter(
                    pk=self._job.pk, status=Job.Status.RUNNING, attempts=self._job.attempts
                ).update(heartbeat_at=timezone.now())
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


def start_job(kind: str, *, user, title: str, params: dict | None = None) -> Job:
    """Create a queued Job and enqueue its task once the transaction commits."""
    handler_for(kind)  # an unknown kind fails here, not later in the worker
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            title=str(title)[:200],
            created_by=user,
            params=params or {},
            attempts=1,
            message=_("Waiting for a worker"),
        )
        transaction.on_commit(partial(_enqueue, job))
    return job


def _enqueue(job: Job) -> None:
    from rehsos.core.tasks import run_job  # tasks imports this module

    result = run_job.enqueue(str(job.public_id))
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)
    logger.debug("job %s queued as task %s", job.public_id, result.id)


def _language(job: Job) -> str:
    user = job.created_by
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def execute_job(job_id: str) -> dict:
    """Run one job: the body of the ``run_job`` task.

    Only a queued job is claimed (atomically), so a job that is already done,
    failed or running elsewhere is left alone: running a task twice does nothing."""
    now = timezone.now()
    claimed = Job.objects.filter(public_id=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        # A run after a restart starts over: the file is written anew from the first row.
        done=0,
        total=None,
        message="",
        error="",
    )
    job = Job.objects.select_related("created_by").filter(public_id=job_id).first()
    if job is None:
        logger.warning("job %s does not exist; nothing to run", job_id)
        return {"job": job_id, "status": "missing"}
    if not claimed:
        logger.info("job %s is %s; nothing to run", job_id, job.status)
        return {"job": job_id, "status": job.status}

    logger.info("job %s (%s) started, attempt %s", job_id, job.kind, job.attempts)
    started = time.monotonic()
    progress = Progress(job)
    with translation.override(_language(job)):
        try:
            handler = handler_for(job.kind)
            with _Heartbeat(job):
                result = handler(job, progress)
            finished = _finish(job, progress, result)
        except DomainError as exc:
            return _fail(job, progress, str(exc.message), exc)
        except LookupError as exc:
            return _fail(job, progress, _("This kind of job is not known to the worker."), exc)
        except Exception as exc:
            detail = _("Unexpected error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
            return _fail(job, progress, detail, exc)
    seconds = time.monotonic() - started
    if not finished:
        logger.warning(
            "job %s finished after it was handed to another task; result dropped", job_id
        )
        return {"job": job_id, "status": "superseded"}
    logger.info("job %s (%s) done in %.1f s, %s items", job_id, job.kind, seconds, progress.done)
    return {"job": job_id, "status": Job.Status.DONE}


def _finish(job: Job, progress: Progress, result: dict | None) -> bool:
    """Record success, unless the job was queued again meanwhile (then it is not ours)."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(
            status=Job.Status.DONE,
            done=progress.done,
            total=progress.total if progress.total is not None else progress.done,
            message=_("Finished"),
            result=result,
            result_file=job.result_file.name or "",
            finished_at=now,
            heartbeat_at=now,
        )
    )


def _fail(job: Job, progress: Progress, error: str, exc: BaseException) -> dict:
    # The log names the job and the exception's class only: messages may quote personal data.
    logger.error("job %s (%s) failed: %s", job.public_id, job.kind, type(exc).__name__)
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(
        status=Job.Status.FAILED,
        done=progress.done,
        message=_("Failed"),
        error=error[:5000],
        finished_at=timezone.now(),
    )
    return {"job": str(job.public_id), "status": Job.Status.FAILED}


@dataclass
class Recovery:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _task_statuses(task_ids: list[str]) -> dict[str, str]:
    ids = [task_id for task_id in task_ids if task_id]
    rows = DBTaskResult.objects.filter(id__in=ids).values_list("id", "status", "started_at")
    cutoff = timezone.now() - STALE_AFTER
    statuses = {}
    for task_id, status, started_at in rows:
        # A task claimed long ago whose job never started: its worker died in between.
        stuck = status == TaskResultStatus.RUNNING and started_at and started_at < cutoff
        statuses[str(task_id)] = "LOST" if stuck else status
    return statuses


def _retire_task(task_id: str) -> None:
    """Mark the dead worker's task failed, so the queue shows what happened to it."""
    if not task_id:
        return
    DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="rehsos.core.jobs.WorkerLost",
        traceback="The worker stopped while running this task; the job was queued again.",
    )


def recover_stale_jobs() -> Recovery:
    """Queue again the jobs whose worker died, or fail them after MAX_ATTEMPTS.

    A running job is stale when its heartbeat is older than STALE_AFTER; a queued
    job is lost when, after STALE_AFTER, its task is missing or no longer waiting.
    Each change is a conditional update, so two workers recovering at once act once."""
    recovery = Recovery()
    cutoff = timezone.now() - STALE_AFTER
    running = Job.objects.filter(status=Job.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    for job in running.only("pk", "public_id", "kind", "attempts", "heartbeat_at", "task_id"):
        _recover(job, Job.Status.RUNNING, recovery)

    queued = list(
        Job.objects.filter(status=Job.Status.QUEUED, created_at__lt=cutoff).only(
            "pk", "public_id", "kind", "attempts", "heartbeat_at", "task_id"
        )
    )
    statuses = _task_statuses([job.task_id for job in queued])
    # READY waits for a worker; RUNNING (claimed a moment ago) is about to start the job.
    alive = {TaskResultStatus.READY, TaskResultStatus.RUNNING}
    for job in queued:
        if statuses.get(job.task_id) not in alive:
            _recover(job, Job.Status.QUEUED, recovery)
    return recovery


def _recover(job: Job, status: str, recovery: Recovery) -> None:
    same = Job.objects.filter(pk=job.pk, status=status, attempts=job.attempts)
    if job.attempts >= MAX_ATTEMPTS:
        changed = same.update(
            status=Job.Status.FAILED,
            message=_("Failed"),
            error=_(
                "The worker stopped %(count)s times while this job was queued or running; "
                "it was not tried again. Start it anew."
            )
            % {"count": job.attempts},
            finished_at=timezone.now(),
        )
        if changed:
            _retire_task(job.task_id)
            recovery.failed.append(str(job.public_id))
            logger.warning(
                "job %s (%s) failed after %s attempts", job.public_id, job.kind, job.attempts
            )
        return
    changed = same.update(
        status=Job.Status.QUEUED,
        attempts=job.attempts + 1,
        message=_("Queued again after the worker stopped"),
        task_id="",
    )
    if changed:
        _retire_task(job.task_id)
        _enqueue(job)
        recovery.requeued.append(str(job.public_id))
        logger.warning(
            "job %s (%s) queued again, attempt %s", job.public_id, job.kind, job.attempts + 1
        )
