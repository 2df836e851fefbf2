"""Factories for partners and their agreements (synthetic organisations only)."""

import datetime

import factory
from factory.django import DjangoModelFactory

from rehsos.partners.models import Agreement, Partner, PartnerUser


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"partner-{n}")
    name = factory.Sequence(lambda n: f"Development Agency {n}")
    acronym = factory.Sequence(lambda n: f"DA{n}")
    kind = Partner.Kind.BILATERAL
    country = "JP"


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = Agreement

    partner = factory.SubFactory(PartnerFactory)
    kind = Agreement.Kind.GRANT
    number = factory.Sequence(lambda n: f"GA-{n:04d}")
    title = factory.Sequence(lambda n: f"Grant for model centres, phase {n}")
    status = Agreement.Status.IN_FORCE
    signed_on = datetime.date(2025, 6, 1)
    starts_on = datetime.date(2025, 7, 1)
    ends_on = datetime.date(2028, 6, 30)


class PartnerUserFactory(DjangoModelFactory):
    class Meta:
        model = PartnerUser

    partner = factory.SubFactory(PartnerFactory)
