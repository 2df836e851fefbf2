"""Writing checked rows into the registry, one batch per transaction.

A batch is a list of spool lines (see rows.py). For each batch:

1. the persons the rows may already be are found with one query per natural key —
   ``(source_system, source_id)``, the NIK's blind index, the KK's blind index (with
   the name key) — merged records leading to their survivor;
2. each row is *new*, *unchanged* (every value it gives equals the stored one),
   *updated* (only the values it gives and that differ; a blank cell never erases),
   or *rejected* when its keys point at different persons;
3. new persons get ids from the table's sequence and go in with ``COPY`` on
   PostgreSQL or ``executemany`` on SQLite, with their "registered" timeline
   events; updates are grouped by the set of columns they change;
4. the search index is brought up to date for the persons updated, and the batch
   row's checkpoint and counts — with the ids of the persons created, in
   ``unindexed`` — are written in the same transaction: a crash loses at most the
   batch in flight, and the next run starts after the checkpoint. The persons created
   are indexed for search after the last batch (runner.py), in one pass: many
   batches' worth of new names at once cost the index far less than one batch at a
   time (and the two writing connections then never wait for each other).

A dry run does steps 1 and 2 and writes nothing.
"""

import csv
import datetime
import io
import json
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import psycopg
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.roles import ScopeLevel
from rehsos.registry.importers.rows import (
    BIT,
    KEY_FIELDS,
    NULL,
    POSITION,
    SPOOL_FIELDS,
    WG_FIELDS,
    derive,
    unesc,
)
from rehsos.registry.models import Person, PersonEvent
from rehsos.registry.models_import import ImportBatch

try:
    from rehsos.registry.search import index_persons, reindex_all
except ImportError:  # the search index is optional for the importer
    index_persons = reindex_all = None

# Called inside each batch's transaction after its writes, before the checkpoint, and
# inside each transaction of the indexing step: tests set them to simulate a crash in
# the middle of an import.
before_commit: Callable[[int], None] | None = None
before_index_commit: Callable[[], None] | None = None

# The persons an import created go into the search index after its last batch, in
# transactions of INDEX_CHUNK ids. An import that at least doubles the registry (and
# creates REBUILD_FROM persons or more) rebuilds the whole index instead: loading the
# postings and then building the index tables' B-trees once, sorted, is several times
# cheaper than inserting into them key by key.
INDEX_CHUNK = 20_000
REBUILD_FROM = 50_000

# SQLite during an import: a page cache big enough for the indexes of a large table, a
# write-ahead log allowed to grow to about 200 MB between checkpoints (each checkpoint
# rewrites pages into the database file; fewer of them, fewer random writes).
SQLITE_CACHE_KIB = 256 * 1024
SQLITE_WAL_PAGES = 50_000

P_ROW = 0
P_MASK = 1
P_SOURCE = POSITION["source_id"]
P_NIK = POSITION["nik_index"]
P_KK = POSITION["kk_index"]
P_NAME_KEY = POSITION["name_key"]
KEY_END = 2 + KEY_FIELDS
PREMATCH_TABLE = "rehsos_import_keys"
PREMATCH_BLOCK = 10_000

# Columns read back from existing persons to match and compare rows with.
COMPARED = (
    "full_name",
    "other_names",
    "sex",
    "birth_date",
    "birth_date_precision",
    "birth_place",
    "nik_index",
    "kk_index",
    "mother_name",
    "village_id",
    "address",
    "phone",
    "education",
    "marital_status",
    "religion",
    *WG_FIELDS,
    "source_id",
)
FETCHED = (
    "id",
    "merged_into_id",
    "source_system",
    "name_key",
    "facility_id",
    "province_code",
    *COMPARED,
)

# Which stored columns a file column fills (derived columns follow in _changes).
FILLS = {
    "full_name": ("full_name",),
    "other_names": ("other_names",),
    "sex": ("sex",),
    "birth_date": ("birth_date", "birth_date_precision"),
    "birth_date_precision": ("birth_date_precision",),
    "birth_place": ("birth_place",),
    "nik": ("nik_index",),
    "kk_number": ("kk_index",),
    "mother_name": ("mother_name",),
    "village_code": ("village_id",),
    "address": ("address",),
    "phone": ("phone",),
    "education": ("education",),
    "marital_status": ("marital_status",),
    "religion": ("religion",),
    **{name: (name,) for name in WG_FIELDS},
    "source_id": ("source_id",),
}


