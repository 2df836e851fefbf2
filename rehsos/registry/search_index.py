"""Keeping the person search index (the tables in models_search.py).

Called by the services that change persons:

* ``index_persons(person_ids)`` — (re)index these persons in bulk: their names and
  aliases, birth year, region and centre. Persons merged into another record, erased or
  deleted are taken out. Idempotent; call it in the transaction of the change (or on
  commit), after a registration, an edit of a name, birth date, village or centre, an
  import batch, and a merge or unmerge (with both persons' ids).
* ``remove_persons(person_ids)`` — take persons out of the index.
* ``reindex_all(progress=None)`` — rebuild everything, vocabulary included
  (``rehsos reindex-persons``).

Rows go in with ``COPY`` on PostgreSQL and ``executemany`` on SQLite.
"""

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from itertools import combinations

from django.db import connection, transaction

from rehsos.registry import names
from rehsos.registry.models import Person
from rehsos.registry.models_search import SearchWord

MAX_WORD = 64  # letters kept of one word
MAX_NAME_WORDS = 6  # words of one name that make pairs (6 words: 15 pairs)
DEEP_VARIANTS_FROM = 6  # words this long also get two-letter deletions
PAIR_SHIFT = 32
CHUNK = 2000

REGION_DIGITS = 10
SINGLE_KEY_LIMIT = 1 << PAIR_SHIFT  # keys below are single words, above pairs; whole names < 0

POSTING = "registry_searchposting"
POSTING_COLUMNS = ("key", "region", "birth_year", "facility_id", "person_id")


# --- keys -----------------------------------------------------------------------------


def pair_key(a: int, b: int) -> int:
    low, high = (a, b) if a <= b else (b, a)
    return (low << PAIR_SHIFT) | high


def whole_name_key(word_ids: Iterable[int]) -> int:
    """The key of a whole name (its set of words, in any order): a negative 62-bit hash,
    apart from the word and pair keys. A query that spells out the full name finds the
    persons called exactly that before those whose longer names merely contain it."""
    data = b"".join(wid.to_bytes(4, "big") for wid in sorted(set(word_ids)))
    return -(int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big") >> 2) - 1


def region_number(code: str | None) -> int:
    """``31.75.03.1001`` → 3175031001; a shorter code is padded, so a prefix is a range."""
    digits = (code or "").replace(".", "")[:REGION_DIGITS]
    return int(digits.ljust(REGION_DIGITS, "0")) if digits.isdigit() else 0


def region_range(prefix: str) -> tuple[int, int]:
    digits = prefix.replace(".", "")
    low = int(digits.ljust(REGION_DIGITS, "0"))
    return low, low + 10 ** (REGION_DIGITS - len(digits))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def word_variants(word: str) -> set[str]:
    """The strings a word is filed under: itself, its deletions and its sound key."""
    found = {word}
    if len(word) >= 3:
        first = _deletions(word)
        found |= first
        if len(word) >= DEEP_VARIANTS_FROM:
            for shorter in first:
                found |= _deletions(shorter)
    sound = phonetic(word)
    if sound:
        found.add("~" + sound)
    return found


@lru_cache(maxsize=200_000)
def phonetic(word: str) -> str:
    return names.phonetic_word(word)


def name_words(name: str) -> list[str]:
    """The distinct index words of one name, in order."""
    keyed = (w[:MAX_WORD] for w in names.key(name).split())
    return list(dict.fromkeys(keyed))


# --- keeping the index ------------------------------------------------------------------


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def param_marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def _copy_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    names_sql = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({names_sql}) VALUES ({param_marks(len(columns))})",  # noqa: S608 -- constant table and column names, %s parameter marks
                rows,
            )


