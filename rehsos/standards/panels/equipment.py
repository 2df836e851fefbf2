"""Panels of the standards app: equipment. The centre's page shows what is short
against the standard list (costed) and the last stock-take."""

from rehsos.core.permissions import can, scoped
from rehsos.facilities import panels
from rehsos.facilities.models import Facility
from rehsos.standards import selectors_equipment as selectors


@panels.register
def equipment_panel(request, facility):
    user = request.user
    if not can(user, "standards.view"):
        return None
    if not scoped(user, Facility.objects.filter(pk=facility.pk)).exists():
        return None
    table = selectors.facility_shortfall(facility)
    take = selectors.last_stock_take(facility)
    short = table.short_lines
    return panels.Panel(
        "standards/equipment/facility_panel.html",
        {
            "facility": facility,
            "short": len(short),
            "units": table.total_units,
            "cost": table.total_cost,
            "uncosted": table.uncosted,
            "last_take": take,
            "report": selectors.stock_take_report(take) if take and take.is_finished else None,
        },
        order=60,
    )
