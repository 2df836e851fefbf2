"""Factories for the workforce tests. Synthetic people only."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from rehsos.core.tests.factories import FacilityFactory
from rehsos.workforce.models import (
    Application,
    Certification,
    InternshipCall,
    StaffMember,
    StaffRole,
    Training,
)

SCORING = [
    {"code": "motivation", "label": "Motivation", "weight": 40, "max": 10},
    {"code": "plan", "label": "Re-entry plan", "weight": 60, "max": 20},
]


class StaffFactory(DjangoModelFactory):
    class Meta:
        model = StaffMember

    facility = factory.SubFactory(FacilityFactory)
    name = factory.Sequence(lambda n: f"Pegawai Uji {n}")
    sex = "F"
    birth_year = 1985
    role = StaffRole.SOCIAL_WORKER
    employment = StaffMember.Employment.CIVIL_SERVANT
    started_on = datetime.date(2018, 1, 2)


class CertificationFactory(DjangoModelFactory):
    class Meta:
        model = Certification

    staff = factory.SubFactory(StaffFactory)
    name = "Sertifikat Pekerja Sosial"
    issuer = "LSP Pekerjaan Sosial"
    issued_on = datetime.date(2022, 5, 1)


class TrainingFactory(DjangoModelFactory):
    class Meta:
        model = Training

    title = factory.Sequence(lambda n: f"Pelatihan {n}")
    kind = Training.Kind.COURSE
    starts_on = datetime.date(2026, 2, 2)
    ends_on = datetime.date(2026, 2, 6)
    hours = 32


class CallFactory(DjangoModelFactory):
    """An open call, open from a month ago to a month ahead."""

    class Meta:
        model = InternshipCall

    title = factory.Sequence(lambda n: f"Magang pelatih ke Jepang {n}")
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    places = 2
    eligibility = factory.LazyFunction(list)
    scoring = factory.LazyFunction(lambda: [dict(c) for c in SCORING])
    status = InternshipCall.Status.OPEN


class ApplicationFactory(DjangoModelFactory):
    class Meta:
        model = Application

    call = factory.SubFactory(CallFactory)
    staff = factory.SubFactory(StaffFactory)
    eligible = True
    decision = Application.Decision.PENDING
    total = Decimal("50.00")
