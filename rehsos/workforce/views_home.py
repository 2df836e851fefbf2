"""The workforce overview (``workforce:home``) and the staffing-ratio pages."""

from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from rehsos.core.permissions import can, requires
from rehsos.workforce import ratios, selectors
from rehsos.workforce.models import InternshipCall

PANEL_ROWS = 10
MAX_CENTRE_ROWS = 1000


@requires("workforce.view")
def home(request):
    user = request.user
    today = timezone.localdate()
    facilities = selectors.facilities_in_scope(user)
    by_role = selectors.counts_by_role(user)
    overview = ratios.overview(facilities, on=today)
    expiring = list(selectors.certifications_expiring(user, on=today)[: PANEL_ROWS + 1])
    due = list(selectors.reentry_due(user, on=today)[: PANEL_ROWS + 1])
    return render(
        request,
        "workforce/home.html",
        {
            "by_role": by_role,
            "staff_total": sum(n for _role, _label, n in by_role),
            "centres": len(overview.centres),
            "overview": overview,
            "short": overview.short[:PANEL_ROWS],
            "more_short": len(overview.short) > PANEL_ROWS,
            "expiring": expiring[:PANEL_ROWS],
            "more_expiring": len(expiring) > PANEL_ROWS,
            "expired": selectors.certifications_expiring(user, expired=True, on=today).count(),
            "due": due[:PANEL_ROWS],
            "today": today,
            "open_calls": selectors.calls(user).filter(status=InternshipCall.Status.OPEN).count(),
            "expiring_days": selectors.EXPIRING_DAYS,
            "can_manage": can(user, "workforce.manage"),
        },
    )


@requires("workforce.view")
def ratio_overview(request):
    """Staffing ratios of every centre in scope: a summary per role and the centres."""
    user = request.user
    show_all = request.GET.get("all") == "1"
    overview = ratios.overview(selectors.facilities_in_scope(user))
    centres = overview.centres if show_all else overview.short
    return render(
        request,
        "workforce/ratios.html",
        {
            "overview": overview,
            "centres": centres[:MAX_CENTRE_ROWS],
            "truncated": len(centres) > MAX_CENTRE_ROWS,
            "show_all": show_all,
        },
    )


@requires("workforce.view")
def centre_ratios(request, code):
    facility = selectors.facility_for(request.user, code)
    return render(
        request,
        "workforce/centre_ratios.html",
        {"facility": facility, "centre": ratios.for_facility(facility)},
    )


urlpatterns = [
    path("", home, name="home"),
    path("ratios/", ratio_overview, name="ratios"),
    path("centres/<slug:code>/ratios/", centre_ratios, name="centre_ratios"),
]
