"""`rehsos compile-translations`: every .po under rehsos/locale to its .mo, with polib.

Pure Python, so a newcomer's machine needs no GNU gettext; the .mo files are
build output (git-ignored) and a .mo newer than its .po is left alone.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po) into the files Django reads (.mo)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="compile even when the .mo is up to date"
        )

    def handle(self, *args, force=False, **options):
        compiled = current = 0
        for locale_dir in map(Path, settings.LOCALE_PATHS):
            for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if (
                    not force
                    and mo_path.exists()
                    and mo_path.stat().st_mtime >= po_path.stat().st_mtime
                ):
                    current += 1
                    continue
                try:
                    catalogue = polib.pofile(str(po_path))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{po_path}: cannot be read: {exc}") from exc
                catalogue.save_as_mofile(str(mo_path))
                compiled += 1
                if options["verbosity"] > 1:
                    self.stdout.write(f"{po_path} -> {mo_path.name}")
        if options["verbosity"] > 0:
            self.stdout.write(f"translations: {compiled} compiled, {current} up to date")