@dataclass
class Prepared:
    heads: list[list[str]]
    values: list[list] | None  # SQLite parameters per line (spool fields), or None


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, key, value, why
    person_ids: list[int] = field(default_factory=list)
    unindexed: list[int] | None = None  # [first, last] id of the persons created


def _stored(name: str, value):
    """A stored value in the spool's text form, for comparing."""
    if value is None:
        return None
    if name == "other_names":
        if isinstance(value, str):
            value = json.loads(value or "[]")
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _spooled(name: str, parts: list[str]):
    return unesc(parts[POSITION[name]])


class Store:
    """Writes one import's batches; built once per run."""

    def __init__(self, batch: ImportBatch, *, dry_run: bool, defer_index: bool = True):
        self.batch = batch
        self.dry_run = dry_run
        self.defer_index = defer_index  # new persons: indexed after the last batch
        self.vendor = connection.vendor
        self.person_table = Person._meta.db_table
        self.event_table = PersonEvent._meta.db_table
        self.source_system = batch.source_system
        self.in_scope = _scope_check(batch.created_by)
        self.matched: set[int] | None = None  # rows that may match someone (see prematch)
        self.index_lock = threading.Lock()
        self.labels = batch.columns or {}
        self.event_data = json.dumps({"via": "import", "batch": str(batch.public_id)})[:-1]
        self._columns_and_constants()

    # -- layout --------------------------------------------------------------------

    def _columns_and_constants(self) -> None:
        """The person columns a new row fills: the spool's, then per-batch constants,
        then every other column at its model default (so a column added to Person
        later needs no change here)."""
        batch = self.batch
        given = {
            "photo": "",
            "facility_id": batch.facility_id,
            "source_system": batch.source_system,
            "registered_by_id": batch.created_by_id,
            "merged_into_id": None,
            "erased_at": None,
            "version": 1,
        }
        per_batch = ("id", "created_at", "updated_at")
        spooled = set(SPOOL_FIELDS)
        columns, constants = [], []
        for model_field in Person._meta.concrete_fields:
            name = model_field.attname
            if name in spooled or name in per_batch:
                continue
            if name in given:
                value = given[name]
            elif isinstance(model_field, models.JSONField):
                value = json.dumps(model_field.get_default())
            else:
                value = model_field.get_db_prep_save(model_field.get_default(), connection)
            columns.append(model_field.column)
            constants.append(value)
        self.constant_columns = columns
        self.constant_values = constants
        self.constant_text = "\t".join(_copy_text(v) for v in constants)
        self.spool_columns = [Person._meta.get_field(name).column for name in SPOOL_FIELDS]
        self.insert_columns = ["id", "created_at", "updated_at", *self.spool_columns, *columns]

    @contextmanager
    def session(self):
        """Around all batches of a run: SQLite's settings for a bulk write (see
        SQLITE_CACHE_KIB), put back afterwards."""
        if self.vendor != "sqlite":
            yield
            return
        settings = {
            "cache_size": -SQLITE_CACHE_KIB,
            "wal_autocheckpoint": SQLITE_WAL_PAGES,
        }
        before = {}
        with connection.cursor() as cursor:
            for name, value in settings.items():
                cursor.execute(f"PRAGMA {name}")
                before[name] = int(cursor.fetchone()[0])
                cursor.execute(f"PRAGMA {name} = {int(value)}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for name, value in before.items():
                    cursor.execute(f"PRAGMA {name} = {value}")

    # -- one batch -------------------------------------------------------------------

    def prepare(self, lines: list[str]) -> Prepared:
        """The work on a batch that needs no database: split the lines and, for SQLite,
        turn them into parameter lists. Runs in a thread ahead of write(): sqlite3 lets go
        of the interpreter lock while SQLite works, so this overlaps the previous batch."""
        # Row number, mask, the four keys, the rest: enough to match; a full split only
        # for rows that match someone.
        heads = [line.split("\t", KEY_END) for line in lines]
        values = None
        if self.vendor != "postgresql":
            values = [_values(line, head) for line, head in zip(lines, heads, strict=True)]
        return Prepared(heads, values)

    def write(
        self, lines: list[str], *, after: int, rejects: Path, prepared: Prepared | None = None
    ) -> Outcome:
        """Match, compare and (unless a dry run) write one batch of spool lines — the rows
        after row ``after`` up to the last line's — and record the batch as committed, all
        in one transaction. The batch's rejects go to ``rejects``, a file of its own that
        gets its final name only once the transaction has committed."""
        prepared = prepared or self.prepare(lines)
        heads = prepared.heads
        last = int(heads[-1][P_ROW])
        indexing = False
        written = None
        try:
            with transaction.atomic():
                outcome = Outcome()
                matches = self._matches(heads, outcome)
                new, updates = [], []
                for index, (line, head, person) in enumerate(
                    zip(lines, heads, matches, strict=True)
                ):
                    if person is False:
                        continue  # rejected
                    if person is None:
                        new.append(
                            (line, head, prepared.values[index] if prepared.values else None)
                        )
                        continue
                    row_parts = line.rstrip("\n").split("\t")
                    changes = _changes(row_parts, person)
                    if changes:
                        updates.append((row_parts, person, changes))
                    else:
                        outcome.unchanged += 1
                outcome.created = len(new)
                outcome.updated = len(updates)
                if not self.dry_run:
                    if self.vendor == "postgresql":
                        # Safe here: should the server crash right after this commit, the
                        # batch and its record are lost together, and the next run redoes both.
                        with connection.cursor() as cursor:
                            cursor.execute("SET LOCAL synchronous_commit TO OFF")
                    now = timezone.now()
                    created_ids = self._insert(new, now)
                    updated_ids = self._update(updates, now)
                    outcome.person_ids = created_ids + updated_ids
                    to_index = updated_ids if self.defer_index else outcome.person_ids
                    if index_persons is not None and to_index:
                        # The index's word counts are shared rows: one batch at a time
                        # updates them, until its commit.
                        self.index_lock.acquire()
                        indexing = True
                        index_persons(to_index)
                    if before_commit is not None:
                        before_commit(last)
                    if self.defer_index and created_ids and index_persons is not None:
                        outcome.unindexed = [min(created_ids), max(created_ids)]
                written = self._rejects(rejects, outcome.rejects)
                self._record(after, last, outcome)
        finally:
            if indexing:
                self.index_lock.release()
        if written is not None:
            os.replace(written, rejects)  # committed: the rejects join the report
        return outcome

    def _rejects(self, path: Path, rejects: list) -> Path | None:
        """Write the batch's rejects beside their final name, to be renamed after the
        commit (a batch that rolls back leaves only a stray .part, ignored and removed)."""
        if not rejects:
            return None
        part = path.with_name(path.name + ".part")
        with part.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for row, key, value, reason in sorted(rejects, key=lambda r: r[0]):
                writer.writerow(["reject", row, self.labels.get(key, key), value, str(reason)])
        return part

    def _record(self, after: int, last: int, outcome: Outcome) -> None:
        """Record rows (after, last] as committed: fold them into the checkpoint when they
        follow it, else keep them in committed_ranges until the gap before them closes."""
        checkpoint, ranges, unindexed = (
            ImportBatch.objects.select_for_update()
            .filter(pk=self.batch.pk)
            .values_list("checkpoint", "committed_ranges", "unindexed")
            .get()
        )
        ranges = sorted(tuple(r) for r in ranges or [])
        if after < checkpoint or any(start < last and after < end for start, end in ranges):
            raise BatchOverlap(
                _("Another run of this import went ahead (at row %(row)s); stopping this one.")
                % {"row": max([checkpoint, *(end for _start, end in ranges)])}
            )
        ranges.append((after, last))
        ranges.sort()
        while ranges and ranges[0][0] == checkpoint:
            checkpoint = ranges.pop(0)[1]
        if outcome.unindexed:
            unindexed = merge_ranges([*(unindexed or []), outcome.unindexed])
        ImportBatch.objects.filter(pk=self.batch.pk).update(
            checkpoint=checkpoint,
            committed_ranges=[list(r) for r in ranges],
            unindexed=unindexed or [],
            created=F("created") + outcome.created,
            updated=F("updated") + outcome.updated,
            unchanged=F("unchanged") + outcome.unchanged,
            rows_rejected=F("rows_rejected") + len({r[0] for r in outcome.rejects}),
        )

    # -- matching ----------------------------------------------------------------------

    def _fetch(self, column: str, values: list[str], *, extra: str = "", params=()) -> list[dict]:
        if not values:
            return []
        names = ", ".join(FETCHED)
        if self.vendor == "postgresql":
            # A server-side bound cursor sends the array as one parameter, not as a literal
            # quoted value by value: thousands of keys per batch cost little to send.
            connection.ensure_connection()
            with psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(
                    f"SELECT {names} FROM {self.person_table} "  # noqa: S608 -- fixed column and table names; values are parameters
                    f"WHERE {column} = ANY(%s){extra}",
                    [list(values), *params],
                )
                return [dict(zip(FETCHED, row, strict=True)) for row in cursor.fetchall()]
        with connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(values))
            cursor.execute(
                f"SELECT {names} FROM {self.person_table} "  # noqa: S608 -- fixed column and table names; values are parameters
                f"WHERE {column} IN ({marks}){extra}",
                [*values, *params],
            )
            return [dict(zip(FETCHED, row, strict=True)) for row in cursor.fetchall()]

    def _survivors(self, found: dict[int, dict]) -> None:
        """Follow merged records to the record they were merged into."""
        for _depth in range(10):
            missing = {
                p["merged_into_id"]
                for p in found.values()
                if p["merged_into_id"] and p["merged_into_id"] not in found
            }
            if not missing:
                return
            for person in self._fetch("id", sorted(missing)):
                found[person["id"]] = person

    def _live(self, person: dict, found: dict[int, dict]) -> dict:
        seen = 0
        while person["merged_into_id"] and seen < 10:
            person = found.get(person["merged_into_id"], person)
            seen += 1
        return person

    def prematch(self, heads: Iterator[list[str]]) -> None:
        """Find, with one join, which of the rows still to write may match someone.

        Per-batch lookups probe three indexes per row; at a million persons that costs
        the server as much as writing the row. Instead the keys of every row to come go
        into a temporary table once, and one query (hash joins on PostgreSQL) names the
        rows that share a key with a stored person. Batches then look up only those rows;
        the others are new. (A person registered by someone else while the import runs
        can be missed, and is left to duplicate detection.) Into an empty registry — a
        first load — nobody can match, and the join is skipped."""
        if not Person.objects.exists():
            self.matched = set()
            return
        quote = connection.ops.quote_name
        table = quote(PREMATCH_TABLE)
        person = quote(self.person_table)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (row_number integer, source_id text, "
                "nik_index text, kk_index text, name_key text)"
            )
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    block = []
                    for head in heads:
                        block.append(
                            f"{head[P_ROW]}\t{head[P_SOURCE]}\t{head[P_NIK]}\t{head[P_KK]}\t"
                            f"{head[P_NAME_KEY]}\n"
                        )
                        if len(block) >= PREMATCH_BLOCK:
                            copy.write("".join(block))
                            block = []
                    copy.write("".join(block))
                cursor.execute(f"ANALYZE {table}")
            else:
                insert = f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s)"  # noqa: S608 -- fixed table name; values are parameters
                rows = (
                    (int(h[P_ROW]), unesc(h[P_SOURCE]), h[P_NIK], h[P_KK], unesc(h[P_NAME_KEY]))
                    for h in heads
                )
                while block := list(islice(rows, PREMATCH_BLOCK)):
                    cursor.executemany(insert, block)
            cursor.execute(
                f"SELECT k.row_number FROM {table} k JOIN {person} p "  # noqa: S608 -- quoted fixed names; the source system is a parameter
                "ON p.source_system = %s AND p.source_id = k.source_id AND p.source_id <> '' "
                "WHERE k.source_id <> '' "
                f"UNION ALL SELECT k.row_number FROM {table} k JOIN {person} p "
                "ON p.nik_index = k.nik_index AND p.nik_index <> '' WHERE k.nik_index <> '' "
                f"UNION ALL SELECT k.row_number FROM {table} k JOIN {person} p "
                "ON p.kk_index = k.kk_index AND p.name_key = k.name_key AND p.kk_index <> '' "
                "WHERE k.kk_index <> ''",
                [self.source_system],
            )
            self.matched = {row for (row,) in cursor.fetchall()}
            cursor.execute(f"DROP TABLE {table}")

    def _matches(self, parts: list[list[str]], outcome: Outcome) -> list:
        """Per row: the existing person (a dict), None for a new one, False if rejected."""
        if self.matched is not None:
            parts_to_find = [p for p in parts if int(p[P_ROW]) in self.matched]
        else:
            parts_to_find = parts
        if not parts_to_find:
            return [None] * len(parts)
        sources = sorted({unesc(p[P_SOURCE]) for p in parts_to_find if p[P_SOURCE]})
        niks = sorted({p[P_NIK] for p in parts_to_find if p[P_NIK]})
        kks = sorted({p[P_KK] for p in parts_to_find if p[P_KK]})
        found: dict[int, dict] = {}
        by_source: dict[str, int] = {}
        by_nik: dict[str, list[int]] = defaultdict(list)
        by_kk: dict[tuple[str, str], list[int]] = defaultdict(list)
        for person in self._fetch(
            "source_id", sources, extra=" AND source_system = %s", params=[self.source_system]
        ):
            found[person["id"]] = person
            by_source[person["source_id"]] = person["id"]
        for person in self._fetch("nik_index", niks):
            found[person["id"]] = person
            by_nik[person["nik_index"]].append(person["id"])
        for person in self._fetch("kk_index", kks):
            found[person["id"]] = person
            by_kk[(person["kk_index"], person["name_key"])].append(person["id"])
        if not found:
            return [None] * len(parts)
        self._survivors(found)

        def live_ids(ids) -> set[int]:
            return {self._live(found[i], found)["id"] for i in ids}

        result = []
        for row_parts in parts:
            source = unesc(row_parts[P_SOURCE]) if row_parts[P_SOURCE] else ""
            candidates: dict[str, set[int]] = {}
            if source and source in by_source:
                candidates["source_id"] = live_ids([by_source[source]])
            nik_index = row_parts[P_NIK]
            if nik_index and nik_index in by_nik:
                candidates["nik"] = live_ids(by_nik[nik_index])
            kk_index = row_parts[P_KK]
            if kk_index:
                key = (kk_index, unesc(row_parts[P_NAME_KEY]))
                if key in by_kk:
                    candidates["kk_number"] = live_ids(by_kk[key])
            everyone = set().union(*candidates.values()) if candidates else set()
            row = int(row_parts[P_ROW])
            if not everyone:
                result.append(None)
                continue
            if len(everyone) > 1:
                outcome.rejects.append(
                    (
                        row,
                        next(iter(candidates)),
                        "",
                        _(
                            "The row's %(keys)s point at %(count)d different persons already "
                            "registered; correct the row or merge those records first."
                        )
                        % {"keys": ", ".join(candidates), "count": len(everyone)},
                    )
                )
                result.append(False)
                continue
            person = found[everyone.pop()]
            if not self.in_scope(person):
                outcome.rejects.append(
                    (
                        row,
                        next(iter(candidates)),
                        "",
                        _(
                            "This person is already registered outside your scope (another "
                            "centre or province); ask them or a national administrator to update "
                            "the record."
                        ),
                    )
                )
                result.append(False)
                continue
            if (
                source
                and person["source_id"]
                and person["source_id"] != source
                and (person["source_system"] == self.source_system)
            ):
                outcome.rejects.append(
                    (
                        row,
                        "source_id",
                        source,
                        _(
                            "This person is already registered with source_id %(other)s from the "
                            "same source system; one person cannot have two source ids."
                        )
                        % {"other": person["source_id"]},
                    )
                )
                result.append(False)
                continue
            result.append(person)
        return result

    # -- inserting -----------------------------------------------------------------------

    def _new_ids(self, count: int) -> list[int]:
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.person_table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the write lock is held (the transaction began IMMEDIATE), so the
            # ids above both the largest in use and the AUTOINCREMENT high-water mark are ours.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.person_table}")  # noqa: S608 -- fixed table name
            highest = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.person_table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0) + 1
            return list(range(start, start + count))

    def _insert(self, new: list[tuple[str, list[str]]], now) -> list[int]:
        """Insert new persons from their spool lines (with each line's split head)."""
        if not new:
            return []
        ids = self._new_ids(len(new))
        stamp = Person._meta.get_field("created_at").get_db_prep_save(now, connection)
        actor = self.batch.created_by_id
        kind = "registered"
        data = self.event_data
        # A line is "row\tmask\t<the spool fields>\n": the fields start after the second tab.
        if self.vendor == "postgresql":
            stamp_text = str(stamp)
            head = f"\t{stamp_text}\t{stamp_text}\t"
            tail = "\t" + self.constant_text + "\n" if self.constant_text else "\n"
            actor_text = NULL if actor is None else str(actor)
            people = io.StringIO()
            events = io.StringIO()
            for pid, (line, parts, _values) in zip(ids, new, strict=True):
                start = len(parts[0]) + len(parts[1]) + 2
                people.write(f"{pid}{head}{line[start:-1]}{tail}")
                events.write(
                    f'{pid}\t{stamp_text}\t{kind}\t{actor_text}\t{data}, "row": {parts[0]}}}\n'
                )
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(
                    f"COPY {self.person_table} ({', '.join(self.insert_columns)}) FROM STDIN"
                ) as copy:
                    copy.write(people.getvalue())
                with raw.copy(
                    f"COPY {self.event_table} (person_id, at, kind, actor_id, data) FROM STDIN"
                ) as copy:
                    copy.write(events.getvalue())
            return ids
        constants = self.constant_values
        rows = []
        for pid, (line, parts, values) in zip(ids, new, strict=True):
            row = [pid, stamp, stamp]
            row.extend(values if values is not None else _values(line, parts))
            row.extend(constants)
            rows.append(row)
        marks = ", ".join(["?"] * len(self.insert_columns))
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(
                f"INSERT INTO {self.person_table} ({', '.join(self.insert_columns)}) "  # noqa: S608 -- column names from the model; values are parameters
                f"VALUES ({marks})",
                rows,
            )
            cursor.executemany(
                f"INSERT INTO {self.event_table} (person_id, at, kind, actor_id, data) "  # noqa: S608 -- fixed table name; values are parameters
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (pid, stamp, kind, actor, f'{data}, "row": {parts[0]}}}')
                    for pid, (_line, parts, _values) in zip(ids, new, strict=True)
                ],
            )
        finally:
            cursor.close()
        return ids

    # -- updating -------------------------------------------------------------------------

    def _update(self, updates: list, now) -> list[int]:
        if not updates:
            return []
        groups: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
        events = []
        stamp = Person._meta.get_field("updated_at").get_db_prep_save(now, connection)
        for row_parts, person, changes in updates:
            columns = tuple(sorted(changes))
            values = [
                self.source_system if changes[c] is _SOURCE_SYSTEM_OF_ROW else changes[c]
                for c in columns
            ]
            groups[columns].append((*values, stamp, person["id"]))
            changed_fields = sorted({_FIELD_OF.get(c, c) for c in changes} - set(_DERIVED))
            events.append(
                PersonEvent(
                    person_id=person["id"],
                    at=now,
                    kind="edited",
                    actor_id=self.batch.created_by_id,
                    data={
                        "via": "import",
                        "batch": str(self.batch.public_id),
                        "row": int(row_parts[P_ROW]),
                        "fields": changed_fields,
                    },
                )
            )
        with connection.cursor() as cursor:
            for columns, params in groups.items():
                assignments = ", ".join(f"{c} = %s" for c in columns)
                cursor.executemany(
                    f"UPDATE {self.person_table} SET {assignments}, "  # noqa: S608 -- column names from the model; values are parameters
                    "version = version + 1, updated_at = %s WHERE id = %s",
                    params,
                )
        PersonEvent.objects.bulk_create(events, batch_size=500)
        return [person["id"] for _row, person, _changes in updates]


