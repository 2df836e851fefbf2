"""Factories for the standards app's tests (append new ones at the end)."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from rehsos.core.tests.factories import FacilityFactory
from rehsos.standards.models import (
    Answer,
    Assessment,
    Catalogue,
    CatalogueVersion,
    Criterion,
    Domain,
    Finding,
    Scale,
)


class CatalogueFactory(DjangoModelFactory):
    class Meta:
        model = Catalogue
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"catalogue-{n}")
    name_id = factory.Sequence(lambda n: f"Standar balai {n}")
    name_en = factory.Sequence(lambda n: f"Centre standard {n}")
    clusters = factory.LazyFunction(lambda: ["LU"])


class VersionFactory(DjangoModelFactory):
    class Meta:
        model = CatalogueVersion

    catalogue = factory.SubFactory(CatalogueFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = CatalogueVersion.Status.ADOPTED
    effective_from = datetime.date(2026, 1, 1)


class CriterionFactory(DjangoModelFactory):
    class Meta:
        model = Criterion

    version = factory.SubFactory(VersionFactory)
    code = factory.Sequence(lambda n: f"C-{n:03d}")
    domain = Domain.ACCESS
    order = factory.Sequence(lambda n: n)
    text_id = factory.Sequence(lambda n: f"Kriteria {n}")
    text_en = factory.Sequence(lambda n: f"Criterion {n}")
    weight = Decimal("1")
    scale = Scale.FOUR
    critical = False


class AssessmentFactory(DjangoModelFactory):
    class Meta:
        model = Assessment

    facility = factory.SubFactory(FacilityFactory)
    version = factory.SubFactory(VersionFactory)
    kind = Assessment.Kind.SELF
    started_on = datetime.date(2026, 3, 2)


class AnswerFactory(DjangoModelFactory):
    class Meta:
        model = Answer

    assessment = factory.SubFactory(AssessmentFactory)
    criterion = factory.SubFactory(CriterionFactory)
    rating = 2


class FindingFactory(DjangoModelFactory):
    class Meta:
        model = Finding

    assessment = factory.SubFactory(AssessmentFactory)
    kind = Finding.Kind.RECOMMENDATION
    text = "Install a handrail on both sides of the ramp to the dormitory."


def small_catalogue(*, domains=(Domain.ACCESS, Domain.SAFETY), per_domain=3, critical_first=True):
    """An adopted version with ``per_domain`` criteria in each domain; the first of each
    domain is critical when ``critical_first``."""
    version = VersionFactory()
    for d, domain in enumerate(domains):
        for i in range(per_domain):
            CriterionFactory(
                version=version,
                code=f"{domain}-{i + 1}",
                domain=domain,
                order=d * 100 + i,
                weight=Decimal(i + 1),
                critical=critical_first and i == 0,
            )
    return version
