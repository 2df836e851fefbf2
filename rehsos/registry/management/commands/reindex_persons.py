"""`rehsos reindex-persons`: rebuild the person search index from the persons table."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from rehsos.registry.search import reindex_all


class Command(BaseCommand):
    help = (
        "Rebuild the person search index (name words, their misspellings, and the postings "
        "with birth year, region and centre) from the persons table. Needed after a restore "
        "or a bulk change made outside the registry's services; searches wait meanwhile."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        show = options["verbosity"] > 0
        stream = sys.stderr

        def progress(done: int, total: int) -> None:
            if not show:
                return
            share = done * 100 // total if total else 100
            line = _("Indexing persons: %(done)s / %(total)s (%(share)s%%)") % {
                "done": f"{done:,}",
                "total": f"{total:,}",
                "share": share,
            }
            end = "\n" if done >= total or not stream.isatty() else ""
            stream.write(("\r" if stream.isatty() else "") + line + end)
            stream.flush()

        try:
            count = reindex_all(progress=progress)
        except DatabaseError as error:
            raise CommandError(
                _("The search index could not be rebuilt: %(error)s") % {"error": error}
            ) from None
        self.stdout.write(
            _("Search index rebuilt: %(count)s persons in %(seconds).1f s.")
            % {"count": f"{count:,}", "seconds": time.perf_counter() - started}
        )
