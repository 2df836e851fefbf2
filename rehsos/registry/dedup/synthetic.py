"""A labelled synthetic registry with the errors real Indonesian lists carry.

Used by the deduplication tests and the benchmark. Every record belongs to an
``entity`` (the real person); most entities have one record, a share of them a
near-duplicate with one to three of these errors:

* a typing error in the name, an old/new spelling swap (oe↔u, dj↔j, tj↔c),
  another way of writing Muhammad, the name order rotated, a name dropped, a title added;
* the NIK missing or with one digit wrong;
* the birth date with day and month swapped, replaced by 1 January, or a year digit wrong;
* a typing error in the mother's name;
* a move to another village (half of them within the district).

Nothing here is a real person: the names are drawn from Faker's id_ID lists plus
common Islamic, Batak, Manado and Chinese-Indonesian names, the NIKs are built in
the real layout on real district codes with random serials.
"""

import datetime
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from faker.providers.person.id_ID import Provider as _FakerNames


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ISLAMIC_MALE = _names(
    "Ahmad Abdul Abdullah Yusuf Ibrahim Ismail Hasan Husein Ali Umar Usman Hamzah Ilham "
    "Rizki Fajar Hidayat Syaiful Zainal Arifin Yahya Zakaria Soleh Rahmat Hakim Fauzi "
    "Nasrul Syahrul Taufik Rahman Salim Sulaiman Idris Khairul Lukman"
)
_ISLAMIC_FEMALE = _names(
    "Siti Nur Aisyah Fatimah Khadijah Zainab Aminah Maryam Halimah Rahmawati Nurul "
    "Syarifah Annisa Salma Zahra Hafsah Rukiah Jamilah Khusnul Laila Ulfa Yulia"
)
_JAVANESE = _names(
    "Sukarno Suharto Sutrisno Sugiarto Sumarno Joko Cahyono Cahyadi Budi Santoso Wahyudi "
    "Bambang Hadi Purnomo Suryadi Mulyono Slamet Sugeng Tukiman Paiman Juwono Yudhoyono "
    "Yanto Harjo Darmaji Jumadi Cipto Sucipto Rusdi Sudarsono Subagyo Surya Suparmi "
    "Sumiati Suyati Wartini Juwariyah Tumini Sukinah Yuyun Cucu Sunarti Marsinah Paijem"
)
_FAMILY = _names(
    "Siregar Nasution Simanjuntak Lubis Harahap Sitompul Hutapea Pardede Sinaga Tambunan "
    "Panjaitan Simatupang Manurung Situmorang Wenas Lumban Mandagi Sondakh Rumengan "
    "Pangemanan Tan Lim Wijaya Gunawan Halim Kusuma Tanoto Salim Hartono Sutanto Tjandra "
    "Liem Oei"
)
_MUHAMMAD = ("Muhammad", "Muhamad", "Mohammad", "Mohamad", "Moch.", "Moh.", "M.", "Mochamad")
_TITLES = ("H.", "Hj.", "Drs.", "Ir.", "Bapak", "Ibu")


def _vocabulary() -> tuple[tuple[str, ...], tuple[str, ...]]:
    male = tuple(dict.fromkeys((*_FakerNames.first_names_male, *_ISLAMIC_MALE, *_JAVANESE)))
    female = tuple(dict.fromkeys((*_FakerNames.first_names_female, *_ISLAMIC_FEMALE)))
    return male, female


MALE_NAMES, FEMALE_NAMES = _vocabulary()
FAMILY_NAMES = tuple(_FAMILY)

# Modern → old spelling; the reverse turns old into modern.
_OLD_SPELLING = (("u", "oe"), ("j", "dj"), ("c", "tj"), ("y", "j"))

PERTURBATIONS = (
    "name_typo",
    "name_spelling",
    "muhammad",
    "name_rotated",
    "name_dropped",
    "title_added",
    "nik_missing",
    "nik_typo",
    "birth_swap",
    "birth_january",
    "birth_year_typo",
    "mother_typo",
    "moved",
)
# How often each error is drawn for a duplicate (relative weights).
_WEIGHTS = (14, 10, 4, 8, 8, 4, 12, 8, 8, 6, 4, 8, 8)


