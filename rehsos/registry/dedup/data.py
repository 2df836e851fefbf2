"""The persons a deduplication run compares, as an Arrow table built in chunks.

Only what the model needs leaves the database: the person's id, the stored name
keys, birth date, NIK, village and mother's name. The NIK is decrypted in
memory for the comparison (one-digit typos need the digits) and goes nowhere
else: the table lives in this process and in an in-memory DuckDB whose spilling
to disk is switched off (see :mod:`rehsos.registry.dedup.run`).

Each row becomes the columns the comparisons and blocking rules use:

* ``nik``, ``nik_head`` (district + birth date part, for serial typos) and
  ``nik_tail`` (birth date + serial, for district typos);
* ``name_key`` (spelling-normalised), ``name_sorted`` (its words in order, so a
  rotated name is the same), ``name_phonetic`` (sorted sound keys) and
  ``name_tokens`` (the sound keys as a list, for dropped names);
* ``birth_date`` with ``birth_year``/``birth_month``/``birth_day``;
* ``village``, ``district``, ``regency`` (code prefixes);
* ``mother_key``.
"""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import pyarrow as pa

from rehsos.registry import names

CHUNK = 50_000

SCHEMA = pa.schema(
    [
        ("unique_id", pa.int64()),
        ("nik", pa.string()),
        ("nik_head", pa.string()),
        ("nik_tail", pa.string()),
        ("name_key", pa.string()),
        ("name_sorted", pa.string()),
        ("name_phonetic", pa.string()),
        ("name_tokens", pa.list_(pa.string())),
        ("birth_date", pa.date32()),
        ("birth_year", pa.int16()),
        ("birth_month", pa.int8()),
        ("birth_day", pa.int8()),
        ("village", pa.string()),
        ("district", pa.string()),
        ("regency", pa.string()),
        ("sex", pa.string()),
        ("mother_key", pa.string()),
    ]
)


@dataclass(frozen=True)
class PersonRow:
    """What the model reads of one person (the NIK already decrypted, or empty)."""

    id: int
    name_key: str
    name_phonetic: str
    birth_date: datetime.date | None
    nik: str
    village: str
    mother_name: str
    sex: str = ""


@lru_cache(maxsize=200_000)
def mother_key(name: str) -> str:
    """Mothers' names repeat a great deal; cache their keys."""
    return names.key(name)


def _sorted_words(text: str) -> tuple[str, list[str]]:
    words = sorted(text.split())
    return " ".join(words), words


def features(row: PersonRow) -> dict:
    """The model's columns for one person; also used by the single-registration check."""
    nik = row.nik if len(row.nik) == 16 else ""
    name_sorted, _words = _sorted_words(row.name_key)
    phonetic, tokens = _sorted_words(row.name_phonetic)
    born = row.birth_date
    village = row.village or ""
    mother = mother_key(row.mother_name) if row.mother_name else ""
    return {
        "unique_id": row.id,
        "nik": nik or None,
        "nik_head": nik[:12] or None,
        "nik_tail": nik[6:] or None,
        "name_key": row.name_key or None,
        "name_sorted": name_sorted or None,
        "name_phonetic": phonetic or None,
        "name_tokens": tokens or None,
        "birth_date": born,
        "birth_year": born.year if born else None,
        "birth_month": born.month if born else None,
        "birth_day": born.day if born else None,
        "village": village or None,
        "district": village[:8] or None,
        "regency": village[:5] or None,
        "sex": row.sex or None,
        "mother_key": mother or None,
    }


def _batch(rows: list[PersonRow]) -> pa.RecordBatch:
    """One chunk, column by column (the same values as :func:`features`, built faster)."""
    nik = [row.nik if len(row.nik) == 16 else None for row in rows]
    name_sorted, phonetic, tokens = [], [], []
    for row in rows:
        words = sorted(row.name_key.split())
        sounds = sorted(row.name_phonetic.split())
        name_sorted.append(" ".join(words) or None)
        phonetic.append(" ".join(sounds) or None)
        tokens.append(sounds or None)
    born = [row.birth_date for row in rows]
    village = [row.village or None for row in rows]
    columns = {
        "unique_id": [row.id for row in rows],
        "nik": nik,
        "nik_head": [n[:12] if n else None for n in nik],
        "nik_tail": [n[6:] if n else None for n in nik],
        "name_key": [row.name_key or None for row in rows],
        "name_sorted": name_sorted,
        "name_phonetic": phonetic,
        "name_tokens": tokens,
        "birth_date": born,
        "birth_year": [b.year if b else None for b in born],
        "birth_month": [b.month if b else None for b in born],
        "birth_day": [b.day if b else None for b in born],
        "village": village,
        "district": [v[:8] if v else None for v in village],
        "regency": [v[:5] if v else None for v in village],
        "sex": [row.sex or None for row in rows],
        "mother_key": [
            mother_key(row.mother_name) or None if row.mother_name else None for row in rows
        ],
    }
    return pa.RecordBatch.from_pydict(columns, schema=SCHEMA)


def batches(rows: Iterable[PersonRow], chunk: int = CHUNK) -> Iterator[pa.RecordBatch]:
    """Arrow record batches of ``chunk`` persons each."""
    pending: list[PersonRow] = []
    for row in rows:
        pending.append(row)
        if len(pending) == chunk:
            yield _batch(pending)
            pending = []
    if pending:
        yield _batch(pending)


def table(rows: Iterable[PersonRow], chunk: int = CHUNK, progress=None) -> pa.Table:
    """All persons as one Arrow table; ``progress(n)`` is called after each chunk."""
    collected = []
    for batch in batches(rows, chunk):
        collected.append(batch)
        if progress:
            progress(batch.num_rows)
    return pa.Table.from_batches(collected, schema=SCHEMA)


def person_rows(queryset=None, chunk: int = CHUNK) -> Iterator[PersonRow]:
    """The live persons of the registry (not merged, not erased), read in keyset
    chunks so that a million rows never sit in memory as model objects."""
    from rehsos.registry.identifiers import Sealer
    from rehsos.registry.models import Person

    sealer = Sealer()
    base = queryset if queryset is not None else Person.objects.all()
    fields = (
        "pk",
        "name_key",
        "name_phonetic",
        "birth_date",
        "nik_sealed",
        "village_id",
        "mother_name",
        "sex",
        "merged_into_id",
        "erased_at",
    )
    # Pages by primary key only, the live filter applied here: given "merged_into IS
    # NULL" SQLite may walk that index for every page instead of the primary key.
    last = 0
    while True:
        page = list(base.filter(pk__gt=last).order_by("pk").values_list(*fields)[:chunk])
        if not page:
            return
        for pk, key, phonetic, born, sealed, village, mother, sex, merged, erased in page:
            if merged is not None or erased is not None:
                continue
            yield PersonRow(
                id=pk,
                name_key=key,
                name_phonetic=phonetic,
                birth_date=born,
                nik=sealer.unseal(sealed) if sealed else "",
                village=village,
                mother_name=mother,
                sex=sex,
            )
        last = page[-1][0]
