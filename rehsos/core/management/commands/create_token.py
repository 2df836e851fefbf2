"""`rehsos create-token USERNAME`: issue a personal API token and print only it."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rehsos.core.errors import ValidationFailed
from rehsos.core.models import User
from rehsos.core.services import accounts


class Command(BaseCommand):
    help = (
        "Create a personal API token for USERNAME and print it (only the token goes to "
        "stdout, so it can be piped). The value is not stored and cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="what the token is for")
        parser.add_argument(
            "--days",
            type=int,
            default=90,
            help=f"days until it expires ({accounts.TOKEN_MIN_DAYS}-{accounts.TOKEN_MAX_DAYS})",
        )

    def handle(self, *args, username, name, days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("There is no user named %(name)s.") % {"name": username})
        if not user.is_active:
            raise CommandError(
                _("The user %(name)s is deactivated; activate it first.") % {"name": username}
            )
        try:
            _token, raw = accounts.issue_token(user=user, name=name, days=days)
        except ValidationFailed as error:
            problems = "; ".join(f"--{field}: {msg}" for field, msg in error.fields.items())
            raise CommandError(problems) from None
        self.stdout.write(raw)
