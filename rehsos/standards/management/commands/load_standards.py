"""`rehsos load-standards`: load the starter standards catalogue and, when the
equipment part is installed, the starter equipment lists. Idempotent: a second run
adds nothing and says so."""

import datetime
import importlib

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rehsos.standards import starter

EQUIPMENT_MODULE = "rehsos.standards.equipment_data"


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("Give the date as YYYY-MM-DD, not %(value)s.") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = (
        "Load the starter standards catalogue (one draft catalogue per model function: "
        "LU, ANAK, PD, KPN) and the starter equipment lists. Catalogues that exist already "
        "are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--adopt-from",
            metavar="YYYY-MM-DD",
            help=(
                "adopt the catalogues added now from this date (demo data); "
                "default: leave them as drafts"
            ),
        )

    def handle(self, *args, adopt_from=None, **options):
        try:
            loaded = starter.load(adopt_from=_date(adopt_from) if adopt_from else None)
        except starter.StarterError as exc:
            raise CommandError("\n".join(exc.problems)) from exc
        self.stdout.write(str(loaded))
        try:
            equipment = importlib.import_module(EQUIPMENT_MODULE)
        except ModuleNotFoundError as exc:
            if exc.name != EQUIPMENT_MODULE:
                raise
            return  # the equipment part is not installed: nothing more to load
        result = equipment.load()
        if result is not None:
            self.stdout.write(str(result))
