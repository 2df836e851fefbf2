"""API of the standards app: scores of assessments, comparisons, and standards reports
(queued as background jobs)."""

import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from rehsos.core.api import Problem
from rehsos.core.api_audit import JobOut
from rehsos.core.errors import ValidationFailed
from rehsos.core.models import Job, User
from rehsos.core.permissions import requires, scoped
from rehsos.standards import selectors_compare as compare
from rehsos.standards.models import Assessment, CatalogueVersion
from rehsos.standards.reports.jobs import start_report
from rehsos.standards.scoring import AssessmentScore, DomainScore, scores

router = Router(tags=["standards"])

MAX_SCORES = 500


class ReportDomainScoreOut(Schema):
    domain: str
    label: str
    possible: Decimal = Field(
        ..., description="Sum of the weights of the rated, applicable criteria."
    )
    earned: Decimal = Field(..., description="Sum of weight × the share the rating earns.")
    percent: Decimal | None = Field(
        ..., description="100 × earned / possible; null: nothing rated."
    )
    criteria: int
    applicable: int = Field(..., description="Rated and not N/A.")
    not_applicable: int
    unrated: int
    met: int
    critical_failed: list[str]
    failed: bool = Field(..., description="A critical criterion is rated below met.")


class ReportScoreOut(Schema):
    assessment: UUID
    facility: str = Field(..., description="The centre's code.")
    kind: str
    status: str
    version: str
    percent: Decimal | None
    met: int
    applicable: int
    unrated: int
    not_applicable: int
    met_percent: Decimal | None
    critical_failed: list[str]
    passed: bool
    domains: list[ReportDomainScoreOut]


class ScoresQuery(Schema):
    assessment: list[UUID] = Field(
        ..., description=f"Assessment ids (repeat the parameter; at most {MAX_SCORES})."
    )


def _domain_out(d: DomainScore) -> dict:
    return {
        "domain": d.domain,
        "label": d.label,
        "possible": d.possible,
        "earned": d.earned,
        "percent": d.percent,
        "criteria": d.criteria,
        "applicable": d.applicable,
        "not_applicable": d.not_applicable,
        "unrated": d.unrated,
        "met": d.met,
        "critical_failed": list(d.critical_failed),
        "failed": d.failed,
    }


def _score_out(assessment: Assessment, s: AssessmentScore) -> dict:
    return {
        "assessment": assessment.public_id,
        "facility": assessment.facility.code,
        "kind": assessment.kind,
        "status": assessment.status,
        "version": str(assessment.version),
        "percent": s.percent,
        "met": s.met,
        "applicable": s.applicable,
        "unrated": s.unrated,
        "not_applicable": s.not_applicable,
        "met_percent": s.met_percent,
        "critical_failed": list(s.critical_failed),
        "passed": s.passed,
        "domains": [_domain_out(d) for d in s.domains.values()],
    }


@router.get(
    "/standards/scores/{public_id}",
    response={200: ReportScoreOut, 403: Problem, 404: Problem},
    summary="The score of an assessment, overall and per domain",
    url_name="standards_score",
)
@requires("standards.view")
def score_of(request, public_id: UUID):
    """Computed live from the answers (N/A left out of the denominator; a critical
    criterion rated below met fails its domain and the assessment)."""
    assessment = compare.assessment_for_user(request.auth, public_id)
    return _score_out(assessment, scores([assessment.pk])[assessment.pk])


@router.get(
    "/standards/scores",
    response={200: list[ReportScoreOut], 403: Problem, 422: Problem},
    summary="The scores of many assessments at once",
)
@requires("standards.view")
def scores_of(request, query: Query[ScoresQuery]):
    """Assessments out of your scope or unknown are left out of the answer."""
    if len(query.assessment) > MAX_SCORES:
        raise ValidationFailed(
            fields={"assessment": _("At most %(n)s ids per request.") % {"n": MAX_SCORES}}
        )
    assessments = list(
        scoped(request.auth, Assessment.objects.filter(public_id__in=query.assessment))
        .select_related("facility", "version__catalogue")
        .order_by("pk")
    )
    computed = scores([a.pk for a in assessments])
    return [_score_out(a, computed[a.pk]) for a in assessments]


# --- comparisons ---------------------------------------------------------------------


class AgreementOut(Schema):
    pairs: int = Field(..., description="Criteria rated (not N/A) in both assessments.")
    exact: int
    within_one: int
    exact_percent: Decimal | None
    within_one_percent: Decimal | None
    kappa: Decimal | None = Field(
        ..., description="Quadratic-weighted Cohen's kappa; null when undefined."
    )
    kappa_note: str
    mean_difference: Decimal | None = Field(..., description="Mean of external − self.")


