"""Reports during and after an internship, and the re-entry action plan: what the
returnee will change at home, each step with a due date, a status and its result,
tracked to completion.

Written by the returnee (their account linked to their staff record, through the
"my internships" pages and ``/api/v1/workforce/me/…``), by a manager of their centre
(``workforce.manage`` in scope: the head of centre), or by national staff.

Completion = done ÷ (all − dropped) × 100, per returnee and pooled over a cohort
(``selectors.completion_by_application`` / ``cohort_completion``).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.permissions import can, scoped
from rehsos.workforce.models import Application, InternshipReport, ReentryAction

MIN_REPORT = 20
MIN_RESULT = 10


def may_follow(user, application: Application) -> bool:
    """The returnee themselves, or a manager of the workforce in whose scope they are."""
    if (
        can(user, "workforce.apply")
        and application.staff.user_id is not None
        and application.staff.user_id == user.pk
    ):
        return True
    return can(user, "workforce.manage") and (
        scoped(user, Application.objects.filter(pk=application.pk)).exists()
    )


def _require_follow(user, application: Application) -> None:
    if not may_follow(user, application):
        raise PermissionDenied(
            _("Only the returnee or a manager of their centre may write their reports and plan.")
        )


def _require_selected(application: Application) -> None:
    if application.decision != Application.Decision.SELECTED:
        raise ValidationFailed(
            fields={"application": _("Reports and re-entry plans are kept for selected interns.")}
        )


def add_report(
    user, application: Application, *, kind: str, reported_on: datetime.date | None, text: str
) -> InternshipReport:
    """A report during the placement (dated within it), a final report (from its first
    day on) or a follow-up after return (after its last day)."""
    _require_follow(user, application)
    _require_selected(application)
    errors: dict[str, str] = {}
    today = timezone.localdate()
    starts, ends = application.placement_starts_on, application.placement_ends_on
    if kind not in InternshipReport.Kind.values:
        errors["kind"] = _("Choose the kind of report.")
    if not isinstance(reported_on, datetime.date):
        errors["reported_on"] = _("Enter the date of the report.")
    elif reported_on > today:
        errors["reported_on"] = _("The date cannot be in the future.")
    elif starts is None or ends is None:
        errors["reported_on"] = _("The placement dates are not recorded yet.")
    elif kind == InternshipReport.Kind.DURING and not starts <= reported_on <= ends:
        errors["reported_on"] = _("A report during the internship is dated within %(s)s–%(e)s.") % {
            "s": starts.isoformat(),
            "e": ends.isoformat(),
        }
    elif kind == InternshipReport.Kind.FINAL and reported_on < starts:
        errors["reported_on"] = _("A final report is dated from the placement's start on.")
    elif kind == InternshipReport.Kind.FOLLOW_UP and reported_on <= ends:
        errors["reported_on"] = _("A follow-up is dated after the placement ended (%(e)s).") % {
            "e": ends.isoformat()
        }
    text = (text or "").strip()
    if len(text) < MIN_REPORT:
        errors["text"] = _("Write the report (at least %(n)d characters).") % {"n": MIN_REPORT}
    elif len(text) > 20000:
        errors["text"] = _("Enter at most %(n)d characters.") % {"n": 20000}
    if errors:
        raise ValidationFailed(fields=errors)
    return InternshipReport.objects.create(
        application=application, kind=kind, reported_on=reported_on, text=text, author=user
    )


def _what(value: str, errors: dict) -> str:
    what = (value or "").strip()
    if len(what) < 5:
        errors["what"] = _("Say what will change (at least 5 characters).")
    elif len(what) > 300:
        errors["what"] = _("Enter at most %(n)d characters.") % {"n": 300}
    return what


def _due(application: Application, due_on, errors: dict) -> None:
    if not isinstance(due_on, datetime.date):
        errors["due_on"] = _("Enter the due date.")
    elif application.placement_starts_on and due_on < application.placement_starts_on:
        errors["due_on"] = _("The due date is before the placement started.")


def add_reentry_action(
    user, application: Application, *, what: str, due_on: datetime.date | None
) -> ReentryAction:
    _require_follow(user, application)
    _require_selected(application)
    errors: dict[str, str] = {}
    what = _what(what, errors)
    _due(application, due_on, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    return ReentryAction.objects.create(application=application, what=what, due_on=due_on)


def update_reentry_action(user, action: ReentryAction, **data) -> ReentryAction:
    """Change what, when, the status and the result. Done needs the day it was done
    and its result; dropped needs the reason (in ``result``)."""
    application = action.application
    _require_follow(user, application)
    with transaction.atomic():
        action = ReentryAction.objects.select_for_update().get(pk=action.pk)
        errors: dict[str, str] = {}
        what = _what(data.get("what", action.what), errors)
        due_on = data.get("due_on", action.due_on)
        _due(application, due_on, errors)
        status = data.get("status", action.status)
        done_on = data.get("done_on", action.done_on)
        result = (data.get("result", action.result) or "").strip()
        today = timezone.localdate()
        if status not in ReentryAction.Status.values:
            errors["status"] = _("Choose a status.")
        elif status == ReentryAction.Status.DONE:
            if not isinstance(done_on, datetime.date):
                errors["done_on"] = _("Enter the day it was done.")
            elif done_on > today:
                errors["done_on"] = _("The day it was done cannot be in the future.")
            if len(result) < MIN_RESULT:
                errors["result"] = _("Describe the result (at least %(n)d characters).") % {
                    "n": MIN_RESULT
                }
        elif status == ReentryAction.Status.DROPPED:
            if len(result) < MIN_RESULT:
                errors["result"] = _("Say why it was dropped (at least %(n)d characters).") % {
                    "n": MIN_RESULT
                }
            done_on = None
        else:
            done_on = None
        if len(result) > 5000:
            errors["result"] = _("Enter at most %(n)d characters.") % {"n": 5000}
        if errors:
            raise ValidationFailed(fields=errors)
        action.what, action.due_on, action.status = what, due_on, status
        action.done_on, action.result = done_on, result
        action.save()
    return action
