"""Bench: scoring standards assessments at national scale, and the national report.

    .venv/bin/python bench/standards.py [--db sqlite|postgres] [--centres 2000]
        [--criteria 300] [--runs 7] [--naive-runs 2] [--no-report]

Run it under ``flock /tmp/rehsos-bench.lock`` so two benchmarks do not share the cores.

1. A throwaway database (a temporary SQLite file, or a PostgreSQL database
   ``rehsos_bench_standards`` on postgres://postgres@127.0.0.1:5432, dropped after),
   migrated. One adopted catalogue version with ``--criteria`` criteria over the eight
   domains (weights 1–3, one in ten critical). ``--centres`` centres in every province,
   each with a submitted self-assessment and a submitted external audit; every
   assessment answers every criterion (ratings 0–3 with a realistic spread, ~5% N/A,
   ~2% without a rating). Answers go in with raw bulk inserts: ``executemany`` on the
   DB-API cursor in one transaction (SQLite), ``COPY`` (PostgreSQL). Fixed seed.
2. ``scoring.scores()`` over the latest submitted assessment of every centre
   (``latest_assessments()``, one window query), ``--runs`` times: p50/p95, answers
   scored per second, peak memory of the Python heap (tracemalloc) and of the process.
3. The naive baseline in the same process: load the same answers with the ORM
   (``select_related("criterion")``) and score them in Python; checked equal to
   ``scores()`` for every assessment; the ratio.
4. The national report (every centre): the data (``national_report``), the XLSX and
   the PDF, each timed once.
"""

import argparse
import datetime
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("REHSOS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = "rehsos_bench_standards"
SEED = 20261129
DOMAINS = ["ACC", "ROOM", "EQP", "STF", "SVC", "SAFE", "GOV", "PART"]
# rating → weight of the draw: mostly met, a long tail of gaps.
RATINGS = [(0, 10), (1, 17), (2, 55), (3, 10), ("na", 6), (None, 2)]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_database(kind: str) -> tuple[str, object]:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="rehsos-bench-standards-")
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


# --- loading -------------------------------------------------------------------------


