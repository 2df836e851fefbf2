"""`rehsos worker`: the django-tasks-db worker, with job recovery.

It takes every option of django-tasks-db's ``db_worker`` (``--batch`` runs what
is queued and exits, ``--interval``, ``--max-tasks`` …). Before the first task,
and then every ``RECOVERY_SECONDS`` from a thread beside the loop, it queues again
the jobs whose worker died (see :func:`rehsos.core.jobs.recover_stale_jobs`).
Tasks waiting in the database simply wait for it: nothing is lost by a restart.
The same thread calls the periodic work the apps register (:mod:`rehsos.core.periodic`),
except with ``--batch``.
"""

import logging
import os
import threading

from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from rehsos.core import periodic
from rehsos.core.jobs import recover_stale_jobs

logger = logging.getLogger("rehsos.worker")

RECOVERY_SECONDS = 30


def recover() -> None:
    """One recovery pass; logs job ids only."""
    try:
        recovery = recover_stale_jobs()
    except DatabaseError as exc:
        logger.warning("job recovery skipped: %s", type(exc).__name__)
        return
    if recovery.requeued:
        logger.warning("queued again after a worker stopped: %s", ", ".join(recovery.requeued))
    if recovery.failed:
        logger.warning("failed after too many attempts: %s", ", ".join(recovery.failed))


def run_periodic() -> None:
    """One pass of the periodic work that is due; logs names only."""
    try:
        ran = periodic.run_due()
    except DatabaseError as exc:
        logger.warning("periodic work skipped: %s", type(exc).__name__)
        return
    if ran:
        logger.info("periodic work queued: %s", ", ".join(ran))


class RecoveringWorker(db_worker.Worker):
    def run(self) -> None:
        recover()
        stop = threading.Event()
        if not self.batch:
            run_periodic()
            threading.Thread(
                target=self._recover_periodically, args=(stop,), name="job-recovery", daemon=True
            ).start()
        try:
            super().run()
        finally:
            stop.set()

    @staticmethod
    def _recover_periodically(stop: threading.Event) -> None:
        try:
            while not stop.wait(RECOVERY_SECONDS):
                recover()
                run_periodic()
                connection.close()  # this thread's own connection; the next pass opens anew
        finally:
            connection.close()


class Command(db_worker.Command):
    help = "Run the background task worker (jobs with progress; resumes jobs after a restart)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        # Reloading on code changes would cut running jobs short; ask for it explicitly.
        parser.set_defaults(reload=False)

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        if verbosity:
            logger.setLevel(logging.INFO)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = RecoveringWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
            return
        worker.configure_signals()
        try:
            worker.run()
        finally:
            worker.reset_signals()