class CriterionComparisonOut(Schema):
    code: str
    domain: str
    critical: bool
    text: str
    self_rating: int | None
    self_not_applicable: bool
    external_rating: int | None
    external_not_applicable: bool
    difference: int | None = Field(..., description="external − self, when both rated.")
    agreement: Literal["exact", "within_one", "apart", "na_mismatch", "incomplete"]


class AssessorAgreementOut(Schema):
    assessor: str = Field(..., description="The external assessor's user name.")
    agreement: AgreementOut


class DomainAgreementOut(Schema):
    domain: str
    agreement: AgreementOut


class SelfExternalOut(Schema):
    facility: str
    version: str | None
    self_assessment: UUID | None
    external: UUID | None
    self_score: Decimal | None
    external_score: Decimal | None
    overall: AgreementOut | None
    na_mismatches: int
    by_domain: list[DomainAgreementOut]
    by_assessor: list[AssessorAgreementOut]
    criteria: list[CriterionComparisonOut]


class SelfExternalQuery(Schema):
    centre: str = Field(..., max_length=40, description="The centre's code.")
    version: UUID | None = Field(
        None, description="Catalogue version id; default: the latest audited."
    )
    self_assessment: UUID | None = Field(None, alias="self")
    external: UUID | None = None


def _agreement_out(a: compare.Agreement | None) -> dict | None:
    if a is None:
        return None
    return {
        "pairs": a.pairs,
        "exact": a.exact,
        "within_one": a.within_one,
        "exact_percent": a.exact_percent,
        "within_one_percent": a.within_one_percent,
        "kappa": a.kappa,
        "kappa_note": a.kappa_note,
        "mean_difference": a.mean_difference,
    }


@router.get(
    "/standards/compare/self-external",
    response={200: SelfExternalOut, 403: Problem, 404: Problem, 422: Problem},
    summary="A self-assessment beside the external audit of the same centre and version",
)
@requires("standards.view")
def compare_self_external(request, query: Query[SelfExternalQuery]):
    """Per criterion both ratings and the difference; exact agreement, agreement within
    one level and quadratic-weighted kappa overall, per domain and per external assessor."""
    user = request.auth
    facility = compare.facility_for_user(user, query.centre)
    version = None
    if query.version:
        version = CatalogueVersion.objects.filter(public_id=query.version).first()
        if version is None:
            raise ValidationFailed(fields={"version": _("No such catalogue version.")})
    own = (
        compare.assessment_for_user(user, query.self_assessment) if query.self_assessment else None
    )
    external = compare.assessment_for_user(user, query.external) if query.external else None
    result = compare.self_vs_external(
        user, facility=facility, version=version, own=own, external=external
    )
    usernames = dict(
        User.objects.filter(
            pk__in=[a.user_id for a in result.by_assessor if a.user_id]
        ).values_list("pk", "username")
    )
    return {
        "facility": facility.code,
        "version": str(result.version) if result.version else None,
        "self_assessment": result.own.public_id if result.own else None,
        "external": result.external.public_id if result.external else None,
        "self_score": result.own_score.percent if result.own_score else None,
        "external_score": result.external_score.percent if result.external_score else None,
        "overall": _agreement_out(result.overall),
        "na_mismatches": result.na_mismatches,
        "by_domain": [
            {"domain": d, "agreement": _agreement_out(a)} for d, a in result.by_domain.items()
        ],
        "by_assessor": [
            {"assessor": usernames.get(a.user_id, ""), "agreement": _agreement_out(a.agreement)}
            for a in result.by_assessor
        ],
        "criteria": [
            {
                "code": r.criterion.code,
                "domain": r.criterion.domain,
                "critical": r.criterion.critical,
                "text": r.text,
                "self_rating": r.own.rating,
                "self_not_applicable": r.own.not_applicable,
                "external_rating": r.external.rating,
                "external_not_applicable": r.external.not_applicable,
                "difference": r.difference,
                "agreement": r.agreement,
            }
            for r in result.rows
        ],
    }


class TimePointOut(Schema):
    assessment: UUID
    date: datetime.date
    kind: str
    version: str
    percent: Decimal | None
    met_percent: Decimal | None
    passed: bool
    domains: dict[str, Decimal | None]


class OverTimeQuery(Schema):
    centre: str = Field(..., max_length=40)
    kind: Literal["self", "external"] | None = None
    catalogue: str | None = Field(None, max_length=40, description="A catalogue code.")