class _Vocabulary:
    """Word → id, creating new words (with their variants) as they appear."""

    def __init__(self):
        self.ids: dict[str, int] = {}

    def _known(self, words: list[str]) -> None:
        for part in chunks(words, 500):
            self.ids.update(SearchWord.objects.filter(word__in=part).values_list("word", "id"))

    def ensure(self, words: Iterable[str]) -> None:
        missing = sorted({w for w in words if w not in self.ids})
        if not missing:
            return
        self._known(missing)
        new = [w for w in missing if w not in self.ids]
        created: dict[str, int] = {}
        with connection.cursor() as cursor:
            for part in chunks(new, 500):
                cursor.execute(
                    "INSERT INTO registry_searchword (word, df) VALUES "  # noqa: S608 -- only parameter marks are interpolated
                    + ", ".join(["(%s, 0)"] * len(part))
                    + " ON CONFLICT (word) DO NOTHING RETURNING id, word",
                    part,
                )
                created.update((word, wid) for wid, word in cursor.fetchall())
        self.ids.update(created)
        # Words another transaction created meanwhile (its variants are its business).
        self._known([w for w in new if w not in created])
        variants = [(v, wid) for word, wid in created.items() for v in word_variants(word)]
        _copy_rows("registry_searchvariant", ("variant", "word_id"), variants)


_INDEX_FIELDS = ("id", "name_key", "other_names", "birth_year", "village_id", "facility_id")


def _posting_rows(rows: list[tuple], vocabulary: _Vocabulary) -> tuple[list[tuple], Counter]:
    """Posting rows for persons given as ``_INDEX_FIELDS`` tuples, and the words they carry."""
    named = []
    for pid, name_key, other_names, birth_year, village_id, facility_id in rows:
        spelled = [list(dict.fromkeys(w[:MAX_WORD] for w in name_key.split()))]
        for other in other_names or ():
            if isinstance(other, str) and other.strip():
                spelled.append(name_words(other))
        named.append((pid, spelled, birth_year, village_id, facility_id))
    vocabulary.ensure(w for _p, spelled, *_rest in named for words in spelled for w in words)
    ids = vocabulary.ids
    postings: list[tuple] = []
    carried: Counter = Counter()
    for pid, spelled, birth_year, village_id, facility_id in named:
        keys: set[int] = set()
        for words in spelled:
            word_ids = sorted({ids[w] for w in words[:MAX_NAME_WORDS] if w})
            keys.update(word_ids)
            if len(word_ids) == 1:
                keys.add(pair_key(word_ids[0], word_ids[0]))
            keys.update(pair_key(a, b) for a, b in combinations(word_ids, 2))
            if len(word_ids) > 1:
                keys.add(whole_name_key(word_ids))
        region, year, centre = region_number(village_id), birth_year or 0, facility_id or 0
        postings.extend((k, region, year, centre, pid) for k in keys)
        carried.update(k for k in keys if 0 < k < SINGLE_KEY_LIMIT)
    return postings, carried


def _insert_postings(rows: list[tuple]) -> None:
    _copy_rows(POSTING, POSTING_COLUMNS, rows)


def _delete_postings(person_ids: list[int]) -> Counter:
    """Delete the persons' postings; the single-word keys they held, counted."""
    dropped: Counter = Counter()
    with connection.cursor() as cursor:
        for part in chunks(person_ids, 1000):
            cursor.execute(
                f"DELETE FROM {POSTING} WHERE person_id IN ({param_marks(len(part))}) "  # noqa: S608 -- only %s parameter marks are interpolated
                "RETURNING key",
                part,
            )
            dropped.update(k for (k,) in cursor.fetchall() if 0 < k < SINGLE_KEY_LIMIT)
    return dropped


