"""The facility standards report: one centre's scores (self-assessment and external
audit side by side), criteria, gaps, improvement plan, renovation progress and photos
of evidence. Built in the active language; no beneficiary data and no staff names."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, When
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rehsos.facilities.models import Facility
from rehsos.regions.models import Region
from rehsos.standards import selectors_compare as compare
from rehsos.standards.models import (
    MET_AT_LEAST,
    Action,
    Answer,
    Assessment,
    Catalogue,
    Criterion,
    Domain,
    Evidence,
    Finding,
    RenovationProject,
    SupervisionPhoto,
)
from rehsos.standards.reports import photos as photo_files
from rehsos.standards.reports.progress import (
    OPEN,
    ActionTotals,
    RenovationRow,
    action_totals,
    renovation_rows,
)
from rehsos.standards.scoring import SUBMITTED, AssessmentScore, scores

EVIDENCE_PHOTOS = 12
SUPERVISION_PHOTOS = 6


@dataclass(frozen=True)
class DomainRow:
    code: str
    label: str
    own: Decimal | None
    external: Decimal | None
    main: Decimal | None  # the percent of the assessment the report rests on
    met: int
    applicable: int
    not_applicable: int
    failed: bool
    critical_failed: tuple[str, ...]


@dataclass(frozen=True)
class CriterionLine:
    code: str
    domain: str
    domain_label: str
    text: str
    weight: Decimal
    critical: bool
    own: str  # rating label, "N/A", or ""
    external: str
    main_rating: int | None
    main_na: bool


@dataclass(frozen=True)
class Gap:
    code: str
    domain_label: str
    text: str
    critical: bool
    rating: str
    findings: tuple[str, ...]
    action: str  # the status of the action that answers it ("" when none)
    action_due: datetime.date | None


@dataclass(frozen=True)
class ActionLine:
    title: str
    criterion: str
    due_on: datetime.date
    status: str
    overdue: bool
    cost: Decimal | None
    funding: str
    closed_on: datetime.date | None


@dataclass(frozen=True)
class HistoryLine:
    on: datetime.date
    kind: str
    version: str
    percent: Decimal | None
    met_percent: Decimal | None
    passed: bool


@dataclass
class FacilityReport:
    facility: Facility
    province: str
    generated_at: datetime.datetime
    language: str
    catalogue: Catalogue | None
    version: object | None
    main: Assessment | None  # the external audit when there is one, else the self-assessment
    main_score: AssessmentScore | None
    own: Assessment | None
    own_score: AssessmentScore | None
    external: Assessment | None
    external_score: AssessmentScore | None
    agreement: compare.Agreement | None
    domains: list[DomainRow] = field(default_factory=list)
    criteria: list[CriterionLine] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    actions: list[ActionLine] = field(default_factory=list)
    action_totals: ActionTotals = field(default_factory=ActionTotals)
    renovations: list[RenovationRow] = field(default_factory=list)
    history: list[HistoryLine] = field(default_factory=list)
    photos: list = field(default_factory=list)
    supervision_photos: list = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("Standards report: %(centre)s") % {"centre": self.facility.name}

    @property
    def critical_gaps(self) -> int:
        return sum(1 for g in self.gaps if g.critical)


def _catalogue_for(facility: Facility, catalogue: Catalogue | None) -> Catalogue | None:
    if catalogue is not None:
        return catalogue
    latest = (
        Assessment.objects.filter(facility=facility, status__in=SUBMITTED)
        .select_related("version__catalogue")
        .order_by("-submitted_at", "-id")
        .first()
    )
    return latest.version.catalogue if latest else None


def _latest(facility: Facility, catalogue: Catalogue, kind: str) -> Assessment | None:
    return (
        Assessment.objects.filter(
            facility=facility, kind=kind, status__in=SUBMITTED, version__catalogue=catalogue
        )
        .select_related("version__catalogue")
        .order_by("-submitted_at", "-started_on", "-id")
        .first()
    )


def facility_report(
    facility: Facility,
    *,
    catalogue: Catalogue | None = None,
    today: datetime.date | None = None,
    with_photos: bool = True,
) -> FacilityReport:
    """Everything the facility report shows (the caller checks the scope)."""
    today = today or timezone.localdate()
    language = get_language() or "id"
    catalogue = _catalogue_for(facility, catalogue)
    province = Region.objects.filter(code=facility.province_code).values_list("name", flat=True)
    report = FacilityReport(
        facility=facility,
        province=province.first() or facility.province_code,
        generated_at=timezone.now(),
        language=language,
        catalogue=catalogue,
        version=None,
        main=None,
        main_score=None,
        own=None,
        own_score=None,
        external=None,
        external_score=None,
        agreement=None,
    )
    if catalogue is not None:
        _assessments(report, facility, catalogue, language)
    _actions(report, facility, today, language)
    projects = RenovationProject.objects.filter(facility=facility).exclude(
        status=RenovationProject.Status.CANCELLED
    )
    report.renovations = renovation_rows(projects, today)
    if with_photos:
        _photos(report, facility)
    return report


def _assessments(report: FacilityReport, facility, catalogue, language: str) -> None:
    external = _latest(facility, catalogue, Assessment.Kind.EXTERNAL)
    own = _latest(facility, catalogue, Assessment.Kind.SELF)
    # The self-assessment shown beside the audit is one of the same version.
    if external and own and own.version_id != external.version_id:
        own = (
            Assessment.objects.filter(
                facility=facility,
                kind=Assessment.Kind.SELF,
                status__in=SUBMITTED,
                version_id=external.version_id,
            )
            .order_by("-submitted_at", "-id")
            .first()
        )
    main = external or own
    report.main, report.own, report.external = main, own, external
    report.version = main.version if main else None
    history = list(
        Assessment.objects.filter(
            facility=facility, status__in=SUBMITTED, version__catalogue=catalogue
        ).select_related("version__catalogue")
    )
    computed = scores([a.pk for a in history] + [a.pk for a in (own, external) if a])
    report.own_score = computed.get(own.pk) if own else None
    report.external_score = computed.get(external.pk) if external else None
    report.main_score = computed.get(main.pk) if main else None
    report.history = sorted(
        (
            HistoryLine(
                on=compare.assessment_date(a),
                kind=a.get_kind_display(),
                version=str(a.version),
                percent=computed[a.pk].percent,
                met_percent=computed[a.pk].met_percent,
                passed=computed[a.pk].passed,
            )
            for a in history
        ),
        key=lambda h: h.on,
    )
    if main is None:
        return
    labels = dict(Domain.choices)
    for code, d in report.main_score.domains.items():
        own_d = report.own_score.domains.get(code) if report.own_score else None
        ext_d = report.external_score.domains.get(code) if report.external_score else None
        report.domains.append(
            DomainRow(
                code=code,
                label=str(labels.get(code, code)),
                own=own_d.percent if own_d else None,
                external=ext_d.percent if ext_d else None,
                main=d.percent,
                met=d.met,
                applicable=d.applicable,
                not_applicable=d.not_applicable,
                failed=d.failed,
                critical_failed=d.critical_failed,
            )
        )
    if own and external:
        report.agreement = compare.self_vs_external(
            None, facility=facility, own=own, external=external
        ).overall
    _criteria(report, main, own, external, language, labels)


def _criteria(report, main, own, external, language, labels) -> None:
    ids = [a.pk for a in (own, external) if a]
    answers = {
        (a.assessment_id, a.criterion_id): a
        for a in Answer.objects.filter(assessment_id__in=ids).only(
            "assessment_id", "criterion_id", "rating", "not_applicable", "comment"
        )
    }

    def side(assessment, criterion):
        if assessment is None:
            return compare.EMPTY_SIDE
        a = answers.get((assessment.pk, criterion.pk))
        if a is None:
            return compare.EMPTY_SIDE
        return compare.Side(a.rating, a.not_applicable, a.comment, None)

    findings: dict[int, list[str]] = {}
    for criterion_id, text in Finding.objects.filter(
        assessment=main, kind=Finding.Kind.RECOMMENDATION, criterion__isnull=False
    ).values_list("criterion_id", "text"):
        findings.setdefault(criterion_id, []).append(text)
    actions = {
        a.criterion_id: a
        for a in Action.objects.filter(facility=main.facility, criterion__version=main.version)
        .exclude(status=Action.Status.CANCELLED)
        .order_by("due_on")
    }
    for criterion in Criterion.objects.filter(version=main.version).order_by("order", "code"):
        m = side(main, criterion)
        text = criterion.text(language)
        report.criteria.append(
            CriterionLine(
                code=criterion.code,
                domain=criterion.domain,
                domain_label=str(labels.get(criterion.domain, criterion.domain)),
                text=text,
                weight=criterion.weight,
                critical=criterion.critical,
                own=compare.rating_label(criterion.scale, side(own, criterion)),
                external=compare.rating_label(criterion.scale, side(external, criterion)),
                main_rating=m.rating,
                main_na=m.not_applicable,
            )
        )
        if m.rating is not None and not m.not_applicable and m.rating < MET_AT_LEAST:
            action = actions.get(criterion.pk)
            report.gaps.append(
                Gap(
                    code=criterion.code,
                    domain_label=str(labels.get(criterion.domain, criterion.domain)),
                    text=text,
                    critical=criterion.critical,
                    rating=compare.rating_label(criterion.scale, m),
                    findings=tuple(findings.get(criterion.pk, ())),
                    action=action.get_status_display() if action else "",
                    action_due=action.due_on if action else None,
                )
            )
    # Critical gaps first, then catalogue order.
    report.gaps.sort(key=lambda g: not g.critical)


def _actions(report: FacilityReport, facility, today, language) -> None:
    qs = Action.objects.filter(facility=facility).select_related("criterion")
    report.action_totals = action_totals(qs, today).get(facility.pk, ActionTotals())
    report.actions = [
        ActionLine(
            title=a.title,
            criterion=a.criterion.code if a.criterion else "",
            due_on=a.due_on,
            status=a.get_status_display(),
            overdue=a.status in OPEN and a.due_on < today,
            cost=a.cost_estimate,
            funding=a.get_funding_display(),
            closed_on=a.closed_on,
        )
        for a in qs.exclude(status=Action.Status.CANCELLED).order_by("due_on", "pk")
    ]
    # Overdue first, then the open ones, then those done; each by due date.
    report.actions.sort(key=lambda a: (not a.overdue, a.closed_on is not None, a.due_on))


def _photos(report: FacilityReport, facility) -> None:
    if report.main is not None:
        ids = [a.pk for a in (report.main, report.own) if a]
        rows = (
            Evidence.objects.filter(answer__assessment_id__in=ids, kind=Evidence.Kind.PHOTO)
            # the audit's photos first, of unmet criteria first
            .order_by(
                Case(When(answer__assessment_id=report.main.pk, then=0), default=1),
                "answer__rating",
                "answer__criterion__order",
                "-valid_from",
            )
            .values_list("file", "caption", "answer__criterion__code", "valid_from")
        )
        report.photos = photo_files.photos(rows, limit=EVIDENCE_PHOTOS)
    rows = (
        SupervisionPhoto.objects.filter(report__project__facility=facility)
        .exclude(report__project__status=RenovationProject.Status.CANCELLED)
        .order_by("-report__reported_on", "-taken_on", "-pk")
        .values_list("file", "caption", "report__project__title", "taken_on")
    )
    report.supervision_photos = photo_files.photos(rows, limit=SUPERVISION_PHOTOS)