@router.get(
    "/standards/compare/over-time",
    response={200: list[TimePointOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A centre's submitted assessments over time, overall and per domain",
)
@requires("standards.view")
def compare_over_time(request, query: Query[OverTimeQuery]):
    user = request.auth
    facility = compare.facility_for_user(user, query.centre)
    catalogue = compare.catalogue_by_code(query.catalogue) if query.catalogue else None
    timeline = compare.facility_over_time(
        user, facility=facility, kind=query.kind, catalogue=catalogue
    )
    return [
        {
            "assessment": p.assessment.public_id,
            "date": p.on,
            "kind": p.assessment.kind,
            "version": str(p.assessment.version),
            "percent": p.score.percent,
            "met_percent": p.score.met_percent,
            "passed": p.score.passed,
            "domains": {code: d.percent for code, d in p.score.domains.items()},
        }
        for p in timeline.points
    ]


class CentreCompareOut(Schema):
    centre: str
    name: str
    province: str
    is_model: bool
    assessment: UUID
    kind: str
    version: str
    percent: Decimal | None
    met_percent: Decimal | None
    passed: bool
    domains: dict[str, Decimal | None]
    gap: Decimal | None = Field(..., description="percent − the reference's (points).")
    gaps: dict[str, Decimal | None]


class CentresOut(Schema):
    catalogue: str
    kind: str
    reference: CentreCompareOut | None
    centres: list[CentreCompareOut]
    means: dict[str, Decimal | None]
    unassessed: int


class CentresQuery(Schema):
    catalogue: str = Field(..., max_length=40)
    kind: Literal["self", "external"] | None = None
    reference: str | None = Field(
        None, max_length=40, description="A centre code; default: the first model centre."
    )
    province: str | None = Field(None, pattern=r"^\d{2}$")


def _centre_out(row: compare.CentreRow) -> dict:
    return {
        "centre": row.facility.code,
        "name": row.facility.name,
        "province": row.facility.province_code,
        "is_model": row.facility.is_model,
        "assessment": row.assessment.public_id,
        "kind": row.assessment.kind,
        "version": str(row.assessment.version),
        "percent": row.score.percent,
        "met_percent": row.score.met_percent,
        "passed": row.score.passed,
        "domains": {code: d.percent for code, d in row.score.domains.items()},
        "gap": row.gap,
        "gaps": row.gaps,
    }


@router.get(
    "/standards/compare/centres",
    response={200: CentresOut, 403: Problem, 422: Problem},
    summary="Centres against each other and a reference (model) centre",
)
@requires("standards.view")
def compare_centres(request, query: Query[CentresQuery]):
    """The latest submitted assessment of every centre in your scope against the
    catalogue, per domain, with each centre's gap to the reference centre."""
    user = request.auth
    catalogue = compare.catalogue_by_code(query.catalogue)
    reference = (
        compare.reference_for_user(user, query.reference)
        if query.reference
        else compare.default_reference(catalogue, query.kind)
    )
    benchmark = compare.centres_compared(
        user, catalogue=catalogue, kind=query.kind, reference=reference, province=query.province
    )
    return {
        "catalogue": catalogue.code,
        "kind": benchmark.kind,
        "reference": _centre_out(benchmark.reference) if benchmark.reference else None,
        "centres": [_centre_out(r) for r in benchmark.rows],
        "means": benchmark.means,
        "unassessed": benchmark.unassessed,
    }


# --- reports -------------------------------------------------------------------------


class StandardsReportIn(Schema):
    report: Literal["facility", "national"]
    format: Literal["pdf", "xlsx"] = "pdf"
    lang: Literal["id", "en"] | None = Field(None, description="Default: your language.")
    centre: str = Field("", max_length=40, description="The centre's code (facility report).")
    catalogue: str = Field("", max_length=40, description="A catalogue code (optional).")
    kind: Literal["self", "external", ""] = Field(
        "", description="National report: only this kind of assessment."
    )


def _job_out(request, job: Job) -> dict:
    file_url = None
    if job.status == Job.Status.DONE and job.result_file:
        file_url = request.build_absolute_uri(reverse("api:job_file", args=[job.public_id]))
    return {
        "id": job.public_id,
        "kind": job.kind,
        "title": job.title,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "error": job.error,
        "result": job.result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": request.build_absolute_uri(reverse("api:job", args=[job.public_id])),
        "page": request.build_absolute_uri(reverse("core:job", args=[job.public_id])),
        "file": file_url,
    }


@router.post(
    "/standards/reports",
    response={202: JobOut, 403: Problem, 422: Problem},
    summary="Ask for a facility or national standards report (PDF or XLSX)",
)
@requires("standards.report")
def request_report(request, payload: StandardsReportIn):
    """Queues a background job and answers 202 with it; poll its `url` for progress and
    download `file` when it is done."""
    job = start_report(
        user=request.auth,
        report=payload.report,
        fmt=payload.format,
        lang=payload.lang,
        facility=payload.centre,
        catalogue=payload.catalogue,
        kind=payload.kind,
    )
    return Status(202, _job_out(request, job))
