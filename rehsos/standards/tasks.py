"""The standards app's background jobs (found by ``rehsos.core.jobs``' autodiscovery).

Each part registers its job kinds here with ``@job_handler``; the handler only hands the
Job to the part's module that does the work."""

from rehsos.core.jobs import Progress, job_handler
from rehsos.core.models import Job
from rehsos.standards.reports import jobs as report_jobs


@job_handler(report_jobs.KIND)
def write_standards_report(job: Job, progress: Progress) -> dict:
    return report_jobs.write_report(job, progress)


# Periodic work of the parts: the improvement plans' e-mail reminders, the catalogue's
# dated retirement and expired import previews.
from rehsos.standards import (  # noqa: E402
    tasks_actions,  # noqa: F401
    tasks_catalogue,  # noqa: F401
)
