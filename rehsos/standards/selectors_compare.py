"""Comparisons of standards assessments (reads only, every one scoped to the user):

* :func:`self_vs_external` — a centre's self-assessment beside an external audit of
  the same catalogue version: both ratings per criterion, the difference, and how far
  they agree (exact %, within one level %, quadratic-weighted Cohen's kappa), overall,
  per domain and per external assessor;
* :func:`facility_over_time` — a centre's submitted assessments, overall and per domain;
* :func:`centres_compared` — the latest submitted assessment of every centre in scope
  against one catalogue, per domain, with a reference (model) centre as the benchmark
  and each centre's gap to it.

The formulas are in docs/standards-scoring.md.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.permissions import scoped
from rehsos.facilities.models import Facility
from rehsos.standards.models import (
    Answer,
    Assessment,
    Catalogue,
    CatalogueVersion,
    Criterion,
    Domain,
)
from rehsos.standards.models.catalogue import SCALE_LEVELS
from rehsos.standards.scoring import (
    SUBMITTED,
    AssessmentScore,
    latest_assessments,
    percent_of,
    scores,
)

_CENT = Decimal("0.01")
_KAPPA_PLACES = Decimal("0.001")


# --- access --------------------------------------------------------------------------


def facility_for_user(user, code: str) -> Facility:
    """A centre in the user's scope, by code (404 for unknown and out of scope alike)."""
    facility = scoped(user, Facility.objects.all()).filter(code=code).first()
    if facility is None:
        raise NotFound(_("No such centre in your scope."))
    return facility


def assessment_for_user(user, public_id) -> Assessment:
    assessment = (
        scoped(user, Assessment.objects.all())
        .select_related("facility", "version__catalogue")
        .filter(public_id=public_id)
        .first()
    )
    if assessment is None:
        raise NotFound(_("No such assessment in your scope."))
    return assessment


def catalogue_by_code(code: str) -> Catalogue:
    catalogue = Catalogue.objects.filter(code=code).first()
    if catalogue is None:
        raise ValidationFailed(fields={"catalogue": _("No catalogue has this code.")})
    return catalogue


def reference_for_user(user, code: str) -> Facility:
    """The benchmark centre: one in the user's scope, or any national model centre
    (model centres are the public benchmark every centre is compared with)."""
    facility = (
        Facility.objects.filter(code=code)
        .filter(Q(is_model=True) | Q(pk__in=scoped(user, Facility.objects.all()).values("pk")))
        .first()
    )
    if facility is None:
        raise ValidationFailed(
            fields={"reference": _("Choose a centre in your scope or a national model centre.")}
        )
    return facility


# --- agreement -----------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """How far two sets of ratings of the same criteria agree (criteria both rated)."""

    pairs: int
    exact: int  # same rating
    within_one: int  # ratings at most one level apart
    exact_percent: Decimal | None
    within_one_percent: Decimal | None
    kappa: Decimal | None  # quadratic-weighted Cohen's kappa; None when undefined
    kappa_note: str  # why the kappa is undefined ("" when it is defined)
    mean_difference: Decimal | None  # mean of (external − self)


