"""`rehsos load-regions`: bring the region table in line with the shipped files."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, IntegrityError
from django.utils.translation import gettext as _

from rehsos.regions.loader import RegionDataError, load_regions


class Command(BaseCommand):
    help = (
        "Load the Kemendagri regions shipped in rehsos/regions/data into the database: "
        "insert missing ones, update changed names, delete ones no longer in the files, "
        "and print the counts. `migrate` loads them too; run this after updating the files."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help="do nothing when the table already holds as many regions per level as the files",
        )

    def handle(self, *args, if_needed=False, **options):
        started = time.perf_counter()
        show_progress = options["verbosity"] > 0 and sys.stderr.isatty()

        def progress(done: int, total: int, message: str) -> None:
            if show_progress:
                sys.stderr.write(f"\r{message}: {done:,}/{total:,}")
                if done == total:
                    sys.stderr.write("\n")

        try:
            counts = load_regions(progress=progress, force=not if_needed)
        except RegionDataError as error:
            raise CommandError(
                _("The region files are not valid: %(error)s") % {"error": error}
            ) from None
        except IntegrityError as error:
            raise CommandError(
                _(
                    "A region that is no longer in the files is still used by other records; "
                    "nothing was changed (%(error)s)."
                )
                % {"error": error}
            ) from None
        except DatabaseError as error:
            raise CommandError(
                _("The regions could not be loaded: %(error)s") % {"error": error}
            ) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            _(
                "Regions: %(provinces)s provinces, %(regencies)s regencies/cities, "
                "%(districts)s districts, %(villages)s villages (%(total)s in all); "
                "%(inserted)s inserted, %(updated)s updated, %(deleted)s deleted "
                "in %(seconds).1f s."
            )
            % {**{k: f"{v:,}" for k, v in counts.items()}, "seconds": elapsed}
        )
