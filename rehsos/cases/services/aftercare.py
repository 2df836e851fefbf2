"""Aftercare (bimbingan lanjut): visits scheduled after termination, and their outcomes."""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction

from rehsos.cases.models import AftercareVisit, Case


def schedule_visits(case: Case, start: datetime.date, *, months=None) -> list[AftercareVisit]:
    """Create the visits due ``months`` after ``start`` (default: the configured
    intervals, 1, 3, 6 and 12 months). Visits already scheduled are kept."""
    months = sorted(set(months or settings.REHSOS_AFTERCARE_MONTHS))
    with transaction.atomic():
        existing = set(case.aftercare_visits.values_list("months_after", flat=True))
        visits = [
            AftercareVisit(case=case, months_after=m, due_on=start + relativedelta(months=m))
            for m in months
            if m not in existing
        ]
        AftercareVisit.objects.bulk_create(visits)
    return visits
