"""The standards home page and dashboards: a centre's, and the national (or
provincial) one with the model centres first."""

import csv

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.permissions import can, requires
from rehsos.core.roles import ScopeLevel
from rehsos.core.services.accounts import province_choices
from rehsos.facilities.models import Cluster, Facility
from rehsos.standards import selectors_actions, selectors_dashboard
from rehsos.standards.selectors_dashboard import SORTS


@requires("standards.view")
def home(request):
    """A centre's user lands on the centre's dashboard; everyone else on the national
    one (a provincial officer's is the province's)."""
    user = request.user
    if user.scope_level == ScopeLevel.FACILITY and user.facility_id:
        facility = selectors_actions.facility_for(user, user.facility.code)
        return redirect("standards:dashboard_centre", code=facility.code)
    return redirect("standards:dashboard_national")


def domain_chart(board) -> dict:
    """Geometry of a horizontal bar chart: self vs external percent per domain."""
    width, bar, gap, label_w = 640, 12, 14, 250
    span = width - label_w - 60
    rows = []
    y = 10
    for row in board.domains:
        bars = []
        for offset, (kind, mark) in enumerate(
            (("self", row.self_score), ("external", row.external))
        ):
            percent = mark.percent if mark and mark.percent is not None else None
            bars.append(
                {
                    "kind": kind,
                    "y": y + offset * (bar + 2),
                    "w": round(float(percent or 0) * span / 100, 1),
                    "percent": percent,
                    "failed": bool(mark and mark.failed),
                }
            )
        rows.append({"label": row.label, "y": y, "bars": bars})
        y += 2 * bar + 2 + gap
    return {"width": width, "height": y, "x": label_w, "span": span, "bar": bar, "rows": rows}


@requires("standards.view")
def centre(request, code):
    facility = selectors_actions.facility_for(request.user, code)
    board = selectors_dashboard.centre_dashboard(request.user, facility)
    return render(
        request,
        "standards/dashboard/centre.html",
        {
            "facility": facility,
            "board": board,
            "chart": domain_chart(board) if board.domains else None,
            "can_manage": can(request.user, "standards.manage_actions"),
            "can_report": can(request.user, "standards.report"),
            "national_link": request.user.scope_level != ScopeLevel.FACILITY,
        },
    )


def _filters(request, provinces: dict) -> selectors_dashboard.NationalFilters:
    get = request.GET
    return selectors_dashboard.clean_filters(
        province=get.get("province", ""),
        kind=get.get("kind", ""),
        cluster=get.get("cluster", ""),
        sort=get.get("sort", "name"),
        page=get.get("page", 1),
        provinces=provinces,
    )


def _csv(board) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"standards-centres-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    for row in selectors_dashboard.csv_rows(board):
        writer.writerow(row)
    return response


@requires("standards.view")
def national(request):
    user = request.user
    provinces = dict(province_choices())
    filters = _filters(request, provinces)
    board = selectors_dashboard.national_dashboard(user, filters)
    if request.GET.get("format") == "csv":
        return _csv(board)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    page_query = query.copy()
    query.pop("sort", None)
    sort_links = {}
    for key in SORTS:
        current = board.filters.sort.lstrip("-") == key
        descending = board.filters.sort.startswith("-")
        query["sort"] = f"-{key}" if current and not descending else key
        sort_links[key] = {
            "url": "?" + query.urlencode(),
            "mark": ("▼" if descending else "▲") if current else "",
        }
    if user.scope_level == ScopeLevel.PROVINCE:
        title = _("Standards of the centres in %(province)s") % {
            "province": provinces.get(user.province_code, user.province_code)
        }
    elif user.scope_level == ScopeLevel.FACILITY:
        title = _("Standards of your centre")
    else:
        title = _("Standards of the centres, national")
    return render(
        request,
        "standards/dashboard/national.html",
        {
            "board": board,
            "title": title,
            "provinces": sorted(provinces.items(), key=lambda item: item[1]),
            "kinds": Facility.Kind.choices,
            "clusters": Cluster.choices,
            "show_province_filter": user.scope_level == ScopeLevel.NATION,
            "page_query": page_query.urlencode(),
            "sort_links": sort_links,
            "page_numbers": range(1, board.pages + 1),
            "can_report": can(user, "standards.report"),
        },
    )
