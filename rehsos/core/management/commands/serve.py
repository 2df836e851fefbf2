"""`rehsos serve`: the task worker beside gunicorn, stopped together.

Both run as child processes in their own process groups, so a Ctrl-C in the
terminal reaches only this command, which then stops both groups: SIGTERM first,
SIGKILL for what is still running after a grace period. When one
child dies on its own (a port already in use, a database that is not there),
the other is stopped too and the command exits with an error.
"""

import os
import signal
import subprocess
import sys
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

GRACE_SECONDS = 10


def _signal_group(pgid: int, sig: int) -> bool:
    """Signal a whole process group; False when nothing of it is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def _stop_all(processes: list[subprocess.Popen]) -> None:
    """SIGTERM every group, wait for them to empty, SIGKILL what is left. Whole groups:
    a gunicorn master that died abruptly leaves its workers behind in its group."""
    for process in processes:
        _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        for process in processes:
            process.poll()  # reap our own child, or its zombie keeps the group alive
        if not any(_signal_group(process.pid, 0) for process in processes):
            break
        time.sleep(0.1)
    for process in processes:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


class Command(BaseCommand):
    help = "Serve rehsos with gunicorn and run the task worker beside it; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background task worker"
        )

    def handle(self, *args, host: str, port: int, workers: int, no_worker: bool, **options):
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        self._check_migrated()
        commands = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "rehsos.wsgi",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--access-logfile",
                "-",
                # The path only (%(U)s), never the query string: a search for a name or an
                # NIK must not end up in the server log.
                "--access-logformat",
                '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                "--no-control-socket",
                "--graceful-timeout",
                str(GRACE_SECONDS - 2),
            ]
        }
        if not no_worker:
            commands["worker"] = [sys.executable, "-m", "rehsos.manage", "worker"]

        stopping: list[int] = []

        def on_signal(signum, frame):
            stopping.append(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        processes: dict[str, subprocess.Popen] = {}
        try:
            for name, command in commands.items():
                # S603: the command is built from fixed parts, the interpreter and two ints.
                processes[name] = subprocess.Popen(command, start_new_session=True)  # noqa: S603
            self._banner(host, port, with_worker=not no_worker)
            failed = self._supervise(processes, stopping)
        finally:
            _stop_all(list(processes.values()))
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed:
            name, code = failed
            raise CommandError(f"the {name} stopped unexpectedly (exit code {code}); stopped all.")
        self.stdout.write("rehsos stopped.")

    def _check_migrated(self) -> None:
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            raise CommandError(f"cannot reach the database: {error}") from None
        if pending:
            raise CommandError(
                f"the database lacks {len(pending)} migration(s): run `rehsos migrate` first."
            )

    def _supervise(self, processes, stopping) -> tuple[str, int] | None:
        while not stopping:
            for name, process in processes.items():
                code = process.poll()
                if code is not None:
                    return ("web server" if name == "web" else "task worker", code)
            time.sleep(0.2)
        return None

    def _banner(self, host: str, port: int, *, with_worker: bool) -> None:
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - only displayed
        lines = [
            "",
            f"rehsos is serving http://{shown}:{port}/",
            "The task worker runs beside it." if with_worker else "No task worker (--no-worker).",
            "Press Ctrl-C to stop.",
            "",
        ]
        for config in apps.get_app_configs():
            banner = getattr(config, "serve_banner", None)
            if banner is None:
                continue
            try:
                lines.extend([*banner(), ""])
            except DatabaseError:
                lines.append(f"({config.verbose_name}: the database is not migrated yet.)")
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
