"""Bench: bulk import of persons, beside a raw COPY / executemany of the same rows.

    flock /tmp/rehsos-bench.lock .venv/bin/python bench/registry_import.py \
        --rows 1000000 --db postgres       # or --db sqlite

1. Generates a synthetic CSV (Faker ``id_ID`` name pools, a fixed seed): real
   Kemendagri village codes, NIKs built in the real layout from each person's
   district, birth date and sex, KK numbers, addresses, phones, Washington Group
   answers for a fifth of the rows; about 1% bad rows (wrong NIK length, unknown
   village, impossible date, blank name, a repeated NIK, a bad WG answer) and
   about 0.5% NIKs that disagree with the sex entered (warnings).
2. Makes a fresh migrated database and a clone of it (PostgreSQL: a database
   created from the first as template; SQLite: a copy of the file).
3. Imports the CSV through ``rehsos import-persons``'s code path (``runner.accept``
   + ``runner.run``, two worker processes for validation) in a child process,
   and reads its wall time and peak RSS (the main process; the largest worker).
   The import ends with its search-indexing step (the persons are findable only
   then): the rate is printed with it and without it.
4. Dumps the persons and events the import wrote and loads the same rows into the
   clone with a raw ``COPY`` (psycopg ``cursor.copy``) or a raw ``executemany``
   (stdlib sqlite3, one transaction) — the floor for writing those rows into the
   same tables with the same indexes — and prints both side by side.

Besides wall time, each phase's CPU time is printed — the import's own processes
and, on a local PostgreSQL, the server backend's (from /proc) — because on a
shared machine wall time depends on what else runs; the load average is printed
too. ``--search-index off`` leaves the person search index out, to show its cost.
Databases and files are removed afterwards (``--keep`` keeps them).
"""

import argparse
import csv
import datetime
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("REHSOS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "rehsos_bench_import"
SEED = 20260401

HEADER = [
    "source_id",
    "full_name",
    "sex",
    "birth_date",
    "birth_place",
    "nik",
    "kk_number",
    "mother_name",
    "village_code",
    "address",
    "phone",
    "education",
    "marital_status",
    "religion",
    "wg_seeing",
    "wg_hearing",
    "wg_walking",
    "wg_cognition",
    "wg_selfcare",
    "wg_communication",
]


# -- data ---------------------------------------------------------------------------


def _pools(seed: int) -> dict[str, list[str]]:
    from faker import Faker

    fake = Faker("id_ID")
    fake.seed_instance(seed)
    return {
        "male": list({fake.first_name_male() for _ in range(3000)}),
        "female": list({fake.first_name_female() for _ in range(3000)}),
        "last": list({fake.last_name() for _ in range(3000)}),
        "street": [fake.street_address() for _ in range(5000)],
        "city": list({fake.city() for _ in range(500)}),
    }


def _villages() -> list[str]:
    path = ROOT / "rehsos" / "regions" / "data" / "villages.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [row[0] for row in reader]


def generate(path: Path, rows: int, seed: int = SEED) -> dict[str, int]:
    rng = random.Random(seed)
    pools = _pools(seed)
    villages = _villages()
    education = ["sd", "smp", "sma", "SMA/SMK", "diploma", "s1", "tidak sekolah", ""]
    marital = ["belum kawin", "kawin", "cerai hidup", "cerai mati", "single", "married", ""]
    religion = ["islam", "islam", "islam", "kristen", "katolik", "hindu", "buddha", ""]
    today = datetime.date(2026, 1, 1)
    used_niks: set[str] = set()
    niks: list[str] = []
    planned = {"bad": 0, "warning": 0}
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for number in range(1, rows + 1):
            female = rng.random() < 0.5
            first = rng.choice(pools["female" if female else "male"])
            words = [first]
            if rng.random() < 0.6:
                words.append(rng.choice(pools["female" if female else "male"]))
            if rng.random() < 0.5:
                words.append(rng.choice(pools["last"]))
            name = " ".join(words)
            born = today - datetime.timedelta(days=rng.randint(365, 365 * 85))
            village = rng.choice(villages)
            district = village[:8].replace(".", "")
            nik = ""
            if rng.random() < 0.95:
                for _attempt in range(20):
                    day = born.day + (40 if female else 0)
                    serial = rng.randint(1, 9999)
                    nik = f"{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
                    if nik not in used_niks:
                        break
                used_niks.add(nik)
                niks.append(nik)
            kk = ""
            if rng.random() < 0.7:
                issued = today - datetime.timedelta(days=rng.randint(0, 365 * 20))
                kk = f"{district}{issued:%d%m%y}{rng.randint(1, 9999):04d}"
            sex = "P" if female else "L"
            birth = born.isoformat() if rng.random() < 0.6 else born.strftime("%d-%m-%Y")
            if rng.random() < 0.03:
                birth = ""
            elif rng.random() < 0.02:
                birth = str(born.year)
            wg = [""] * 6
            if rng.random() < 0.2:
                wg = [str(rng.choice([1, 1, 1, 2, 2, 3, 4])) for _ in range(6)]
            roll = rng.random()
            if roll < 0.003:
                nik = nik[:-1] or "317101170710001"
                planned["bad"] += 1
            elif roll < 0.005:
                village = "99.99.99.9999"
                planned["bad"] += 1
            elif roll < 0.007:
                birth = "31-02-1990"
                planned["bad"] += 1
            elif roll < 0.008:
                name = ""
                planned["bad"] += 1
            elif roll < 0.009 and len(niks) > 10:
                nik = niks[rng.randrange(len(niks) - 1)]
                planned["bad"] += 1
            elif roll < 0.010:
                wg[0] = "9"
                planned["bad"] += 1
            elif roll < 0.015 and nik:
                sex = "L" if female else "P"
                planned["warning"] += 1
            mother = rng.choice(pools["female"]) + (
                " " + rng.choice(pools["last"]) if rng.random() < 0.4 else ""
            )
            phone = f"08{rng.randint(11, 99)}{rng.randint(10_000_000, 99_999_999)}"
            out.writerow(
                [
                    f"SIKS-{number:08d}",
                    name,
                    sex,
                    birth,
                    rng.choice(pools["city"]),
                    nik,
                    kk,
                    mother,
                    village,
                    rng.choice(pools["street"]),
                    phone if rng.random() < 0.7 else "",
                    rng.choice(education),
                    rng.choice(marital),
                    rng.choice(religion),
                    *wg,
                ]
            )
    return planned


# -- databases -------------------------------------------------------------------------


def _pg(dbname: str):
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/{dbname}", autocommit=True)


SETUP = (
    "import django; django.setup(); from rehsos.core.models import User; "
    "User.objects.create(username='bench', role='national_admin', language='en')"
)


def _prepare(url: str, env: dict) -> None:
    """Migrate (the regions come with it) and add the importing user."""
    env = {**env, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "rehsos.manage", "migrate", "-v0"], env=env, check=True, cwd=ROOT
    )
    subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, cwd=ROOT)


