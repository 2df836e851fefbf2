"""Panels of the standards app: actions.

* Home page (users who keep improvement plans: heads, provincial officers, national
  administrators): the actions in their scope that are overdue or due within 14
  days, and the centres whose yearly attestation is due. Computed live on each
  view (two grouped queries and two short lists), so no alert rows are kept.
* Centre page: the centre's plan in figures, with links to the plan and dashboard.
"""

from django.utils import timezone

from rehsos.core import home_panels
from rehsos.core.permissions import can
from rehsos.core.roles import ScopeLevel
from rehsos.facilities import panels as facility_panels
from rehsos.standards import selectors_actions as selectors
from rehsos.standards.models import Action
from rehsos.standards.selectors_dashboard import open_costs

PANEL_ROWS = 10


@home_panels.register
def actions_due(user):
    if not can(user, "standards.manage_actions"):
        return None
    today = timezone.localdate()
    due = selectors.due_actions(user, today)
    counts = selectors.due_counts(due, today)
    rows = list(due.select_related("facility", "owner").order_by("due_on", "pk")[: PANEL_ROWS + 1])
    attest = selectors.attestation_due(user, today)
    attest_rows = list(attest.only("pk", "code", "name")[: PANEL_ROWS + 1])
    facility_user = user.scope_level == ScopeLevel.FACILITY
    if not rows and not attest_rows and not facility_user:
        return None
    return home_panels.Panel(
        "standards/actions/panel_home.html",
        {
            "actions": rows[:PANEL_ROWS],
            "more": len(rows) > PANEL_ROWS,
            "counts": counts,
            "today": today,
            "attest": attest_rows[:PANEL_ROWS],
            "attest_more": len(attest_rows) > PANEL_ROWS,
            "facility": user.facility if facility_user else None,
            "may_attest": can(user, "standards.attest"),
            "year": today.year,
        },
        order=30,
    )


@facility_panels.register
def centre_plan(request, facility):
    user = request.user
    if (
        not can(user, "standards.view")
        or not selectors.facilities_in_scope(user).filter(pk=facility.pk).exists()
    ):
        return None
    today = timezone.localdate()
    actions = Action.objects.filter(facility=facility)
    return facility_panels.Panel(
        "standards/actions/panel_centre.html",
        {
            "facility": facility,
            "counts": selectors.due_counts(
                selectors.due_actions(user, today).filter(facility=facility), today
            ),
            "open": actions.filter(status__in=selectors.OPEN_STATUSES).count(),
            "costs": open_costs(actions),
            "attestation": selectors.attestation_status(user, facility, today),
        },
        order=40,
    )
