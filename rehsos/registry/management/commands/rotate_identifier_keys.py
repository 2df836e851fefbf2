import sys

from django.core.management.base import BaseCommand

from rehsos.registry.keys import rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored NIK and KK number under the first (current) key of "
        "REHSOS_IDENTIFIER_KEYS. Run after adding a new key; then remove the old key."
    )

    def handle(self, *args, **options):
        def progress(done: int, total: int) -> None:
            sys.stderr.write(f"\r{done:,}/{total:,} records re-encrypted")
            sys.stderr.flush()

        changed = rotate(progress)
        sys.stderr.write("\n")
        self.stdout.write(f"{changed} records re-encrypted under the current key.")
