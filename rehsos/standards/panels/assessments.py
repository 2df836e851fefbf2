"""Panels of the standards app: assessments.

* Home: for whoever does assessments (centre heads, provincial officers, assessors,
  national administrators): the assessments in progress they work on, and the
  schedules due within 30 days or overdue.
* A centre's page: its latest submitted self-assessment and external audit scores.

Importing this module (the app's ``ready()``) also registers the periodic reminder of
due schedules (:mod:`rehsos.standards.tasks_assessments`), so the worker has it.
"""

from django.utils import timezone

from rehsos.core import home_panels
from rehsos.core.permissions import can, scoped
from rehsos.facilities import panels as facility_panels
from rehsos.facilities.models import Facility
from rehsos.standards import selectors_assessments as selectors
from rehsos.standards import tasks_assessments  # noqa: F401  (registers the periodic work)
from rehsos.standards.models import Assessment
from rehsos.standards.services_schedules import DUE_SOON_DAYS

LIMIT = selectors.HOME_LIMIT


@home_panels.register
def assessment_work(user):
    if not (can(user, "standards.self_assess") or can(user, "standards.audit")):
        return None
    running = selectors.in_progress_for(user)
    due = selectors.due_schedules(user)
    in_progress = selectors.with_progress(list(running[:LIMIT]))
    schedules = list(due[:LIMIT])
    today = timezone.localdate()
    for schedule in schedules:
        schedule.overdue = schedule.next_due < today
        schedule.days = (schedule.next_due - today).days
    return home_panels.Panel(
        "standards/assessments/panels/home.html",
        {
            "in_progress": in_progress,
            "in_progress_count": running.count() if len(in_progress) == LIMIT else len(in_progress),
            "schedules": schedules,
            "schedules_count": due.count() if len(schedules) == LIMIT else len(schedules),
            "due_soon_days": DUE_SOON_DAYS,
            "may_start": can(user, "standards.self_assess"),
        },
        order=30,
    )


@facility_panels.register
def latest_scores(request, facility):
    if not can(request.user, "standards.view"):
        return None
    latest = selectors.latest_scores(facility)
    rows = [(kind, label, latest.get(kind)) for kind, label in Assessment.Kind.choices]
    # Scores of any centre are open to standards readers; the assessments themselves
    # only within the reader's scope (a link would otherwise lead to a 404).
    linked = scoped(request.user, Facility.objects.filter(pk=facility.pk)).exists()
    return facility_panels.Panel(
        "standards/assessments/panels/facility.html",
        {"facility": facility, "rows": rows, "linked": linked},
        order=40,
    )
