"""Home-page panel: the worker's overdue and due-soon tasks (a head's: the centre's)."""

from django.utils import timezone

from rehsos.cases.services import tasks as task_services
from rehsos.core import home_panels
from rehsos.core.permissions import can
from rehsos.core.roles import Role

PANEL_ROWS = 15


@home_panels.register
def work_tasks(user):
    if not can(user, "cases.view"):
        return None
    today = timezone.localdate()
    tasks = task_services.work_tasks(user, today=today)
    counts = task_services.work_counts(tasks, today)
    rows = list(tasks.select_related("case", "assignee").order_by("due_on", "pk")[: PANEL_ROWS + 1])
    return home_panels.Panel(
        "cases/panels/work.html",
        {
            "tasks": rows[:PANEL_ROWS],
            "more": len(rows) > PANEL_ROWS,
            "counts": counts,
            "today": today,
            "is_head": user.role == Role.FACILITY_HEAD,
        },
        order=10,
    )
