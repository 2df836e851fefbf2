"""Background work of case management: the overdue alerts and the daily e-mail digest.

Both are django-tasks tasks run by ``rehsos worker``; the worker queues them every
``REHSOS_ALERT_MINUTES`` (default 15) through :mod:`rehsos.core.periodic`.
``rehsos generate-alerts`` runs the same work at once, from the command line or cron.
"""

import logging

from django.conf import settings
from django_tasks import task

from rehsos.cases.services import tasks as task_services
from rehsos.core import periodic

logger = logging.getLogger(__name__)

ALERT_MINUTES = getattr(settings, "REHSOS_ALERT_MINUTES", 15)


@task()
def generate_alerts() -> dict:
    """Add the alerts whose condition holds, close those whose condition is gone."""
    result = task_services.generate_alerts()
    created = sum(counts["created"] for counts in result.values())
    closed = sum(counts["closed"] for counts in result.values())
    logger.info("alerts: %s created, %s closed", created, closed)
    return result


@task()
def send_digests() -> dict:
    """The daily e-mail with the counts of each user's overdue and soon-due tasks."""
    sent = task_services.send_digests()
    if sent:
        logger.info("task digests sent: %s", sent)
    return {"sent": sent}


@periodic.every(minutes=ALERT_MINUTES, name="cases.alerts")
def queue_alert_work() -> None:
    generate_alerts.enqueue()
    if settings.REHSOS_EMAIL_ENABLED:
        send_digests.enqueue()
