"""`rehsos import-persons FILE [--dry-run] [--user U] [--source-system S]`.

Checks every row of a CSV or XLSX file, then imports the valid ones, showing one
progress line. Re-running the command on the same file resumes an interrupted
import, and never creates a person twice.

Exit status: 0 when every row was imported (or, with --dry-run, is valid); 1 when
the file was refused (one line per problem on stderr; nothing was imported) or
the run stopped; 3 when it finished but some rows were rejected (see the report).
"""

import shutil
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from rehsos.core.models import User
from rehsos.registry.importers import runner
from rehsos.registry.importers.columns import FileRefused

EXIT_REFUSED = 1
EXIT_REJECTS = 3
BAR_WIDTH = 20


class LineProgress:
    """The runner's progress as one line redrawn in place (a new line per update when
    the stream is not a terminal, at most every few seconds)."""

    def __init__(self, stream, *, enabled: bool = True):
        self.stream = stream
        self.enabled = enabled
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.every = 0.2 if self.tty else 5.0
        self.done = 0
        self._total = None
        self.message = ""
        self._shown = 0.0
        self._width = 0

    @property
    def total(self):
        return self._total

    @total.setter
    def total(self, value) -> None:
        self._total = value

    def advance(self, count: int = 1, message: str | None = None) -> None:
        self.done += count
        if message is not None:
            self.message = str(message)
        if time.monotonic() - self._shown >= self.every:
            self.show()

    def note(self, message: str) -> None:
        self.message = str(message)
        self.show()

    def line(self) -> str:
        if self._total:
            share = min(100, self.done * 100 // self._total)
            filled = BAR_WIDTH * share // 100
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            return f"[{bar}] {share:3d}% {self.done:,}/{self._total:,} {self.message}"
        return f"{self.done:,} {self.message}"

    def show(self) -> None:
        if not self.enabled:
            return
        text = self.line()
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._width = len(text)
        self._shown = time.monotonic()

    def end(self) -> None:
        """Show the final state and leave the line."""
        if not self.enabled:
            return
        self.show()
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import persons from a CSV or XLSX file (the template's headers, English or "
        "Indonesian). Every row is checked first; the valid rows are then imported in "
        "batches. Rows already in the registry (same source_id, NIK, or KK and name) are "
        "updated or left alone, never added twice. Run it again to resume an interrupted "
        "import. Exit status 1: the file was refused; 3: some rows were rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the rows and count, import nothing"
        )
        parser.add_argument(
            "--user",
            help="username of the person importing: recorded as registrar; their centre's "
            "village fills blank village codes, and the report is in their language",
        )
        parser.add_argument(
            "--source-system",
            default="",
            help="name of the system the file comes from (its ids are the source_id column)",
        )
        parser.add_argument("--rejects", help="also write the rejects report (XLSX) here")
        parser.add_argument(
            "--workers", type=int, default=None, help="processes that check rows (default: 2)"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="rows per transaction (default: 20,000 on SQLite, 5,000 on PostgreSQL)",
        )
        parser.add_argument(
            "--new",
            action="store_true",
            help="start afresh instead of resuming an unfinished import of the same file",
        )

    def handle(self, *args, **options):
        user = self._user(options["user"])
        language = (user.language if user else "") or settings.LANGUAGE_CODE
        with translation.override(language):
            return self._import(user, options)

    def _user(self, username: str | None):
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("There is no active user %(name)s.") % {"name": username})
        return user

    def _refused(self, problems: list[str]) -> CommandError:
        for problem in problems:
            self.stderr.write(problem)
        return CommandError(
            _("The file was refused; nothing was imported."), returncode=EXIT_REFUSED
        )

    def _import(self, user, options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise self._refused([_("There is no file at %(path)s.") % {"path": path}])
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        try:
            info, header = runner.check_file(path, path.name, user=user)
        except FileRefused as refused:
            raise self._refused(refused.problems) from None
        batch = None
        if not options["new"]:
            batch = runner.resumable(
                sha256=info.sha256,
                user=user,
                source_system=" ".join(options["source_system"].split()),
                dry_run=options["dry_run"],
            )
        if batch is not None:
            self.stdout.write(
                _("Resuming the unfinished import %(id)s after row %(row)s.")
                % {"id": batch.public_id, "row": batch.checkpoint}
            )
        else:
            try:
                batch = runner.accept(
                    path=path,
                    name=path.name,
                    user=user,
                    dry_run=options["dry_run"],
                    source_system=options["source_system"],
                    language=translation.get_language(),
                    checked=(info, header),
                )
            except FileRefused as refused:
                raise self._refused(refused.problems) from None
        progress = LineProgress(sys.stderr, enabled=options["verbosity"] > 0)
        started = time.perf_counter()
        try:
            batch = runner.run(
                batch, progress, workers=options["workers"], batch_rows=options["batch_size"]
            )
        except FileRefused as refused:
            progress.end()
            raise self._refused(refused.problems) from None
        except KeyboardInterrupt:
            progress.end()
            raise CommandError(
                _("Stopped. Run the same command again to resume."), returncode=EXIT_REFUSED
            ) from None
        progress.end()
        self._summary(batch, time.perf_counter() - started, options)

    def _summary(self, batch, seconds: float, options) -> None:
        counts = {
            "rows": f"{batch.rows_total or 0:,}",
            "created": f"{batch.created:,}",
            "updated": f"{batch.updated:,}",
            "unchanged": f"{batch.unchanged:,}",
            "rejected": f"{batch.rows_rejected:,}",
            "warnings": f"{batch.warnings:,}",
        }
        if batch.dry_run:
            line = _(
                "Dry run, nothing imported. Rows %(rows)s: would be created %(created)s, "
                "updated %(updated)s, unchanged %(unchanged)s, rejected %(rejected)s, "
                "warnings %(warnings)s."
            )
        else:
            line = _(
                "Rows %(rows)s: created %(created)s, updated %(updated)s, unchanged "
                "%(unchanged)s, rejected %(rejected)s, warnings %(warnings)s."
            )
        self.stdout.write(line % counts)
        rate = (batch.rows_total or 0) / seconds if seconds else 0
        self.stdout.write(
            _("Import %(id)s took %(seconds).1f s (%(rate)s rows/s).")
            % {"id": batch.public_id, "seconds": seconds, "rate": f"{rate:,.0f}"}
        )
        report_path = ""
        if batch.rejects_file:
            report_path = batch.rejects_file.path
            if options["rejects"]:
                shutil.copyfile(report_path, options["rejects"])
                report_path = options["rejects"]
            self.stdout.write(_("Rejects report: %(path)s") % {"path": report_path})
        if batch.rows_rejected:
            raise CommandError(
                _("%(count)s rows were rejected; the report lists each with its reason.")
                % {"count": f"{batch.rows_rejected:,}"},
                returncode=EXIT_REJECTS,
            )
