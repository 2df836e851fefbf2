"""Load the synthetic demo data set: centres, one user per role, and persons.

Idempotent: every row has a stable key (a centre's code, a user's name, a
person's number as its id in the "rehsos-demo" source system), so a second run finds everything
and adds nothing. The persons come from Faker's id_ID locale with a fixed seed:
realistic Indonesian names of people who do not exist.
"""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from faker import Faker

from rehsos.demo import cases as demo_cases
from rehsos.demo import people
from rehsos.demo import standards as demo_standards
from rehsos.demo.accounts import DEMO_PASSWORD, DEMO_USERS
from rehsos.demo.centres import CENTRES, DemoCentre
from rehsos.facilities.models import Facility
from rehsos.regions.models import Level, Region
from rehsos.registry.models import Person, Sex

DEFAULT_PERSONS = 300
SEED = 2026
# Birth dates are counted back from a fixed day, so every run makes the same people.
REFERENCE_DAY = datetime.date(2026, 1, 1)
# Demo persons carry this source system and their number as the id in it.
SOURCE_SYSTEM = "rehsos-demo"


class DemoDataError(Exception):
    """The demo data cannot be loaded (for instance, region data is missing)."""


@dataclass
class LoadReport:
    centres: int = 0
    users: int = 0
    persons: int = 0
    duplicates: int = 0
    cases: int = 0
    standards: int = 0

    @property
    def added_anything(self) -> bool:
        return bool(
            self.centres
            or self.users
            or self.persons
            or self.duplicates
            or self.cases
            or self.standards
        )


def _check_regions() -> None:
    needed = {centre.village for centre in CENTRES}
    found = set(Region.objects.filter(code__in=needed).values_list("code", flat=True))
    if found != needed:
        raise DemoDataError(
            "Region data is not loaded (missing villages "
            + ", ".join(sorted(needed - found))
            + "): run `rehsos migrate` first."
        )


def _load_centres(report: LoadReport) -> dict[str, Facility]:
    facilities = {}
    for centre in CENTRES:
        facility, created = Facility.objects.get_or_create(
            code=centre.code,
            defaults={
                "name": centre.name,
                "kind": centre.kind,
                "clusters": list(centre.clusters),
                "region_id": centre.village,
                "address": centre.address,
                "capacity": centre.capacity,
            },
        )
        facilities[centre.code] = facility
        report.centres += created
    return facilities


def _load_users(report: LoadReport, facilities: dict[str, Facility]) -> None:
    user_model = get_user_model()
    existing = set(
        user_model.objects.filter(username__in=[d.username for d in DEMO_USERS]).values_list(
            "username", flat=True
        )
    )
    missing = [demo for demo in DEMO_USERS if demo.username not in existing]
    if not missing:
        return
    # One hash for all: the demo password is shared and public, and hashing it ten
    # times would only make loading slower.
    password_hash = make_password(DEMO_PASSWORD)
    for demo in missing:
        user = user_model(
            username=demo.username,
            first_name=demo.first_name,
            last_name=demo.last_name,
            email=f"{demo.username}@demo.rehsos.invalid",
            role=demo.role,
            scope_level=demo.scope_level,
            facility=facilities[demo.facility] if demo.facility else None,
            province_code=demo.province_code,
            is_staff=demo.is_staff,
            is_superuser=demo.is_superuser,
        )
        validate_password(DEMO_PASSWORD, user)
        user.password = password_hash
        user.save()
        report.users += 1


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder)."""
    whole = sum(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(
        range(len(weights)), key=lambda i: (shares[i] - counts[i], -i), reverse=True
    )
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _villages_near(centres: tuple[DemoCentre, ...]) -> dict[str, list[str]]:
    """The villages of each centre's regency: where its people come from."""
    villages = {}
    for centre in centres:
        regency = centre.village[:5]
        villages[centre.code] = list(
            Region.objects.filter(level=Level.VILLAGE, code__startswith=regency + ".")
            .order_by("code")
            .values_list("code", flat=True)
        )
    return villages


def _synthetic_persons(total: int, facilities: dict[str, Facility]) -> list[Person]:
    fake = Faker("id_ID")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)
    villages = _villages_near(CENTRES)
    counts = _allocate(total, [centre.weight for centre in CENTRES])
    persons = []
    number = 0
    for centre, count in zip(CENTRES, counts, strict=True):
        for _ in range(count):
            number += 1
            woman = rng.random() < centre.women
            first = fake.first_name_female() if woman else fake.first_name_male()
            # Many Indonesians carry a single name.
            if rng.random() < 0.2:
                full_name = first
            else:
                last = fake.last_name_female() if woman else fake.last_name_male()
                full_name = f"{first} {last}"
            age_days = rng.randint(centre.ages[0] * 365, centre.ages[1] * 365 + 364)
            village = rng.choice(villages[centre.code])
            person = Person(
                full_name=full_name,
                sex=Sex.FEMALE if woman else Sex.MALE,
                birth_date=REFERENCE_DAY - datetime.timedelta(days=age_days),
                village_id=village,
                facility=facilities[centre.code],
                source_system=SOURCE_SYSTEM,
                source_id=f"person-{number}",
            )
            # bulk_create skips save(), which fills the province and the search keys.
            person.derive()
            persons.append(person)
    return persons


def _load_persons(report: LoadReport, facilities: dict[str, Facility], total: int) -> None:
    persons = _synthetic_persons(total, facilities)
    existing = set(
        Person.objects.filter(source_system=SOURCE_SYSTEM).values_list("source_id", flat=True)
    )
    new = [person for person in persons if person.source_id not in existing]
    Person.objects.bulk_create(new, batch_size=500)
    report.persons += len(new)
    if new:
        report.duplicates += people.enrich(new, seed=SEED, today=REFERENCE_DAY)


@transaction.atomic
def load_demo(
    *, persons: int = DEFAULT_PERSONS, cases: bool = True, standards: bool = True
) -> LoadReport:
    """Create whatever of the demo data set is missing; report what was added."""
    _check_regions()
    report = LoadReport()
    facilities = _load_centres(report)
    _load_users(report, facilities)
    _load_persons(report, facilities, persons)
    if cases:
        report.cases = demo_cases.load_cases(source_system=SOURCE_SYSTEM)
    if standards:
        report.standards = demo_standards.load_standards()
    return report
