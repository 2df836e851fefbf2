"""`rehsos job UUID [--wait]`: show a background job, or follow it to its end.

With ``--wait`` one progress line updates in place until the job is done::

    [#####.....] 52% 5,200/10,000 rows

then the result file's path is printed (or the error, with a non-zero exit).
"""

import time
import uuid

from django.core.files.storage import FileSystemStorage
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.jobs import STALE_AFTER
from rehsos.core.models import Job

BAR_WIDTH = 10
POLL_SECONDS = 0.5


def progress_line(job: Job) -> str:
    """One line of a job's progress, for a terminal."""
    if job.status == Job.Status.QUEUED:
        return _("[%(bar)s] queued, waiting for a worker (start one with: rehsos worker)") % {
            "bar": "." * BAR_WIDTH
        }
    percent = job.percent
    if percent is None:  # no total yet: counting, or a job that does not know its size
        line = f"[{'.' * BAR_WIDTH}] {job.done:,} rows {job.message}".rstrip()
    else:
        filled = BAR_WIDTH * percent // 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        total = job.total if job.total is not None else job.done
        line = f"[{bar}] {percent}% {job.done:,}/{total:,} rows"
    if job.status == Job.Status.RUNNING and _is_silent(job):
        line += " " + _("(its worker stopped answering; the job will be queued again)")
    return line


def _is_silent(job: Job) -> bool:
    return bool(job.heartbeat_at and timezone.now() - job.heartbeat_at > STALE_AFTER)


def result_location(job: Job) -> str:
    """Where the job's file is: a path on this machine, or the storage's name for it."""
    if isinstance(job.result_file.storage, FileSystemStorage):
        return job.result_file.path
    return job.result_file.name


def follow(job: Job, out, *, timeout: float | None = None) -> Job:
    """Redraw the progress line until the job finishes (or ``timeout`` passes)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    width = 0
    while True:
        job.refresh_from_db()
        line = progress_line(job)
        out.write("\r" + line.ljust(width), ending="")
        out.flush()
        width = len(line)
        if job.is_finished:
            out.write("")
            return job
        if deadline is not None and time.monotonic() >= deadline:
            out.write("")
            raise CommandError(
                _("Job %(id)s is still %(status)s; follow it with: rehsos job %(id)s --wait")
                % {"id": job.public_id, "status": job.get_status_display().lower()}
            )
        time.sleep(POLL_SECONDS)


def report(job: Job, out) -> None:
    """The end of a finished job: its file, or its error as the command's failure."""
    if job.status == Job.Status.FAILED:
        raise CommandError(
            _("Job %(id)s failed: %(error)s") % {"id": job.public_id, "error": job.error}
        )
    if job.result_file:
        out.write(result_location(job))
    elif job.result is not None:
        out.write(str(job.result))


class Command(BaseCommand):
    help = "Show a background job by its id; --wait follows its progress until it ends."

    def add_arguments(self, parser):
        parser.add_argument("job_id", help="the job's id (a UUID)")
        parser.add_argument("--wait", action="store_true", help="follow the job until it ends")
        parser.add_argument(
            "--timeout", type=float, default=None, help="give up waiting after this many seconds"
        )

    def handle(self, *args, job_id: str, wait: bool, timeout: float | None, **options):
        try:
            public_id = uuid.UUID(job_id)
        except ValueError:
            raise CommandError(_("%(id)s is not a job id.") % {"id": job_id}) from None
        job = Job.objects.filter(public_id=public_id).first()
        if job is None:
            raise CommandError(_("There is no job %(id)s.") % {"id": public_id})
        self.stdout.write(f"{job.title} ({job.kind}): {job.get_status_display()}")
        if wait:
            job = follow(job, self.stdout, timeout=timeout)
        else:
            self.stdout.write(progress_line(job))
            if job.message:
                self.stdout.write(job.message)
        if job.is_finished:
            report(job, self.stdout)
