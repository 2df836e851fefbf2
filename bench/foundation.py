"""Foundation benchmark: region loading, region lookup by code, name-prefix search.

    .venv/bin/python bench/foundation.py [--db sqlite|postgres] [--lookups 2000]

Runs on a throwaway database: a temporary SQLite file, or a PostgreSQL database
``rehsos_bench`` created on postgres://postgres@127.0.0.1:5432 and dropped after.
Every figure is measured in this process; run it under ``flock /tmp/rehsos-bench.lock``
so two benchmarks do not share the machine's cores.

(a) region load: our loader (executemany on the raw SQLite connection, COPY on
    PostgreSQL) against Django's bulk_create of the same rows, each from the CSVs
    to committed rows, on an empty table; plus the whole ``migrate`` of a new database.
(b) GET /api/v1/regions/{code} through Django's test Client with a personal token,
    random codes, against the raw SQL lookup of the same row.
(c) name-prefix search (the selector and the API) against a raw SQL prefix query.
Peak memory is the process's maximum resident set size.
"""

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "rehsos_bench"


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_database(kind: str) -> tuple[str, object]:
    """The DATABASE_URL of a new, empty database, and how to remove it afterwards."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="rehsos-bench-")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--lookups", type=int, default=2000, help="random codes to look up")
    parser.add_argument("--searches", type=int, default=500, help="random name prefixes")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each load")
    args = parser.parse_args()

    url, cleanup = prepare_database(args.db)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="rehsos.settings",
        DEBUG="false",  # no query log in memory
        REHSOS_API_RATE="10000000/minute",  # the benchmark is not throttled
        LOG_LEVEL="ERROR",
    )
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


def run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment

    from rehsos.core.models import ApiToken, User
    from rehsos.core.roles import Role
    from rehsos.regions import selectors
    from rehsos.regions.loader import load_regions, read_regions, unload_regions
    from rehsos.regions.models import Region

    setup_test_environment()  # lets the test Client's "testserver" host in
    rows: list[tuple] = []
    report: list[tuple[str, ...]] = []
    vendor = connection.vendor
    print(f"rehsos foundation benchmark on {vendor} ({connection.settings_dict['NAME']})")
    # Other work on the machine skews every figure: say how busy it was.
    load_before = os.getloadavg()[0]

    # ---- (a) loading -----------------------------------------------------------------
    migrate_s = timed(lambda: call_command("migrate", verbosity=0))
    total = Region.objects.count()
    print(f"migrate (every app, regions loaded by it): {migrate_s:.2f} s, {total:,} regions")

    ours, baseline = [], []
    for _run in range(args.runs):
        unload_regions()
        ours.append(timed(lambda: load_regions()))
        assert Region.objects.count() == total
        unload_regions()

        def bulk():
            with transaction.atomic():
                objects = [
                    Region(
                        code=code,
                        name=name,
                        level=level,
                        parent_id=parent,
                        province_code=province,
                        name_key=key,
                    )
                    for code, name, level, parent, province, key in read_regions()
                ]
                Region.objects.bulk_create(objects, batch_size=5000)

        baseline.append(timed(bulk))
        assert Region.objects.count() == total
    # Leave the table as the loader makes it (with fresh planner statistics).
    unload_regions()
    load_regions()
    rows = Region.objects.values_list("code", "name_key")
    codes = [code for code, _key in rows]
    keys = [key for _code, key in rows]
    load, bulk = statistics.median(ours), statistics.median(baseline)
    report += [
        ("migrate, all apps incl. region load", f"{migrate_s:.2f} s", "", ""),
        (
            f"region load, {total:,} rows (median of {args.runs})",
            f"{load:.2f} s",
            f"{bulk:.2f} s",
            f"{bulk / load:.1f}x faster",
        ),
        ("  rows/s", f"{total / load:,.0f}", f"{total / bulk:,.0f}", ""),
        (
            "  runs (s)",
            " ".join(f"{t:.2f}" for t in ours),
            " ".join(f"{t:.2f}" for t in baseline),
            "",
        ),
    ]
    memory_after_load = peak_mb()

    # ---- (b) lookup by code --------------------------------------------------------------
    user = User.objects.create_user(
        username="bench", password=None, role=Role.SOCIAL_WORKER, scope_level="nation"
    )
    _token, raw = ApiToken.issue(user, "bench")
    client = Client(headers={"authorization": f"Bearer {raw}"})
    rng = random.Random(20260101)
    sample = [rng.choice(codes) for _ in range(args.lookups)]
    for code in sample[:50]:  # warm up
        assert client.get(f"/api/v1/regions/{code}").status_code == 200

    api_ms = []
    for code in sample:
        started = time.perf_counter()
        response = client.get(f"/api/v1/regions/{code}")
        api_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET /api/v1/regions/{code} answered {response.status_code}")

    session = Client()
    session.force_login(user)
    session_ms = []
    for code in sample:
        started = time.perf_counter()
        session.get(f"/api/v1/regions/{code}")
        session_ms.append((time.perf_counter() - started) * 1000)

    selector_path_ms = []
    for code in sample:
        started = time.perf_counter()
        selectors.path(code)
        selector_path_ms.append((time.perf_counter() - started) * 1000)

    raw_ms = []
    sql = "SELECT code, name, level, parent_id, province_code FROM regions_region WHERE code = %s"
    with connection.cursor() as cursor:
        for code in sample:
            started = time.perf_counter()
            cursor.execute(sql, [code])
            cursor.fetchone()
            raw_ms.append((time.perf_counter() - started) * 1000)
    report += [
        (
            f"GET /api/v1/regions/{{code}} p50 ({args.lookups:,} codes)",
            f"{statistics.median(api_ms):.2f} ms",
            f"{statistics.median(raw_ms):.3f} ms",
            f"{statistics.median(api_ms) / statistics.median(raw_ms):.0f}x",
        ),
        (
            "GET /api/v1/regions/{code} p95",
            f"{percentile(api_ms, 95):.2f} ms",
            f"{percentile(raw_ms, 95):.3f} ms",
            f"{percentile(api_ms, 95) / percentile(raw_ms, 95):.0f}x",
        ),
    ]

    raw_p50, raw_p95 = statistics.median(raw_ms), percentile(raw_ms, 95)
    for label, times in (
        ("  same, session auth (no token, no throttle)", session_ms),
        ("  selectors.path(code) alone (ORM, no HTTP)", selector_path_ms),
    ):
        report.append(
            (
                label + " p50 / p95",
                f"{statistics.median(times):.2f} / {percentile(times, 95):.2f} ms",
                f"{raw_p50:.3f} / {raw_p95:.3f} ms",
                f"{statistics.median(times) / raw_p50:.0f}x",
            )
        )

    # ---- (c) name-prefix search ------------------------------------------------------------
    prefixes = []
    for _ in range(args.searches):
        key = rng.choice(keys)
        prefixes.append(key[: rng.randint(3, min(6, len(key)))])
    selector_ms, search_api_ms, search_raw_ms, found = [], [], [], []
    for prefix in prefixes:
        started = time.perf_counter()
        found.append(len(selectors.search_by_name_prefix(prefix, limit=20)))
        selector_ms.append((time.perf_counter() - started) * 1000)
    for prefix in prefixes:
        started = time.perf_counter()
        response = client.get("/api/v1/regions", {"q": prefix, "limit": 20})
        search_api_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    like = "name_key LIKE %s" if vendor == "postgresql" else "name_key >= %s AND name_key < %s"
    search_sql = (
        f"SELECT code, name, level FROM regions_region WHERE {like} "
        "ORDER BY level, name_key, code LIMIT 20"
    )
    with connection.cursor() as cursor:
        for prefix in prefixes:
            if vendor == "postgresql":
                params = [prefix + "%"]
            else:
                params = [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
            started = time.perf_counter()
            cursor.execute(search_sql, params)
            cursor.fetchall()
            search_raw_ms.append((time.perf_counter() - started) * 1000)
    report += [
        (
            f"name prefix, selector p50 / p95 ({args.searches} prefixes)",
            f"{statistics.median(selector_ms):.2f} / {percentile(selector_ms, 95):.2f} ms",
            f"{statistics.median(search_raw_ms):.2f} / {percentile(search_raw_ms, 95):.2f} ms",
            f"{statistics.median(selector_ms) / statistics.median(search_raw_ms):.1f}x",
        ),
        (
            "name prefix, GET /api/v1/regions?q= p50 / p95",
            f"{statistics.median(search_api_ms):.2f} / {percentile(search_api_ms, 95):.2f} ms",
            "",
            f"{statistics.median(search_api_ms) / statistics.median(search_raw_ms):.0f}x",
        ),
        ("  results per prefix (median)", f"{statistics.median(found):.0f}", "", ""),
        ("peak memory (max RSS) after load / at end", f"{memory_after_load:.0f} MB", "", ""),
        ("", f"{peak_mb():.0f} MB", "", ""),
        ("load average (1 min) at start / end", f"{load_before:.1f} / {os.getloadavg()[0]:.1f}"),
        ("CPUs", str(os.cpu_count())),
    ]

    headers = ("measure", "rehsos", "baseline", "ratio")
    report = [(*row, "", "", "")[:4] for row in report]
    widths = [max(len(str(r[i])) for r in [headers, *report]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print()
    print(
        "baselines: (a) Django bulk_create(batch_size=5000) in one transaction; "
        "(b) cursor.execute SELECT … WHERE code = %s; (c) raw SQL plain prefix (no kind-of-area "
        "branches)"
    )
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print(line)
    for row in report:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
