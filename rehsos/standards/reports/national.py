"""The national standards report: every centre in the user's scope with its latest
submitted assessment, per domain and per province; the national model centres; the
criteria most often unmet; improvement plans; renovation works; photos of evidence.

Aggregated in the database: the scores by :func:`scoring.scores` (grouped queries), the
unmet criteria, the actions and the renovation money by GROUP BY — no per-answer or
per-centre query loop. No beneficiary data, no staff names."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rehsos.core.permissions import scoped
from rehsos.core.roles import ScopeLevel
from rehsos.facilities.models import Facility
from rehsos.regions.models import Region
from rehsos.standards.models import (
    MET_AT_LEAST,
    Action,
    Answer,
    Assessment,
    Catalogue,
    Domain,
    Evidence,
    RenovationProject,
)
from rehsos.standards.reports import photos as photo_files
from rehsos.standards.reports.progress import (
    ActionTotals,
    RenovationRow,
    action_totals,
    renovation_rows,
    sum_totals,
)
from rehsos.standards.scoring import (
    SUBMITTED,
    AssessmentScore,
    latest_assessments,
    percent_of,
    scores,
)

TOP_GAPS = 25
LOWEST = 30
PHOTOS = 8
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class CentreLine:
    facility: Facility
    province: str
    assessment: Assessment | None
    score: AssessmentScore | None
    actions: ActionTotals

    def percent(self, domain: str) -> Decimal | None:
        if self.score is None or domain not in self.score.domains:
            return None
        return self.score.domains[domain].percent

    def failed(self, domain: str) -> bool:
        return bool(
            self.score and domain in self.score.domains and self.score.domains[domain].failed
        )


@dataclass(frozen=True)
class DomainSummary:
    code: str
    label: str
    centres: int  # centres with a percent in the domain
    mean: Decimal | None
    lowest: Decimal | None
    highest: Decimal | None
    failed: int  # centres whose domain failed on a critical criterion
    met_percent: Decimal | None  # criteria met / applicable, over every centre


@dataclass(frozen=True)
class ProvinceSummary:
    code: str
    name: str
    centres: int
    assessed: int
    mean: Decimal | None
    passed: int
    overdue_actions: int


@dataclass(frozen=True)
class FrequentGap:
    code: str
    domain_label: str
    text: str
    critical: bool
    centres: int  # centres whose latest assessment rates it below met
    rated: int  # centres whose latest assessment rates it at all
    percent: Decimal | None


@dataclass
class NationalReport:
    generated_at: datetime.datetime
    language: str
    scope_label: str
    catalogue: Catalogue | None
    kind: str
    centres: list[CentreLine]
    domains: list[DomainSummary]
    provinces: list[ProvinceSummary]
    frequent_gaps: list[FrequentGap]
    actions: ActionTotals
    renovations: list[RenovationRow]
    photos: list = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("National standards report")

    @property
    def assessed(self) -> list[CentreLine]:
        return [c for c in self.centres if c.score is not None]

    @property
    def models(self) -> list[CentreLine]:
        return [c for c in self.centres if c.facility.is_model]

    @property
    def mean(self) -> Decimal | None:
        return _mean(c.score.percent for c in self.assessed)

    @property
    def passed(self) -> int:
        return sum(1 for c in self.assessed if c.score.passed)

    @property
    def lowest(self) -> list[CentreLine]:
        """The 30 assessed centres with the lowest scores (the PDF's annex; every centre
        is in the XLSX)."""
        scored = [c for c in self.assessed if c.score.percent is not None]
        return sorted(scored, key=lambda c: (c.score.percent, c.facility.name))[:LOWEST]

    @property
    def overdue_centres(self) -> list[CentreLine]:
        """Centres with overdue actions, most first."""
        rows = [c for c in self.centres if c.actions.overdue]
        return sorted(rows, key=lambda c: (-c.actions.overdue, c.facility.name))

    @property
    def lowest_rows(self) -> list[dict]:
        """:attr:`lowest` with each centre's domain percents in the order of ``domains``."""
        codes = [d.code for d in self.domains]
        return [
            {
                "centre": c,
                "cells": [{"percent": c.percent(code), "failed": c.failed(code)} for code in codes],
            }
            for c in self.lowest
        ]

    @property
    def renovation_budget(self) -> Decimal:
        return sum((r.budget for r in self.renovations), Decimal(0))

    @property
    def renovation_paid(self) -> Decimal:
        return sum((r.paid for r in self.renovations), Decimal(0))