def make_databases(kind: str, folder: Path, env: dict) -> tuple[str, str]:
    """(url of the database to import into, url of its clone for the raw baseline)."""
    if kind == "postgres":
        with _pg("postgres") as conn:
            for name in (PG_NAME, PG_NAME + "_raw"):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')
        url = f"{PG_SERVER}/{PG_NAME}"
        _prepare(url, env)
        with _pg("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{PG_NAME}_raw" TEMPLATE "{PG_NAME}"')
        return url, f"{PG_SERVER}/{PG_NAME}_raw"
    path = folder / "import.sqlite3"
    url = f"sqlite:///{path}"
    _prepare(url, env)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(path, folder / "raw.sqlite3")
    return url, f"sqlite:///{folder / 'raw.sqlite3'}"


def drop_databases(kind: str) -> None:
    if kind == "postgres":
        with _pg("postgres") as conn:
            for name in (PG_NAME, PG_NAME + "_raw"):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the import, in a child process ----------------------------------------------------


class ServerCpu:
    """CPU seconds used by the PostgreSQL backends serving one database on this machine,
    sampled from /proc by a thread (the import opens and closes several connections)."""

    def __init__(self, dbname: str | None, every: float = 0.2):
        self.dbname = dbname
        self.every = every
        self.seen: dict[int, tuple[float, float]] = {}  # pid -> (first, last) CPU seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if dbname:
            self._sample()
            self._thread.start()

    def _sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes()
                if not command.startswith(b"postgres:") or self.dbname.encode() not in command:
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used = (int(fields[11]) + int(fields[12])) / tick
            first, _last = self.seen.get(int(entry.name), (used, used))
            self.seen[int(entry.name)] = (first, used)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def total(self) -> float:
        if not self.dbname:
            return 0.0
        self._sample()
        return sum(last - first for first, last in self.seen.values())

    def stop(self) -> None:
        self._stop.set()


def _own_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def run_import(csv_path: Path, workers: int, search_index: bool) -> dict:
    """Runs in a child: import the CSV and report times, CPU and peak memory."""
    import django

    django.setup()
    from django.db import connection

    from rehsos.core.models import User
    from rehsos.registry.importers import runner, store

    if not search_index:
        store.index_persons = None
    user = User.objects.get(username="bench")
    server = ServerCpu(
        connection.settings_dict["NAME"] if connection.vendor == "postgresql" else None
    )
    marks: dict[str, tuple] = {}

    def mark(name: str) -> None:
        marks[name] = (time.perf_counter(), _own_cpu(), server.total(), os.getloadavg()[0])

    class Marks(runner.NoProgress):
        def note(self, message: str) -> None:
            if str(message) == "Importing":
                mark("commit")
            elif str(message) == "Indexing for search":
                mark("index")

    mark("start")
    batch = runner.accept(path=csv_path, name=csv_path.name, user=user, source_system="SIKS")
    mark("accepted")
    batch = runner.run(batch, Marks(), workers=workers)
    mark("end")
    marks.setdefault("index", marks["end"])
    server.stop()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM registry_person")
        persons = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM registry_personevent")
        events = cursor.fetchone()[0]

    def span(a: str, b: str) -> dict:
        return {
            "seconds": marks[b][0] - marks[a][0],
            "client_cpu": marks[b][1] - marks[a][1],
            "server_cpu": marks[b][2] - marks[a][2],
        }

    return {
        "total": span("start", "end"),
        "inspect": span("start", "accepted"),
        "validate": span("accepted", "commit"),
        "commit": span("commit", "index"),
        "index": span("index", "end"),
        "load": [marks["start"][3], marks["end"][3]],
        "rows": batch.rows_total,
        "created": batch.created,
        "rejected": batch.rows_rejected,
        "warnings": batch.warnings,
        "persons": persons,
        "events": events,
        "peak_rss": own,
        "peak_rss_worker": children,
    }


# -- the raw baseline ----------------------------------------------------------------------

TABLES = ("registry_person", "registry_personevent")


def dump(kind: str, url: str, folder: Path) -> dict[str, Path]:
    files = {}
    if kind == "postgres":
        with _pg(PG_NAME) as conn, conn.cursor() as cursor:
            for table in TABLES:
                files[table] = folder / f"{table}.copy"
                with files[table].open("wb") as out, cursor.copy(f"COPY {table} TO STDOUT") as copy:
                    for block in copy:
                        out.write(block)
        return files
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        for table in TABLES:
            files[table] = folder / f"{table}.csv"
            cursor = conn.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            with files[table].open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(columns)
                while chunk := cursor.fetchmany(10_000):
                    writer.writerows(["\\N" if v is None else v for v in row] for row in chunk)
    return files


def raw_load(kind: str, url: str, files: dict[str, Path]) -> dict[str, dict]:
    """Seconds and CPU to load each dumped table into the clone, the fastest raw way."""
    measured = {}
    if kind == "postgres":
        with _pg(PG_NAME + "_raw") as conn:
            backend = ServerCpu(PG_NAME + "_raw")
            for table, path in files.items():
                started, cpu, server = time.perf_counter(), _own_cpu(), backend.total()
                with (
                    conn.transaction(),
                    conn.cursor() as cursor,
                    cursor.copy(f"COPY {table} FROM STDIN") as copy,
                    path.open("rb") as src,
                ):
                    while block := src.read(1 << 20):
                        copy.write(block)
                measured[table] = {
                    "seconds": time.perf_counter() - started,
                    "client_cpu": _own_cpu() - cpu,
                    "server_cpu": backend.total() - server,
                }
            backend.stop()
        return measured
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-262144")
    for table, path in files.items():
        with path.open(newline="", encoding="utf-8") as src:
            reader = csv.reader(src)
            columns = next(reader)
            marks = ", ".join("?" * len(columns))
            started, cpu = time.perf_counter(), _own_cpu()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                ([None if v == "\\N" else v for v in row] for row in reader),
            )
            conn.execute("COMMIT")
            measured[table] = {
                "seconds": time.perf_counter() - started,
                "client_cpu": _own_cpu() - cpu,
                "server_cpu": 0.0,
            }
    conn.close()
    return measured


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds else "-"


