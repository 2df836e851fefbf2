"""Region pages: the browser (drill-down, name search, the chooser at work) and the
``<option>`` partial behind the dependent selects."""

import re

from django import forms
from django.http import HttpResponseNotFound
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from rehsos.core.errors import NotFound
from rehsos.core.permissions import requires
from rehsos.regions import selectors
from rehsos.regions.forms import PLACEHOLDER, RegionField
from rehsos.regions.keys import is_code
from rehsos.regions.models import Level, Region

ELEMENT_ID = re.compile(r"^[A-Za-z][\w-]{0,99}$")
SEARCH_RESULTS = 50


class FindRegionForm(forms.Form):
    region = RegionField(label=gettext_lazy("Region"))


@requires("regions.view")
@require_GET
def options(request):
    """The ``<option>``s of a parent's children, and empty lists for the selects
    named in ``clear`` (swapped out of band), for :class:`RegionSelectWidget`."""
    parent = request.GET.get("parent")
    if parent is None and request.htmx and request.htmx.trigger_name:
        parent = request.GET.get(request.htmx.trigger_name)
    parent = (parent or "").strip()
    clear = [i for i in request.GET.getlist("clear") if ELEMENT_ID.match(i)]
    regions: list[Region] = []
    if parent:
        regions = list(selectors.children(parent)) if is_code(parent) else []
        if not regions and not Region.objects.filter(code=parent).exists():
            return HttpResponseNotFound(
                _("No region has the code %(code)s.") % {"code": parent[:20]},
                content_type="text/plain; charset=utf-8",
            )
    context = {"options": regions, "selected": "", "placeholder": PLACEHOLDER, "clear": clear}
    return render(request, "regions/options.html", context)


@requires("regions.view")
@require_http_methods(["GET", "POST"])
def index(request):
    """Provinces with drill-down (``?code=``), a name-prefix search (``?q=``), and a
    "find a region" form that shows the chosen path."""
    code = request.GET.get("code", "").strip()[:20]
    q = request.GET.get("q", "").strip()[:100]
    status = 200
    trail: list[Region] = []
    missing = ""
    if code:
        try:
            trail = selectors.path(code)
        except NotFound as exc:
            missing, status = str(exc.message), 404
    parent = trail[-1] if trail else None
    regions = list(selectors.children(parent.code if parent else None))
    results = selectors.search_by_name_prefix(q, limit=SEARCH_RESULTS) if q else []

    found_path: list[Region] = []
    if request.method == "POST":
        form = FindRegionForm(request.POST)
        if form.is_valid():
            found_path = selectors.path(form.cleaned_data["region"].code)
    else:
        form = FindRegionForm()
    context = {
        "form": form,
        "trail": trail,
        "parent": parent,
        "regions": regions,
        "child_level": Level(parent.level + 1).label if parent and parent.level < 4 else None,
        "missing": missing,
        "q": q,
        "results": results,
        "search_limit": SEARCH_RESULTS,
        "found_path": found_path,
    }
    return render(request, "regions/index.html", context, status=status)
