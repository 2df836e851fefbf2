import datetime

import factory
from factory.django import DjangoModelFactory

from rehsos.core.models import User
from rehsos.core.roles import Role, ScopeLevel
from rehsos.facilities.models import Facility
from rehsos.registry.models import Person

TEST_PASSWORD = "correct-horse-battery-9"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    # Fixed names: a random real name can match another test's search by chance.
    first_name = factory.Sequence(lambda n: f"Pengguna{n}")
    last_name = "Uji"
    role = Role.SOCIAL_WORKER
    scope_level = ScopeLevel.NATION
    language = "en"  # tests assert messages in English, the source language
    password = factory.django.Password(TEST_PASSWORD)


class FacilityFactory(DjangoModelFactory):
    class Meta:
        model = Facility
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"centre-{n}")
    name = factory.Sequence(lambda n: f"Sentra {n}")
    kind = Facility.Kind.NATIONAL
    region_id = "31.75.03.1001"
    clusters = factory.LazyFunction(lambda: ["ANAK"])


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    full_name = factory.Faker("name", locale="id_ID")
    sex = "F"
    birth_date = datetime.date(2010, 5, 17)
    village_id = "31.75.03.1001"