def _mean(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return (sum(present, Decimal(0)) / len(present)).quantize(_CENT, ROUND_HALF_UP)


def scope_label(user) -> str:
    if user is None or user.scope_level == ScopeLevel.NATION:
        return _("Nation")
    if user.scope_level == ScopeLevel.PROVINCE:
        name = Region.objects.filter(code=user.province_code).values_list("name", flat=True)
        return _("Province: %(name)s") % {"name": name.first() or user.province_code}
    return _("Centre: %(name)s") % {"name": user.facility.name if user.facility else "—"}


def national_report(
    user,
    *,
    catalogue: Catalogue | None = None,
    kind: str | None = None,
    today: datetime.date | None = None,
    with_photos: bool = True,
    progress=None,
) -> NationalReport:
    """The report over the centres in ``user``'s scope (every centre for ``None``: the
    benchmark and the command line)."""
    today = today or timezone.localdate()
    language = get_language() or "id"
    step = progress or (lambda message: None)

    in_scope = Facility.objects.filter(is_active=True)
    if user is not None:
        in_scope = scoped(user, in_scope)
    facilities = list(in_scope.order_by("province_code", "name"))
    provinces = dict(
        Region.objects.filter(code__in={f.province_code for f in facilities}).values_list(
            "code", "name"
        )
    )
    step(_("Finding the latest assessments"))
    # The centres stay a subquery: a nation's ids are no list of parameters.
    ids_in_scope = in_scope.values_list("pk", flat=True)
    latest = latest_assessments(ids_in_scope, kind or None, catalogue=catalogue)
    step(_("Scoring"))
    computed = scores(latest.values())
    assessments = {
        a.pk: a
        for a in Assessment.objects.filter(
            pk__in=_latest_subquery(ids_in_scope, kind, catalogue)
        ).select_related("version__catalogue")
        if a.pk in computed
    }
    step(_("Summing the improvement plans"))
    totals = action_totals(Action.objects.filter(facility_id__in=ids_in_scope), today)
    centres = []
    for f in facilities:
        assessment_id = latest.get(f.pk)
        centres.append(
            CentreLine(
                facility=f,
                province=provinces.get(f.province_code, f.province_code),
                assessment=assessments.get(assessment_id),
                score=computed.get(assessment_id),
                actions=totals.get(f.pk, ActionTotals()),
            )
        )
    report = NationalReport(
        generated_at=timezone.now(),
        language=language,
        scope_label=scope_label(user),
        catalogue=catalogue,
        kind=kind or "",
        centres=centres,
        domains=_domains(centres),
        provinces=_provinces(centres),
        frequent_gaps=[],
        actions=sum_totals(totals.values()),
        renovations=[],
    )
    step(_("Finding the most frequent gaps"))
    report.frequent_gaps = frequent_gaps(list(latest.values()), language)
    step(_("Renovation progress"))
    projects = RenovationProject.objects.filter(facility__is_active=True).exclude(
        status=RenovationProject.Status.CANCELLED
    )
    if user is not None:
        projects = scoped(user, projects)
    report.renovations = renovation_rows(projects, today)
    if with_photos:
        step(_("Photos of evidence"))
        model_ids = [latest[f.pk] for f in facilities if f.is_model and f.pk in latest]
        rows = (
            Evidence.objects.filter(answer__assessment_id__in=model_ids, kind=Evidence.Kind.PHOTO)
            .order_by("answer__rating", "-valid_from", "pk")
            .values_list("file", "caption", "answer__assessment__facility__name", "valid_from")
        )
        report.photos = photo_files.photos(rows, limit=PHOTOS)
    return report


def _latest_subquery(facility_ids, kind, catalogue):
    """The submitted assessments of the centres (a superset of the latest ones, filtered
    to them in Python): keeps the query free of a long list of ids."""
    qs = Assessment.objects.filter(facility_id__in=facility_ids, status__in=SUBMITTED)
    if kind:
        qs = qs.filter(kind=kind)
    if catalogue is not None:
        qs = qs.filter(version__catalogue=catalogue)
    return qs.values("pk")


def _domains(centres: list[CentreLine]) -> list[DomainSummary]:
    labels = dict(Domain.choices)
    out = []
    for code in Domain.values:
        values = [c.percent(code) for c in centres if c.percent(code) is not None]
        scored = [c.score.domains[code] for c in centres if c.score and code in c.score.domains]
        if not scored:
            continue
        met = sum(d.met for d in scored)
        applicable = sum(d.applicable for d in scored)
        out.append(
            DomainSummary(
                code=code,
                label=str(labels[code]),
                centres=len(values),
                mean=_mean(values),
                lowest=min(values) if values else None,
                highest=max(values) if values else None,
                failed=sum(1 for d in scored if d.failed),
                met_percent=percent_of(met, applicable),
            )
        )
    return out


def _provinces(centres: list[CentreLine]) -> list[ProvinceSummary]:
    grouped: dict[str, list[CentreLine]] = defaultdict(list)
    for c in centres:
        grouped[c.facility.province_code].append(c)
    return [
        ProvinceSummary(
            code=code,
            name=rows[0].province,
            centres=len(rows),
            assessed=sum(1 for c in rows if c.score),
            mean=_mean(c.score.percent for c in rows if c.score),
            passed=sum(1 for c in rows if c.score and c.score.passed),
            overdue_actions=sum(c.actions.overdue for c in rows),
        )
        for code, rows in sorted(grouped.items())
    ]


def frequent_gaps(
    assessment_ids: list[int], language: str, *, limit: int | None = TOP_GAPS, unmet_only=True
) -> list[FrequentGap]:
    """The criteria (by code) most often rated below "met" in the given assessments:
    one GROUP BY over their answers. ``unmet_only=False, limit=None``: every criterion
    rated at least once (the XLSX's criteria sheet)."""
    if not assessment_ids:
        return []
    text_field = "criterion__text_id" if language.startswith("id") else "criterion__text_en"
    rows = (
        Answer.objects.filter(assessment_id__in=assessment_ids, not_applicable=False)
        .filter(rating__isnull=False)
        .values("criterion__code", "criterion__domain")
        .annotate(
            unmet=Count("pk", filter=Q(rating__lt=MET_AT_LEAST)),
            rated=Count("pk"),
            critical=Count("pk", filter=Q(criterion__critical=True)),
            text=Max(text_field),
        )
    )
    if unmet_only:
        rows = rows.filter(unmet__gt=0).order_by("-unmet", "criterion__code")
    else:
        rows = rows.order_by("criterion__code", "criterion__domain")
    if limit is not None:
        rows = rows[:limit]
    labels = dict(Domain.choices)
    return [
        FrequentGap(
            code=r["criterion__code"],
            domain_label=str(labels.get(r["criterion__domain"], r["criterion__domain"])),
            text=r["text"],
            critical=bool(r["critical"]),
            centres=r["unmet"],
            rated=r["rated"],
            percent=percent_of(r["unmet"], r["rated"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class CentreGaps:
    centre: CentreLine
    unmet: int
    critical_unmet: tuple[str, ...]
    codes: tuple[str, ...]  # every unmet criterion, in catalogue order


def gaps_by_centre(report: NationalReport) -> list[CentreGaps]:
    """Each assessed centre's unmet criteria (rated below "met"), from one query over
    the answers (code and critical flag only), grouped here."""
    ids = {c.assessment.pk: c for c in report.assessed}
    if not ids:
        return []
    unmet: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    rows = (
        Answer.objects.filter(
            assessment_id__in=list(ids), not_applicable=False, rating__lt=MET_AT_LEAST
        )
        .order_by("assessment_id", "criterion__order", "criterion__code")
        .values_list("assessment_id", "criterion__code", "criterion__critical")
    )
    for assessment_id, code, critical in rows.iterator(chunk_size=20_000):
        unmet[assessment_id].append((code, critical))
    out = []
    for assessment_id, centre in ids.items():
        found = unmet.get(assessment_id, [])
        out.append(
            CentreGaps(
                centre=centre,
                unmet=len(found),
                critical_unmet=tuple(code for code, critical in found if critical),
                codes=tuple(code for code, _critical in found),
            )
        )
    return out
