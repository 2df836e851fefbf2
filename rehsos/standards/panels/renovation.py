"""Panels of the standards app: renovation.

* On a centre's page: the centre's renovation projects with planned vs actual
  progress, budget and money paid.
* On the home page: works in progress (for a consultant: the works they supervise),
  those behind their plan first.
"""

from rehsos.core import home_panels
from rehsos.core.permissions import can
from rehsos.core.roles import Role
from rehsos.facilities import panels
from rehsos.standards import selectors_renovation as selectors

HOME_ROWS = 10


@panels.register
def renovation_projects(request, facility):
    user = request.user
    if not can(user, "standards.view"):
        return None
    rows = selectors.facility_projects(user, facility)
    may_create = can(user, "standards.manage_renovation")
    if not rows and not may_create:
        return None
    return panels.Panel(
        "standards/renovation/panel_facility.html",
        {"rows": rows, "facility": facility, "may_create": may_create},
        order=60,
    )


@home_panels.register
def renovation_works(user):
    if not can(user, "standards.view"):
        return None
    if user.role == Role.STANDARDS_ASSESSOR:
        rows = selectors.supervised_by(user)
        supervised = True
    else:
        rows = selectors.works_in_progress(user)
        supervised = False
    if not rows:
        return None
    rows.sort(key=lambda row: (not row.curve.behind, row.project.planned_end_on))
    return home_panels.Panel(
        "standards/renovation/panel_home.html",
        {"rows": rows[:HOME_ROWS], "more": len(rows) > HOME_ROWS, "supervised": supervised},
        order=60,
    )
