"""Run the test suite on PostgreSQL, in a database made fresh for this run.

    python -m rehsos.devtools.pgtest [pytest args]

The server comes from ``REHSOS_TEST_PG`` (default
``postgres://postgres@127.0.0.1:5432/rehsos``), or from ``DATABASE_URL`` when that
points at PostgreSQL and ``REHSOS_TEST_PG`` is unset; only its host, port and
credentials are used. Each run creates ``rehsos_ci_<pid>_<time>``; pytest-django
creates ``test_<name>`` (``test_<name>_gw0`` … under pytest-xdist) with
``--create-db``; all of them are dropped afterwards, whatever the outcome.

An unreachable server fails the run under ``CI=true`` and is skipped with one
line otherwise, so ``make test`` works on a machine without PostgreSQL.
"""

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rehsos"
CONNECT_TIMEOUT = 3
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def server_url() -> str:
    chosen = os.environ.get("REHSOS_TEST_PG", "").strip()
    if chosen:
        return chosen
    database_url = os.environ.get("DATABASE_URL", "").strip()
    if urlsplit(database_url).scheme in POSTGRES_SCHEMES:
        return database_url
    return DEFAULT_URL


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def describe(url: str) -> str:
    """host:port and user, never the password."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return f"{user}{parts.hostname or 'localhost'}:{parts.port or 5432}"


def is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def connect_admin(url: str) -> psycopg.Connection:
    # The maintenance database: CREATE / DROP DATABASE cannot run inside the target.
    return psycopg.connect(
        with_database(url, "postgres"), connect_timeout=CONNECT_TIMEOUT, autocommit=True
    )


def drop_databases(url: str, name: str) -> None:
    with connect_admin(url) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s",
            [name, f"test\\_{name}%"],
        ).fetchall()
        for (datname,) in rows:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(datname))
            )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    url = server_url()
    where = describe(url)
    try:
        admin = connect_admin(url)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if is_ci():
            print(
                f"PostgreSQL not reachable at {where} ({reason}): CI=true requires the "
                "PostgreSQL run; start the server or set REHSOS_TEST_PG",
                file=sys.stderr,
            )
            return 1
        print(
            f"PostgreSQL not reachable at {where}: skipping the PostgreSQL run "
            "(set REHSOS_TEST_PG=postgres://USER:PASSWORD@HOST:PORT/NAME to use another server)"
        )
        return 0

    name = f"rehsos_ci_{os.getpid()}_{int(time.time())}"
    with admin:
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            print(
                f"PostgreSQL at {where} refused to create database {name}: {exc}".strip(),
                file=sys.stderr,
            )
            return 1
    print(f"PostgreSQL run on {where}, database {name} (test database test_{name})")
    env = dict(os.environ, DATABASE_URL=with_database(url, name))
    try:
        command = [sys.executable, "-m", "pytest", "--create-db", *args]
        # S603: our own interpreter running pytest with the caller's own arguments.
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603
    finally:
        drop_databases(url, name)


if __name__ == "__main__":
    sys.exit(main())
