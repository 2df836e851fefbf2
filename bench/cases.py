"""Bench: the caseload pages and the national indicators at national scale, each beside
the bare SQL of the same queries.

    .venv/bin/python bench/cases.py                 # 1M / 10M
    .venv/bin/python bench/cases.py --cases 50000 --services 500000

1. A fresh migrated PostgreSQL database (``rehsos_bench_cases``, dropped afterwards
   unless ``--keep`` / ``--reuse``): ``--centres`` centres in all 38 provinces (sizes
   long-tailed, so the largest centre carries a heavy load), four social workers each;
   ``--cases`` persons and cases loaded with ``COPY`` (fixed seed; minimal person
   columns; every cluster and stage, ~15% sensitive, ~30% closed, most of them completed);
   then, set-based on the server (``INSERT … SELECT generate_series``), ``--services``
   service records, the stage transitions that lead to each case's stage, one event per
   case, overdue tasks and aftercare visits with outcomes. ``VACUUM ANALYZE``.
2. Through Django's test ``Client`` signed in as the head of the largest centre (so the
   sensitive-case rules run on every card): the board page (target p95 ≤ 200 ms) and
   case pages with their sections and timeline (≤ 150 ms); through the API as a national
   analyst: ``GET /case-indicators`` (suppressed small cells; target ≤ 1 s), and the
   selector ``indicators()`` alone.
3. Beside each: the SELECT statements the same request sent, replayed on the bare
   DB-API cursor ("bare SQL"), and the ratio. p50/p95 and peak RSS are printed.
"""

