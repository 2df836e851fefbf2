"""Background work of assessments: the reminders of schedules falling due.

A django-tasks task run by ``rehsos worker``; the worker queues it every
``REHSOS_SCHEDULE_REMINDER_MINUTES`` (default 360) through :mod:`rehsos.core.periodic`.
Each reminder goes once per due date, so running it more often does no harm.
"""

import logging

from django.conf import settings
from django_tasks import task

from rehsos.core import periodic
from rehsos.standards import services_schedules as services

logger = logging.getLogger(__name__)

REMINDER_MINUTES = getattr(settings, "REHSOS_SCHEDULE_REMINDER_MINUTES", 360)


@task()
def remind_due_schedules() -> dict:
    """E-mail the assessor and the centre's heads of schedules due soon or overdue."""
    result = services.remind_due_schedules()
    if any(result.values()):
        logger.info(
            "assessment schedules reminded: %s due soon, %s overdue",
            result["due_soon"],
            result["overdue"],
        )
    return result


@periodic.every(minutes=REMINDER_MINUTES, name="standards.schedule_reminders")
def queue_schedule_reminders() -> None:
    if settings.REHSOS_EMAIL_ENABLED:
        remind_due_schedules.enqueue()