@dataclass(frozen=True)
class SyntheticPerson:
    entity: int
    source_id: str
    full_name: str
    sex: str
    birth_date: datetime.date | None
    nik: str
    village_code: str
    mother_name: str
    errors: tuple[str, ...] = ()


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word + rng.choice("aiu")
    pos = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    letters = "abcdefghijklmnoprstuwy"
    if kind == 0:  # substitution
        return word[:pos] + rng.choice(letters) + word[pos + 1 :]
    if kind == 1:  # deletion
        return word[:pos] + word[pos + 1 :]
    if kind == 2:  # insertion
        return word[:pos] + rng.choice(letters) + word[pos:]
    return word[: pos - 1] + word[pos] + word[pos - 1] + word[pos + 1 :]  # transposition


def _respell(rng: random.Random, word: str) -> str | None:
    lower = word.lower()
    options = []
    for modern, old in _OLD_SPELLING:
        if old in lower:
            options.append((old, modern))
        elif modern in lower:
            options.append((modern, old))
    if not options:
        return None
    old, new = rng.choice(options)
    changed = lower.replace(old, new, 1)
    return changed[:1].upper() + changed[1:]


def _nik(rng: random.Random, village: str, sex: str, born: datetime.date | None) -> str:
    district = village[:8].replace(".", "")
    if born is None:
        born = datetime.date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
    day = born.day + (40 if sex == "F" else 0)
    return f"{district}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 9999):04d}"


