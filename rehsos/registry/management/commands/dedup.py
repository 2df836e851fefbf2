"""`rehsos dedup [--pairs-out FILE.csv] [--threshold P] [--backend duckdb|spark]`.

Looks for duplicate persons in the whole registry (the same run as the background
job), showing one progress line, and saves the pairs for the review queue. With
``--pairs-out`` it also writes each scored pair to a CSV for review in Excel:
both records' public ids and source ids, the match probability and weight, the
cluster, the decision taken so far and the reasons in words. No names or NIKs
are written to the file.
"""

import csv
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from rehsos.registry.dedup import explain, run
from rehsos.registry.dedup.tasks import phase_message
from rehsos.registry.models import MatchPair

CSV_COLUMNS = (
    "left_public_id",
    "left_source_system",
    "left_source_id",
    "right_public_id",
    "right_source_system",
    "right_source_id",
    "match_probability",
    "match_weight",
    "cluster",
    "decision",
    "reasons",
)


class PhaseLine:
    """(phase, done, total) reports as one line redrawn in place on a terminal, or a
    line every few seconds (and at each new phase) otherwise. ``stream`` is the
    command's OutputWrapper."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.every = 0.2 if self.tty else 5.0
        self.phase = ""
        self.shown = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == self.phase and now - self.shown < self.every and done < total:
            return
        self.phase, self.shown = phase, now
        percent = f"{min(100, done * 100 // total):3d}% " if total else ""
        text = f"{phase_message(phase)}: {percent}{done:,}/{total:,}"
        if self.tty:
            self.stream.write("\r" + text.ljust(60), ending="")
        else:
            self.stream.write(text, ending="\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("", ending="\n")


def write_pairs(path: Path, result: run.RunResult) -> int:
    """The run's pairs with what the registry now says about them (decisions kept)."""
    rows = (
        MatchPair.objects.filter(found_at=result.found_at)
        .select_related("left", "right")
        .order_by("-probability", "id")
    )
    written = 0
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        out = csv.writer(handle)
        out.writerow(CSV_COLUMNS)
        for row in rows.iterator(chunk_size=2000):
            out.writerow(
                [
                    row.left.public_id,
                    row.left.source_system,
                    row.left.source_id,
                    row.right.public_id,
                    row.right.source_system,
                    row.right.source_id,
                    f"{row.probability:.6f}",
                    f"{row.weight:.3f}",
                    row.cluster,
                    row.decision,
                    explain.summary(row.explanation),
                ]
            )
            written += 1
    return written


def write_pairs_header(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerow(CSV_COLUMNS)


class Command(BaseCommand):
    help = "Look for duplicate persons and queue the likely pairs for review."

    def add_arguments(self, parser):
        parser.add_argument("--pairs-out", type=Path, help="Write the scored pairs to this CSV.")
        parser.add_argument(
            "--threshold",
            type=float,
            help="Match probability from which a pair is kept (default %(default)s from "
            "REHSOS_DEDUP_THRESHOLD).",
            default=settings.REHSOS_DEDUP_THRESHOLD,
        )
        parser.add_argument(
            "--backend",
            choices=["duckdb", "spark"],
            default=settings.REHSOS_DEDUP_BACKEND,
            help="Where the model runs (default %(default)s from REHSOS_DEDUP_BACKEND).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress line.")

    def handle(self, *args, pairs_out, threshold, backend, quiet, **options):
        if not 0 < threshold <= 1:
            raise CommandError(_("The threshold is a probability above 0 and at most 1."))
        if pairs_out and not pairs_out.parent.exists():
            raise CommandError(
                _("The folder %(folder)s does not exist.") % {"folder": pairs_out.parent}
            )
        with translation.override(settings.LANGUAGE_CODE):
            self._run(pairs_out, threshold, backend, quiet)

    def _run(self, pairs_out, threshold, backend, quiet) -> None:
        line = PhaseLine(self.stderr)
        result, _pairs = run.run(
            threshold=threshold,
            backend=backend,
            progress=None if quiet else line,
        )
        if not quiet:
            line.end()
        summary = _(
            "%(persons)s persons compared; %(pairs)s pairs at or above %(threshold)s "
            "(%(created)s new, %(updated)s seen before, %(removed)s no longer found), "
            "%(clusters)s clusters."
        ) % {
            "persons": f"{result.persons:,}",
            "pairs": f"{result.pairs:,}",
            "threshold": threshold,
            "created": f"{result.created:,}",
            "updated": f"{result.updated:,}",
            "removed": f"{result.removed:,}",
            "clusters": f"{result.clusters:,}",
        }
        self.stdout.write(summary)
        timings = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in result.timings.items())
        self.stdout.write(_("Time: %(timings)s.") % {"timings": timings})
        if pairs_out:
            written = write_pairs(pairs_out, result) if result.found_at else 0
            if not result.found_at:
                write_pairs_header(pairs_out)
            self.stdout.write(
                _("%(count)s pairs written to %(path)s.") % {"count": written, "path": pairs_out}
            )
