"""Caseload pages: my cases, the centre's board, overdue work, the case page with its
timeline, break the glass."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from rehsos.cases import access, sections, selectors
from rehsos.cases.models import Cluster, RiskLevel
from rehsos.cases.services import events
from rehsos.core.access import log_access
from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.permissions import can, requires
from rehsos.core.roles import Role, ScopeLevel
from rehsos.registry.models import Person

CASE_PAGE_TIMELINE = 20


def _log_cards(request, cards, purpose: str) -> None:
    """The names shown in clear on a list are reads of those persons."""
    shown = [
        Person(pk=card.case.person_id, public_id=card.case.person_public_id)
        for card in cards
        if not card.masked
    ]
    if shown:
        log_access(request, shown, purpose=purpose)


def _filters(request, stages, *, with_worker: bool):
    """The filters of the query string, and the errors to show beside the fields."""
    try:
        filters = selectors.parse_filters(request.GET, stages=stages)
    except ValidationFailed as exc:
        return selectors.Filters(), {name: str(message) for name, message in exc.fields.items()}
    if not with_worker and filters.worker:
        filters = selectors.Filters(cluster=filters.cluster, stage=filters.stage, risk=filters.risk)
    return filters, {}


def _filter_context(request, stages, errors, workers=None) -> dict:
    return {
        "values": {key: request.GET.get(key, "") for key in ("cluster", "stage", "risk", "worker")},
        "errors": errors,
        "clusters": Cluster.choices,
        "risks": RiskLevel.choices,
        "stages": stages,
        "workers": workers,
    }


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@requires("cases.view")
def caseload(request):
    stages = selectors.default_stages()
    filters, errors = _filters(request, stages, with_worker=False)
    page = selectors.caseload(request.user, filters=filters, after=request.GET.get("after"))
    _log_cards(request, page.items, "caseload")
    return render(
        request,
        "cases/caseload.html",
        {
            "cards": page.items,
            "next_cursor": page.next_cursor,
            "query": _query_without(request, "after"),
            "filter": _filter_context(request, stages, errors),
        },
    )


@requires("cases.view")
def board(request):
    user = request.user
    unit = selectors.board_unit(user, request.GET.get("unit"))
    stages = selectors.default_stages()
    context = {"unit": unit, "units": None, "columns": None, "cards": None}
    if user.scope_level != ScopeLevel.FACILITY:
        context["units"] = selectors.board_units(user)
    if unit is None:
        return render(request, "cases/board.html", context)
    filters, errors = _filters(request, stages, with_worker=True)
    context["filter"] = _filter_context(request, stages, errors, selectors.unit_workers(unit))
    if filters.stage:
        # One stage as a long list, page by page.
        stage = next(s for s in stages if s.code == filters.stage)
        page = selectors.board_column(
            user, unit, stage, filters=filters, after=request.GET.get("after")
        )
        context.update(
            stage=stage,
            cards=page.items,
            next_cursor=page.next_cursor,
            query=_query_without(request, "after"),
        )
        _log_cards(request, page.items, "case board")
    else:
        columns = selectors.board(user, unit, filters=filters)
        context["columns"] = columns
        context["query"] = _query_without(request, "after", "stage")
        _log_cards(request, [card for column in columns for card in column.cards], "case board")
    return render(request, "cases/board.html", context)


@requires("cases.view")
def detail(request, public_id):
    case = access.get_case(request, public_id, "cases.view")
    page = selectors.timeline(case, limit=CASE_PAGE_TIMELINE)
    return render(
        request,
        "cases/case/detail.html",
        {
            "case": case,
            "sections": sections.build(request, case),
            "entries": page.items,
            "more_timeline": page.next_cursor is not None,
            "days_in_stage": max((timezone.now() - case.stage_entered_at).days, 0),
        },
    )


@requires("cases.view")
def timeline(request, public_id):
    case = access.get_case(request, public_id, "cases.view")
    page = selectors.timeline(case, after=request.GET.get("after"))
    return render(
        request,
        "cases/case/timeline.html",
        {"case": case, "entries": page.items, "next_cursor": page.next_cursor},
    )


@requires("cases.break_glass")
def break_glass(request, public_id):
    case = (
        access.in_scope(request.user)
        .select_related("unit", "stage", "person")
        .filter(public_id=public_id)
        .first()
    )
    if case is None:
        raise NotFound(_("No such case in your scope."))
    target = _safe_next(request, reverse("cases:detail", args=[case.public_id]))
    if access.may_open(request.user, case):
        return redirect(target)
    reason, errors = "", {}
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            access.break_glass(request.user, case, reason)
        except ValidationFailed as exc:
            errors = {name: str(message) for name, message in exc.fields.items()}
        else:
            events.record(case, "glass_broken", actor=request.user)
            return redirect(target)
    return render(
        request,
        "cases/break_glass.html",
        {
            "case": case,
            "initials": selectors.initials(case.person.full_name),
            "reason": reason,
            "errors": errors,
            "next": target,
        },
        status=422 if errors else 200,
    )


@requires("cases.approve")
def glass_breaks(request):
    user = request.user
    is_head = user.role == Role.FACILITY_HEAD
    if request.method == "POST":
        if not is_head:
            raise Http404
        chosen = selectors.glass_breaks(user, unseen_only=True)
        ids = [value for value in request.POST.getlist("glass") if value.isdigit()]
        if request.POST.get("all") != "1":
            chosen = chosen.filter(pk__in=ids)
        marked = chosen.update(seen_by_head_at=timezone.now())
        messages.success(request, _("%(count)s marked as seen.") % {"count": marked})
        return redirect("cases:glass_breaks")
    rows = list(selectors.glass_breaks(user)[:200])
    return render(
        request,
        "cases/glass_breaks.html",
        {"rows": rows, "is_head": is_head, "unseen": sum(1 for r in rows if not r.seen_by_head_at)},
    )


@requires("cases.view")
def overdue(request):
    mine = request.GET.get("mine") == "1" or not can(request.user, "cases.approve")
    page = selectors.overdue_tasks(request.user, mine=mine, after=request.GET.get("after"))
    return render(
        request,
        "cases/overdue.html",
        {
            "tasks": page.items,
            "next_cursor": page.next_cursor,
            "mine": mine,
            "may_choose": can(request.user, "cases.approve"),
            "today": timezone.localdate(),
        },
    )


urlpatterns = [
    path("", caseload, name="caseload"),
    path("board/", board, name="board"),
    path("overdue/", overdue, name="overdue"),
    path("glass-breaks/", glass_breaks, name="glass_breaks"),
    path("<uuid:public_id>/", detail, name="detail"),
    path("<uuid:public_id>/timeline/", timeline, name="timeline"),
    path("<uuid:public_id>/break-glass/", break_glass, name="break_glass"),
]
