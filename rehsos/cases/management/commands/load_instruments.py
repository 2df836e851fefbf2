"""`rehsos load-instruments`: load or refresh the built-in assessment instruments.

An unchanged definition is left alone; a changed one becomes a new published
version (the one before is retired, its assessments stay readable)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from rehsos.cases.instruments.builtin import load_builtins
from rehsos.cases.instruments.schema import DefinitionError


class Command(BaseCommand):
    help = "Load or refresh the built-in assessment instruments (WG-SS, Barthel, ASSIST …)."

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                loaded = load_builtins()
        except DefinitionError as exc:
            raise CommandError("\n".join(exc.as_lines())) from exc
        self.stdout.write(
            _(
                "Instruments: %(created)s added, %(versioned)s new versions, "
                "%(unchanged)s unchanged."
            )
            % {
                "created": loaded.created,
                "versioned": loaded.versioned,
                "unchanged": loaded.unchanged,
            }
        )
