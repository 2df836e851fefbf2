"""What cases adds to centres, registered at start-up (``CasesConfig.ready``):

* a capacity source: one limit per ``FacilityCapacity`` row, so an admission beyond a
  cluster's places is refused like one beyond the centre's total
  (:func:`rehsos.cases.services.stays.register_capacity_source`);
* the occupancy panel on the centre's page: residents today by cluster against the
  places, and beds used on each of the last 30 days
  (:func:`rehsos.facilities.panels.register`).

facilities sits below cases and never imports it; this module is the bridge.
"""

import datetime

from django.utils import timezone

from rehsos.cases.selectors import aggregate_only
from rehsos.cases.services import stays
from rehsos.core.permissions import can, scoped
from rehsos.core.selectors_home import SMALL_CELL, suppress_small_cells
from rehsos.facilities import panels
from rehsos.facilities.models import Cluster, Facility, FacilityCapacity, Setting

PANEL_DAYS = 30
CHART = {"width": 600, "height": 120, "pad": 16}


@stays.register_capacity_source
def cluster_capacity(facility: Facility) -> list[stays.CapacityLimit]:
    """The places of each cluster the centre records (``FacilityCapacity``)."""
    rows = (
        FacilityCapacity.objects.filter(facility_id=facility.pk)
        .order_by("cluster")
        .values_list("cluster", "places")
    )
    return [stays.CapacityLimit(beds=places, cluster=cluster) for cluster, places in rows]


def _may_see(user, facility: Facility) -> bool:
    if not (can(user, "stats.view") or can(user, "cases.view")):
        return False
    return scoped(user, Facility.objects.filter(pk=facility.pk)).exists()


def _chart(days: list[dict], capacity: int | None) -> dict:
    """Bars of beds used per day (suppressed days left out), with the capacity line."""
    width, height, pad = CHART["width"], CHART["height"], CHART["pad"]
    top = max([d["total"] or 0 for d in days] + [capacity or 0, 1])
    step = (width - 2 * pad) / max(len(days), 1)
    scale = (height - 2 * pad) / top
    bars = []
    for i, day in enumerate(days):
        if not day["total"]:  # nobody, or a suppressed count
            continue
        h = round(day["total"] * scale, 1)
        bars.append(
            {
                "x": round(pad + i * step, 1),
                "y": round(height - pad - h, 1),
                "w": max(round(step * 0.8, 1), 1),
                "h": h,
                "over": capacity is not None and day["total"] > capacity,
                "label": f"{day['day'].isoformat()}: {day['total']}",
            }
        )
    line = round(height - pad - capacity * scale, 1) if capacity else None
    return {**CHART, "bars": bars, "capacity_y": line, "base_y": height - pad}


def _percent(used: int | None, capacity: int | None) -> float | None:
    return round(100 * used / capacity, 1) if used is not None and capacity else None


@panels.register
def occupancy_panel(request, facility: Facility):
    """Residents today by cluster against the places, and the last 30 days. For roles
    that see aggregates only (analysts, partners), counts of 1–4 are suppressed."""
    user = request.user
    if not _may_see(user, facility):
        return None
    today = timezone.localdate()
    table = stays.occupancy(facility, today - datetime.timedelta(days=PANEL_DAYS - 1), today)
    residential = Setting.RESIDENTIAL in (facility.settings_offered or [])
    if not residential and table.capacity is None and not table.cluster_capacity and not table.peak:
        return None
    suppress = aggregate_only(user)
    labels = dict(Cluster.choices)
    last = table.days[-1]
    if suppress:
        shown = suppress_small_cells([(cell.cluster, cell.used) for cell in last.cells])
        used = [cell.value for cell in shown.rows]
        total = shown.total.value
    else:
        used = [cell.used for cell in last.cells]
        total = last.total
    rows = []
    for cell, value in zip(last.cells, used, strict=True):
        rows.append(
            {
                "cluster": cell.cluster,
                "label": labels.get(cell.cluster, cell.cluster),
                "used": value,
                "capacity": cell.capacity,
                "percent": _percent(value, cell.capacity),
            }
        )
    days = [
        {
            "day": d.day,
            "total": None if suppress and 0 < d.total < SMALL_CELL else d.total,
        }
        for d in table.days
    ]
    return panels.Panel(
        "facilities/panels/occupancy.html",
        {
            "facility": facility,
            "today": today,
            "rows": rows,
            "total": total,
            "capacity": table.capacity,
            "percent": (
                round(100 * total / table.capacity, 1)
                if total is not None and table.capacity
                else None
            ),
            "peak": None if suppress and 0 < table.peak < SMALL_CELL else table.peak,
            "average": None if suppress and table.average < SMALL_CELL else table.average,
            "suppressed": suppress,
            "chart": _chart(days, table.capacity),
            "days": PANEL_DAYS,
            "detail_link": can(user, "cases.view"),
        },
        order=20,
    )
