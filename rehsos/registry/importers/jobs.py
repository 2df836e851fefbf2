"""The background job of a person import: ``start(batch)`` queues it, the worker runs it.

The handler only loads the batch and calls the runner; everything that makes a
re-run safe (the checkpoint, the spool, idempotent matching) lives there, so a
job that the worker system queues again after a crash simply resumes.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from rehsos.core.jobs import Progress, job_handler, start_job
from rehsos.core.models import Job
from rehsos.registry.importers import runner
from rehsos.registry.models_import import ImportBatch

KIND = "registry.import_persons"


def start(batch: ImportBatch, *, user) -> Job:
    """Queue the job that runs (or resumes) ``batch``, and link the two."""
    if batch.dry_run:
        title = _("Check %(name)s (dry run)") % {"name": batch.original_name}
    else:
        title = _("Import %(name)s") % {"name": batch.original_name}
    with transaction.atomic():
        job = start_job(KIND, user=user, title=title, params={"batch": str(batch.public_id)})
        ImportBatch.objects.filter(pk=batch.pk).update(job=job, status=ImportBatch.Status.QUEUED)
    batch.job, batch.status = job, ImportBatch.Status.QUEUED
    return job


@job_handler(KIND)
def import_persons(job: Job, progress: Progress) -> dict:
    batch = ImportBatch.objects.get(public_id=job.params["batch"])
    if batch.job_id != job.pk:
        ImportBatch.objects.filter(pk=batch.pk).update(job=job)
    batch = runner.run(batch, progress)
    if batch.rejects_file:
        job.result_file.name = batch.rejects_file.name
    return runner.summary(batch)
