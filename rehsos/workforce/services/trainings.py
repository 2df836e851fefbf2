"""Trainings: events (kind, provider, partner, where, dates, hours, competencies
taught) and their participants with results and pre/post-test scores.

A training held at a centre is managed by whoever manages that centre's workforce; a
training held elsewhere (no centre) by national staff only. Participants are added
and their results recorded by a manager of the participant's centre, so a national
training can gather staff of many centres, each centre entering its own.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.permissions import require, scoped
from rehsos.core.roles import ScopeLevel
from rehsos.facilities.models import Facility
from rehsos.partners.models import Partner
from rehsos.workforce.models import StaffMember, Training, TrainingParticipant
from rehsos.workforce.ratios import active_staff
from rehsos.workforce.selectors import may_edit_training
from rehsos.workforce.services import check_version

MAX_HOURS = 2000
MAX_PARTICIPANTS_AT_ONCE = 200
SCORE_MAX = Decimal(100)
FIELDS = (
    "title",
    "kind",
    "provider",
    "partner",
    "facility",
    "starts_on",
    "ends_on",
    "hours",
    "competencies",
)


def _clean(user, data: dict) -> dict:
    errors: dict[str, str] = {}
    cleaned: dict = {}
    for name, limit, required in (
        ("title", 300, True),
        ("provider", 200, False),
        ("competencies", 300, False),
    ):
        value = (data.get(name) or "").strip()
        if required and not value:
            errors[name] = _("This field is required.")
        elif len(value) > limit:
            errors[name] = _("Enter at most %(n)d characters.") % {"n": limit}
        cleaned[name] = value
    if data.get("kind") not in Training.Kind.values:
        errors["kind"] = _("Choose the kind of training.")
    cleaned["kind"] = data.get("kind")
    partner = data.get("partner")
    if partner is not None and not isinstance(partner, Partner):
        errors["partner"] = _("No such partner.")
    cleaned["partner"] = partner
    facility = data.get("facility")
    if facility is None:
        if user.scope_level != ScopeLevel.NATION:
            errors["facility"] = _("Choose the centre in your scope where it is held.")
    elif not scoped(user, Facility.objects.filter(pk=facility.pk)).exists():
        errors["facility"] = _("Choose a centre in your scope.")
    cleaned["facility"] = facility
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = _("Enter the first day.")
    if not isinstance(ends_on, datetime.date):
        errors["ends_on"] = _("Enter the last day.")
    elif isinstance(starts_on, datetime.date) and ends_on < starts_on:
        errors["ends_on"] = _("The last day is before the first.")
    cleaned["starts_on"], cleaned["ends_on"] = starts_on, ends_on
    hours = data.get("hours")
    if hours is not None and not (1 <= hours <= MAX_HOURS):
        errors["hours"] = _("Enter 1 to %(n)d hours.") % {"n": MAX_HOURS}
    cleaned["hours"] = hours
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _require_edit(user, training: Training) -> None:
    require(user, "workforce.manage")
    if not may_edit_training(user, training):
        raise PermissionDenied(
            _("Only a manager of the centre where the training is held may change it.")
        )


def create_training(user, **data) -> Training:
    require(user, "workforce.manage")
    cleaned = _clean(user, data)
    return Training.objects.create(**cleaned)


def update_training(user, training: Training, *, version: int | None, **data) -> Training:
    _require_edit(user, training)
    with transaction.atomic():
        training = Training.objects.select_for_update().get(pk=training.pk)
        check_version(training, version, _("training"))
        merged = {name: getattr(training, name) for name in FIELDS}
        merged.update({k: v for k, v in data.items() if k in FIELDS})
        cleaned = _clean(user, merged)
        for name, value in cleaned.items():
            setattr(training, name, value)
        training.version += 1
        training.save()
    return training


def add_participants(user, training: Training, staff: list[StaffMember]) -> list:
    """Enrol staff of the user's scope, each once; staff who left cannot be enrolled."""
    require(user, "workforce.manage")
    if not staff:
        raise ValidationFailed(fields={"staff": _("Choose at least one staff member.")})
    if len(staff) > MAX_PARTICIPANTS_AT_ONCE:
        raise ValidationFailed(
            fields={"staff": _("Enrol at most %(n)d at once.") % {"n": MAX_PARTICIPANTS_AT_ONCE}}
        )
    ids = {s.pk for s in staff}
    allowed = set(
        scoped(user, active_staff(training.starts_on).filter(pk__in=ids)).values_list(
            "pk", flat=True
        )
    )
    refused = [s.name for s in staff if s.pk not in allowed]
    if refused:
        raise ValidationFailed(
            fields={
                "staff": _(
                    "Not active at the start of the training or not in your scope: %(names)s."
                )
                % {"names": ", ".join(refused)}
            }
        )
    with transaction.atomic():
        taken = set(
            TrainingParticipant.objects.filter(training=training, staff_id__in=ids).values_list(
                "staff_id", flat=True
            )
        )
        if taken:
            names = ", ".join(s.name for s in staff if s.pk in taken)
            raise ValidationFailed(
                fields={"staff": _("Already enrolled: %(names)s.") % {"names": names}}
            )
        rows = [TrainingParticipant(training=training, staff=s) for s in staff]
        TrainingParticipant.objects.bulk_create(rows)
    return rows


def _score(value, name: str, errors: dict) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or not (0 <= number <= SCORE_MAX):
        errors[name] = _("Enter a score from 0 to 100.")
        return None
    return number.quantize(Decimal("0.01"))


def record_result(
    user, participant: TrainingParticipant, *, result: str, pre_score=None, score=None
) -> TrainingParticipant:
    """A participant's result and test scores (0–100; the gain is post − pre)."""
    require(user, "workforce.manage")
    if not scoped(user, TrainingParticipant.objects.filter(pk=participant.pk)).exists():
        raise ValidationFailed(fields={"staff": _("No such participant in your scope.")})
    errors: dict[str, str] = {}
    if result not in TrainingParticipant.Result.values:
        errors["result"] = _("Choose a result.")
    pre = _score(pre_score, "pre_score", errors)
    post = _score(score, "score", errors)
    if result == TrainingParticipant.Result.ABSENT and (pre is not None or post is not None):
        errors["result"] = _("Someone who did not attend has no test scores.")
    if errors:
        raise ValidationFailed(fields=errors)
    participant.result, participant.pre_score, participant.score = result, pre, post
    participant.save(update_fields=["result", "pre_score", "score"])
    return participant


def remove_participant(user, participant: TrainingParticipant) -> None:
    require(user, "workforce.manage")
    if not scoped(user, TrainingParticipant.objects.filter(pk=participant.pk)).exists():
        raise ValidationFailed(fields={"staff": _("No such participant in your scope.")})
    participant.delete()
