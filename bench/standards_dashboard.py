"""Bench: the standards dashboards at national scale (5,000 centres).

    .venv/bin/python bench/standards_dashboard.py                  # 5,000 centres
    .venv/bin/python bench/standards_dashboard.py --centres 500    # a quick try

1. A fresh migrated PostgreSQL database (``rehsos_bench_standards_dashboard``, dropped afterwards
   unless ``--keep``): ``--centres`` centres in all 38 provinces, four of them model
   centres; one adopted catalogue version of 64 criteria (8 domains × 8, the first of
   each domain critical); a submitted self-assessment and external audit for 90 % of
   the centres, every criterion answered (set-based ``INSERT … SELECT`` on the server,
   ratings spread over the scale, ~6 % not applicable); ten actions per assessed centre
   (a third overdue, some on critical criteria, costs and funding sources mixed).
   ``VACUUM ANALYZE``.
2. Measured: the national dashboard selector for a national analyst, the national
   page and its JSON through Django's test ``Client``, a provincial officer's page,
   and one centre's dashboard page; p50/p95 and the number of SQL statements of each.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_SERVER = os.environ.get("REHSOS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("REHSOS_BENCH_DASHBOARD_DB", "rehsos_bench_standards_dashboard")
CLUSTERS = ["ANAK", "LU", "PD", "KPN", "TS-KPO"]


def prepare_environment() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    folder = Path(tempfile.gettempdir()) / "rehsos-bench-standards-dashboard"
    folder.mkdir(exist_ok=True)
    os.environ.update(
        DATABASE_URL=f"{PG_SERVER}/{PG_NAME}",
        DJANGO_SETTINGS_MODULE="rehsos.settings",
        DEBUG="false",
        ALLOWED_HOSTS="testserver,localhost",
        REHSOS_VAR_DIR=str(folder),
        REHSOS_API_RATE="100000000/minute",
    )


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def load(centres_wanted: int) -> None:
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from rehsos.facilities.models import Facility
    from rehsos.regions.models import Region
    from rehsos.standards.models import (
        Action,
        Answer,
        Assessment,
        Catalogue,
        CatalogueVersion,
        Criterion,
        Domain,
        Scale,
    )

    villages: dict[str, str] = {}
    for code in Region.objects.filter(level=4).values_list("code", flat=True).iterator():
        villages.setdefault(code[:2], code)
    provinces = sorted(villages)
    kinds = ["national", "provincial", "district", "lks", "lks", "lks"]
    Facility.objects.bulk_create(
        [
            Facility(
                code=f"bench-{n:04d}",
                name=f"Sentra Bench {n:04d}",
                kind=kinds[n % len(kinds)],
                region_id=villages[provinces[n % len(provinces)]],
                province_code=provinces[n % len(provinces)],
                clusters=[CLUSTERS[n % 5], CLUSTERS[(n + 2) % 5]],
                is_model=n < 4,
            )
            for n in range(centres_wanted)
        ],
        batch_size=1000,
    )
    catalogue = Catalogue.objects.create(code="bench", name_id="Standar", name_en="Standard")
    version = CatalogueVersion.objects.create(
        catalogue=catalogue, number=1, status=CatalogueVersion.Status.ADOPTED
    )
    Criterion.objects.bulk_create(
        [
            Criterion(
                version=version,
                code=f"{domain}-{i + 1}",
                domain=domain,
                order=d * 10 + i,
                text_id=f"Kriteria {domain} {i + 1}",
                text_en=f"Criterion {domain} {i + 1}",
                weight=Decimal(1 + i % 3),
                scale=Scale.FOUR,
                critical=i == 0,
            )
            for d, domain in enumerate(Domain.values)
            for i in range(8)
        ]
    )
    now = timezone.now()
    assessed = [
        (pk, province)
        for n, (pk, province) in enumerate(
            Facility.objects.order_by("code").values_list("pk", "province_code")
        )
        if n % 10 != 9  # one centre in ten never assessed
    ]
    rows = []
    for n, (pk, province) in enumerate(assessed):
        for kind, back in (("self", 200 + n % 50), ("external", 30 + n % 60)):
            started = (now - timezone.timedelta(days=back)).date()
            rows.append(
                Assessment(
                    facility_id=pk,
                    province_code=province,
                    version=version,
                    kind=kind,
                    status=Assessment.Status.SUBMITTED,
                    started_on=started,
                    visit_on=started,
                    submitted_at=now - timezone.timedelta(days=back - 2),
                )
            )
    Assessment.objects.bulk_create(rows, batch_size=2000)
    answer, assessment, criterion = (
        Answer._meta.db_table,
        Assessment._meta.db_table,
        Criterion._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {answer} (assessment_id, criterion_id, rating, not_applicable, "
            "justification, comment, revision) "
            "SELECT a.id, c.id, "
            "CASE WHEN (a.id + c.id) % 17 = 0 THEN NULL ELSE (a.id * 7 + c.id * 13) % 4 END, "
            "(a.id + c.id) % 17 = 0, '', '', 1 "
            f"FROM {assessment} a CROSS JOIN {criterion} c"
        )
        action = Action._meta.db_table
        cursor.execute(
            f"INSERT INTO {action} (public_id, created_at, updated_at, version, facility_id, "
            "province_code, criterion_id, title, description, due_on, cost_estimate, funding, "
            "status, closing_note) "
            "SELECT gen_random_uuid(), now(), now(), 1, f.id, f.province_code, "
            f"(SELECT c.id FROM {criterion} c WHERE c.critical ORDER BY c.id "
            " OFFSET (f.id + g) % 8 LIMIT 1), "
            "'Action ' || g, '', current_date + ((g * 17 + f.id) % 120 - 40)::int, "
            "CASE WHEN g % 4 = 0 THEN NULL ELSE 250000 * g END, "
            "(ARRAY['own','partner','none'])[1 + (f.id + g) % 3], "
            "(ARRAY['open','open','in_progress','done','cancelled'])[1 + (f.id * 3 + g) % 5], '' "
            f"FROM {Facility._meta.db_table} f CROSS JOIN generate_series(1, 10) g "
            f"WHERE EXISTS (SELECT 1 FROM {assessment} a WHERE a.facility_id = f.id)"
        )
        cursor.execute("VACUUM ANALYZE")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def capture(func) -> list[tuple[float, str]]:
    """Run ``func``; return (milliseconds, SQL) of every statement it sent."""
    from django.db import connection

    seen = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append(((time.perf_counter() - started) * 1000, sql))

    with connection.execute_wrapper(record):
        func()
    return seen


def measure(label: str, func, runs: int, show: bool = False) -> float:
    func()  # warm
    captured = capture(func)
    if show:
        for ms, sql in sorted(captured, reverse=True)[:6]:
            print(f"    {ms:8.1f} ms  {sql[:160]}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"  {label:<48} p50 {pct(times, 50):8.1f} ms  p95 {pct(times, 95):8.1f} ms  "
        f"{len(captured)} statements"
    )
    return pct(times, 50)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--centres", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--statements", action="store_true", help="print the slowest statements of the selector"
    )
    args = parser.parse_args()

    prepare_environment()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from rehsos.core.models import ApiToken, User
    from rehsos.core.roles import Role, ScopeLevel
    from rehsos.facilities.models import Facility
    from rehsos.standards import selectors_dashboard
    from rehsos.standards.models import Action, Answer

    print(f"rehsos standards dashboard bench: {args.centres:,} centres on PostgreSQL")
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        print(f"  migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        load(args.centres)
        print(
            f"  loaded in {time.perf_counter() - started:.1f} s: {Answer.objects.count():,} "
            f"answers, {Action.objects.count():,} actions"
        )
        analyst = User.objects.create_user("bench.analyst", role=Role.NATIONAL_ANALYST)
        officer = User.objects.create_user(
            "bench.dinsos",
            role=Role.PROVINCIAL_OFFICER,
            scope_level=ScopeLevel.PROVINCE,
            province_code="31",
        )
        model = Facility.objects.get(code="bench-0000")
        _token, raw = ApiToken.issue(analyst, "bench")
        board = selectors_dashboard.national_dashboard(analyst)
        print(
            f"  national: {board.totals.centres:,} centres, {board.totals.assessed:,} assessed, "
            f"{board.totals.met_percent}% met, {board.totals.critical_gaps:,} critical gaps, "
            f"{board.totals.overdue:,} overdue"
        )
        page = Client()
        page.force_login(analyst)
        province = Client()
        province.force_login(officer)
        api = Client(headers={"authorization": f"Bearer {raw}"})
        assert page.get("/standards/dashboard/").status_code == 200
        assert api.get("/api/v1/standards/dashboard").status_code == 200
        runs = args.runs
        selector_p50 = measure(
            "selector national_dashboard (analyst)",
            lambda: selectors_dashboard.national_dashboard(analyst),
            runs,
            show=args.statements,
        )
        measure(
            "page /standards/dashboard/ (analyst)", lambda: page.get("/standards/dashboard/"), runs
        )
        measure(
            "page sorted by -overdue, page 3",
            lambda: page.get("/standards/dashboard/?sort=-overdue&page=3"),
            runs,
        )
        measure(
            "API /api/v1/standards/dashboard", lambda: api.get("/api/v1/standards/dashboard"), runs
        )
        measure(
            "page /standards/dashboard/ (provincial officer)",
            lambda: province.get("/standards/dashboard/"),
            runs,
        )
        measure(
            "page centre dashboard (a model centre)",
            lambda: page.get(f"/standards/centres/{model.code}/dashboard/"),
            runs,
        )
        # Baseline: the generic path the dashboard would take without its own summary:
        # every centre's latest assessment scored by scoring.scores() (per domain), and
        # the actions counted per centre and status, in the same process.
        from django.db.models import Count

        from rehsos.standards import scoring

        def generic():
            latest = scoring.latest_assessments(Facility.objects.filter(is_active=True))
            scoring.scores(list(latest.values()))
            list(Action.objects.values("facility_id", "status").annotate(n=Count("id")))

        baseline_p50 = measure("baseline: scoring.scores() + action counts", generic, 3)
        print(f"  ratio (baseline / selector, p50): {baseline_p50 / selector_p50:.1f}x")
        print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        if not args.keep:
            drop_database()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
