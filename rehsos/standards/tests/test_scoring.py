"""Scoring of standards assessments: weights, N/A, partly met, critical failures,
unrated criteria; many assessments at once equal one at a time."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from rehsos.core.tests.factories import FacilityFactory
from rehsos.standards import scoring
from rehsos.standards.models import Answer, Assessment, Domain, Scale
from rehsos.standards.tests.factories import (
    AnswerFactory,
    AssessmentFactory,
    CriterionFactory,
    small_catalogue,
)

pytestmark = pytest.mark.django_db


def _rate(assessment, ratings):
    """ratings: criterion code → rating, "na" or None (an answer without a rating)."""
    by_code = {c.code: c for c in assessment.version.criteria.all()}
    for code, value in ratings.items():
        if value == "na":
            Answer.objects.create(
                assessment=assessment,
                criterion=by_code[code],
                not_applicable=True,
                justification="No lift: single-storey building.",
            )
        else:
            Answer.objects.create(assessment=assessment, criterion=by_code[code], rating=value)


@pytest.fixture
def version():
    # ACC-1 (critical, w1), ACC-2 (w2), ACC-3 (w3); SAFE-1 (critical, w1), SAFE-2, SAFE-3.
    return small_catalogue()


def test_weights_partly_and_exceeds(version):
    a = AssessmentFactory(version=version)
    _rate(a, {"ACC-1": 3, "ACC-2": 1, "ACC-3": 0, "SAFE-1": 2, "SAFE-2": 2, "SAFE-3": 1})
    s = scoring.score(a)
    acc = s.domains[Domain.ACCESS]
    # earned 1×1 + 2×0.5 + 3×0 = 2 of 6
    assert acc.possible == Decimal(6)
    assert acc.earned == Decimal(2)
    assert acc.percent == Decimal("33.33")
    assert acc.met == 1
    safe = s.domains[Domain.SAFETY]
    # 1 + 2 + 3×0.5 = 4.5 of 6
    assert safe.earned == Decimal("4.5")
    assert safe.percent == Decimal("75.00")
    # overall: weights across domains, (2 + 4.5) / 12, not the mean of 33.33 and 75
    assert s.percent == Decimal("54.17")
    assert s.met == 3
    assert s.applicable == 6
    assert s.met_percent == Decimal("50.00")
    assert s.passed is True
    assert list(s.domains) == [Domain.ACCESS, Domain.SAFETY]


def test_not_applicable_leaves_the_denominator(version):
    a = AssessmentFactory(version=version)
    _rate(a, {"ACC-1": 2, "ACC-2": "na", "ACC-3": 0, "SAFE-1": "na", "SAFE-2": 2, "SAFE-3": 2})
    s = scoring.score(a)
    acc = s.domains[Domain.ACCESS]
    assert (acc.possible, acc.earned, acc.percent) == (Decimal(4), Decimal(1), Decimal("25.00"))
    assert (acc.applicable, acc.not_applicable, acc.unrated) == (2, 1, 0)
    # An N/A critical criterion is no failure.
    assert s.domains[Domain.SAFETY].failed is False
    assert s.domains[Domain.SAFETY].percent == Decimal("100.00")
    assert s.not_applicable == 2
    assert s.passed is True


def test_critical_below_met_fails_the_domain_and_the_assessment(version):
    a = AssessmentFactory(version=version)
    _rate(a, {"ACC-1": 1, "ACC-2": 3, "ACC-3": 3, "SAFE-1": 2, "SAFE-2": 2, "SAFE-3": 2})
    s = scoring.score(a)
    assert s.domains[Domain.ACCESS].failed is True
    assert s.domains[Domain.ACCESS].critical_failed == ("ACC-1",)
    assert s.domains[Domain.SAFETY].failed is False
    assert s.critical_failed == ("ACC-1",)
    assert s.passed is False
    # A partly met critical criterion still earns its half share.
    assert s.domains[Domain.ACCESS].earned == Decimal("5.5")


def test_unrated_criteria_are_counted_not_scored(version):
    a = AssessmentFactory(version=version)
    # ACC-2 has an answer row without a rating; SAFE-* have no answer rows at all.
    _rate(a, {"ACC-1": 2, "ACC-2": None, "ACC-3": 2})
    s = scoring.score(a)
    acc = s.domains[Domain.ACCESS]
    assert (acc.criteria, acc.applicable, acc.unrated) == (3, 2, 1)
    assert acc.percent == Decimal("100.00")
    safe = s.domains[Domain.SAFETY]
    assert (safe.criteria, safe.unrated, safe.percent, safe.possible) == (3, 3, None, Decimal(0))
    assert s.unrated == 4
    assert s.complete is False
    assert [c.code for c in scoring.missing(a)] == ["ACC-2", "SAFE-1", "SAFE-2", "SAFE-3"]
    # The critical criterion SAFE-1 is unrated, not failed.
    assert s.passed is True


def test_nothing_rated_has_no_percent(version):
    s = scoring.score(AssessmentFactory(version=version))
    assert s.percent is None
    assert s.met_percent is None
    assert s.unrated == 6


def test_yes_no_scale_and_zero_weight():
    a = AssessmentFactory()
    CriterionFactory(version=a.version, code="G-1", domain=Domain.GOVERNANCE, scale=Scale.YES_NO)
    CriterionFactory(
        version=a.version,
        code="G-2",
        domain=Domain.GOVERNANCE,
        scale=Scale.YES_NO,
        weight=Decimal("2.5"),
    )
    CriterionFactory(version=a.version, code="G-3", domain=Domain.GOVERNANCE, weight=0)
    _rate(a, {"G-1": 0, "G-2": 2, "G-3": 3})
    g = scoring.score(a).domains[Domain.GOVERNANCE]
    assert (g.possible, g.earned, g.percent) == (Decimal("3.5"), Decimal("2.5"), Decimal("71.43"))
    assert g.met == 2


def test_scores_for_many_equal_score_for_each(version):
    rng = random.Random(5)
    choices = [0, 1, 2, 3, "na", None, "skip"]
    assessments = []
    for _ in range(12):
        a = AssessmentFactory(version=version)
        ratings = {c: rng.choice(choices) for c in ["ACC-1", "ACC-2", "ACC-3", "SAFE-1", "SAFE-2"]}
        _rate(a, {k: v for k, v in ratings.items() if v != "skip"})
        assessments.append(a)
    other = small_catalogue(domains=(Domain.STAFFING,), per_domain=2)
    b = AssessmentFactory(version=other)
    _rate(b, {"STF-1": 0, "STF-2": 3})
    assessments.append(b)
    many = scoring.scores([a.pk for a in assessments] + [987654])
    assert set(many) == {a.pk for a in assessments}  # unknown ids are left out
    for a in assessments:
        assert many[a.pk] == scoring.score(a)
    assert list(many[b.pk].domains) == [Domain.STAFFING]
    assert many[b.pk].passed is False


def test_scores_is_a_fixed_number_of_queries(version, django_assert_num_queries):
    ids = []
    for _ in range(5):
        a = AssessmentFactory(version=version)
        _rate(a, {"ACC-1": 2, "ACC-2": 1, "SAFE-1": 0})
        ids.append(a.pk)
    with django_assert_num_queries(4):
        result = scoring.scores(ids)
    assert len(result) == 5
    with django_assert_num_queries(0):
        assert scoring.scores([]) == {}


def test_scores_in_chunks(version, monkeypatch):
    monkeypatch.setattr(scoring, "CHUNK", 2)
    ids = []
    for rating in (0, 1, 2, 3, 2):
        a = AssessmentFactory(version=version)
        _rate(a, {"ACC-1": rating})
        ids.append(a.pk)
    result = scoring.scores(ids)
    assert [result[i].domains[Domain.ACCESS].percent for i in ids] == [
        Decimal("0.00"),
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("100.00"),
    ]


def test_latest_assessments(version):
    home, other = FacilityFactory(), FacilityFactory()
    now = timezone.now()

    def submitted(facility, kind, days_ago, status=Assessment.Status.SUBMITTED):
        return AssessmentFactory(
            facility=facility,
            version=version,
            kind=kind,
            status=status,
            submitted_at=now - datetime.timedelta(days=days_ago),
        )

    submitted(home, "self", 400)
    newest_self = submitted(home, "self", 10)
    external = submitted(home, "external", 30, status=Assessment.Status.CLOSED)
    AssessmentFactory(facility=home, version=version)  # in progress: never "latest"
    other_self = submitted(other, "self", 100)

    assert scoring.latest_assessments() == {home.pk: newest_self.pk, other.pk: other_self.pk}
    assert scoring.latest_assessments(kind="external") == {home.pk: external.pk}
    assert scoring.latest_assessments([other.pk]) == {other.pk: other_self.pk}
    unrelated = small_catalogue()
    assert scoring.latest_assessments(catalogue=unrelated.catalogue) == {}
    assert scoring.latest_assessments(catalogue=version.catalogue)[home.pk] == newest_self.pk


def test_answer_factory_default_is_met(version):
    # The shared factory's default answer counts as met (others' tests rely on it).
    a = AssessmentFactory(version=version)
    AnswerFactory(assessment=a, criterion=version.criteria.get(code="ACC-3"))
    assert scoring.score(a).domains[Domain.ACCESS].met == 1
