"""Background work of the standards catalogue: the dated retirement of replaced
versions and the expiry of unconfirmed XLSX import previews.

Both are idempotent and cheap (one UPDATE each when there is nothing to do); the worker
queues them every hour through :mod:`rehsos.core.periodic`, so a version is marked
retired within the hour after its last day in force. Which version is in force never
waits for this: it is read from the dates (``selectors_catalogue.version_in_force``).
"""

import logging

from django_tasks import task

from rehsos.core import periodic
from rehsos.standards import services_catalogue, xlsx_catalogue

logger = logging.getLogger(__name__)


@task()
def catalogue_housekeeping() -> dict:
    retired = services_catalogue.retire_due()
    expired = xlsx_catalogue.expire_previews()
    if retired or expired:
        logger.info("catalogue: %s versions retired, %s import previews expired", retired, expired)
    return {"retired": retired, "expired_previews": expired}


@periodic.every(minutes=60, name="standards.catalogue_housekeeping")
def queue_catalogue_housekeeping() -> None:
    catalogue_housekeeping.enqueue()