def _scope_check(user) -> Callable[[dict], bool]:
    """Whether an existing person (a fetched row) is within the importing user's scope:
    an import only updates records its user may edit. Without a user (the command line
    run by an administrator) every record is."""
    if user is None or user.scope_level == ScopeLevel.NATION:
        return lambda person: True
    if user.scope_level == ScopeLevel.PROVINCE:
        return lambda person: (
            bool(user.province_code) and (person["province_code"] == user.province_code)
        )
    return lambda person: (
        user.facility_id is not None and (person["facility_id"] == user.facility_id)
    )


def _values(line: str, head: list[str]) -> list:
    """A spool line's person fields as SQLite parameters."""
    rest = line[len(head[0]) + len(head[1]) + 2 : -1]
    if "\\\\" in rest:  # an escaped backslash somewhere: the careful way
        return [unesc(v) for v in rest.split("\t")]
    return [None if v == NULL else v for v in rest.split("\t")]


def index_new_persons(batch: ImportBatch, advance: Callable[[int], None]) -> int:
    """Put the persons the import created (its ``unindexed`` id ranges) into the search
    index; returns how many ids that covered. Each transaction indexes a chunk and
    removes it from ``unindexed``, so a run stopped here resumes where it was."""
    if index_persons is None:
        return 0
    ranges = merge_ranges(
        ImportBatch.objects.values_list("unindexed", flat=True).get(pk=batch.pk) or []
    )
    count = sum(last - first + 1 for first, last in ranges)
    if not count:
        return 0
    if reindex_all is not None and count >= REBUILD_FROM and count * 2 >= Person.objects.count():
        # Its own transaction (and then VACUUM ANALYZE on PostgreSQL): a crash before the
        # ranges are cleared below only means that the next run rebuilds again.
        reindex_all()
        if before_index_commit is not None:
            before_index_commit()
        ImportBatch.objects.filter(pk=batch.pk).update(unindexed=[])
        advance(count)
        return count
    for first, last in ranges:
        for start in range(first, last + 1, INDEX_CHUNK):
            end = min(start + INDEX_CHUNK - 1, last)
            with transaction.atomic():
                index_persons(range(start, end + 1))  # ids of others' persons: reindexed
                if before_index_commit is not None:
                    before_index_commit()
                left = (
                    ImportBatch.objects.select_for_update()
                    .values_list("unindexed", flat=True)
                    .get(pk=batch.pk)
                )
                ImportBatch.objects.filter(pk=batch.pk).update(
                    unindexed=_without(left or [], start, end)
                )
            advance(end - start + 1)
    return count


