"""Schedules of assessments and their reminders.

A schedule is a recurring assessment of a centre (catalogue, kind, next due date,
every N months, an assessor). Self-assessment schedules are planned by whoever holds
``standards.self_assess`` for the centre; external audit schedules also need
``standards.audit``. ``services_assessments.submit`` moves the schedule on;
:func:`remind_due_schedules` e-mails those concerned once when it falls due within
``DUE_SOON_DAYS`` and once when it is overdue.
"""

import datetime

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.permissions import can, scoped
from rehsos.core.roles import Role
from rehsos.facilities.models import Facility
from rehsos.standards.models import Assessment, Catalogue, Schedule
from rehsos.standards.services_assessments import applies_to

DUE_SOON_DAYS = 30
INTERVAL_MAX_MONTHS = 60


# --- schedules ------------------------------------------------------------------------


def may_manage_schedule(user, *, kind: str, facility: Facility) -> bool:
    """Self-assessment schedules: ``standards.self_assess`` for the centre; external
    audit schedules also need ``standards.audit`` (the national directorate)."""
    if not can(user, "standards.self_assess"):
        return False
    if kind == Assessment.Kind.EXTERNAL and not can(user, "standards.audit"):
        return False
    return scoped(user, Facility.objects.filter(pk=facility.pk)).exists()


def _check_schedule(*, kind, facility, next_due, interval_months, assessor, errors: dict) -> None:
    if next_due is None:
        errors["next_due"] = _("Give the date the next assessment is due.")
    if (
        isinstance(interval_months, bool)
        or not isinstance(interval_months, int)
        or not 1 <= interval_months <= INTERVAL_MAX_MONTHS
    ):
        errors["interval_months"] = _("Give a number of months from 1 to %(max)d.") % {
            "max": INTERVAL_MAX_MONTHS
        }
    if assessor is None:
        return
    if kind == Assessment.Kind.EXTERNAL:
        fit = assessor.is_active and can(assessor, "standards.audit")
    else:
        fit = (
            assessor.is_active
            and can(assessor, "standards.self_assess")
            and scoped(assessor, Facility.objects.filter(pk=facility.pk)).exists()
        )
    if not fit:
        errors["assessor"] = (
            _("Choose an active assessor.")
            if kind == Assessment.Kind.EXTERNAL
            else _("Choose someone who does self-assessments for this centre.")
        )


def create_schedule(
    *,
    user,
    facility: Facility,
    catalogue: Catalogue | None,
    kind: str,
    next_due: datetime.date | None,
    interval_months: int = 12,
    assessor=None,
) -> Schedule:
    errors: dict = {}
    if kind not in Assessment.Kind.values:
        raise ValidationFailed(fields={"kind": _("Choose self-assessment or external audit.")})
    if not may_manage_schedule(user, kind=kind, facility=facility):
        raise PermissionDenied(_("You may not plan this kind of assessment for this centre."))
    if catalogue is None:
        errors["catalogue"] = _("Choose a catalogue.")
    elif not applies_to(catalogue, facility):
        errors["catalogue"] = _(
            "This catalogue is for other functions than those of %(centre)s."
        ) % {"centre": facility.name}
    _check_schedule(
        kind=kind,
        facility=facility,
        next_due=next_due,
        interval_months=interval_months,
        assessor=assessor,
        errors=errors,
    )
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic(), set_actor(user):
            return Schedule.objects.create(
                facility=facility,
                catalogue=catalogue,
                kind=kind,
                next_due=next_due,
                interval_months=interval_months,
                assessor=assessor,
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            fields={
                "catalogue": _(
                    "This centre already has a schedule of this kind for this catalogue: "
                    "change that one."
                )
            }
        ) from exc