def _per_row(span: dict, rows: int) -> str:
    cpu = span["client_cpu"] + span["server_cpu"]
    text = f"{cpu / rows * 1e6:.0f} µs CPU/row"
    if span["server_cpu"]:
        text += f" (PostgreSQL {span['server_cpu'] / rows * 1e6:.0f})"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--search-index",
        choices=["on", "off"],
        default="on",
        help="keep the person search index up to date during the import (as in production)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_import(Path(args.child), args.workers, args.search_index == "on")
        print(json.dumps(result))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="rehsos-bench-import-"))
    env = {
        **os.environ,
        "REHSOS_VAR_DIR": str(folder / "var"),
        "REHSOS_IMPORT_MAX_MB": "4096",
        "DJANGO_SETTINGS_MODULE": "rehsos.settings",
        "PYTHONPATH": str(ROOT),
    }
    try:
        started = time.perf_counter()
        csv_path = folder / "persons.csv"
        planned = generate(csv_path, args.rows)
        size = csv_path.stat().st_size
        print(
            f"generated {args.rows:,} rows ({size / 1e6:,.0f} MB, {planned['bad']:,} bad rows "
            f"planted, {planned['warning']:,} NIK/sex mismatches) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        import_url, raw_url = make_databases(args.db, folder, env)
        print(f"migrated two databases in {time.perf_counter() - started:.1f} s")
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(csv_path),
                "--workers",
                str(args.workers),
                "--search-index",
                args.search_index,
            ],
            env={**env, "DATABASE_URL": import_url},
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        files = dump(args.db, import_url, folder)
        raw = raw_load(args.db, raw_url, files)
        rows, created = result["rows"], result["created"]
        total = result["total"]
        person_raw = raw["registry_person"]
        event_raw = raw["registry_personevent"]
        both_seconds = person_raw["seconds"] + event_raw["seconds"]
        both = {
            key: person_raw[key] + event_raw[key] for key in ("seconds", "client_cpu", "server_cpu")
        }
        method = "COPY (psycopg cursor.copy)" if args.db == "postgres" else "executemany"
        index = "with" if args.search_index == "on" else "without"
        print(
            f"database: {args.db}; workers: {args.workers}; {index} the search index; load "
            f"average {result['load'][0]:.1f} at the start, {result['load'][1]:.1f} at the end "
            f"(2 cores)"
        )
        print(
            f"import: {rows:,} rows in {total['seconds']:.1f} s = {_rate(rows, total['seconds'])}"
            f", {_per_row(total, rows)}; file check {result['inspect']['seconds']:.1f} s, "
            f"validation {result['validate']['seconds']:.1f} s "
            f"({_per_row(result['validate'], rows)}), commit "
            f"{result['commit']['seconds']:.1f} s ({_per_row(result['commit'], rows)}), "
            f"search indexing {result['index']['seconds']:.1f} s "
            f"({_per_row(result['index'], rows)})"
        )
        before_index = total["seconds"] - result["index"]["seconds"]
        print(
            f"        without the search-indexing step (persons written, not yet findable): "
            f"{_rate(rows, before_index)}; with it (the import done, persons findable): "
            f"{_rate(rows, total['seconds'])}"
        )
        print(
            f"        {created:,} created, {result['rejected']:,} rejected, "
            f"{result['warnings']:,} warnings; table holds {result['persons']:,} persons and "
            f"{result['events']:,} events"
        )
        print(
            f"raw {method} of the same {created:,} person rows: {person_raw['seconds']:.1f} s = "
            f"{_rate(created, person_raw['seconds'])}, {_per_row(person_raw, created)}; "
            f"with their {created:,} event rows: {_rate(created, both_seconds)}, "
            f"{_per_row(both, created)}"
        )
        print(
            f"ratio import / raw (rows per second): "
            f"{(rows / total['seconds']) / (created / person_raw['seconds']):.2f} against the "
            f"persons alone, {(rows / total['seconds']) / (created / both_seconds):.2f} against "
            f"persons + events"
        )
        print(
            f"peak RSS: import process {result['peak_rss'] / 2**20:,.0f} MiB, largest worker "
            f"{result['peak_rss_worker'] / 2**20:,.0f} MiB"
        )
        return 0
    except subprocess.CalledProcessError as failed:
        print(failed.stdout, failed.stderr, file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            drop_databases(args.db)
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")


if __name__ == "__main__":
    sys.exit(main())
