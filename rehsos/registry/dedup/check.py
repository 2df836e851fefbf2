"""Checking one new registration against the registry, with the trained model.

The registration page calls :func:`likely_duplicates` before saving. It fetches a
few candidates through indexes only — the NIK's blind index, the name key (in any
word order), the (birth year, sound of the name) index with the year allowed to be
off by one or ten and a name allowed to be missing, and the village with the birth
year — then scores each candidate in Python with the same comparison levels and
the same m/u parameters as the last deduplication run (or the model's defaults
before the first run). A million persons answer in a few milliseconds.
"""

import datetime
import itertools
import math
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q

from rehsos.registry import names
from rehsos.registry.dedup import data, explain, model
from rehsos.registry.identifiers import Sealer

CANDIDATES_PER_QUERY = 50


@dataclass(frozen=True)
class Reason:
    """One comparison's verdict; ``str()`` gives it in words in the active language."""

    field: str
    level: str
    weight: float

    def __str__(self) -> str:
        return explain.text({"field": self.field, "level": self.level})

    @property
    def direction(self) -> str:
        return "for" if self.weight > 0.5 else "against" if self.weight < -0.5 else "neutral"

    def as_dict(self) -> dict:
        return {"field": self.field, "level": self.level, "weight": self.weight}


class Match(NamedTuple):
    person: object
    probability: float
    explanation: list[Reason]


def _date(raw) -> datetime.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError:
        return None


def _village(fields: dict) -> str:
    village = fields.get("village_id") or fields.get("village") or ""
    return str(getattr(village, "code", village) or "")


def _features(fields: dict) -> tuple[dict, data.PersonRow]:
    full_name = " ".join(str(fields.get("full_name") or "").split())
    nik = "".join(ch for ch in str(fields.get("nik") or "") if ch.isdigit())
    row = data.PersonRow(
        id=0,
        name_key=names.key(full_name),
        name_phonetic=names.phonetic(full_name),
        birth_date=_date(fields.get("birth_date")),
        nik=nik,
        village=_village(fields),
        mother_name=str(fields.get("mother_name") or ""),
        sex=str(fields.get("sex") or ""),
    )
    return data.features(row), row


def _orders(words: list[str], limit: int = 4) -> set[str]:
    """The name in every word order (up to ``limit`` words) and with one word left out."""
    if not words:
        return set()
    out = {" ".join(words)}
    if len(words) <= limit:
        out.update(" ".join(p) for p in itertools.permutations(words))
    if len(words) > 1:
        out.update(" ".join(words[:i] + words[i + 1 :]) for i in range(len(words)))
    return out


def candidate_ids(features: dict, row: data.PersonRow, *, queryset) -> set[int]:
    """Ids of persons worth scoring, each query served by an index."""
    found: set[int] = set()

    def take(condition: Q) -> None:
        found.update(queryset.filter(condition).values_list("pk", flat=True)[:CANDIDATES_PER_QUERY])

    if features["nik"]:
        take(Q(nik_index=Sealer().blind_index(features["nik"])))
    key_words = row.name_key.split()
    if key_words:
        orders = {" ".join(key_words)}
        if len(key_words) <= 4:
            orders.update(" ".join(p) for p in itertools.permutations(key_words))
        take(Q(name_key__in=sorted(orders)))
    year = features["birth_year"]
    phonetic_words = row.name_phonetic.split()
    if year and phonetic_words:
        years = [year, year - 1, year + 1, year - 10, year + 10]
        take(Q(birth_year__in=years, name_phonetic__in=sorted(_orders(phonetic_words))))
    if year and features["village"]:
        take(Q(village_id=features["village"], birth_year=year))
    return found


def score(candidate: dict, other: dict, parameters: dict) -> tuple[float, list[Reason]]:
    """Match probability and reasons of a pair of feature rows."""
    weight = model.prior_weight(parameters)
    reasons = []
    for spec in model.COMPARISONS:
        level = spec.level_for(candidate, other)
        factor = model.bayes_factor(parameters, spec.name, level.code)
        part = 0.0 if level.is_null else math.log2(factor)
        weight += part
        reasons.append(Reason(spec.name, level.code, round(part, 2)))
    probability = 1 / (1 + 2 ** (-weight)) if weight > -1000 else 0.0
    return probability, reasons


def likely_duplicates(
    candidate_fields: dict,
    *,
    limit: int = 5,
    threshold: float | None = None,
    queryset=None,
    exclude=None,
) -> list[Match]:
    """Registered persons who may be the person described by ``candidate_fields``
    (full_name, birth_date, nik, mother_name, village, sex), most likely first, as
    ``(person, probability, explanation)``. ``queryset`` narrows the persons
    searched (by default every live one); ``exclude`` leaves one person out (an edit)."""
    from rehsos.registry.models import Person

    threshold = settings.REHSOS_DEDUP_CHECK_THRESHOLD if threshold is None else threshold
    features, row = _features(candidate_fields)
    if not features["name_key"] and not features["nik"]:
        return []
    # The candidate queries filter on nothing but their index: given "merged_into IS NULL"
    # as well, SQLite's planner may walk the merged_into index instead (every live row).
    ids = candidate_ids(features, row, queryset=Person.objects.all())
    if exclude is not None:
        ids.discard(getattr(exclude, "pk", exclude))
    if not ids:
        return []
    base = queryset if queryset is not None else Person.objects.all()
    live = base.filter(pk__in=ids, merged_into__isnull=True, erased_at__isnull=True)
    parameters = model.load_parameters()
    sealer = Sealer()
    scored = []
    for person in live:
        row = data.PersonRow(
            id=person.pk,
            name_key=person.name_key,
            name_phonetic=person.name_phonetic,
            birth_date=person.birth_date,
            nik=sealer.unseal(person.nik_sealed) if person.nik_sealed else "",
            village=person.village_id,
            mother_name=person.mother_name,
            sex=person.sex,
        )
        probability, reasons = score(features, data.features(row), parameters)
        if probability >= threshold:
            scored.append(Match(person, probability, reasons))
    scored.sort(key=lambda m: (-m.probability, m.person.pk))
    return scored[:limit]
