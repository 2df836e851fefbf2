"""`rehsos export-log audit|access --format csv|xlsx [--wait]`: export a log.

The export runs as a background job, like one started from the pages: the
worker (`rehsos worker`) writes the file. ``--wait`` follows the job with one
progress line and prints the file's path; without it the command says the job
is queued and how to follow it. Filters are the pages' filters, as options.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rehsos.core.errors import DomainError
from rehsos.core.exports import FORMATS, LOGS, start_export
from rehsos.core.management.commands.job import follow, report
from rehsos.core.models import User

# Each filter of either log, by its option on the command line.
FILTER_OPTIONS = {
    "model": ("--model", "audit: record type, e.g. registry.person"),
    "action": ("--action", "audit: create, update or delete"),
    "actor": ("--actor", "audit: the username who made the change"),
    "object_id": ("--object-id", "audit: the record's id"),
    "user": ("--user", "access: the username who read the record"),
    "record_type": ("--record-type", "access: e.g. registry.person"),
    "record_id": ("--record-id", "access: the record's public id"),
    "channel": ("--channel", "access: page, api or cli"),
    "date_from": ("--from", "first day, YYYY-MM-DD"),
    "date_to": ("--to", "last day, YYYY-MM-DD"),
}


class Command(BaseCommand):
    help = "Export the audit trail or the access log as CSV or XLSX through a background job."

    def add_arguments(self, parser):
        parser.add_argument("log", choices=sorted(LOGS), help="which log")
        parser.add_argument("--format", choices=FORMATS, default="csv", dest="fmt")
        parser.add_argument("--wait", action="store_true", help="follow the job until it ends")
        parser.add_argument(
            "--timeout", type=float, default=None, help="give up waiting after this many seconds"
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="export as this user: their permissions apply and the job is theirs",
        )
        for name, (option, text) in FILTER_OPTIONS.items():
            parser.add_argument(option, dest=name, help=text)

    def handle(self, *args, log, fmt, wait, timeout, as_user, **options):
        spec = LOGS[log]
        given = {name: options[name] for name in FILTER_OPTIONS if options.get(name)}
        form = spec.form(given)
        misplaced = [FILTER_OPTIONS[name][0] for name in given if name not in form.fields]
        if misplaced:
            raise CommandError(
                ngettext(
                    "%(options)s does not apply to the %(log)s log.",
                    "%(options)s do not apply to the %(log)s log.",
                    len(misplaced),
                )
                % {"options": ", ".join(misplaced), "log": log}
            )
        if not form.is_valid():
            raise CommandError(
                "\n".join(
                    f"{FILTER_OPTIONS.get(name, (name,))[0]}: {message}"
                    for name, message in form.field_errors().items()
                )
            )
        owner = None
        if as_user:
            owner = User.objects.filter(username=as_user).first()
            if owner is None:
                raise CommandError(_("There is no user named %(name)s.") % {"name": as_user})
        try:
            job = start_export(user=owner, log=log, fmt=fmt, filters=form.filters)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if not wait:
            self.stdout.write(
                _("Job %(id)s is queued: %(title)s.") % {"id": job.public_id, "title": job.title}
            )
            self.stdout.write(
                _(
                    "A worker writes the file (rehsos worker). "
                    "Follow it with: rehsos job %(id)s --wait"
                )
                % {"id": job.public_id}
            )
            return
        self.stdout.write(_("Job %(id)s: %(title)s") % {"id": job.public_id, "title": job.title})
        job = follow(job, self.stdout, timeout=timeout)
        report(job, self.stdout)