def load(args) -> int:
    """Catalogue, centres and assessments with bulk_create; answers raw. Returns the
    number of answers."""
    from django.db import connection, transaction
    from django.utils import timezone

    from rehsos.facilities.models import Facility
    from rehsos.regions.models import Region
    from rehsos.standards.models import (
        Assessment,
        Catalogue,
        CatalogueVersion,
        Criterion,
    )

    rng = random.Random(SEED)
    catalogue = Catalogue.objects.create(
        code="bench", name_id="Standar balai (bench)", name_en="Centre standard (bench)"
    )
    version = CatalogueVersion.objects.create(
        catalogue=catalogue, number=1, status="adopted", effective_from=datetime.date(2026, 1, 1)
    )
    Criterion.objects.bulk_create(
        Criterion(
            version=version,
            code=f"{DOMAINS[i % 8]}-{i + 1:03d}",
            domain=DOMAINS[i % 8],
            order=i,
            text_id=f"Kriteria {i + 1}",
            text_en=f"Criterion {i + 1}",
            weight=Decimal(1 + i % 3),
            scale="four",
            critical=i % 10 == 0,
        )
        for i in range(args.criteria)
    )
    criteria = list(Criterion.objects.filter(version=version).values_list("pk", flat=True))

    villages = list(
        Region.objects.filter(level=4).order_by("code").values_list("code", flat=True)[::200]
    )
    facilities = [
        Facility(
            code=f"bench-{n:05d}",
            name=f"Sentra Bench {n:05d}",
            kind="national" if n < 31 else "lks",
            region_id=villages[n % len(villages)],
            province_code=villages[n % len(villages)][:2],
            is_model=n < 4,
            capacity=60 + n % 120,
        )
        for n in range(args.centres)
    ]
    Facility.objects.bulk_create(facilities, batch_size=1000)
    facility_rows = list(Facility.objects.values_list("pk", "province_code").order_by("pk"))
    now = timezone.now()
    assessments = []
    for fid, province in facility_rows:
        for k, kind in enumerate(("self", "external")):
            assessments.append(
                Assessment(
                    facility_id=fid,
                    province_code=province,
                    version=version,
                    kind=kind,
                    status="submitted",
                    started_on=datetime.date(2026, 2, 1) + datetime.timedelta(days=k * 20),
                    submitted_at=now - datetime.timedelta(days=40 - k * 20),
                )
            )
    Assessment.objects.bulk_create(assessments, batch_size=2000)
    assessment_ids = list(Assessment.objects.values_list("pk", flat=True).order_by("pk"))

    values, weights = zip(*RATINGS, strict=True)
    total = len(assessment_ids) * len(criteria)

    def rows():
        for aid in assessment_ids:
            draws = rng.choices(values, weights, k=len(criteria))
            for cid, r in zip(criteria, draws, strict=True):
                na = r == "na"
                yield (aid, cid, None if na else r, na, "", "", 1)

    columns = (
        "assessment_id, criterion_id, rating, not_applicable, justification, comment, revision"
    )
    table = answer_table()
    started = time.perf_counter()
    with transaction.atomic():
        cursor = connection.cursor()
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for n, row in enumerate(rows(), 1):
                    copy.write_row(row)
                    if n % 200_000 == 0:
                        print(f"\r  answers: {n:,} / {total:,}", end="", flush=True)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)"
            batch, n = [], 0
            raw = cursor.cursor
            for row in rows():
                batch.append(row)
                if len(batch) == 50_000:
                    raw.executemany(sql, batch)
                    n += len(batch)
                    batch.clear()
                    print(f"\r  answers: {n:,} / {total:,}", end="", flush=True)
            raw.executemany(sql, batch)
    seconds = time.perf_counter() - started
    print(f"\r  answers: {total:,} in {seconds:.1f} s ({total / seconds:,.0f} rows/s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return total


def answer_table() -> str:
    from rehsos.standards.models import Answer

    return Answer._meta.db_table


# --- the naive baseline --------------------------------------------------------------


def naive_scores(ids: list[int]) -> dict[int, tuple]:
    """Load every answer with the ORM and score in Python: (percent, met, applicable,
    not_applicable, passed) per assessment."""
    from rehsos.standards.models import MET_AT_LEAST, SCALE_LEVELS, Answer

    share = {
        (scale, rating): s for scale, levels in SCALE_LEVELS.items() for rating, _l, s in levels
    }
    earned: dict[int, Decimal] = defaultdict(Decimal)
    possible: dict[int, Decimal] = defaultdict(Decimal)
    met: dict[int, int] = defaultdict(int)
    applicable: dict[int, int] = defaultdict(int)
    na: dict[int, int] = defaultdict(int)
    failed: set[int] = set()
    answers = Answer.objects.filter(assessment_id__in=ids).select_related("criterion")
    for a in answers.iterator(chunk_size=5000):
        if a.not_applicable:
            na[a.assessment_id] += 1
            continue
        if a.rating is None:
            continue
        c = a.criterion
        applicable[a.assessment_id] += 1
        possible[a.assessment_id] += c.weight
        earned[a.assessment_id] += c.weight * share[(c.scale, a.rating)]
        if a.rating >= MET_AT_LEAST:
            met[a.assessment_id] += 1
        elif c.critical:
            failed.add(a.assessment_id)
    out = {}
    for aid in ids:
        p = possible[aid]
        percent = (Decimal(100) * earned[aid] / p).quantize(Decimal("0.01")) if p else None
        out[aid] = (percent, met[aid], applicable[aid], na[aid], aid not in failed)
    return out


def measure(fn, runs: int) -> tuple[list[float], float]:
    """After one warm-up call, wall times (s) of ``runs`` calls, and the Python heap's
    peak (MiB) of one more call under tracemalloc (apart: tracing slows what it watches)."""
    fn()  # warm the database's cache and the code paths once, unmeasured
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return times, peak / 1024 / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--centres", type=int, default=2000)
    parser.add_argument("--criteria", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7, help="repetitions of scores()")
    parser.add_argument("--naive-runs", type=int, default=2, help="repetitions of the baseline")
    parser.add_argument("--no-report", action="store_true", help="skip the national report")
    args = parser.parse_args()

    url, cleanup = prepare_database(args.db)
    folder = Path(tempfile.mkdtemp(prefix="rehsos-bench-standards-files-"))
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="rehsos.settings",
        DEBUG="false",
        LOG_LEVEL="ERROR",
        REHSOS_VAR_DIR=str(folder),
    )
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()
        shutil.rmtree(folder, True)


