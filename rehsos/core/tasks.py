"""core's background work: the one task that runs any Job, and the export jobs.

Every app registers its job kinds in its own tasks.py with ``@job_handler``;
all of them run through ``run_job``, so progress, retries and restarts behave
the same everywhere.
"""

from django_tasks import task

from rehsos.core import exports
from rehsos.core.jobs import Progress, execute_job, job_handler
from rehsos.core.models import Job


@task()
def run_job(job_id: str) -> dict:
    """Run the Job with this public id (a no-op when it is not queued)."""
    return execute_job(job_id)


@job_handler(exports.AUDIT.kind)
def export_audit_log(job: Job, progress: Progress) -> dict:
    return exports.write_export(job, progress, exports.AUDIT)


@job_handler(exports.ACCESS.kind)
def export_access_log(job: Job, progress: Progress) -> dict:
    return exports.write_export(job, progress, exports.ACCESS)