def quadratic_kappa(pairs: Sequence[tuple[int, int]]) -> float | None:
    """Cohen's kappa with quadratic weights for ordinal ratings.

    ``κw = 1 − Σ w·O / Σ w·E`` with ``w(i, j) = (i − j)²``, O the observed joint
    proportions and E the product of the two raters' marginal proportions. Expanded
    over the n pairs (a_k, b_k) this is

        κw = 1 − [ (1/n) Σ_k (a_k − b_k)² ] / [ (1/n²) Σ_k Σ_l (a_k − b_l)² ]

    (the scaling of w by (K − 1)² cancels). None when there are no pairs or when the
    expected disagreement is zero (both raters gave one and the same rating to every
    criterion: agreement is perfect but chance agreement is total as well)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum((a - b) ** 2 for a, b in pairs) / n
    # Σ_k Σ_l (a_k − b_l)² = n Σ a² + n Σ b² − 2 Σ a Σ b
    sum_a = sum(a for a, _b in pairs)
    sum_b = sum(b for _a, b in pairs)
    sum_a2 = sum(a * a for a, _b in pairs)
    sum_b2 = sum(b * b for _a, b in pairs)
    expected = (n * sum_a2 + n * sum_b2 - 2 * sum_a * sum_b) / (n * n)
    if expected == 0:
        return None
    return 1 - observed / expected


def agreement(pairs: Sequence[tuple[int, int]]) -> Agreement:
    """Agreement of (self, external) rating pairs."""
    n = len(pairs)
    exact = sum(1 for a, b in pairs if a == b)
    within = sum(1 for a, b in pairs if abs(a - b) <= 1)
    kappa = quadratic_kappa(pairs)
    note = ""
    if n == 0:
        note = _("No criterion was rated in both assessments.")
    elif kappa is None:
        note = _("Every criterion got the same rating from both sides: kappa is undefined.")
    mean = None
    if n:
        mean = (Decimal(sum(b - a for a, b in pairs)) / n).quantize(_CENT, ROUND_HALF_UP)
    return Agreement(
        pairs=n,
        exact=exact,
        within_one=within,
        exact_percent=percent_of(exact, n),
        within_one_percent=percent_of(within, n),
        kappa=None
        if kappa is None
        else Decimal(repr(kappa)).quantize(_KAPPA_PLACES, ROUND_HALF_UP),
        kappa_note=note,
        mean_difference=mean,
    )


# --- (a) self-assessment vs external audit -------------------------------------------


@dataclass(frozen=True)
class Side:
    rating: int | None
    not_applicable: bool
    comment: str
    answered_by_id: int | None

    @property
    def rated(self) -> bool:
        return self.rating is not None and not self.not_applicable


def rating_label(scale: str, side: Side) -> str:
    """ "Met (2)", "N/A", or "" when not rated."""
    if side.not_applicable:
        return _("N/A")
    if side.rating is None:
        return ""
    for rating, label, _share in SCALE_LEVELS.get(scale, ()):
        if rating == side.rating:
            return f"{label} ({rating})"
    return str(side.rating)


EMPTY_SIDE = Side(rating=None, not_applicable=False, comment="", answered_by_id=None)


@dataclass(frozen=True)
class CriterionRow:
    criterion: Criterion
    text: str
    own: Side  # the self-assessment's answer
    external: Side

    @property
    def own_label(self) -> str:
        return rating_label(self.criterion.scale, self.own)

    @property
    def external_label(self) -> str:
        return rating_label(self.criterion.scale, self.external)

    @property
    def difference(self) -> int | None:
        """external − self, when both rated."""
        if self.own.rated and self.external.rated:
            return self.external.rating - self.own.rating
        return None

    @property
    def agreement(self) -> str:
        """exact | within_one | apart | na_mismatch | incomplete"""
        if self.own.not_applicable != self.external.not_applicable and (
            self.own.rated or self.external.rated
        ):
            return "na_mismatch"
        diff = self.difference
        if diff is None:
            return "incomplete"
        if diff == 0:
            return "exact"
        return "within_one" if abs(diff) == 1 else "apart"


@dataclass(frozen=True)
class AssessorAgreement:
    user_id: int | None
    name: str
    agreement: Agreement


@dataclass
class SelfVsExternal:
    facility: Facility
    version: CatalogueVersion | None
    own: Assessment | None
    external: Assessment | None
    rows: list[CriterionRow] = field(default_factory=list)
    overall: Agreement | None = None
    by_domain: dict[str, Agreement] = field(default_factory=dict)
    by_assessor: list[AssessorAgreement] = field(default_factory=list)
    own_score: AssessmentScore | None = None
    external_score: AssessmentScore | None = None
    na_mismatches: int = 0

    @property
    def complete(self) -> bool:
        return self.own is not None and self.external is not None


def _latest_of(facility: Facility, version: CatalogueVersion, kind: str) -> Assessment | None:
    return (
        Assessment.objects.filter(facility=facility, version=version, kind=kind)
        .filter(status__in=SUBMITTED)
        .order_by("-submitted_at", "-started_on", "-id")
        .first()
    )


def comparable_versions(facility: Facility) -> list[CatalogueVersion]:
    """The catalogue versions this centre has assessments against, newest first."""
    return list(
        CatalogueVersion.objects.filter(assessments__facility=facility)
        .select_related("catalogue")
        .distinct()
        .order_by("catalogue__code", "-number")
    )


def self_vs_external(
    user,
    *,
    facility: Facility,
    version: CatalogueVersion | None = None,
    own: Assessment | None = None,
    external: Assessment | None = None,
) -> SelfVsExternal:
    """The self-assessment and the external audit of ``facility`` against one version.

    Given assessments are used as they are (any status); otherwise the latest submitted
    one of each kind against ``version`` (default: the version of the centre's latest
    submitted external audit, or of its latest submitted self-assessment)."""
    problems = {}
    for name, given, kind in (("self", own, "self"), ("external", external, "external")):
        if given is None:
            continue
        if given.facility_id != facility.pk:
            problems[name] = _("This assessment is of another centre.")
        elif given.kind != kind:
            problems[name] = _("This assessment is not of the right kind.")
    if own and external and own.version_id != external.version_id:
        problems["external"] = _("The two assessments are against different catalogue versions.")
    if problems:
        raise ValidationFailed(fields=problems)
    given = own or external
    if version is not None and given is not None and given.version_id != version.pk:
        raise ValidationFailed(
            fields={"version": _("The assessment is against another catalogue version.")}
        )
    if version is None:
        version = given.version if given else _default_version(facility)
    if version is not None:
        own = own or _latest_of(facility, version, Assessment.Kind.SELF)
        external = external or _latest_of(facility, version, Assessment.Kind.EXTERNAL)
    result = SelfVsExternal(facility=facility, version=version, own=own, external=external)
    if version is None:
        return result

    ids = [a.pk for a in (own, external) if a is not None]
    computed = scores(ids)
    result.own_score = computed.get(own.pk) if own else None
    result.external_score = computed.get(external.pk) if external else None

    answers: dict[tuple[int, int], Side] = {}
    for row in Answer.objects.filter(assessment_id__in=ids).values(
        "assessment_id", "criterion_id", "rating", "not_applicable", "comment", "answered_by_id"
    ):
        answers[(row["assessment_id"], row["criterion_id"])] = Side(
            rating=row["rating"],
            not_applicable=row["not_applicable"],
            comment=row["comment"],
            answered_by_id=row["answered_by_id"],
        )
    language = get_language() or "id"
    criteria = Criterion.objects.filter(version=version).order_by("order", "code")
    for criterion in criteria:
        result.rows.append(
            CriterionRow(
                criterion=criterion,
                text=criterion.text(language),
                own=answers.get((own.pk, criterion.pk), EMPTY_SIDE) if own else EMPTY_SIDE,
                external=answers.get((external.pk, criterion.pk), EMPTY_SIDE)
                if external
                else EMPTY_SIDE,
            )
        )
    pairs = [(r.own.rating, r.external.rating) for r in result.rows if r.difference is not None]
    result.overall = agreement(pairs)
    result.na_mismatches = sum(1 for r in result.rows if r.agreement == "na_mismatch")
    per_domain: dict[str, list[tuple[int, int]]] = defaultdict(list)
    per_assessor: dict[int | None, list[tuple[int, int]]] = defaultdict(list)
    for r in result.rows:
        if r.difference is None:
            continue
        per_domain[r.criterion.domain].append((r.own.rating, r.external.rating))
        per_assessor[r.external.answered_by_id].append((r.own.rating, r.external.rating))
    order = {code: i for i, code in enumerate(Domain.values)}
    result.by_domain = {
        domain: agreement(per_domain[domain])
        for domain in sorted(per_domain, key=lambda d: order.get(d, 99))
    }
    result.by_assessor = _assessors(per_assessor)
    return result


def _default_version(facility: Facility) -> CatalogueVersion | None:
    """The version of the centre's latest submitted external audit (the one a
    self-assessment is checked against), else of its latest self-assessment."""
    for kind in (Assessment.Kind.EXTERNAL, Assessment.Kind.SELF):
        latest = (
            Assessment.objects.filter(facility=facility, kind=kind, status__in=SUBMITTED)
            .select_related("version__catalogue")
            .order_by("-submitted_at", "-started_on", "-id")
            .first()
        )
        if latest is not None:
            return latest.version
    return None


def _assessors(per_assessor: dict) -> list[AssessorAgreement]:
    from rehsos.core.models import User

    names = {
        u.pk: (u.get_full_name() or u.username)
        for u in User.objects.filter(pk__in=[k for k in per_assessor if k is not None])
    }
    rows = [
        AssessorAgreement(
            user_id=user_id,
            name=names.get(user_id, "") if user_id is not None else _("Unknown assessor"),
            agreement=agreement(pairs),
        )
        for user_id, pairs in per_assessor.items()
    ]
    return sorted(rows, key=lambda a: (-a.agreement.pairs, a.name))


# --- (b) a centre over time ----------------------------------------------------------


@dataclass(frozen=True)
class TimePoint:
    assessment: Assessment
    on: datetime.date
    score: AssessmentScore


@dataclass
class Timeline:
    facility: Facility
    points: list[TimePoint]
    domains: list[str]  # every domain seen, in the fixed domain order

    def series(self) -> dict[str, list[tuple[datetime.date, Decimal | None]]]:
        """ "overall" and each domain → [(date, percent)]."""
        out: dict[str, list] = {"overall": [(p.on, p.score.percent) for p in self.points]}
        for domain in self.domains:
            out[domain] = [
                (p.on, p.score.domains[domain].percent if domain in p.score.domains else None)
                for p in self.points
            ]
        return out


def assessment_date(assessment: Assessment) -> datetime.date:
    """The day an assessment describes: its visit, else its submission, else its start."""
    if assessment.visit_on:
        return assessment.visit_on
    if assessment.submitted_at:
        return assessment.submitted_at.date()
    return assessment.started_on


def facility_over_time(
    user, *, facility: Facility, kind: str | None = None, catalogue: Catalogue | None = None
) -> Timeline:
    qs = scoped(user, Assessment.objects.filter(facility=facility, status__in=SUBMITTED))
    if kind:
        qs = qs.filter(kind=kind)
    if catalogue is not None:
        qs = qs.filter(version__catalogue=catalogue)
    assessments = list(qs.select_related("version__catalogue"))
    computed = scores([a.pk for a in assessments])
    points = sorted(
        (TimePoint(assessment=a, on=assessment_date(a), score=computed[a.pk]) for a in assessments),
        key=lambda p: (p.on, p.assessment.pk),
    )
    seen = {d for p in points for d in p.score.domains}
    domains = [d for d in Domain.values if d in seen]
    return Timeline(facility=facility, points=points, domains=domains)


# --- (c) centres against each other and a reference ----------------------------------


@dataclass(frozen=True)
class CentreRow:
    facility: Facility
    assessment: Assessment
    score: AssessmentScore
    gaps: dict[str, Decimal | None]  # domain → percent − the reference's percent
    gap: Decimal | None  # overall percent − the reference's

    def percent(self, domain: str) -> Decimal | None:
        d = self.score.domains.get(domain)
        return d.percent if d else None


@dataclass
class Benchmark:
    catalogue: Catalogue
    kind: str
    domains: list[str]
    rows: list[CentreRow]
    reference: CentreRow | None
    reference_facility: Facility | None
    means: dict[str, Decimal | None]  # domain → mean percent over the rows; "overall" too
    unassessed: int  # centres in scope without a submitted assessment against the catalogue


def _gap(value: Decimal | None, reference: Decimal | None) -> Decimal | None:
    if value is None or reference is None:
        return None
    return (value - reference).quantize(_CENT)


def _mean(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return (sum(present, Decimal(0)) / len(present)).quantize(_CENT, ROUND_HALF_UP)


def default_reference(catalogue: Catalogue, kind: str | None = None) -> Facility | None:
    """The first national model centre with a submitted assessment against the catalogue."""
    qs = Assessment.objects.filter(
        status__in=SUBMITTED, version__catalogue=catalogue, facility__is_model=True
    )
    if kind:
        qs = qs.filter(kind=kind)
    first = qs.select_related("facility").order_by("facility__name", "facility_id").first()
    return first.facility if first else None


def centres_compared(
    user,
    *,
    catalogue: Catalogue,
    kind: str | None = None,
    reference: Facility | None = None,
    province: str | None = None,
) -> Benchmark:
    """The latest submitted assessment (of ``kind``, default any) of every active centre
    in scope against ``catalogue``, scored per domain, beside the reference centre's."""
    centres = scoped(user, Facility.objects.filter(is_active=True))
    if province:
        centres = centres.filter(province_code=province)
    latest = latest_assessments(
        centres.values_list("pk", flat=True), kind or None, catalogue=catalogue
    )
    reference_id = None
    if reference is not None:
        reference_id = latest_assessments([reference.pk], kind or None, catalogue=catalogue).get(
            reference.pk
        )
    ids = set(latest.values())
    if reference_id:
        ids.add(reference_id)
    computed = scores(ids)
    assessments = {
        a.pk: a
        for a in Assessment.objects.filter(pk__in=ids).select_related(
            "facility", "version__catalogue"
        )
    }
    ref_score = computed.get(reference_id) if reference_id else None
    ref_row = None
    if ref_score is not None:
        ref_row = CentreRow(
            facility=assessments[reference_id].facility,
            assessment=assessments[reference_id],
            score=ref_score,
            gaps={},
            gap=None,
        )
    seen = {d for s in computed.values() for d in s.domains}
    domains = [d for d in Domain.values if d in seen]
    rows = []
    for assessment_id in latest.values():
        s = computed.get(assessment_id)
        if s is None:
            continue
        gaps = {
            d: _gap(
                s.domains[d].percent if d in s.domains else None,
                ref_score.domains[d].percent if ref_score and d in ref_score.domains else None,
            )
            for d in domains
        }
        rows.append(
            CentreRow(
                facility=assessments[assessment_id].facility,
                assessment=assessments[assessment_id],
                score=s,
                gaps=gaps,
                gap=_gap(s.percent, ref_score.percent if ref_score else None),
            )
        )
    rows.sort(
        key=lambda r: (
            r.score.percent is None,
            -(r.score.percent or 0),
            r.facility.name,
        )
    )
    means: dict[str, Decimal | None] = {d: _mean(r.percent(d) for r in rows) for d in domains}
    means["overall"] = _mean(r.score.percent for r in rows)
    return Benchmark(
        catalogue=catalogue,
        kind=kind or "",
        domains=domains,
        rows=rows,
        reference=ref_row,
        reference_facility=reference,
        means=means,
        unassessed=centres.count() - len(latest),
    )