import argparse
import datetime
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_SERVER = os.environ.get("REHSOS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("REHSOS_BENCH_CASES_DB", "rehsos_bench_cases")
SEED = 20261129
META = "bench_cases_population"
TEXTUAL = ("CharField", "TextField", "SlugField", "EmailField", "FileField", "ImageField")

GIVEN = [
    "Siti", "Nur", "Dewi", "Sri", "Ayu", "Putri", "Intan", "Rina", "Wulan", "Fitri",
    "Budi", "Agus", "Eko", "Joko", "Andi", "Rizky", "Fajar", "Dimas", "Bayu", "Hendra",
    "Muhammad", "Ahmad", "Yohanes", "Maria", "I Made", "Ni Luh", "Asep", "Ujang", "Teuku",
]  # fmt: skip
FAMILY = [
    "Lestari", "Wijaya", "Saputra", "Siregar", "Nasution", "Hidayat", "Kurniawan",
    "Setiawan", "Pratama", "Susanto", "Rahmawati", "Handayani", "Simanjuntak", "Sitompul",
    "Wibowo", "Gunawan", "Halim", "Permata", "Sari", "Nugroho", "Suryani", "Hasibuan",
]  # fmt: skip
# The share of open cases at each stage order 1..7.
STAGE_WEIGHTS = [14, 12, 10, 30, 14, 8, 12]
CLUSTERS = [("ANAK", "AMPK", 30), ("LU", "LUT", 15), ("PD", "PD", 25), ("KPN", "KPN", 15),
            ("TS-KPO", "GEL", 10), ("LAIN", "FM", 5)]  # fmt: skip


# -- database ---------------------------------------------------------------------------


def prepare_environment(reuse: bool) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone()
        if not (reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    folder = Path(tempfile.gettempdir()) / "rehsos-bench-cases"
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


def loaded_tag() -> str | None:
    from django.db import connection

    if META not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tag FROM {META}")
        row = cursor.fetchone()
    return row[0] if row else None


def mark_loaded(tag: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META} (tag varchar(200))")
        cursor.execute(f"DELETE FROM {META}")
        cursor.execute(f"INSERT INTO {META} (tag) VALUES (%s)", [tag])


def _copy(cursor, model, rows_of, count: int, label: str, chunk: int = 50_000) -> None:
    """COPY ``count`` rows of ``model``; ``rows_of(start, stop)`` yields dicts by attname."""
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    columns = ", ".join(f.column for f in fields)
    constants = {}
    for f in fields:
        if f.has_default():
            constants[f.attname] = f.get_db_prep_save(f.get_default(), connection)
        elif f.null:
            constants[f.attname] = None
        elif not f.primary_key and f.get_internal_type() in TEXTUAL:
            constants[f.attname] = ""
    sql = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    for start in range(1, count + 1, chunk):
        stop = min(start + chunk, count + 1)
        with cursor.cursor.copy(sql) as copy:
            for values in rows_of(start, stop):
                row = {**constants, **values}
                copy.write_row([row.get(f.attname) for f in fields])
        print(f"\r  {label}: {stop - 1:,}", end="", flush=True)
    print()
    table = model._meta.db_table
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [count])


def load(args) -> dict:
    """Centres, workers, persons and cases by COPY; the rest set-based on the server."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from rehsos.cases.models import Case, PpksType, Stage
    from rehsos.core.models import User
    from rehsos.core.roles import Role, ScopeLevel
    from rehsos.facilities.models import Facility
    from rehsos.regions.models import Region
    from rehsos.registry.models import Person

    rng = random.Random(SEED)
    villages = {}
    for code in Region.objects.filter(level=4).values_list("code", flat=True).iterator():
        villages.setdefault(code[:2], code)
    provinces = sorted(villages)
    centres = []
    for n in range(args.centres):
        province = provinces[n % len(provinces)]
        centres.append(
            Facility(
                code=f"bench-{n:04d}",
                name=f"Sentra Bench {n:04d}",
                kind="national" if n % 3 == 0 else "provincial",
                region_id=villages[province],
                province_code=province,
                clusters=["ANAK", "LU", "PD", "KPN", "TS-KPO"],
                capacity=120,
            )
        )
    Facility.objects.bulk_create(centres, batch_size=1000)
    centres = list(Facility.objects.filter(code__startswith="bench-").order_by("code"))
    password = make_password(None)
    workers = [
        User(
            username=f"peksos.{centre.code}.{i}",
            password=password,
            role=Role.SOCIAL_WORKER,
            scope_level=ScopeLevel.FACILITY,
            facility=centre,
        )
        for centre in centres
        for i in range(4)
    ]
    User.objects.bulk_create(workers, batch_size=2000)
    staff: dict[int, list[int]] = {}
    for pk, facility_id in User.objects.filter(role=Role.SOCIAL_WORKER).values_list(
        "pk", "facility_id"
    ):
        staff.setdefault(facility_id, []).append(pk)

    # Long-tailed centre sizes: the first centre is the busiest.
    weights = [1 / (rank + 1) ** 0.5 for rank in range(len(centres))]
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    stages = {s.order: s for s in Stage.objects.filter(stage_set__is_default=True)}
    ppks = {p.code: p.pk for p in PpksType.objects.all()}
    now = timezone.now()
    today = timezone.localdate()
    clusters = [(c, ppks[p]) for c, p, _w in CLUSTERS]
    cluster_w = [w for _c, _p, w in CLUSTERS]
    postgres_now = now
    assignments = {}  # case id -> (centre, cluster, ppks, stage order, closed)

    def persons(start, stop):
        for pid in range(start, stop):
            female = rng.random() < 0.5
            born = today - datetime.timedelta(days=3000 + rng.randrange(25_000))
            name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)} {rng.choice(FAMILY)}"
            centre = centres[min(_bisect(cum, rng.random()), len(centres) - 1)]
            cluster, ppks_id = rng.choices(clusters, cluster_w)[0]
            closed = rng.random() < 0.3
            order = 7 if closed else rng.choices(range(1, 8), STAGE_WEIGHTS)[0]
            assignments[pid] = (centre, cluster, ppks_id, order, closed)
            yield {
                "id": pid,
                "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "full_name": name,
                "name_key": name.lower(),
                "sex": "F" if female else "M",
                "birth_date": born,
                "birth_year": born.year,
                "village_id": centre.region_id,
                "province_code": centre.province_code,
                "facility_id": centre.pk,
                "created_at": postgres_now,
                "updated_at": postgres_now,
            }

    def cases(start, stop):
        for cid in range(start, stop):
            centre, cluster, ppks_id, order, closed = assignments.pop(cid)
            team = staff[centre.pk]
            opened = today - datetime.timedelta(days=30 + rng.randrange(700))
            row = {
                "id": cid,
                "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "created_at": postgres_now,
                "updated_at": postgres_now,
                "number": f"B{centre.pk:04d}-{cid:07d}",
                "person_id": cid,
                "cluster": cluster,
                "ppks_type_id": ppks_id,
                "setting": rng.choice(["family", "community", "residential"]),
                "unit_id": centre.pk,
                "province_code": centre.province_code,
                "social_worker_id": rng.choice(team),
                "supervisor_id": team[0],
                "risk_level": rng.choices(["low", "medium", "high"], [60, 30, 10])[0],
                "flag_child": cluster == "ANAK" and rng.random() < 0.3,
                "flag_napza": cluster == "KPN" and rng.random() < 0.5,
                "flag_trafficking": cluster == "TS-KPO" and rng.random() < 0.2,
                "stage_id": stages[order].pk,
                "stage_entered_at": now - datetime.timedelta(days=rng.randrange(1, 240)),
                "status": "closed" if closed else "open",
                "opened_on": opened,
            }
            if closed:
                row["closed_on"] = min(
                    opened + datetime.timedelta(days=200 + rng.randrange(300)), today
                )
                row["closure_reason"] = rng.choices(
                    ["completed", "withdrew", "moved", "lost"], [70, 10, 10, 10]
                )[0]
            yield row

    with connection.cursor() as cursor:
        _copy(cursor, Person, persons, args.cases, "persons (COPY)")
        _copy(cursor, Case, cases, args.cases, "cases (COPY)")
        per_case = max(args.services // args.cases, 1)
        steps = [
            (
                "service records",
                f"""INSERT INTO cases_servicerecord (case_id, component_id, delivered_on,
                    description, provider_kind, provider_name, quantity, unit_of_measure,
                    cost_rp, assistance, assistance_amount_rp, assistance_items,
                    group_session_id, attended, recorded_by_id, recorded_at)
                SELECT c.id, comp.ids[1 + (c.id + g) % 7], c.opened_on + g * 7,
                    'Layanan ATENSI', 'staff', '', 1, 'sesi', 150000, '', 0, '',
                    NULL, true, c.social_worker_id,
                    c.created_at - make_interval(days => 400 - g * 7)
                FROM cases_case c
                CROSS JOIN (SELECT array_agg(id ORDER BY number) AS ids
                            FROM cases_servicecomponent) comp
                CROSS JOIN generate_series(1, {per_case}) g""",
            ),
            (
                "transitions",
                """INSERT INTO cases_transition (case_id, kind, from_stage_id, to_stage_id,
                    reason, actor_id, at, days_in_previous)
                SELECT c.id, 'forward', prev.id, nxt.id, '', c.social_worker_id,
                    c.stage_entered_at - make_interval(days => (cur."order" - nxt."order") * 20),
                    5 + (c.id + nxt."order") % 40
                FROM cases_case c
                JOIN cases_stage cur ON cur.id = c.stage_id
                JOIN cases_stage nxt ON nxt.stage_set_id = cur.stage_set_id
                    AND nxt."order" BETWEEN 2 AND cur."order"
                JOIN cases_stage prev ON prev.stage_set_id = cur.stage_set_id
                    AND prev."order" = nxt."order" - 1""",
            ),
            (
                "case events",
                """INSERT INTO cases_caseevent (case_id, kind, at, actor_id, data)
                SELECT id, 'case_opened', created_at - interval '400 days', opened_by_id, '{}'
                FROM cases_case""",
            ),
            (
                "tasks (10% of open cases, half overdue)",
                """INSERT INTO cases_task (public_id, created_at, updated_at, version, case_id,
                    unit_id, province_code, assignee_id, kind, title, due_on, status,
                    source_key, created_by_id)
                SELECT gen_random_uuid(), now(), now(), 1, id, unit_id, province_code,
                    social_worker_id, 'manual', 'Kunjungan rumah',
                    current_date + ((id % 20) - 10)::int, 'open', '', NULL
                FROM cases_case WHERE status = 'open' AND id % 10 = 0""",
            ),
            (
                "aftercare visits",
                """INSERT INTO cases_aftercarevisit (public_id, created_at, updated_at, version,
                    case_id, months_after, due_on, visited_on, outcome, note, visitor_id)
                SELECT gen_random_uuid(), now(), now(), 1, c.id, m, c.closed_on + m * 30,
                    c.closed_on + m * 30,
                    (ARRAY['with_family','in_school','working','independent','relapsed',
                           'rereferred','lost','died'])[1 + (c.id + m) % 8], '',
                    c.social_worker_id
                FROM cases_case c CROSS JOIN (VALUES (1), (3)) AS months(m)
                WHERE c.status = 'closed' AND c.closure_reason = 'completed'""",
            ),
        ]
        for label, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql)
            print(f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    return {"centre": centres[0]}


def _bisect(cum: list[float], x: float) -> int:
    import bisect

    return bisect.bisect_left(cum, x)


# -- measuring ----------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def capture(func):
    """Run ``func``; return (result, [(sql, params)] of the SELECTs it sent)."""
    from django.db import connection

    seen = []

    def record(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = func()
    return result, seen


def replay(cursor, statements) -> float:
    started = time.perf_counter()
    for sql, params in statements:
        cursor.execute(sql, params or ())
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def timed(func, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return times


def row(label: str, times: list[float], target: float | None = None) -> None:
    verdict = ""
    if target is not None:
        met = "met" if pct(times, 95) <= target else "MISSED"
        verdict = f"  target p95 ≤ {target:,.0f} ms: {met}"
    print(f"  {label:<52} p50 {pct(times, 50):8.2f} ms  p95 {pct(times, 95):8.2f} ms{verdict}")


def ratio(label: str, page: list[float], bare: list[float]) -> None:
    print(
        f"  ratio {label}: p50 {pct(page, 50) / pct(bare, 50):.1f}x, "
        f"p95 {pct(page, 95) / pct(bare, 95):.1f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=10_000_000)
    parser.add_argument("--centres", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200, help="requests per page measured")
    parser.add_argument("--indicator-runs", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database, and reuse it next time when loaded with the same sizes",
    )
    parser.add_argument("--explain", action="store_true", help="print the board's query plans")
    args = parser.parse_args()

    prepare_environment(args.reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from rehsos.cases import selectors
    from rehsos.cases.models import Case
    from rehsos.core.models import ApiToken, User
    from rehsos.core.roles import Role, ScopeLevel
    from rehsos.facilities.models import Facility

    print(
        f"rehsos cases bench: {args.cases:,} cases, {args.services:,} service records, "
        f"{args.centres} centres on PostgreSQL, seed {SEED}"
    )
    tag = f"seed={SEED} cases={args.cases} services={args.services} centres={args.centres}"
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        print(f"  migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        if args.reuse and loaded_tag() == tag:
            centre = Facility.objects.get(code="bench-0000")
            print(f"  reused the data of an earlier run ({tag})")
        else:
            if args.reuse and Case.objects.exists():
                sys.exit("  the kept database holds other data: run once without --reuse")
            centre = load(args)["centre"]
            mark_loaded(tag)
            print(f"  generated + loaded in {time.perf_counter() - started:.1f} s")
        load_peak = peak_mib()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, pg_total_relation_size(oid) / 1048576 FROM pg_class "
                "WHERE relname IN ('cases_case', 'cases_servicerecord', 'cases_transition', "
                "'registry_person') ORDER BY relname"
            )
            sizes = ", ".join(f"{name} {mib:,} MiB" for name, mib in cursor.fetchall())
        print(f"  sizes with indexes: {sizes}")

        head = User.objects.filter(username="bench.head").first() or User.objects.create_user(
            "bench.head", role=Role.FACILITY_HEAD, scope_level=ScopeLevel.FACILITY, facility=centre
        )
        analyst = User.objects.filter(username="bench.analyst").first() or (
            User.objects.create_user("bench.analyst", role=Role.NATIONAL_ANALYST)
        )
        _token, raw = ApiToken.issue(analyst, "bench")
        centre_cases = Case.objects.filter(unit=centre)
        open_cases = centre_cases.filter(status="open")
        print(
            f"  centre measured: {centre.name}, {centre_cases.count():,} cases, "
            f"{open_cases.count():,} open, {open_cases.sensitive().count():,} open sensitive"
        )
        rng = random.Random(SEED + 1)
        sample = list(open_cases.values_list("public_id", flat=True).order_by("id")[:20_000])
        picked = [rng.choice(sample) for _ in range(args.runs)]

        client = Client()
        client.force_login(head)
        board_url = reverse("cases:board")
        response = client.get(board_url)
        assert response.status_code == 200, response.status_code
        assert b"data-board" in response.content

        # The statements of one board page, one case page, one indicator call.
        _r, board_page_sql = capture(lambda: client.get(board_url))
        _r, board_sql = capture(lambda: selectors.board(head, centre))
        case_url = reverse("cases:detail", args=[picked[0]])
        response = client.get(case_url)
        assert response.status_code == 200, response.status_code
        _r, case_page_sql = capture(lambda: client.get(case_url))
        _r, indicator_sql = capture(lambda: selectors.indicators(analyst))
        if args.explain:
            raw_cur = connection.cursor()
            for sql, params in board_sql[:3] + indicator_sql:
                raw_cur.execute("EXPLAIN " + sql, params)
                print("\n".join(r[0] for r in raw_cur.fetchall()), end="\n\n")

        board_times = timed(lambda: client.get(board_url), args.runs)
        selector_board = timed(lambda: selectors.board(head, centre), args.runs)
        urls = iter([reverse("cases:detail", args=[p]) for p in picked])
        case_times = timed(lambda: client.get(next(urls)), args.runs)

        api = Client(headers={"authorization": f"Bearer {raw}"})
        indicator_url = "/api/v1/case-indicators"
        assert api.get(indicator_url).status_code == 200
        indicator_api = timed(lambda: api.get(indicator_url), args.indicator_runs)
        indicator_selector = timed(lambda: selectors.indicators(analyst), args.indicator_runs)

        connection.ensure_connection()
        import psycopg

        cursor = psycopg.ClientCursor(connection.connection)
        bare_board = [replay(cursor, board_sql) for _ in range(args.runs)]
        bare_board_page = [replay(cursor, board_page_sql) for _ in range(args.runs)]
        # The case page's statements for each sampled case: the same statements with
        # the first case's ids, replayed (the plans do not depend on which case).
        bare_case_page = [replay(cursor, case_page_sql) for _ in range(args.runs)]
        bare_indicators = [replay(cursor, indicator_sql) for _ in range(args.indicator_runs)]

        print()
        print(
            f"== caseload pages: {args.cases:,} cases, {args.services:,} services, "
            f"{args.runs} requests each =="
        )
        row("board page GET /cases/board/ (head, in-process)", board_times, 200)
        row("  selector board() alone (no HTTP)", selector_board)
        row(f"  bare SQL: the board's {len(board_sql)} statements", bare_board)
        row(f"  bare SQL: all {len(board_page_sql)} statements of the page", bare_board_page)
        ratio("board page / bare SQL of the board", board_times, bare_board)
        ratio("board page / bare SQL of the whole page", board_times, bare_board_page)
        row("case page GET /cases/<id>/ (sections + timeline)", case_times, 150)
        row(f"  bare SQL: all {len(case_page_sql)} statements of the page", bare_case_page)
        ratio("case page / bare SQL of the page", case_times, bare_case_page)
        row("national indicators GET /case-indicators (analyst)", indicator_api, 1000)
        row("  selector indicators() alone", indicator_selector)
        row(f"  bare SQL: its {len(indicator_sql)} statements", bare_indicators)
        ratio("indicators API / bare SQL", indicator_api, bare_indicators)
        # The worker's overdue-work alerts over the whole registry of cases: the first
        # run meets a backlog (no case here has an assessment yet), the second finds
        # nothing new — what every later 15-minute run costs.
        from rehsos.cases.services.tasks import generate_alerts

        for label in ("first run (backlog)", "second run (steady state)"):
            started = time.perf_counter()
            made = generate_alerts()
            took = time.perf_counter() - started
            created = sum(part["created"] for part in made.values())
            closed = sum(part["closed"] for part in made.values())
            print(
                f"  alerts, {label}: {took:.1f} s, {created:,} tasks created, {closed:,} closed "
                f"(set-based: one INSERT … SELECT and one UPDATE per rule)"
            )
        print(f"  peak RSS: {load_peak:.0f} MiB after loading, {peak_mib():.0f} MiB at the end")
        print(f"  load average (1 min): {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep or args.reuse:
            print(f"  kept: {os.environ['DATABASE_URL']}")
        else:
            drop_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
