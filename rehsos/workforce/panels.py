"""Panels the workforce app adds to the centre's page (staff by role and the staffing
ratios) and to the home page (certifications expiring within 60 days, re-entry
actions due). Imported by ``WorkforceConfig.ready``."""

from django.utils import timezone

from rehsos.core import home_panels
from rehsos.core.permissions import can, scoped
from rehsos.facilities import panels as facility_panels
from rehsos.facilities.models import Facility
from rehsos.workforce import ratios, selectors

PANEL_ROWS = 8


@facility_panels.register
def staffing(request, facility):
    """Active staff by role and each staffing ratio's status, for readers of the
    workforce whose scope holds the centre."""
    user = request.user
    if not can(user, "workforce.view"):
        return None
    if not scoped(user, Facility.objects.filter(pk=facility.pk)).exists():
        return None
    return facility_panels.Panel(
        "workforce/panels/facility.html",
        {"facility": facility, "centre": ratios.for_facility(facility)},
        order=40,
    )


@home_panels.register
def expiring_certifications(user):
    if not can(user, "workforce.view"):
        return None
    today = timezone.localdate()
    rows = list(selectors.certifications_expiring(user, on=today)[: PANEL_ROWS + 1])
    expired = selectors.certifications_expiring(user, expired=True, on=today).count()
    if not rows and not expired:
        return None
    return home_panels.Panel(
        "workforce/panels/expiring.html",
        {
            "rows": rows[:PANEL_ROWS],
            "more": len(rows) > PANEL_ROWS,
            "expired": expired,
            "days": selectors.EXPIRING_DAYS,
            "today": today,
        },
        order=60,
    )


@home_panels.register
def reentry_due(user):
    """Re-entry actions overdue or due within 30 days: of the staff in scope for
    readers of the workforce, else the returnee's own."""
    if not (can(user, "workforce.view") or can(user, "workforce.apply")):
        return None
    today = timezone.localdate()
    rows = list(selectors.reentry_due(user, on=today)[: PANEL_ROWS + 1])
    if not rows:
        return None
    return home_panels.Panel(
        "workforce/panels/reentry_due.html",
        {
            "rows": rows[:PANEL_ROWS],
            "more": len(rows) > PANEL_ROWS,
            "mine": not can(user, "workforce.view"),
            "days": selectors.REENTRY_DUE_DAYS,
            "today": today,
        },
        order=61,
    )


@home_panels.register
def open_calls(user):
    """Internship calls open for applications, for those who may apply: the way in
    for staff who do not read the workforce pages."""
    if not can(user, "workforce.apply"):
        return None
    rows = list(selectors.open_calls().select_related("partner")[: PANEL_ROWS + 1])
    if not rows:
        return None
    applied = set(
        selectors.own_applications(user)
        .filter(call__in=[c.pk for c in rows])
        .values_list("call_id", flat=True)
    )
    return home_panels.Panel(
        "workforce/panels/open_calls.html",
        {"rows": [(c, c.pk in applied) for c in rows[:PANEL_ROWS]], "more": len(rows) > PANEL_ROWS},
        order=62,
    )
