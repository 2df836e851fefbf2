"""`rehsos generate-alerts`: make the overdue alerts now (and, with --digests, send the
daily e-mail digests). The worker does the same every few minutes; this is for cron,
a first run after an import, or a check by hand."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from rehsos.cases.services import tasks as task_services


class Command(BaseCommand):
    help = "Create the overdue alerts whose condition holds and close those that are resolved."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--digests",
            action="store_true",
            help="Also send the daily e-mail digests (when e-mail is configured).",
        )

    def handle(self, *, digests: bool, **options) -> None:
        started = time.monotonic()
        result = task_services.generate_alerts()
        for kind, counts in result.items():
            self.stdout.write(
                _("%(kind)s: %(created)s created, %(closed)s closed")
                % {"kind": kind, "created": counts["created"], "closed": counts["closed"]}
            )
        if digests:
            sent = task_services.send_digests()
            self.stdout.write(_("%(count)s digests sent") % {"count": sent})
        self.stdout.write(_("Done in %(seconds).1f s") % {"seconds": time.monotonic() - started})
