"""Loading the region table from the CSVs shipped in ``data/`` (idn-area-data, ODbL).

``load_regions()`` is fast and idempotent:

* an empty table is filled in one transaction by the fastest path the database has
  (``executemany`` on the raw SQLite connection, ``COPY`` on PostgreSQL);
* a table that already holds as many rows per level as the files is left alone,
  unless ``force=True`` (the ``load-regions`` command);
* anything else (a partial load, newer files) is brought in line with the files:
  missing rows inserted, changed rows updated, rows no longer in the files deleted.

It speaks SQL through the table and column names of the model it is given, so a
migration can pass its historical model.
"""

import csv
from collections.abc import Callable
from pathlib import Path

from django.db import connection as default_connection
from django.db import transaction

from rehsos.regions.keys import is_code, level_of, name_key, parent_code
from rehsos.regions.models import Level, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCES = (
    (Level.PROVINCE, "provinces.csv", "provinces"),
    (Level.REGENCY, "regencies.csv", "regencies"),
    (Level.DISTRICT, "districts.csv", "districts"),
    (Level.VILLAGE, "villages.csv", "villages"),
)
# Field names in the order of every row tuple.
FIELDS = ("code", "name", "level", "parent", "province_code", "name_key")
CHUNK = 10_000

Progress = Callable[[int, int, str], None]


class RegionDataError(ValueError):
    """A data file does not hold what the loader expects (file, line, reason)."""


def _row(level: int, record: list[str]) -> tuple:
    """One region from one CSV record; ValueError saying what is wrong with it."""
    width = 2 if level == Level.PROVINCE else 3
    if len(record) != width:
        raise ValueError(f"expected {width} columns, found {len(record)}")
    code, name = record[0], record[-1].strip()
    parent = record[1] if width == 3 else None
    if not is_code(code) or level_of(code) != level:
        raise ValueError(f"{code!r} is not a level-{level} code")
    if parent != parent_code(code):
        raise ValueError(f"{code!r} cannot have the parent {parent!r}")
    if not name:
        raise ValueError(f"{code!r} has no name")
    return (code, name, level, parent, code[:2], name_key(name))


def read_regions(data_dir: Path = DATA_DIR) -> list[tuple]:
    """Every region in the files as ``(code, name, level, parent, province, name_key)``,
    provinces first, then regencies, districts and villages, each in file order."""
    rows: list[tuple] = []
    for level, filename, _key in SOURCES:
        with (data_dir / filename).open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            for line, record in enumerate(reader, start=2):
                try:
                    rows.append(_row(int(level), record))
                except ValueError as exc:
                    raise RegionDataError(f"{filename}:{line}: {exc}") from exc
    return rows


def file_counts(data_dir: Path = DATA_DIR) -> dict[int, int]:
    """Rows per level in the files, by counting lines (cheap enough for every start)."""
    counts = {}
    for level, filename, _key in SOURCES:
        with (data_dir / filename).open("rb") as handle:
            counts[int(level)] = sum(1 for line in handle if line.strip()) - 1
    return counts


def _names(model, connection) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    columns = [quote(model._meta.get_field(field).column) for field in FIELDS]
    return quote(model._meta.db_table), columns


def table_counts(model=Region, connection=None) -> dict[int, int]:
    connection = connection or default_connection
    table, columns = _names(model, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns[2]}, COUNT(*) FROM {table} GROUP BY {columns[2]}")  # noqa: S608 -- quoted identifiers from the model, no input
        found = dict(cursor.fetchall())
    return {int(level): found.get(int(level), 0) for level in Level.values}


def _summary(counts: dict[int, int], inserted=0, updated=0, deleted=0) -> dict[str, int]:
    result = {key: counts.get(int(level), 0) for level, _file, key in SOURCES}
    result.update(total=sum(counts.values()), inserted=inserted, updated=updated, deleted=deleted)
    return result


def _in_chunks(rows: list, progress: Progress | None, message: str):
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        yield chunk
        if progress:
            progress(start + len(chunk), len(rows), message)


def _insert(connection, table, columns, rows, progress) -> None:
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        # COPY: one statement streaming every row, several times faster than INSERTs.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for chunk in _in_chunks(rows, progress, "regions"):
                for row in chunk:
                    copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 -- quoted identifiers from the model, values are parameters
    if connection.vendor == "sqlite":
        # The raw sqlite3 cursor skips Django's per-statement wrapping; it runs inside
        # the transaction that the caller's atomic() opened on the same connection.
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        sql = sql.replace("%s", "?")
        try:
            for chunk in _in_chunks(rows, progress, "regions"):
                cursor.executemany(sql, chunk)
        finally:
            cursor.close()
        return
    with connection.cursor() as cursor:
        for chunk in _in_chunks(rows, progress, "regions"):
            cursor.executemany(sql, chunk)


def _synchronise(connection, table, columns, rows, progress) -> tuple[int, int, int]:
    """Bring a non-empty table in line with ``rows``; returns (inserted, updated, deleted)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608 -- quoted identifiers from the model, no input
        existing = {row[0]: tuple(row) for row in cursor.fetchall()}
    wanted = {row[0] for row in rows}
    new = [row for row in rows if row[0] not in existing]
    changed = [row for row in rows if row[0] in existing and existing[row[0]] != row]
    stale = sorted(existing.keys() - wanted)
    if new:
        _insert(connection, table, columns, new, progress)
    with connection.cursor() as cursor:
        if changed:
            assignments = ", ".join(f"{column} = %s" for column in columns[1:])
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {columns[0]} = %s",  # noqa: S608 -- quoted identifiers from the model, values are parameters
                [(*row[1:], row[0]) for row in changed],
            )
        if stale:
            cursor.executemany(
                f"DELETE FROM {table} WHERE {columns[0]} = %s",  # noqa: S608 -- quoted identifiers from the model, values are parameters
                [(code,) for code in stale],
            )
    return len(new), len(changed), len(stale)


def load_regions(
    connection=None,
    progress: Progress | None = None,
    *,
    model=None,
    force: bool = False,
    data_dir: Path = DATA_DIR,
) -> dict[str, int]:
    """Load the regions in ``data_dir`` into ``model``'s table and return the counts
    per level with how many rows were inserted, updated and deleted.

    ``progress(done, total, message)`` is called as rows are written.
    """
    connection = connection or default_connection
    model = model or Region
    table, columns = _names(model, connection)
    with transaction.atomic(using=connection.alias):
        current = table_counts(model, connection)
        if not force and current == file_counts(data_dir):
            return _summary(current)
        rows = read_regions(data_dir)
        if not any(current.values()):
            _insert(connection, table, columns, rows, progress)
            inserted, updated, deleted = len(rows), 0, 0
        else:
            inserted, updated, deleted = _synchronise(connection, table, columns, rows, progress)
        # Fresh statistics, so the planner prefers a code range to the four-valued level.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
        return _summary(table_counts(model, connection), inserted, updated, deleted)


def unload_regions(connection=None, *, model=None) -> None:
    """Delete every region (the reverse of the data migration)."""
    connection = connection or default_connection
    model = model or Region
    table, _columns = _names(model, connection)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 -- quoted identifier from the model, no input
