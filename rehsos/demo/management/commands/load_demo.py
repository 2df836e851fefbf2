from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rehsos.demo.loading import DEFAULT_PERSONS, DemoDataError, load_demo


class Command(BaseCommand):
    help = (
        "Load the synthetic demo data: the programme's centres, a user for every role and "
        "a few hundred persons. Safe to run again: it adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--persons",
            type=int,
            default=DEFAULT_PERSONS,
            help=f"number of synthetic persons (default {DEFAULT_PERSONS})",
        )
        parser.add_argument(
            "--without-cases",
            action="store_true",
            help="leave out the case-management demo (cases, plans, services, stays)",
        )

        parser.add_argument(
            "--without-standards",
            action="store_true",
            help="leave out the standards demo (model centres' assessments, plans, renovation, "
            "staff, internships)",
        )

    def handle(self, *args, persons: int, without_cases: bool, without_standards: bool, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "load-demo refuses to run in production: it creates users with a public password."
            )
        if persons < 0:
            raise CommandError("--persons must be zero or more.")
        try:
            report = load_demo(
                persons=persons, cases=not without_cases, standards=not without_standards
            )
        except DemoDataError as error:
            raise CommandError(str(error)) from None
        if not report.added_anything:
            self.stdout.write("Demo data: nothing to add (already loaded).")
            return
        standards = (
            ""
            if without_standards
            else f"; {report.standards} standards assessments of the model centres"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data added: {report.centres} centres, {report.users} users, "
                f"{report.persons} persons (with households, consents and "
                f"{report.duplicates} planted duplicates for the review queue) and "
                f"{report.cases} cases{standards}."
            )
        )
