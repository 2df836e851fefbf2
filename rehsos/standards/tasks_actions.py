"""Background work of the improvement plans: the daily e-mail reminder of overdue and
soon-due actions.

Overdue actions are not stored as alerts: the home and centre panels count them live.
The e-mail is optional: when e-mail is configured (``EMAIL_HOST``), the worker
queues the reminder every ``REHSOS_ALERT_MINUTES`` through :mod:`rehsos.core.periodic`;
each person gets at most one message a day (``Action.reminded_at``).
"""

import logging

from django.conf import settings
from django_tasks import task

from rehsos.core import periodic
from rehsos.standards import services_actions

logger = logging.getLogger(__name__)

ALERT_MINUTES = getattr(settings, "REHSOS_ALERT_MINUTES", 15)


@task()
def send_action_reminders() -> dict:
    sent = services_actions.send_reminders()
    if sent:
        logger.info("improvement-action reminders sent: %s", sent)
    return {"sent": sent}


@periodic.every(minutes=ALERT_MINUTES, name="standards.action_reminders")
def queue_action_reminders() -> None:
    if settings.REHSOS_EMAIL_ENABLED:
        send_action_reminders.enqueue()
