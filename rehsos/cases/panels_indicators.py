"""Home-page panels: case indicators for heads, provincial officers and national roles;
and the person page's list of cases (the registry renders what we register)."""

from rehsos.cases import access, selectors
from rehsos.core import home_panels
from rehsos.core.permissions import can
from rehsos.core.roles import Role
from rehsos.registry import person_panels

HEAD_PARTS = ("cluster", "stage", "time", "overdue")
PROVINCE_PARTS = ("unit", "cluster", "stage", "time", "overdue")
NATIONAL_PARTS = ("province", "cluster", "time", "completed", "aftercare")


@home_panels.register
def head_panel(user):
    if user.role != Role.FACILITY_HEAD or not user.facility_id or not can(user, "stats.view"):
        return None
    unseen = selectors.glass_breaks(user, unseen_only=True)
    return home_panels.Panel(
        "cases/panels/indicators_head.html",
        {
            "unit": user.facility,
            "figures": selectors.indicators(user, unit=user.facility, parts=HEAD_PARTS),
            "glass_unseen": list(unseen[:5]),
            "glass_unseen_count": unseen.count(),
        },
        order=20,
    )


@home_panels.register
def province_panel(user):
    if user.role != Role.PROVINCIAL_OFFICER or not can(user, "stats.view"):
        return None
    return home_panels.Panel(
        "cases/panels/indicators_province.html",
        {"figures": selectors.indicators(user, parts=PROVINCE_PARTS)},
        order=20,
    )


@home_panels.register
def national_panel(user):
    national = (Role.NATIONAL_ADMIN, Role.NATIONAL_ANALYST, Role.PARTNER_VIEWER)
    if user.role not in national or not can(user, "stats.view"):
        return None
    return home_panels.Panel(
        "cases/panels/indicators_national.html",
        {"figures": selectors.indicators(user, parts=NATIONAL_PARTS)},
        order=20,
    )


@person_panels.register
def person_cases(request, person):
    """The person's cases in the reader's scope (numbers, stages: no case content)."""
    user = request.user
    if not can(user, "cases.view"):
        return None
    cases = list(
        access.in_scope(user)
        .filter(person=person)
        .select_related("stage", "unit")
        .order_by("-opened_on", "-id")[:20]
    )
    # A sensitive case outside the reader's team shows its number only (the cluster of a
    # NAPZA or HIV case is itself specific personal data).
    hidden = {case.pk for case in cases if not access.may_open(user, case)}
    rows = [{"case": case, "masked": case.pk in hidden} for case in cases]
    return person_panels.Panel("cases/person_cases.html", {"rows": rows})