def _add_to_df(delta: Counter) -> None:
    changes = sorted((wid, n) for wid, n in delta.items() if n)
    if not changes:
        return
    for part in chunks(changes, 1000):
        # Lock the words in id order first, so concurrent writers never deadlock.
        list(
            SearchWord.objects.select_for_update()
            .filter(id__in=[wid for wid, _n in part])
            .order_by("id")
            .values_list("id", flat=True)
        )
        values = ", ".join(["(%s, %s)"] * len(part))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH delta (id, n) AS (VALUES {values}) "  # noqa: S608 -- only %s parameter marks are interpolated
                "UPDATE registry_searchword SET df = df + delta.n "
                "FROM delta WHERE registry_searchword.id = delta.id",
                [x for pair in part for x in pair],
            )


def index_persons(person_ids: Iterable[int]) -> int:
    """(Re)index these persons: their names, aliases, birth year, region and centre.

    Persons merged into another record, erased or deleted are taken out of the index.
    Call after every change to a person's names, birth date, village or centre, and
    after a merge or unmerge (with both persons' ids). Returns the number indexed."""
    ids = sorted({int(pid) for pid in person_ids})
    indexed = 0
    with transaction.atomic():
        vocabulary = _Vocabulary()
        for part in chunks(ids, CHUNK):
            dropped = _delete_postings(part)
            rows = list(
                Person.objects.filter(pk__in=part, merged_into__isnull=True, erased_at__isnull=True)
                .order_by("pk")
                .values_list(*_INDEX_FIELDS)
            )
            postings, carried = _posting_rows(rows, vocabulary)
            _insert_postings(postings)
            carried.subtract(dropped)
            _add_to_df(carried)
            indexed += len(rows)
    return indexed


def remove_persons(person_ids: Iterable[int]) -> None:
    """Take persons out of the search index (erasure, merge, deletion)."""
    ids = sorted({int(pid) for pid in person_ids})
    with transaction.atomic():
        dropped = _delete_postings(ids)
        _add_to_df(Counter({wid: -n for wid, n in dropped.items()}))


def _set_aside_indexes(cursor, table: str) -> list[str]:
    """PostgreSQL: drop a table's primary key and indexes, returning the statements that
    rebuild them. Building an index once, sorted, after the load is several times faster
    than keeping it up to date row by row (tens of millions of rows nationally)."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'p'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [table],
    )
    indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    for name, _definition in constraints:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {quote(name)}")
    return [
        *(f"ALTER TABLE {table} ADD CONSTRAINT {quote(n)} {d}" for n, d in constraints),
        *(definition for _name, definition in indexes),
    ]


def reindex_all(progress: Callable[[int, int], None] | None = None, *, chunk: int = 5000) -> int:
    """Rebuild the whole index, vocabulary included, from the persons table;
    ``progress(done, total)`` is called after each chunk. One transaction: on PostgreSQL
    the index tables are locked meanwhile (searches wait, then see the new index); on
    SQLite searches see the old index until it commits. Returns the persons indexed."""
    live = Person.objects.filter(merged_into__isnull=True, erased_at__isnull=True)
    total = live.count()
    done = 0
    tables = (POSTING, "registry_searchvariant", "registry_searchword")
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # The words keep their unique index: new words are inserted ON CONFLICT.
            rebuild = [
                *_set_aside_indexes(cursor, POSTING),
                *_set_aside_indexes(cursor, "registry_searchvariant"),
            ]
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 -- constant table names
            rebuild = []
        vocabulary = _Vocabulary()
        carried: Counter = Counter()
        last = 0
        while True:
            rows = list(live.filter(pk__gt=last).order_by("pk").values_list(*_INDEX_FIELDS)[:chunk])
            if not rows:
                break
            postings, counted = _posting_rows(rows, vocabulary)
            _insert_postings(postings)
            carried.update(counted)
            last = rows[-1][0]
            done += len(rows)
            if progress:
                progress(done, total)
        for statement in rebuild:
            cursor.execute(statement)
        _add_to_df(carried)
    with connection.cursor() as cursor:
        for table in tables:
            if not postgres:
                cursor.execute(f"ANALYZE {table}")
            elif not connection.in_atomic_block:  # VACUUM cannot run in a transaction
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    return done
