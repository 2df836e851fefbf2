"""The partner's pages: the centres its partner funds, with aggregates and progress
(standards score, critical gaps open, renovation progress, budget and money paid),
and one centre of them in more detail. Never personal data: no staff, no consultant,
no beneficiary, no report text or photo. A partner viewer's account is linked to its
partner by ``partners.PartnerUser``; without the link the page explains what to ask for."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from rehsos.core.permissions import requires
from rehsos.standards import selectors_renovation as selectors


@requires("partners.portfolio")
@require_GET
def partner_portfolio(request):
    partner = selectors.partner_of(request.user)
    if partner is None:
        return render(request, "standards/partner/no_partner.html")
    portfolio = selectors.partner_portfolio(partner)
    return render(request, "standards/partner/portfolio.html", {"portfolio": portfolio})


@requires("partners.portfolio")
@require_GET
def partner_centre(request, code):
    partner = selectors.partner_of(request.user)
    if partner is None:
        return render(request, "standards/partner/no_partner.html")
    detail = selectors.partner_centre_detail(partner, code)
    projects = [
        {
            "project": project,
            "chart": selectors.chart(project.curve),
            "milestones": detail["milestones"].get(project.public_id, []),
        }
        for project in detail["centre"].projects
    ]
    return render(
        request,
        "standards/partner/centre.html",
        {"partner": partner, **detail, "projects": projects},
    )