class Generator:
    """Draws entities and their near-duplicates, reproducibly from ``seed``."""

    def __init__(
        self,
        villages: Sequence[str],
        *,
        seed: int = 2026,
        nik_share: float = 0.85,
        mother_share: float = 0.8,
    ):
        if not villages:
            raise ValueError("the generator needs at least one village code")
        self.rng = random.Random(seed)
        self.villages = list(villages)
        self._by_district: dict[str, list[str]] = {}
        for code in self.villages:
            self._by_district.setdefault(code[:8], []).append(code)
        self.nik_share = nik_share
        self.mother_share = mother_share

    def _name(self, sex: str) -> str:
        rng = self.rng
        pool = MALE_NAMES if sex == "M" else FEMALE_NAMES
        count = rng.choices((1, 2, 3), weights=(30, 50, 20))[0]
        tokens = [rng.choice(pool) for _ in range(count)]
        if rng.random() < 0.2:
            tokens.insert(0, "Muhammad" if sex == "M" else rng.choice(("Siti", "Nur")))
        if rng.random() < 0.35:
            tokens.append(rng.choice(FAMILY_NAMES))
        return " ".join(tokens)

    def entity(self, entity: int) -> SyntheticPerson:
        rng = self.rng
        sex = rng.choice("FM")
        born = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(31_000))
        village = rng.choice(self.villages)
        nik = _nik(rng, village, sex, born) if rng.random() < self.nik_share else ""
        mother = ""
        if rng.random() < self.mother_share:
            mother = " ".join(rng.choice(FEMALE_NAMES) for _ in range(rng.choice((1, 1, 2))))
        return SyntheticPerson(
            entity=entity,
            source_id=f"E{entity}-0",
            full_name=self._name(sex),
            sex=sex,
            birth_date=born,
            nik=nik,
            village_code=village,
            mother_name=mother,
        )

    def _apply(self, record: SyntheticPerson, error: str) -> SyntheticPerson | None:
        """The record with one error, or None when the error does not apply to it."""
        rng = self.rng
        tokens = record.full_name.split()
        if error == "name_typo":
            i = rng.randrange(len(tokens))
            tokens[i] = _typo(rng, tokens[i])
            return replace(record, full_name=" ".join(tokens))
        if error == "name_spelling":
            order = list(range(len(tokens)))
            rng.shuffle(order)
            for i in order:
                respelt = _respell(rng, tokens[i])
                if respelt:
                    tokens[i] = respelt
                    return replace(record, full_name=" ".join(tokens))
            return None
        if error == "muhammad":
            if tokens[0] != "Muhammad":
                return None
            tokens[0] = rng.choice(_MUHAMMAD[1:])
            return replace(record, full_name=" ".join(tokens))
        if error == "name_rotated":
            if len(tokens) < 2:
                return None
            return replace(record, full_name=" ".join(tokens[1:] + tokens[:1]))
        if error == "name_dropped":
            if len(tokens) < 2:
                return None
            del tokens[rng.randrange(len(tokens))]
            return replace(record, full_name=" ".join(tokens))
        if error == "title_added":
            title = rng.choice(_TITLES)
            return replace(record, full_name=f"{title} {record.full_name}")
        if error == "nik_missing":
            return replace(record, nik="") if record.nik else None
        if error == "nik_typo":
            if not record.nik:
                return None
            pos = rng.randrange(16)
            digit = rng.choice([d for d in "0123456789" if d != record.nik[pos]])
            return replace(record, nik=record.nik[:pos] + digit + record.nik[pos + 1 :])
        born = record.birth_date
        if error == "birth_swap":
            if born is None or born.day > 12 or born.day == born.month:
                return None
            return replace(record, birth_date=born.replace(day=born.month, month=born.day))
        if error == "birth_january":
            if born is None or (born.day, born.month) == (1, 1):
                return None
            return replace(record, birth_date=born.replace(day=1, month=1))
        if error == "birth_year_typo":
            if born is None:
                return None
            year = born.year + rng.choice((-10, -1, 1, 10))
            try:
                return replace(record, birth_date=born.replace(year=year))
            except ValueError:
                return None
        if error == "mother_typo":
            if not record.mother_name:
                return None
            words = record.mother_name.split()
            i = rng.randrange(len(words))
            words[i] = _typo(rng, words[i])
            return replace(record, mother_name=" ".join(words))
        if error == "moved":
            nearby = self._by_district.get(record.village_code[:8], ())
            if nearby and len(nearby) > 1 and rng.random() < 0.5:
                village = rng.choice([v for v in nearby if v != record.village_code])
            else:
                village = rng.choice(self.villages)
            return replace(record, village_code=village)
        raise ValueError(f"unknown error {error!r}")

    def duplicate(self, original: SyntheticPerson, number: int) -> SyntheticPerson:
        rng = self.rng
        wanted = rng.choices((1, 2, 3), weights=(45, 35, 20))[0]
        record, applied = original, []
        for _attempt in range(20):
            if len(applied) == wanted:
                break
            error = rng.choices(PERTURBATIONS, weights=_WEIGHTS)[0]
            if error in applied:
                continue
            changed = self._apply(record, error)
            if changed is not None:
                record, applied = changed, [*applied, error]
        if not applied:
            record, applied = self._apply(record, "title_added"), ["title_added"]
        return replace(record, source_id=f"E{original.entity}-{number}", errors=tuple(applied))

    def records(self, count: int, *, duplicate_share: float = 0.05) -> Iterator[SyntheticPerson]:
        """``count`` records: about ``duplicate_share`` of them near-duplicates of an
        earlier one, each emitted soon after its original (as a re-registration is)."""
        rng = self.rng
        # Each original is scheduled for a duplicate with probability q, so that
        # duplicates make up q / (1 + q) = duplicate_share of the output.
        scheduled = duplicate_share / (1 - duplicate_share)
        entity = 0
        pending: list[tuple[SyntheticPerson, int]] = []
        for _made in range(count):
            if pending and rng.random() < 0.5:
                original, number = pending.pop(rng.randrange(len(pending)))
                yield self.duplicate(original, number)
                if rng.random() < 0.1:  # some people are registered three times
                    pending.append((original, number + 1))
                continue
            person = self.entity(entity)
            entity += 1
            yield person
            if rng.random() < scheduled:
                pending.append((person, 1))


def true_pairs(records: Sequence[SyntheticPerson]) -> set[tuple[int, int]]:
    """The index pairs (i < j) of records that belong to one entity."""
    groups: dict[int, list[int]] = {}
    for index, record in enumerate(records):
        groups.setdefault(record.entity, []).append(index)
    return {
        (members[a], members[b])
        for members in groups.values()
        for a in range(len(members))
        for b in range(a + 1, len(members))
    }
