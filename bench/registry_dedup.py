"""Deduplication benchmark: a labelled synthetic registry, the Splink run end to end,
precision and recall against the truth, a naive baseline, and the single-registration check.

    flock /tmp/rehsos-bench.lock .venv/bin/python bench/registry_dedup.py --persons 100000
        [--db sqlite|postgres] [--threshold 0.9] [--checks 300] [--seed 2026]

1. load (its own process): generates ``--persons`` records with realistic Indonesian
   errors (rehsos.registry.dedup.synthetic: typos, oe/u dj/j tj/c, Muhammad variants,
   rotated and dropped names, titles, missing or mistyped NIK, day/month swaps,
   1 January, year typos, mother's name typos, moves), seals the NIKs and writes the
   persons to a throwaway database (a temporary SQLite file, or ``rehsos_bench_dedup``
   on postgres://postgres@127.0.0.1:5432, dropped after). Not timed as dedup.
2. dedup (its own process, so its peak memory is its own): the same ``run.run()`` as
   ``rehsos dedup`` and the background job — extract (read + decrypt + features),
   train, predict, cluster, save the pairs — timed per phase; peak RSS; pairwise
   precision and recall at the threshold against the entities the generator planted;
   the naive baseline (exact NIK and exact full name) on the same rows, timed the same way;
   then ``likely_duplicates`` for ``--checks`` re-registrations of planted duplicates
   (the record itself left out): p50/p95 latency and how often its twin is found.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "rehsos_bench_dedup"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def setup_django() -> None:
    import django

    django.setup()


# -- step 1: load ---------------------------------------------------------------------


def _villages(count: int, seed: int) -> list[str]:
    import random

    from rehsos.regions.models import Region

    codes = list(Region.objects.filter(level=4).values_list("code", flat=True))
    random.Random(seed).shuffle(codes)
    return sorted(codes[:count])


def load(persons: int, seed: int) -> None:
    import datetime
    import uuid

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from rehsos.registry import names
    from rehsos.registry.dedup import synthetic
    from rehsos.registry.identifiers import Sealer
    from rehsos.registry.models import Person

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started

    started = time.perf_counter()
    generator = synthetic.Generator(_villages(10_000, seed), seed=seed)
    sealer = Sealer()
    now = timezone.now()
    fields = [f for f in Person._meta.concrete_fields if f.column != "id"]
    columns = [f.column for f in fields]
    uuid_field = Person._meta.get_field("public_id")
    json_field = Person._meta.get_field("other_names")
    empty_json = json_field.get_db_prep_save([], connection)
    stamp = Person._meta.get_field("created_at").get_db_prep_save(now, connection)
    base = {
        "other_names": empty_json,
        "birth_date_precision": "exact",
        "birth_place": "",
        "kk_sealed": "",
        "kk_index": "",
        "address": "",
        "phone": "",
        "education": "",
        "marital_status": "",
        "religion": "",
        "photo": "",
        "source_system": "synthetic",
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
    }
    is_pg = connection.vendor == "postgresql"
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        batch = []

        def flush() -> None:
            nonlocal batch
            if not batch:
                return
            if is_pg:
                sql = f"COPY {Person._meta.db_table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {Person._meta.db_table} ({', '.join(columns)}) VALUES ({marks})",
                    batch,
                )
            batch = []

        for record in generator.records(persons):
            born: datetime.date | None = record.birth_date
            values = {
                **base,
                "public_id": uuid_field.get_db_prep_value(uuid.uuid4(), connection),
                "full_name": record.full_name,
                "name_key": names.key(record.full_name)[:200],
                "name_phonetic": names.phonetic(record.full_name)[:200],
                "sex": record.sex,
                "birth_date": born.isoformat() if born else None,
                "birth_year": born.year if born else None,
                "nik_sealed": sealer.seal(record.nik) if record.nik else "",
                "nik_index": sealer.blind_index(record.nik) if record.nik else "",
                "mother_name": record.mother_name,
                "village_id": record.village_code,
                "province_code": record.village_code[:2],
                "source_id": record.source_id,
            }
            batch.append(tuple(values.get(column) for column in columns))
            written += 1
            if len(batch) == 20_000:
                flush()
        flush()
    if is_pg:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Person._meta.db_table}")
    loaded = time.perf_counter() - started
    print(
        json.dumps(
            {"persons": written, "migrate_s": round(migrated, 1), "load_s": round(loaded, 1)}
        )
    )


# -- step 2: dedup --------------------------------------------------------------------


def _entities() -> dict[int, str]:
    from rehsos.registry.models import Person

    return {
        pk: source_id.split("-")[0]
        for pk, source_id in Person.objects.values_list("pk", "source_id").iterator(
            chunk_size=50_000
        )
    }


def _truth(entities: dict[int, str]) -> set[tuple[int, int]]:
    groups: dict[str, list[int]] = {}
    for pk, entity in entities.items():
        groups.setdefault(entity, []).append(pk)
    pairs = set()
    for members in groups.values():
        members.sort()
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                pairs.add((members[a], members[b]))
    return pairs


def _score(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> dict:
    hits = len(found & truth)
    return {
        "pairs": len(found),
        "true_pairs": len(truth),
        "precision": round(hits / len(found), 4) if found else None,
        "recall": round(hits / len(truth), 4) if truth else None,
    }


def naive_baseline() -> tuple[set[tuple[int, int]], float]:
    """Exact NIK and exact full name, the rule a plain SQL query would apply."""
    from django.db.models import Count

    from rehsos.registry.models import Person

    started = time.perf_counter()
    groups = (
        Person.objects.exclude(nik_index="")
        .values("nik_index", "full_name")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    keys = {(g["nik_index"], g["full_name"]) for g in groups}
    members: dict[tuple, list[int]] = {}
    for pk, index, name in (
        Person.objects.exclude(nik_index="")
        .filter(nik_index__in={k[0] for k in keys})
        .values_list("pk", "nik_index", "full_name")
    ):
        if (index, name) in keys:
            members.setdefault((index, name), []).append(pk)
    pairs = set()
    for pks in members.values():
        pks.sort()
        pairs.update((pks[a], pks[b]) for a in range(len(pks)) for b in range(a + 1, len(pks)))
    return pairs, time.perf_counter() - started


def checks(count: int, entities: dict[int, str], seed: int) -> dict:
    """Re-register planted duplicates one by one (the record itself left out)."""
    import random

    from rehsos.registry.dedup.check import likely_duplicates
    from rehsos.registry.identifiers import Sealer
    from rehsos.registry.models import Person

    by_entity: dict[str, list[int]] = {}
    for pk, entity in entities.items():
        by_entity.setdefault(entity, []).append(pk)
    twins = [pks for pks in by_entity.values() if len(pks) > 1]
    rng = random.Random(seed)
    sample = rng.sample(twins, min(count, len(twins)))
    sealer = Sealer()
    timings, found = [], 0
    for pks in sample:
        newcomer = Person.objects.get(pk=max(pks))
        fields = {
            "full_name": newcomer.full_name,
            "birth_date": newcomer.birth_date,
            "nik": sealer.unseal(newcomer.nik_sealed) if newcomer.nik_sealed else "",
            "mother_name": newcomer.mother_name,
            "village": newcomer.village_id,
            "sex": newcomer.sex,
        }
        started = time.perf_counter()
        matches = likely_duplicates(fields, exclude=newcomer)
        timings.append((time.perf_counter() - started) * 1000)
        if any(m.person.pk in pks for m in matches):
            found += 1
    return {
        "checks": len(sample),
        "p50_ms": round(statistics.median(timings), 1) if timings else None,
        "p95_ms": round(percentile(timings, 95), 1) if len(timings) > 1 else None,
        "twin_found": round(found / len(sample), 4) if sample else None,
    }


def dedup(threshold: float, check_count: int, seed: int, backend: str) -> None:
    from django.conf import settings

    from rehsos.registry.dedup import run

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result, pairs = run.run(threshold=threshold, backend=backend)
    total = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    peak = peak_mb()  # before anything the evaluation loads
    entities = _entities()
    truth = _truth(entities)
    found = {(p.left, p.right) for p in pairs if p.probability >= threshold}
    naive_pairs, naive_seconds = naive_baseline()
    out = {
        "backend": backend,
        "threads": settings.REHSOS_DEDUP_THREADS,
        "persons": result.persons,
        "trained": result.trained,
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "timings_s": {k: round(v, 1) for k, v in result.timings.items()},
        "end_to_end_s": round(total, 1),
        "peak_rss_mb": round(peak),
        "model": _score(found, truth),
        "naive": {**_score(naive_pairs, truth), "seconds": round(naive_seconds, 1)},
        "check": checks(check_count, entities, seed),
    }
    print(json.dumps(out))


# -- orchestration ---------------------------------------------------------------------


def prepare_database(kind: str) -> tuple[str, object]:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="rehsos-bench-dedup-")
        return f"sqlite:///{folder}/bench.sqlite3", lambda: shutil.rmtree(folder, True)
    import psycopg

    def admin(sql: str) -> None:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {PG_DATABASE}")
    return f"{PG_SERVER}/{PG_DATABASE}", lambda: admin(
        f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"
    )


def _step(args: list[str], env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"step {args[1]} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(loaded: dict, measured: dict, threshold: float) -> None:
    t = measured["timings_s"]
    model, naive, check = measured["model"], measured["naive"], measured["check"]
    train_to_cluster = t.get("train", 0) + t.get("predict", 0) + t.get("cluster", 0)
    print(
        f"persons                 {measured['persons']:,} (load {loaded['load_s']} s, not counted)"
    )
    print(
        f"backend                 {measured['backend']}, {measured['threads']} threads, "
        f"model trained: {measured['trained']}, load average before/after "
        f"{measured['load_average'][0]}/{measured['load_average'][1]}"
    )
    for phase in ("extract", "train", "predict", "cluster", "save"):
        print(f"  {phase:<21} {t.get(phase, 0):7.1f} s")
    print(f"train+predict+cluster   {train_to_cluster:7.1f} s")
    print(f"end to end (all above)  {measured['end_to_end_s']:7.1f} s   target ≤ 180 s at 1M")
    print(f"peak RSS (dedup step)   {measured['peak_rss_mb']:7,} MB  target ≤ 2048 MB")
    print(
        f"model @ p ≥ {threshold}        precision {model['precision']}  recall {model['recall']}"
        f"  ({model['pairs']:,} pairs, {model['true_pairs']:,} true)   target ≥ 0.99 / ≥ 0.97"
    )
    print(
        f"naive exact NIK+name    precision {naive['precision']}  recall {naive['recall']}"
        f"  ({naive['pairs']:,} pairs, {naive['seconds']} s)"
    )
    if naive["recall"]:
        print(f"recall ratio model/naive {model['recall'] / naive['recall']:.2f}×")
    print(
        f"single check            p50 {check['p50_ms']} ms  p95 {check['p95_ms']} ms"
        f"  twin found {check['twin_found']} of {check['checks']}   target < 200 ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backend", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--step", choices=["load", "dedup"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        setup_django()
        if args.step == "load":
            load(args.persons, args.seed)
        else:
            dedup(args.threshold, args.checks, args.seed, args.backend)
        return 0

    url, cleanup = prepare_database(args.db)
    var = tempfile.mkdtemp(prefix="rehsos-bench-var-")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "rehsos.settings",
        "REHSOS_VAR_DIR": var,
        "LOG_LEVEL": "WARNING",
    }
    try:
        common = ["--persons", str(args.persons), "--seed", str(args.seed)]
        loaded = _step(["--step", "load", *common], env)
        measured = _step(
            [
                "--step",
                "dedup",
                *common,
                "--threshold",
                str(args.threshold),
                "--checks",
                str(args.checks),
                "--backend",
                args.backend,
            ],
            env,
        )
    finally:
        cleanup()
        shutil.rmtree(var, True)
    print(f"database                {args.db}")
    report(loaded, measured, args.threshold)
    print(json.dumps({"load": loaded, "dedup": measured}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
