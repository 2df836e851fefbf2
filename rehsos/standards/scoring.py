"""Scores of standards assessments, computed in the database.

The formulas (docs/standards-scoring.md):

* a criterion answered "not applicable" leaves the denominator;
* a rated criterion earns ``weight × share`` where the share of its rating comes from
  :data:`~rehsos.standards.models.catalogue.SCALE_LEVELS` (not met 0, partly 0.5,
  met 1, exceeds 1);
* a domain's percent is ``100 × Σ earned / Σ weight`` over its rated, applicable
  criteria; the overall percent is the same sum over every domain (weights count
  across domains, not an average of domain percents);
* a critical criterion rated below :data:`MET_AT_LEAST` fails its domain, and an
  assessment with a failed domain has not passed (an unrated or N/A critical
  criterion is no failure: ``submit`` refuses unrated criteria anyway);
* every criterion of the version is exactly one of *applicable* (rated, not N/A),
  *not applicable* or *unrated* (no answer yet, or an answer without a rating).

:func:`scores` scores any number of assessments with four grouped queries (per
chunk of ids), whatever the number of answers: no Python loop over answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from rehsos.standards.models import (
    MET_AT_LEAST,
    SCALE_LEVELS,
    Answer,
    Assessment,
    Criterion,
    Domain,
)

__all__ = [
    "AssessmentScore",
    "DomainScore",
    "latest_assessments",
    "missing",
    "score",
    "scores",
]

# Ids per query: far below SQLite's limit of bound variables, large enough that the
# whole nation (a few thousand centres) is one chunk.
CHUNK = 5000
# Statuses whose assessments count as "submitted" (a closed one was submitted first).
SUBMITTED = (Assessment.Status.SUBMITTED, Assessment.Status.CLOSED)

_SUM_FIELD = DecimalField(max_digits=14, decimal_places=4)
_CENT = Decimal("0.01")
_PLACES4 = Decimal("0.0001")
_DOMAIN_ORDER = {code: i for i, code in enumerate(Domain.values)}


@dataclass(frozen=True)
class DomainScore:
    domain: str  # Domain code
    possible: Decimal  # sum of weights of rated, applicable criteria
    earned: Decimal  # sum of weight × share of the rating (SCALE_LEVELS)
    percent: Decimal | None  # 100 × earned / possible (None: nothing rated)
    criteria: int
    applicable: int
    not_applicable: int
    unrated: int
    met: int
    critical_failed: tuple[str, ...]  # codes of critical criteria rated below MET_AT_LEAST
    failed: bool  # a critical criterion failed → the domain fails

    @property
    def label(self) -> str:
        return str(Domain(self.domain).label)


@dataclass(frozen=True)
class AssessmentScore:
    assessment_id: int
    domains: dict[str, DomainScore]  # every domain the version has criteria in
    percent: Decimal | None  # overall, weights across domains
    met: int
    applicable: int
    unrated: int
    not_applicable: int
    met_percent: Decimal | None  # % of applicable criteria met (rating >= MET_AT_LEAST)
    critical_failed: tuple[str, ...]
    passed: bool  # no domain failed

    @property
    def criteria(self) -> int:
        return self.applicable + self.not_applicable + self.unrated

    @property
    def complete(self) -> bool:
        return self.unrated == 0


def percent_of(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``100 × part / whole`` to two places (half up); None when ``whole`` is zero."""
    if not whole:
        return None
    return (Decimal(100) * Decimal(part) / Decimal(whole)).quantize(_CENT, ROUND_HALF_UP)


def _share() -> Case:
    """The share of the weight a rating earns, from SCALE_LEVELS: a CASE on the rating
    alone when every scale gives a rating the same share (the shipped scales do:
    ``CASE WHEN rating = 1 THEN 0.5 WHEN rating IN (2, 3) THEN 1 ELSE 0``), else one
    branch per (scale, rating)."""
    by_rating: dict[int, set[Decimal]] = defaultdict(set)
    for levels in SCALE_LEVELS.values():
        for rating, _label, share in levels:
            by_rating[rating].add(share)
    if all(len(shares) == 1 for shares in by_rating.values()):
        grouped: dict[Decimal, list[int]] = defaultdict(list)
        for rating, shares in sorted(by_rating.items()):
            grouped[next(iter(shares))].append(rating)
        whens = [
            When(rating__in=ratings, then=Value(share))
            for share, ratings in grouped.items()
            if share
        ]
    else:
        whens = [
            When(criterion__scale=scale, rating=rating, then=Value(share))
            for scale, levels in SCALE_LEVELS.items()
            for rating, _label, share in levels
            if share
        ]
    return Case(*whens, default=Value(Decimal(0)), output_field=_SUM_FIELD)


def _exact(value) -> Decimal:
    """A database sum as an exact Decimal (SQLite sums in floating point: weights have
    two places and shares are halves, so four places are exact)."""
    if value is None:
        return Decimal(0)
    return Decimal(str(value)).quantize(_PLACES4, ROUND_HALF_UP)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def scores(assessment_ids: Iterable[int]) -> dict[int, AssessmentScore]:
    """Scores of the given assessments (unknown ids are left out)."""
    ids = sorted({int(i) for i in assessment_ids})
    result: dict[int, AssessmentScore] = {}
    for chunk in _chunks(ids):
        result.update(_score_chunk(chunk))
    return result


def score(assessment: Assessment | int) -> AssessmentScore:
    """The score of one assessment."""
    assessment_id = assessment if isinstance(assessment, int) else assessment.pk
    return scores([assessment_id])[assessment_id]


