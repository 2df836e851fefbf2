"""Aftercare (bimbingan lanjut): visits scheduled after termination, and their outcomes."""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import AftercareOutcome, AftercareVisit, Case
from rehsos.cases.services import events
from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.core.permissions import require, scoped


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


# --- visits: record, reschedule, lost to follow-up --------------------------------------


def _locked(visit: AftercareVisit, version: int | None) -> AftercareVisit:
    current = AftercareVisit.objects.select_for_update().select_related("case").get(pk=visit.pk)
    if version is not None and current.version != version:
        raise Conflict(
            _("Someone else changed this visit after you opened it."),
            extra={"current_version": current.version, "your_version": version},
        )
    return current


def _save(visit: AftercareVisit, fields: list[str]) -> None:
    visit.version += 1
    visit.save(update_fields=[*fields, "version", "updated_at"])


def record_visit(
    user,
    visit: AftercareVisit,
    *,
    visited_on: datetime.date | None,
    outcome: str,
    note: str = "",
    version: int | None = None,
) -> AftercareVisit:
    """Record (or correct) a visit: the day it took place and what was found."""
    require(user, "cases.edit")
    with transaction.atomic():
        visit = _locked(visit, version)
        errors = {}
        if visited_on is None:
            errors["visited_on"] = _("Give the day of the visit.")
        elif visited_on > timezone.localdate():
            errors["visited_on"] = _("The visit date cannot be in the future.")
        elif visited_on < visit.case.opened_on:
            errors["visited_on"] = _("The visit date cannot be before the case was opened.")
        if outcome not in AftercareOutcome.values:
            errors["outcome"] = _("Choose the outcome of the visit.")
        if errors:
            raise ValidationFailed(fields=errors)
        visit.visited_on = visited_on
        visit.outcome = outcome
        visit.note = (note or "").strip()
        visit.visitor = user
        _save(visit, ["visited_on", "outcome", "note", "visitor"])
        events.record(
            visit.case,
            "aftercare_visited",
            actor=user,
            visit=str(visit.public_id),
            months_after=visit.months_after,
            outcome=outcome,
        )
    return visit


def reschedule(
    user, visit: AftercareVisit, *, due_on: datetime.date | None, version: int | None = None
) -> AftercareVisit:
    """Move a visit that has not taken place to another day."""
    require(user, "cases.edit")
    with transaction.atomic():
        visit = _locked(visit, version)
        errors = {}
        if visit.outcome:
            errors["due_on"] = _("This visit already has an outcome; it cannot be rescheduled.")
        elif due_on is None:
            errors["due_on"] = _("Give the new due date.")
        elif due_on < visit.case.opened_on:
            errors["due_on"] = _("The due date cannot be before the case was opened.")
        if errors:
            raise ValidationFailed(fields=errors)
        previous = visit.due_on
        visit.due_on = due_on
        _save(visit, ["due_on"])
        events.record(
            visit.case,
            "aftercare_rescheduled",
            actor=user,
            visit=str(visit.public_id),
            previous=previous.isoformat(),
            due_on=due_on.isoformat(),
        )
    return visit


def mark_lost(
    user, visit: AftercareVisit, *, note: str = "", version: int | None = None
) -> AftercareVisit:
    """The person could not be reached for this visit: outcome 'lost to follow-up',
    with no visit date."""
    require(user, "cases.edit")
    with transaction.atomic():
        visit = _locked(visit, version)
        if visit.outcome:
            raise ValidationFailed(fields={"outcome": _("This visit already has an outcome.")})
        visit.outcome = AftercareOutcome.LOST
        visit.note = (note or "").strip()
        visit.visitor = user
        _save(visit, ["outcome", "note", "visitor"])
        events.record(
            visit.case,
            "aftercare_lost",
            actor=user,
            visit=str(visit.public_id),
            months_after=visit.months_after,
        )
    return visit


# --- reads ------------------------------------------------------------------------------


def visits_due(user, *, within_days: int = 14, unit=None) -> QuerySet:
    """Visits without an outcome due by ``within_days`` from today, on cases the user
    may open (the whole scope, or one unit), soonest first."""
    from rehsos.cases.access import visible_cases

    cases = visible_cases(user)
    if unit is not None:
        cases = cases.filter(unit=unit)
    limit = timezone.localdate() + datetime.timedelta(days=within_days)
    return (
        AftercareVisit.objects.filter(outcome="", due_on__lte=limit, case__in=cases)
        .select_related("case", "case__person", "case__social_worker", "case__unit")
        .order_by("due_on", "pk")
    )


def outcome_summary(queryset: QuerySet | None = None, *, user=None) -> list[dict]:
    """Counts of visits with an outcome, by ``months_after`` and ``outcome``: rows of
    ``{"months_after", "outcome", "count"}``. Give the visits (e.g. of one province or
    cohort) or a user (their scope). The indicators suppress small cells themselves."""
    if queryset is None:
        queryset = AftercareVisit.objects.all()
    if user is not None:
        queryset = scoped(user, queryset)
    rows = (
        queryset.exclude(outcome="")
        .values("months_after", "outcome")
        .annotate(count=Count("pk"))
        .order_by("months_after", "outcome")
    )
    return list(rows)


def visit_for(user, public_id) -> AftercareVisit:
    """A visit in the user's scope (NotFound otherwise). The caller opens its case with
    ``access.get_case`` for the access log and the sensitive-case rule."""
    from rehsos.core.errors import NotFound

    visit = (
        scoped(user, AftercareVisit.objects.all())
        .select_related("case")
        .filter(public_id=public_id)
        .first()
    )
    if visit is None:
        raise NotFound(_("No such aftercare visit in your scope."))
    return visit
