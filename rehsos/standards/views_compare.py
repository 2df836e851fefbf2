"""Pages comparing standards assessments: self-assessment vs external audit, a centre
over time (an inline SVG line chart drawn here, no JavaScript), centres against each
other and a reference (model) centre."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rehsos.core.errors import ValidationFailed
from rehsos.core.permissions import requires, scoped
from rehsos.facilities.models import Facility
from rehsos.standards import selectors_compare as compare
from rehsos.standards.models import Assessment, Catalogue, CatalogueVersion, Domain

# Colours that stay apart in print and for colour-blind readers (Okabe–Ito), overall black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999")


# --- the line chart ------------------------------------------------------------------


@dataclass(frozen=True)
class ChartLine:
    key: str
    label: str
    colour: str
    width: float
    points: str  # "x,y x,y …" for <polyline>
    dots: tuple[tuple[float, float, str], ...]  # (x, y, tooltip)


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    y_ticks: tuple[tuple[float, int], ...]  # (y, percent)
    x_ticks: tuple[tuple[float, str, str], ...]  # (x, date label, text-anchor)
    lines: tuple[ChartLine, ...]

    @property
    def x_end(self) -> int:
        return self.width - self.right


def line_chart(
    series: dict[str, list[tuple[datetime.date, Decimal | None]]],
    labels: dict[str, str],
    *,
    width: int = 760,
    height: int = 320,
) -> LineChart | None:
    """Percent (0–100) over time; x by date (evenly spread when all on one day). A
    missing value breaks no line: the line joins the points that exist."""
    dates = sorted({d for points in series.values() for d, _v in points})
    if not dates:
        return None
    left, right, top, bottom = 44, 16, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = dates[0], dates[-1]
    span = (last - first).days

    def x_of(day: datetime.date) -> float:
        if span == 0:
            return left + plot_w / 2
        return round(left + plot_w * (day - first).days / span, 1)

    def y_of(value: Decimal) -> float:
        return round(top + plot_h * (1 - float(value) / 100), 1)

    lines = []
    for i, (key, points) in enumerate(series.items()):
        present = [(d, v) for d, v in points if v is not None]
        if not present:
            continue
        colour = "#212529" if key == "overall" else PALETTE[(i - 1) % len(PALETTE)]
        coords = [(x_of(d), y_of(v), f"{labels[key]} {date_format(d)}: {v}%") for d, v in present]
        lines.append(
            ChartLine(
                key=key,
                label=labels[key],
                colour=colour,
                width=3 if key == "overall" else 1.5,
                points=" ".join(f"{x},{y}" for x, y, _t in coords),
                dots=tuple(coords),
            )
        )
    # At most 8 date labels, evenly picked.
    step = max(1, -(-len(dates) // 8))
    picked = dates[::step]

    def anchor(day: datetime.date) -> str:
        # The first and last labels stay inside the picture.
        if span and day == first:
            return "start"
        return "end" if span and day == last else "middle"

    x_ticks = tuple((x_of(d), date_format(d, "SHORT_DATE_FORMAT"), anchor(d)) for d in picked)
    y_ticks = tuple((y_of(Decimal(p)), p) for p in (0, 25, 50, 75, 100))
    return LineChart(width, height, left, right, top, bottom, y_ticks, x_ticks, tuple(lines))


# --- helpers -------------------------------------------------------------------------


def _centres(user):
    return scoped(user, Facility.objects.filter(is_active=True)).order_by("name")


def _kind(value: str | None) -> str:
    if value and value not in Assessment.Kind.values:
        raise ValidationFailed(fields={"kind": _("Choose self or external.")})
    return value or ""


def _errors(exc: ValidationFailed) -> dict:
    return {name: str(message) for name, message in exc.fields.items()}


def _domain_labels() -> dict[str, str]:
    return {code: str(label) for code, label in Domain.choices}


# --- (a) self vs external ------------------------------------------------------------


@requires("standards.view")
@require_GET
def self_vs_external(request: HttpRequest) -> HttpResponse:
    user = request.user
    centres = _centres(user)
    code = request.GET.get("centre") or (
        user.facility.code if user.facility_id and user.facility else ""
    )
    context: dict = {"centres": centres, "centre_code": code, "errors": {}}
    if not code:
        return render(request, "standards/compare/self_external.html", context)
    facility = compare.facility_for_user(user, code)
    context["facility"] = facility
    context["versions"] = compare.comparable_versions(facility)
    options = scoped(user, Assessment.objects.filter(facility=facility)).select_related(
        "version__catalogue"
    )
    context["self_options"] = options.filter(kind=Assessment.Kind.SELF)
    context["external_options"] = options.filter(kind=Assessment.Kind.EXTERNAL)
    try:
        version = own = external = None
        if request.GET.get("version"):
            version = CatalogueVersion.objects.filter(public_id=request.GET["version"]).first()
            if version is None:
                raise ValidationFailed(fields={"version": _("No such catalogue version.")})
        if request.GET.get("self"):
            own = compare.assessment_for_user(user, request.GET["self"])
        if request.GET.get("external"):
            external = compare.assessment_for_user(user, request.GET["external"])
        context["result"] = compare.self_vs_external(
            user, facility=facility, version=version, own=own, external=external
        )
    except ValidationFailed as exc:
        context["errors"] = _errors(exc)
    if context.get("result"):
        context["domain_rows"] = _domain_rows(context["result"])
    return render(request, "standards/compare/self_external.html", context)


def _domain_rows(result: compare.SelfVsExternal) -> list[dict]:
    labels = _domain_labels()

    def percent(score, code):
        domain = score.domains.get(code) if score else None
        return domain.percent if domain else None

    return [
        {
            "code": code,
            "label": labels.get(code, code),
            "own": percent(result.own_score, code),
            "external": percent(result.external_score, code),
            "agreement": agreement,
        }
        for code, agreement in result.by_domain.items()
    ]


# --- (b) a centre over time ----------------------------------------------------------


@requires("standards.view")
@require_GET
def over_time(request: HttpRequest) -> HttpResponse:
    user = request.user
    code = request.GET.get("centre") or (
        user.facility.code if user.facility_id and user.facility else ""
    )
    context: dict = {
        "centres": _centres(user),
        "centre_code": code,
        "catalogues": Catalogue.objects.order_by("code"),
        "kinds": Assessment.Kind.choices,
        "kind": request.GET.get("kind", ""),
        "catalogue_code": request.GET.get("catalogue", ""),
        "errors": {},
    }
    if not code:
        return render(request, "standards/compare/over_time.html", context)
    facility = compare.facility_for_user(user, code)
    context["facility"] = facility
    try:
        kind = _kind(request.GET.get("kind"))
        catalogue = (
            compare.catalogue_by_code(request.GET["catalogue"])
            if request.GET.get("catalogue")
            else None
        )
        timeline = compare.facility_over_time(
            user, facility=facility, kind=kind, catalogue=catalogue
        )
    except ValidationFailed as exc:
        context["errors"] = _errors(exc)
        return render(request, "standards/compare/over_time.html", context)
    labels = {"overall": _("Overall"), **_domain_labels()}
    context["timeline"] = timeline
    context["chart"] = line_chart(timeline.series(), labels)
    context["domain_columns"] = [{"code": d, "label": labels[d]} for d in timeline.domains]
    context["table"] = [
        {
            "on": p.on,
            "assessment": p.assessment,
            "percent": p.score.percent,
            "met_percent": p.score.met_percent,
            "passed": p.score.passed,
            "cells": [
                {
                    "percent": p.score.domains[d].percent if d in p.score.domains else None,
                    "failed": d in p.score.domains and p.score.domains[d].failed,
                }
                for d in timeline.domains
            ],
        }
        for p in reversed(timeline.points)
    ]
    return render(request, "standards/compare/over_time.html", context)


# --- (c) centres against each other --------------------------------------------------


@requires("standards.view")
@require_GET
def centres(request: HttpRequest) -> HttpResponse:
    user = request.user
    catalogues = list(Catalogue.objects.order_by("code"))
    context: dict = {
        "catalogues": catalogues,
        "kinds": Assessment.Kind.choices,
        "kind": request.GET.get("kind", ""),
        "catalogue_code": request.GET.get("catalogue", ""),
        "reference_code": request.GET.get("reference", ""),
        "province": request.GET.get("province", ""),
        "errors": {},
        "domain_labels": _domain_labels(),
    }
    code = context["catalogue_code"] or (catalogues[0].code if catalogues else "")
    context["catalogue_code"] = code
    if not code:
        return render(request, "standards/compare/centres.html", context)
    try:
        catalogue = compare.catalogue_by_code(code)
        kind = _kind(request.GET.get("kind"))
        province = request.GET.get("province", "")
        if province and not (len(province) == 2 and province.isdigit()):
            raise ValidationFailed(fields={"province": _("A province code has two digits.")})
        reference = None
        if context["reference_code"]:
            reference = compare.reference_for_user(user, context["reference_code"])
        else:
            reference = compare.default_reference(catalogue, kind or None)
        benchmark = compare.centres_compared(
            user, catalogue=catalogue, kind=kind, reference=reference, province=province
        )
    except ValidationFailed as exc:
        context["errors"] = _errors(exc)
        return render(request, "standards/compare/centres.html", context)
    context["benchmark"] = benchmark
    labels = _domain_labels()
    context["domain_columns"] = [{"code": d, "label": labels[d]} for d in benchmark.domains]
    context["rows"] = [_centre_row(r, benchmark.domains) for r in benchmark.rows]
    context["reference_row"] = (
        _centre_row(benchmark.reference, benchmark.domains) if benchmark.reference else None
    )
    context["means"] = [benchmark.means.get(d) for d in benchmark.domains]
    context["reference_code"] = reference.code if reference else ""
    # The benchmark may be any centre in scope or any national model centre.
    in_scope = list(_centres(user).values_list("code", "name"))
    models = list(
        Facility.objects.filter(is_model=True)
        .exclude(code__in=[c for c, _n in in_scope])
        .values_list("code", "name")
    )
    context["reference_choices"] = models + in_scope
    return render(request, "standards/compare/centres.html", context)


def _centre_row(row: compare.CentreRow, domains: list[str]) -> dict:
    return {
        "facility": row.facility,
        "assessment": row.assessment,
        "percent": row.score.percent,
        "gap": row.gap,
        "met_percent": row.score.met_percent,
        "passed": row.score.passed,
        "cells": [
            {
                "percent": row.percent(d),
                "gap": row.gaps.get(d),
                "failed": d in row.score.domains and row.score.domains[d].failed,
            }
            for d in domains
        ],
    }