def answer_totals(ids: list[int]):
    """One row per (assessment, domain): N/A, rated and met counts, possible and earned
    (aggregates with FILTER: one pass over the answers, one join to the criteria)."""
    rated = Q(rating__isnull=False, not_applicable=False)
    return (
        Answer.objects.filter(assessment_id__in=ids)
        .values("assessment_id", "criterion__domain")
        .annotate(
            na=Count("pk", filter=Q(not_applicable=True)),
            rated=Count("pk", filter=rated),
            met=Count("pk", filter=rated & Q(rating__gte=MET_AT_LEAST)),
            possible=Sum("criterion__weight", filter=rated, output_field=_SUM_FIELD),
            earned=Sum(F("criterion__weight") * _share(), filter=rated, output_field=_SUM_FIELD),
        )
        .order_by()
    )


def _score_chunk(ids: list[int]) -> dict[int, AssessmentScore]:
    # 1. assessment → version.
    versions = dict(Assessment.objects.filter(pk__in=ids).values_list("pk", "version_id"))
    if not versions:
        return {}
    # 2. criteria per (version, domain).
    per_version: dict[int, dict[str, int]] = defaultdict(dict)
    for version_id, domain, n in (
        Criterion.objects.filter(version_id__in=set(versions.values()))
        .values("version_id", "domain")
        .annotate(n=Count("pk"))
        .values_list("version_id", "domain", "n")
        .order_by()
    ):
        per_version[version_id][domain] = n
    # 3. answers aggregated per (assessment, domain).
    rows = answer_totals(ids)
    answers: dict[tuple[int, str], dict] = {
        (row["assessment_id"], row["criterion__domain"]): row for row in rows
    }
    # 4. critical criteria rated below "met".
    failed: dict[tuple[int, str], list[str]] = defaultdict(list)
    for assessment_id, domain, code in (
        Answer.objects.filter(
            assessment_id__in=ids,
            criterion__critical=True,
            not_applicable=False,
            rating__lt=MET_AT_LEAST,
        )
        .values_list("assessment_id", "criterion__domain", "criterion__code")
        .order_by("assessment_id", "criterion__order", "criterion__code")
    ):
        failed[(assessment_id, domain)].append(code)

    out: dict[int, AssessmentScore] = {}
    for assessment_id, version_id in versions.items():
        domains: dict[str, DomainScore] = {}
        for domain in sorted(per_version.get(version_id, {}), key=_domain_key):
            n = per_version[version_id][domain]
            row = answers.get((assessment_id, domain), {})
            na, n_rated = row.get("na", 0), row.get("rated", 0)
            possible, earned = _exact(row.get("possible")), _exact(row.get("earned"))
            codes = tuple(failed.get((assessment_id, domain), ()))
            domains[domain] = DomainScore(
                domain=domain,
                possible=possible,
                earned=earned,
                percent=percent_of(earned, possible),
                criteria=n,
                applicable=n_rated,
                not_applicable=na,
                unrated=max(n - n_rated - na, 0),
                met=row.get("met", 0),
                critical_failed=codes,
                failed=bool(codes),
            )
        out[assessment_id] = _total(assessment_id, domains)
    return out


def _domain_key(code: str) -> tuple[int, str]:
    return (_DOMAIN_ORDER.get(code, len(_DOMAIN_ORDER)), code)


def _total(assessment_id: int, domains: dict[str, DomainScore]) -> AssessmentScore:
    ds = domains.values()
    possible = sum((d.possible for d in ds), Decimal(0))
    earned = sum((d.earned for d in ds), Decimal(0))
    met = sum(d.met for d in ds)
    applicable = sum(d.applicable for d in ds)
    critical = tuple(code for d in ds for code in d.critical_failed)
    return AssessmentScore(
        assessment_id=assessment_id,
        domains=domains,
        percent=percent_of(earned, possible),
        met=met,
        applicable=applicable,
        unrated=sum(d.unrated for d in ds),
        not_applicable=sum(d.not_applicable for d in ds),
        met_percent=percent_of(met, applicable),
        critical_failed=critical,
        passed=not any(d.failed for d in ds),
    )


def missing(assessment: Assessment) -> list[Criterion]:
    """The criteria of the assessment's version that are neither rated nor N/A, in
    catalogue order."""
    answered = Answer.objects.filter(assessment_id=assessment.pk).filter(
        Q(rating__isnull=False) | Q(not_applicable=True)
    )
    return list(
        Criterion.objects.filter(version_id=assessment.version_id)
        .exclude(pk__in=answered.values("criterion_id"))
        .order_by("order", "code")
    )


def latest_assessments(
    facility_ids: Iterable[int] | None = None,
    kind: str | None = None,
    *,
    catalogue=None,
) -> dict[int, int]:
    """Facility id → id of its latest submitted (or closed) assessment, optionally of
    one kind and against one catalogue (any of its versions). One query;
    ``facility_ids`` may be a queryset of ids (then it is a subquery)."""
    qs = Assessment.objects.filter(status__in=SUBMITTED)
    if facility_ids is not None:
        # A queryset stays a subquery (a nation's centres are no list of parameters).
        ids = facility_ids if isinstance(facility_ids, QuerySet) else list(facility_ids)
        qs = qs.filter(facility_id__in=ids)
    if kind:
        qs = qs.filter(kind=kind)
    if catalogue is not None:
        qs = qs.filter(version__catalogue=catalogue)
    ranked = (
        qs.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("facility_id")],
                order_by=[
                    F("submitted_at").desc(nulls_last=True),
                    F("started_on").desc(),
                    F("id").desc(),
                ],
            )
        )
        .filter(rank=1)
        .values_list("facility_id", "id")
        .order_by()
    )
    return dict(ranked)