def _without(ranges, start: int, end: int) -> list[list[int]]:
    """Id ranges less the ids start..end."""
    left = []
    for first, last in merge_ranges(ranges):
        if last < start or first > end:
            left.append([first, last])
            continue
        if first < start:
            left.append([first, start - 1])
        if last > end:
            left.append([end + 1, last])
    return left


def merge_ranges(ranges) -> list[list[int]]:
    """Inclusive [first, last] id ranges, sorted, overlapping and adjacent ones joined."""
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


class BatchOverlap(Exception):
    """Two runs of one import at once: the one that finds the checkpoint moved stops."""


# Stored columns that are derived or paired, named by the field the user edits.
_FIELD_OF = {
    "nik_index": "nik",
    "nik_sealed": "nik",
    "kk_index": "kk_number",
    "kk_sealed": "kk_number",
    "village_id": "village",
    "source_system": "source_id",
}
_DERIVED = ("name_key", "name_phonetic", "birth_year", "province_code", "has_disability")


def _changes(parts: list[str], person: dict) -> dict[str, object]:
    """The stored columns this row changes (given values only), with derived columns."""
    mask = int(parts[P_MASK])
    changes: dict[str, object] = {}
    for key, stored in FILLS.items():
        if not mask & BIT[key]:
            continue
        for name in stored:
            new = _spooled(name, parts)
            if new != _stored(name, person[name]):
                changes[name] = new
    if "source_id" in changes and person["source_id"]:
        # A person keeps the source id it has (from this or another system): an id is
        # only added to a record that has none.
        del changes["source_id"]
    if not changes:
        return changes
    if "source_id" in changes:
        changes["source_system"] = _SOURCE_SYSTEM_OF_ROW
    if "nik_index" in changes:
        changes["nik_sealed"] = _spooled("nik_sealed", parts)
    if "kk_index" in changes:
        changes["kk_sealed"] = _spooled("kk_sealed", parts)
    if changes.keys() & {"full_name", "birth_date", "village_id", *WG_FIELDS}:
        merged = {name: changes.get(name, person[name]) for name in FETCHED}
        answers = {
            name: None if merged[name] in (None, "") else int(merged[name]) for name in WG_FIELDS
        }
        born = merged["birth_date"]
        if isinstance(born, str):
            born = datetime.date.fromisoformat(born)
        shim = derive(merged["full_name"], born, merged["village_id"], answers)
        for name in _DERIVED:
            changes[name] = getattr(shim, name)
        for name in WG_FIELDS:
            if name in changes:
                changes[name] = answers[name]
    return changes


# Placeholder value replaced by the batch's source system when the update is written.
_SOURCE_SYSTEM_OF_ROW = object()


def _copy_text(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\")