def run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    from rehsos.standards.scoring import latest_assessments, scores

    print(
        f"rehsos standards bench on {connection.vendor}: {args.centres:,} centres × 2 "
        f"assessments × {args.criteria} criteria, seed {SEED}"
    )
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"  migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    answers_total = load(args)
    print(f"  loaded in {time.perf_counter() - started:.1f} s")

    latest_times, _peak = measure(lambda: latest_assessments(), 3)
    ids = list(latest_assessments().values())
    scored_answers = len(ids) * args.criteria
    print(
        f"  latest_assessments(): {len(ids):,} centres, p50 {pct(latest_times, 50) * 1000:.0f} ms"
    )

    ours, ours_peak = measure(lambda: scores(ids), args.runs)
    rss_after_ours = peak_rss_mib()
    naive, naive_peak = measure(lambda: naive_scores(ids), args.naive_runs)

    # The two must agree on every assessment.
    fast, slow = scores(ids), naive_scores(ids)
    for aid in ids:
        s = fast[aid]
        expected = (s.percent, s.met, s.applicable, s.not_applicable, s.passed)
        if slow[aid] != expected:
            raise SystemExit(f"scores() and the baseline differ on {aid}: {expected} {slow[aid]}")

    p50, p95 = pct(ours, 50), pct(ours, 95)
    n50, n95 = pct(naive, 50), pct(naive, 95)
    print()
    print(
        f"== scores() over the latest assessment of {len(ids):,} centres "
        f"({scored_answers:,} answers of {answers_total:,} in the table) =="
    )
    print(
        f"  scores() grouped SQL   p50 {p50:7.3f} s  p95 {p95:7.3f} s  "
        f"{scored_answers / p50:12,.0f} answers/s  heap peak {ours_peak:7.1f} MiB  "
        f"({args.runs} runs)"
    )
    print(
        f"  naive ORM + Python     p50 {n50:7.3f} s  p95 {n95:7.3f} s  "
        f"{scored_answers / n50:12,.0f} answers/s  heap peak {naive_peak:7.1f} MiB  "
        f"({args.naive_runs} runs)"
    )
    print(f"  ratio (naive / scores()): p50 {n50 / p50:.1f}x, heap {naive_peak / ours_peak:.1f}x")
    print(f"  every one of the {len(ids):,} scores equal in both")
    print(
        f"  process peak RSS: {rss_after_ours:.0f} MiB before the baseline, "
        f"{peak_rss_mib():.0f} MiB after"
    )

    if not args.no_report:
        from rehsos.standards.reports import national, pdf, xlsx

        print()
        print(f"== national report, {args.centres:,} centres ==")
        with translation.override("id"):
            started = time.perf_counter()
            report = national.national_report(None, with_photos=False)
            data_s = time.perf_counter() - started
            tracemalloc.start()
            national.national_report(None, with_photos=False)
            data_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()
            started = time.perf_counter()
            book = xlsx.national_xlsx(report)
            xlsx_s = time.perf_counter() - started
            started = time.perf_counter()
            document = pdf.national_pdf(report)
            pdf_s = time.perf_counter() - started
        print(f"  data (SQL aggregates + scores): {data_s:6.2f} s  heap peak {data_peak:.0f} MiB")
        print(f"  XLSX: {xlsx_s:6.2f} s, {len(book) / 1024:,.0f} kB")
        print(f"  PDF:  {pdf_s:6.2f} s, {len(document) / 1024:,.0f} kB")
        print(f"  process peak RSS at the end: {peak_rss_mib():.0f} MiB")
    print(f"  load average (1 min): before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
