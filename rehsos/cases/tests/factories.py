"""Factories for case-management tests: a case in the default stage list, at a stage."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from rehsos.cases.models import Case, CaseStatus, PpksType, Setting, Stage, StageSet
from rehsos.core.tests.factories import FacilityFactory, PersonFactory


def default_stage(code: str = "intake") -> Stage:
    return Stage.objects.get(stage_set__is_default=True, code=code)


def ppks(code: str = "AMPK") -> PpksType:
    return PpksType.objects.get(code=code)


class CaseFactory(DjangoModelFactory):
    """A case; ``stage`` is a code of the default stage list (``intake`` unless given)."""

    class Meta:
        model = Case

    class Params:
        stage_code = "intake"

    number = factory.Sequence(lambda n: f"TEST-{n:06d}")
    unit = factory.SubFactory(FacilityFactory)
    person = factory.SubFactory(PersonFactory)
    cluster = "ANAK"
    ppks_type = factory.LazyFunction(ppks)
    setting = Setting.RESIDENTIAL
    stage = factory.LazyAttribute(lambda o: default_stage(o.stage_code))
    stage_entered_at = factory.LazyFunction(timezone.now)
    status = CaseStatus.OPEN
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


__all__ = ["CaseFactory", "StageSet", "default_stage", "ppks"]
