"""The registry side of the demo: NIKs, family cards, consents and planted duplicates.

Applied to the demo persons created in this run only, so a second run adds nothing.
About 5% of persons get a second, slightly different record — the kind of
duplicate the review queue exists for: an old spelling, a typo, a missing NIK,
day and month swapped.
"""

import datetime
import random

from django.utils import timezone

from rehsos.registry import names
from rehsos.registry.identifiers import Sealer
from rehsos.registry.models import (
    Consent,
    Household,
    HouseholdMembership,
    LawfulBasis,
    Person,
    PersonEvent,
    Purpose,
    Relationship,
)

DUPLICATE_SHARE = 0.05
_OLD_SPELLING = [("u", "oe"), ("j", "dj"), ("c", "tj"), ("y", "j")]


def make_nik(person: Person, serial: int) -> str:
    born = person.birth_date
    day = born.day + (40 if person.sex == "F" else 0)
    district = person.village_id[:8].replace(".", "")
    return f"{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial % 10000 or 1:04d}"


def _variant_name(name: str, rng: random.Random) -> str:
    lowered = name
    for modern, old in rng.sample(_OLD_SPELLING, len(_OLD_SPELLING)):
        if modern in lowered.lower():
            index = lowered.lower().index(modern)
            replacement = old.capitalize() if lowered[index].isupper() else old
            return lowered[:index] + replacement + lowered[index + len(modern) :]
    if len(name) > 4:  # a typo: two letters swapped
        i = rng.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name


def _duplicate_of(person: Person, rng: random.Random) -> Person:
    twin = Person(
        full_name=_variant_name(person.full_name, rng),
        sex=person.sex,
        birth_date=person.birth_date,
        village_id=person.village_id,
        facility=person.facility,
        source_system=person.source_system,
        source_id=f"{person.source_id}-dup",
        mother_name=person.mother_name,
    )
    born = person.birth_date
    if rng.random() < 0.3 and born.day <= 12 and born.day != born.month:
        twin.birth_date = born.replace(day=born.month, month=born.day)
    return twin


def enrich(persons: list[Person], *, seed: int, today: datetime.date) -> int:
    """Give the new demo persons identifiers, households, consents and duplicates.
    Returns the number of duplicate records added."""
    rng = random.Random(seed)
    sealer = Sealer()
    for number, person in enumerate(persons, start=1):
        person.mother_name = (
            person.mother_name
            or names.normalise(
                rng.choice(["Siti Aminah", "Sri Wahyuni", "Dewi Lestari", "Nur Aini", "Sumarni"])
            ).title()
        )
        if rng.random() < 0.85:
            nik = make_nik(person, number)
            person.nik_sealed, person.nik_index = sealer.seal(nik), sealer.blind_index(nik)
    Person.objects.bulk_update(persons, ["mother_name", "nik_sealed", "nik_index"], batch_size=500)

    households, memberships = [], []
    by_village: dict[str, list[Person]] = {}
    for person in persons:
        by_village.setdefault(person.village_id, []).append(person)
    for village, group in sorted(by_village.items()):
        if rng.random() < 0.6:
            continue
        members = sorted(group[: rng.randint(1, 4)], key=lambda p: p.birth_date)
        kk = f"{village[:8].replace('.', '')}{rng.randint(10**9, 10**10 - 1)}"
        household = Household(
            kk_sealed=sealer.seal(kk),
            kk_index=sealer.blind_index(kk),
            village_id=village,
            facility=members[0].facility,
            province_code=village[:2],
        )
        households.append((household, members))
    taken = set(
        Household.objects.filter(kk_index__in=[h.kk_index for h, _m in households]).values_list(
            "kk_index", flat=True
        )
    )
    households = [(h, members) for h, members in households if h.kk_index not in taken]
    Household.objects.bulk_create([h for h, _members in households], batch_size=500)
    for household, members in households:
        for i, person in enumerate(members):
            relationship = Relationship.HEAD if i == 0 else Relationship.OTHER_FAMILY
            memberships.append(
                HouseholdMembership(
                    household=household, person=person, relationship=relationship, start=today
                )
            )
    HouseholdMembership.objects.bulk_create(memberships, batch_size=500)

    now = timezone.now()
    consents = []
    for person in persons:
        consents.append(
            Consent(
                person=person,
                purpose=Purpose.CASE_MANAGEMENT,
                lawful_basis=LawfulBasis.PUBLIC_TASK,
                given_by="self",
                given_at=now,
            )
        )
        adult = (today - person.birth_date).days >= 18 * 365
        if adult and rng.random() < 0.3:
            consents.append(
                Consent(
                    person=person,
                    purpose=Purpose.EMPLOYMENT,
                    lawful_basis=LawfulBasis.CONSENT,
                    given_by="self",
                    given_at=now,
                )
            )
    Consent.objects.bulk_create(consents, batch_size=500)

    twins = [_duplicate_of(p, rng) for p in persons if rng.random() < DUPLICATE_SHARE]
    for twin in twins:
        twin.derive()
    Person.objects.bulk_create(twins, batch_size=500)
    everyone = [*persons, *twins]
    PersonEvent.objects.bulk_create(
        [PersonEvent(person=p, kind="registered", data={"via": "demo"}) for p in everyone],
        batch_size=500,
    )
    from rehsos.registry.search import index_persons

    index_persons([p.pk for p in everyone])
    return len(twins)