def update_schedule(
    *, schedule: Schedule, user, next_due, interval_months: int, assessor=None
) -> Schedule:
    if not may_manage_schedule(user, kind=schedule.kind, facility=schedule.facility):
        raise PermissionDenied(_("You may not plan this kind of assessment for this centre."))
    errors: dict = {}
    _check_schedule(
        kind=schedule.kind,
        facility=schedule.facility,
        next_due=next_due,
        interval_months=interval_months,
        assessor=assessor,
        errors=errors,
    )
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic(), set_actor(user):
        schedule.next_due = next_due
        schedule.interval_months = interval_months
        schedule.assessor = assessor
        schedule.save(update_fields=["next_due", "interval_months", "assessor"])
    return schedule


def delete_schedule(*, schedule: Schedule, user) -> None:
    if not may_manage_schedule(user, kind=schedule.kind, facility=schedule.facility):
        raise PermissionDenied(_("You may not plan this kind of assessment for this centre."))
    with transaction.atomic(), set_actor(user):
        schedule.delete()


# --- reminders ------------------------------------------------------------------------


def _site_url() -> str:
    return getattr(settings, "REHSOS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def reminder_message(user, schedule: Schedule, *, overdue: bool) -> EmailMessage:
    """A reminder naming the centre, the catalogue, the kind and the due date."""
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        values = {
            "kind": Assessment.Kind(schedule.kind).label,
            "centre": schedule.facility.name,
            "catalogue": schedule.catalogue.name_id
            if translation.get_language() == "id"
            else schedule.catalogue.name_en,
            "date": schedule.next_due.isoformat(),
        }
        if overdue:
            subject = _("rehsos: %(kind)s of %(centre)s is overdue (due %(date)s)") % values
        else:
            subject = _("rehsos: %(kind)s of %(centre)s is due on %(date)s") % values
        lines = [
            _("%(kind)s of %(centre)s against “%(catalogue)s” is due on %(date)s.") % values,
            "",
            _("Assessments and schedules: %(link)s")
            % {"link": _site_url() + reverse("standards:schedule_list")},
        ]
    return EmailMessage(subject=subject, body="\n".join(lines), to=[user.email])


def _recipients(schedule: Schedule, heads: dict[int, list]) -> list:
    people = list(heads.get(schedule.facility_id, []))
    if schedule.assessor and schedule.assessor.is_active and schedule.assessor.email:
        people.append(schedule.assessor)
    return list({u.pk: u for u in people}.values())


def remind_due_schedules(*, today: datetime.date | None = None) -> dict[str, int]:
    """E-mail the schedule's assessor and the centre's heads once when an assessment
    falls due within ``DUE_SOON_DAYS`` and once when it is overdue. Idempotent: each
    reminder is sent once per due date. Does nothing unless e-mail is configured."""
    counts = {"due_soon": 0, "overdue": 0}
    if not settings.REHSOS_EMAIL_ENABLED:
        return counts
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    due = (
        Schedule.objects.filter(next_due__lte=horizon, facility__is_active=True)
        .filter(
            # ~Q(x=F(...)) also holds where x is NULL (never reminded).
            (Q(next_due__lt=today) & ~Q(reminded_overdue=F("next_due")))
            | (Q(next_due__gte=today) & ~Q(reminded_due=F("next_due")))
        )
        .select_related("facility", "catalogue", "assessor")
    )
    schedules = list(due)
    if not schedules:
        return counts
    heads: dict[int, list] = {}
    for head in (
        get_user_model()
        .objects.filter(
            role=Role.FACILITY_HEAD,
            is_active=True,
            facility_id__in={s.facility_id for s in schedules},
        )
        .exclude(email="")
    ):
        heads.setdefault(head.facility_id, []).append(head)
    connection = get_connection()
    for schedule in schedules:
        overdue = schedule.next_due < today
        messages = [
            reminder_message(person, schedule, overdue=overdue)
            for person in _recipients(schedule, heads)
        ]
        if messages:
            connection.send_messages(messages)
        field = "reminded_overdue" if overdue else "reminded_due"
        Schedule.objects.filter(pk=schedule.pk).update(**{field: schedule.next_due})
        counts["overdue" if overdue else "due_soon"] += 1
    return counts
