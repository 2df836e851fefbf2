"""Assessments: answers to a published instrument version, checked against its
definition, scored on save (an incomplete one is saved unscored, naming the missing
items), edited with a row version, shown as a trend across repeated assessments."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.instruments import scoring
from rehsos.cases.instruments.schema import Definition, DefinitionError, validate_definition
from rehsos.cases.models import Assessment, Case, CaseStatus, Instrument, InstrumentVersion
from rehsos.cases.services import events
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.permissions import require

NOTE_LIMIT = 5000

_definitions: dict[tuple, Definition] = {}


def definition_of(version: InstrumentVersion) -> Definition:
    """The validated definition of a version. A published version never changes, so its
    definition is kept in memory (keyed by its row and publication time); a draft is
    validated each time."""
    key = (version.pk, version.published_at)
    cache = version.status != InstrumentVersion.Status.DRAFT and version.published_at
    if cache and key in _definitions:
        return _definitions[key]
    try:
        definition = validate_definition(version.definition)
    except DefinitionError as exc:
        raise ValidationFailed(
            _("The definition of this instrument version is not valid."),
            fields={"instrument": "; ".join(exc.as_lines()[:5])},
        ) from None
    if cache:
        _definitions[key] = definition
    return definition


def current_version(instrument: Instrument | str) -> InstrumentVersion | None:
    """The published version new assessments use (the highest published one)."""
    queryset = InstrumentVersion.objects.select_related("instrument").filter(
        status=InstrumentVersion.Status.PUBLISHED
    )
    if isinstance(instrument, str):
        queryset = queryset.filter(instrument__code=instrument)
    else:
        queryset = queryset.filter(instrument=instrument)
    return queryset.order_by("-version").first()


def instruments_for(case: Case) -> list[InstrumentVersion]:
    """The published versions a case may use: those for its cluster first, then the rest."""
    versions = list(
        InstrumentVersion.objects.select_related("instrument")
        .filter(status=InstrumentVersion.Status.PUBLISHED)
        .order_by("instrument__code", "-version")
    )
    latest: dict[int, InstrumentVersion] = {}
    for version in versions:
        latest.setdefault(version.instrument_id, version)
    return sorted(
        latest.values(),
        key=lambda v: (case.cluster not in (v.instrument.clusters or []), v.instrument.code),
    )


# --- checking input -------------------------------------------------------------------------


def _date(value, errors: dict) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            errors["assessed_on"] = _("Enter a date as YYYY-MM-DD.")
            return None
    if value > timezone.localdate():
        errors["assessed_on"] = _("The date of an assessment cannot be in the future.")
    elif value.year < 1900:
        errors["assessed_on"] = _("Enter a date after 1900.")
    return value


def _checked(definition: Definition, answers, assessed_on, note) -> tuple[dict, datetime.date, str]:
    errors: dict[str, str] = {}
    on = _date(assessed_on, errors)
    note = "" if note is None else str(note).strip()
    if len(note) > NOTE_LIMIT:
        errors["note"] = _("At most %(limit)s characters.") % {"limit": NOTE_LIMIT}
    cleaned, answer_errors = scoring.check_answers(definition, answers)
    for code, message in answer_errors.items():
        errors[f"answers.{code}" if code else "answers"] = message
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned, on, note


def _apply(assessment: Assessment, definition: Definition, answers: dict) -> None:
    result = scoring.evaluate(definition, answers)
    assessment.answers = answers
    assessment.is_complete = result.is_complete
    assessment.missing_items = result.missing_items
    assessment.score = result.score
    assessment.band = result.band
    assessment.subscores = result.subscores


def _event_data(assessment: Assessment) -> dict:
    version = assessment.instrument_version
    return {
        "assessment": str(assessment.public_id),
        "instrument": version.instrument.code,
        "instrument_version": version.version,
        "complete": assessment.is_complete,
        "score": None if assessment.score is None else float(assessment.score),
        "band": assessment.band,
    }


# --- writes ----------------------------------------------------------------------------------


@transaction.atomic
def record_assessment(
    user,
    *,
    case: Case,
    instrument_version: InstrumentVersion,
    assessed_on,
    answers: dict,
    note: str = "",
) -> Assessment:
    """Record an assessment of the case with this (published) instrument version."""
    require(user, "cases.edit")
    if case.status != CaseStatus.OPEN:
        raise ValidationFailed(
            fields={"case": _("The case is closed: reopen it to record an assessment.")}
        )
    if instrument_version.status != InstrumentVersion.Status.PUBLISHED:
        raise ValidationFailed(
            fields={
                "instrument": _(
                    "This instrument version is not published (it is %(status)s): "
                    "use the current one."
                )
                % {"status": instrument_version.get_status_display()}
            }
        )
    definition = definition_of(instrument_version)
    answers, on, note = _checked(definition, answers, assessed_on, note)
    assessment = Assessment(
        case=case,
        instrument_version=instrument_version,
        assessed_on=on,
        assessor=user,
        note=note,
    )
    _apply(assessment, definition, answers)
    assessment.save()
    events.record(case, "assessment_recorded", actor=user, **_event_data(assessment))
    return assessment


@transaction.atomic
def update_assessment(
    user,
    assessment: Assessment,
    *,
    version: int,
    answers: dict | None = None,
    assessed_on=None,
    note: str | None = None,
    replace: bool = True,
) -> Assessment:
    """Edit an assessment seen at row ``version``: a stale version is a Conflict.
    ``answers`` replace the old ones (``replace=False`` merges them: a PATCH of a few
    items). Scores are computed again."""
    require(user, "cases.edit")
    current = (
        Assessment.objects.select_for_update()
        .select_related("case", "instrument_version__instrument")
        .filter(pk=assessment.pk)
        .first()
    )
    if current is None:
        raise NotFound(_("No such assessment."))
    if version != current.version:
        raise Conflict(
            _("Someone else changed this assessment after you opened it."),
            extra={"your_version": version, "current_version": current.version},
        )
    if current.case.status != CaseStatus.OPEN:
        raise ValidationFailed(
            fields={"case": _("The case is closed: reopen it to change its assessments.")}
        )
    definition = definition_of(current.instrument_version)
    merged = dict(current.answers) if answers is not None and not replace else {}
    if answers is not None:
        if not isinstance(answers, dict):
            raise ValidationFailed(
                fields={"answers": _("The answers are an object mapping item codes to values.")}
            )
        merged.update(answers)
    else:
        merged = dict(current.answers)
    checked_answers, on, checked_note = _checked(
        definition,
        merged,
        current.assessed_on if assessed_on is None else assessed_on,
        current.note if note is None else note,
    )
    current.assessed_on = on
    current.note = checked_note
    _apply(current, definition, checked_answers)
    current.version += 1
    current.save()
    events.record(current.case, "assessment_updated", actor=user, **_event_data(current))
    return current


# --- reads -----------------------------------------------------------------------------------


def for_case(case: Case):
    return (
        Assessment.objects.filter(case=case)
        .select_related("instrument_version__instrument", "assessor")
        .order_by("assessed_on", "pk")
    )


@dataclass
class TrendPoint:
    assessment: Assessment
    score: Decimal | None
    band: str
    change: str  # "up", "down", "same" or "" (first, or not scored)


@dataclass
class Trend:
    instrument: Instrument
    points: list[TrendPoint]

    @property
    def latest(self) -> TrendPoint:
        return self.points[-1]

    @property
    def scored(self) -> list[TrendPoint]:
        return [p for p in self.points if p.score is not None]


def trends(case: Case) -> list[Trend]:
    """The case's assessments grouped by instrument (all its versions), oldest first,
    each with the direction of its score against the previous scored one."""
    grouped: dict[int, Trend] = {}
    for assessment in for_case(case):
        instrument = assessment.instrument_version.instrument
        trend = grouped.setdefault(instrument.pk, Trend(instrument=instrument, points=[]))
        previous = next((p.score for p in reversed(trend.points) if p.score is not None), None)
        change = ""
        if assessment.score is not None and previous is not None:
            change = (
                "up"
                if assessment.score > previous
                else "down"
                if assessment.score < previous
                else "same"
            )
        trend.points.append(TrendPoint(assessment, assessment.score, assessment.band, change))
    return sorted(grouped.values(), key=lambda t: t.latest.assessment.assessed_on, reverse=True)
