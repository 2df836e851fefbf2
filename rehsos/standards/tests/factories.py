"""Factories for the standards app's tests (append new ones at the end)."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from rehsos.core.tests.factories import FacilityFactory
from rehsos.standards.models import (
    Action,
    Answer,
    Assessment,
    Catalogue,
    CatalogueVersion,
    Criterion,
    Domain,
    Finding,
    RenovationProject,
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


# --- renovation (owner: the renovation part) -------------------------------------------


class RenovationProjectFactory(DjangoModelFactory):
    class Meta:
        model = RenovationProject

    facility = factory.SubFactory(FacilityFactory)
    title = factory.Sequence(lambda n: f"Accessible dormitory, block {n}")
    scope = "Ramps with handrails, widened doors, accessible bathrooms in the dormitory."
    budget = Decimal("1000000000")
    contractor = "PT Bangun Sarana Contoh"
    consultant = "CV Konsultan Teknik Contoh"
    starts_on = datetime.date(2026, 1, 1)
    planned_end_on = datetime.date(2026, 6, 30)


def renovation_gap(facility, criterion, *, assessment=None, text="Ramp too steep (1:8)."):
    """An audit finding on ``criterion`` turned into an open action of ``facility``."""
    assessment = assessment or AssessmentFactory(
        facility=facility,
        version=criterion.version,
        kind=Assessment.Kind.EXTERNAL,
        status=Assessment.Status.SUBMITTED,
        started_on=datetime.date(2025, 10, 6),
    )
    finding = FindingFactory(assessment=assessment, criterion=criterion, text=text)
    return Action.objects.create(
        facility=facility,
        finding=finding,
        criterion=criterion,
        title=f"Fix: {text}",
        due_on=datetime.date(2026, 1, 4),
    )


def rated_assessment(
    *,
    version,
    ratings: dict,
    facility=None,
    kind=Assessment.Kind.SELF,
    status=Assessment.Status.SUBMITTED,
    answered_by=None,
    submitted_at=None,
    visit_on=None,
):
    """An assessment of ``version`` with one answer per entry of ``ratings`` (criterion
    code → rating, ``"na"`` for not applicable, or ``(rating, user)`` to name who
    answered); submitted now unless ``status`` says otherwise. (Scoring part.)"""
    from django.utils import timezone

    assessment = AssessmentFactory(
        version=version,
        kind=kind,
        status=status,
        visit_on=visit_on,
        submitted_at=submitted_at
        or (timezone.now() if status != Assessment.Status.IN_PROGRESS else None),
        **({"facility": facility} if facility is not None else {}),
    )
    criteria = {c.code: c for c in version.criteria.all()}
    answers = []
    for code, value in ratings.items():
        rating, user = value if isinstance(value, tuple) else (value, answered_by)
        answers.append(
            Answer(
                assessment=assessment,
                criterion=criteria[code],
                rating=None if rating == "na" else rating,
                not_applicable=rating == "na",
                justification="Not provided at this centre." if rating == "na" else "",
                answered_by=user,
            )
        )
    Answer.objects.bulk_create(answers)
    return assessment
