"""Renovation projects: from the gaps an audit found to the works, the consultant's
supervision reports, the handover and the re-assessment that proves the gaps closed.

Rules (every write runs in one transaction, the user recorded as the audit log's
actor and in the project's history, ``RenovationEvent``):

* ``create_project`` / ``update_project`` (``standards.manage_renovation``): a centre
  in the user's scope; the actions it carries out must be actions of that centre and
  not cancelled; the agreement must belong to the partner (an agreement alone names
  its partner); the consultant's account must be an active standards assessor; the
  budget is whole rupiah above 0 and never below the money already committed; the
  planned end is not before the start and every milestone lies between them. An edit
  carries the row version it read (stale: ``Conflict``). The centre can change only
  while the project is planned; closed and cancelled projects are final.
* ``change_status``: planned → tendering → works in progress; tendering → planned
  (a failed tender); planned, tendering or in progress → cancelled with a reason.
  Works start only when the milestones' weights sum to exactly 100, a contractor and a
  supervising consultant are named. In progress → handed over is ``hand_over``;
  handed over → closed is ``close_project``.
* ``set_milestones``: the plan is replaced as a whole (the project's version guards
  it). Weights above 0, their sum at most 100 (exactly 100 once works have started),
  planned dates between the start and the planned end; a milestone is marked done
  only once works have started, and not in the future.
* ``add_disbursement`` / ``pay_disbursement`` / ``remove_disbursement``: a planned
  tranche (with its date) or a payment, in any currency with its rate to rupiah;
  ``amount_rp = amount × rate`` rounded half up to whole rupiah (IDR: rate 1). When
  the money committed (planned and paid) would pass the budget, the tranche needs a
  note saying why. The project row is locked while summing, so two payments at once
  cannot both slip under the budget.
* ``add_supervision_report`` (``standards.supervise``, and only the project's
  consultant or a user who manages renovation): during the works or after handover,
  dated between the start and today, progress 0–100 %. Progress lower than the
  report before it (or higher than a later one) needs a note that explains it.
  Photos (JPEG or PNG, checked by content) are stored privately under
  ``standards/supervision``; all are checked before any is stored.
* ``hand_over``: works in progress whose latest supervision report shows 100 %; a date
  not before that report nor in the future, and a note.
* ``link_reassessment``: a submitted (or closed) assessment of the same centre whose
  visit (or start) is on or after the handover.
* ``close_project``: for each linked action, the criterion it answers is looked up
  in the re-assessment (the same criterion, or the criterion with the same code when
  the re-assessment uses a newer catalogue version). Rated met or better
  (``MET_AT_LEAST``): the gap is proven closed and the action is marked done, its
  closing note pointing to the re-assessment. Otherwise it stays open on the centre's
  improvement plan and is listed with the reason. The project closes either way (the
  works are done and handed over); when gaps remain open the closing needs a note
  saying what happens to them. What was found is kept in ``closing_result``.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from auditlog.context import set_actor
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.permissions import can, require, scoped
from rehsos.core.roles import Role
from rehsos.core.uploads import IMAGES, check_upload, store, upload_problem
from rehsos.facilities.models import Facility
from rehsos.partners.models import Agreement, Partner
from rehsos.standards.models import (
    MET_AT_LEAST,
    SCALE_LEVELS,
    Action,
    Answer,
    Assessment,
    Criterion,
    Disbursement,
    Milestone,
    RenovationProject,
    SupervisionPhoto,
    SupervisionReport,
)
from rehsos.standards.models.renovation import RenovationEvent

Status = RenovationProject.Status

MIN_REASON = 10
TITLE_MAX = 300
TEXT_MAX = 20_000
NAME_MAX = 200
CAPTION_MAX = 200
MAX_MILESTONES = 60
MAX_PHOTOS = 20
HUNDRED = Decimal(100)
BUDGET_MAX = Decimal("9" * 16)
AMOUNT_MAX = Decimal("9" * 16)
RATE_MAX = Decimal("99999999")
CURRENCY = re.compile(r"^[A-Z]{3}$")
ASSESSMENT_DONE = (Assessment.Status.SUBMITTED, Assessment.Status.CLOSED)

# Status changes made by ``change_status`` (handover and closing have their own).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.PLANNED: (Status.TENDERING, Status.CANCELLED),
    Status.TENDERING: (Status.PLANNED, Status.IN_PROGRESS, Status.CANCELLED),
    Status.IN_PROGRESS: (Status.CANCELLED,),
    Status.HANDED_OVER: (),
    Status.CLOSED: (),
    Status.CANCELLED: (),
}
FINAL = (Status.CLOSED, Status.CANCELLED)
WORKS_STARTED = (Status.IN_PROGRESS, Status.HANDED_OVER, Status.CLOSED)
REPORTING = (Status.IN_PROGRESS, Status.HANDED_OVER)
OPEN_ACTION = (Action.Status.OPEN, Action.Status.IN_PROGRESS)
# The kinds of ``RenovationEvent`` with their labels (for the history on the page).
EVENT_LABELS = {
    "created": gettext_lazy("Project created"),
    "edited": gettext_lazy("Project edited"),
    "status": gettext_lazy("Status changed"),
    "milestones": gettext_lazy("Milestones saved"),
    "disbursement": gettext_lazy("Money recorded"),
    "paid": gettext_lazy("Planned tranche paid"),
    "tranche_removed": gettext_lazy("Planned tranche removed"),
    "report": gettext_lazy("Supervision report"),
    "photos": gettext_lazy("Photos added"),
    "handed_over": gettext_lazy("Handed over"),
    "reassessment": gettext_lazy("Re-assessment linked"),
    "closed": gettext_lazy("Project closed"),
}
EDITABLE = (
    "facility",
    "title",
    "scope",
    "actions",
    "partner",
    "agreement",
    "budget",
    "contractor",
    "consultant",
    "consultant_user",
    "starts_on",
    "planned_end_on",
)


# --- small shared pieces --------------------------------------------------------------


def record(project: RenovationProject, kind: str, *, actor, **data) -> RenovationEvent:
    """One entry of the project's history (values kept JSON-friendly)."""
    clean = {
        key: (value.isoformat() if isinstance(value, datetime.date) else value)
        for key, value in data.items()
    }
    clean = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in clean.items()}
    return RenovationEvent.objects.create(project=project, kind=kind, actor=actor, data=clean)


def _check_version(project: RenovationProject, version: int | None) -> None:
    if version is not None and project.version != version:
        raise Conflict(
            _("Someone else changed this renovation project after you opened it."),
            extra={"current_version": project.version, "your_version": version},
        )


def _locked(project: RenovationProject) -> RenovationProject:
    return (
        RenovationProject.objects.select_for_update().select_related("facility").get(pk=project.pk)
    )


def _bump(project: RenovationProject, fields: list[str]) -> None:
    project.version += 1
    project.save(update_fields=[*fields, "version", "updated_at"])


def _in_scope(user, facility: Facility) -> bool:
    return scoped(user, Facility.objects.filter(pk=facility.pk)).exists()


def _final_refusal(project: RenovationProject) -> None:
    if project.status in FINAL:
        raise ValidationFailed(
            fields={
                "status": _("A %(status)s project cannot be changed any more.")
                % {"status": project.get_status_display().lower()}
            }
        )


def _text(value, *, limit: int = TEXT_MAX) -> str:
    return (value or "").strip()[:limit]


def _whole_rupiah(value, field: str, errors: dict, *, positive: bool = True) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        errors[field] = _("Enter an amount in whole rupiah.")
        return None
    if not amount.is_finite() or amount != amount.to_integral_value():
        errors[field] = _("Enter an amount in whole rupiah (no cents).")
        return None
    if (positive and amount <= 0) or amount < 0:
        errors[field] = _("Enter an amount above 0.")
        return None
    if amount > BUDGET_MAX:
        errors[field] = _("The amount is too large.")
        return None
    return amount


def may_supervise(user, project: RenovationProject) -> bool:
    """The project's consultant (a standards assessor set as ``consultant_user``), or a
    user who manages renovation (the national administrator)."""
    if not can(user, "standards.supervise"):
        return False
    return project.consultant_user_id == user.pk or can(user, "standards.manage_renovation")


def committed_rp(project: RenovationProject) -> Decimal:
    """Rupiah planned and paid (every tranche on the project)."""
    total = project.disbursements.aggregate(total=Sum("amount_rp"))["total"]
    return total or Decimal(0)


def assessment_day(assessment: Assessment) -> datetime.date:
    """The day an assessment describes: its visit, else its start."""
    return assessment.visit_on or assessment.started_on


# --- the project ----------------------------------------------------------------------


def _clean_project(user, data: dict, *, current: RenovationProject | None) -> dict:
    """Check the project's fields; return them cleaned, or raise ValidationFailed."""
    errors: dict[str, str] = {}
    out = dict(data)

    facility = data.get("facility")
    if not isinstance(facility, Facility) or not facility.is_active:
        errors["facility"] = _("Choose an active centre.")
    elif not _in_scope(user, facility):
        errors["facility"] = _("Choose a centre in your scope.")
    elif current is not None and facility.pk != current.facility_id:
        if current.status != Status.PLANNED:
            errors["facility"] = _("The centre can only change while the project is planned.")
        elif current.disbursements.exists() or current.supervision_reports.exists():
            errors["facility"] = _(
                "The project already has money or reports recorded; the centre cannot change."
            )

    title = " ".join((data.get("title") or "").split())
    if not title:
        errors["title"] = _("Give the project a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Enter at most %(limit)s characters.") % {"limit": TITLE_MAX}
    out["title"] = title
    out["scope"] = _text(data.get("scope"))
    if not out["scope"]:
        errors["scope"] = _("Describe the scope of the works.")

    actions = list(data.get("actions") or [])
    if "facility" not in errors and actions:
        wrong = [a for a in actions if a.facility_id != facility.pk]
        cancelled = [a for a in actions if a.status == Action.Status.CANCELLED]
        if wrong:
            errors["actions"] = _(
                "Only actions of %(centre)s can be closed by this project (not: %(titles)s)."
            ) % {"centre": facility.name, "titles": "; ".join(a.title[:60] for a in wrong)}
        elif cancelled:
            errors["actions"] = _("A cancelled action cannot be linked (%(titles)s).") % {
                "titles": "; ".join(a.title[:60] for a in cancelled)
            }
    out["actions"] = actions

    partner, agreement = data.get("partner"), data.get("agreement")
    if agreement is not None:
        if partner is None:
            partner = agreement.partner
        elif agreement.partner_id != partner.pk:
            errors["agreement"] = _(
                "The agreement “%(agreement)s” belongs to %(owner)s, not to %(partner)s."
            ) % {
                "agreement": agreement.title,
                "owner": agreement.partner,
                "partner": partner,
            }
    if partner is not None and not partner.is_active:
        changed = current is None or current.partner_id != partner.pk
        if changed:
            errors["partner"] = _("The partner %(partner)s is no longer active.") % {
                "partner": partner
            }
    out["partner"], out["agreement"] = partner, agreement

    budget = _whole_rupiah(data.get("budget"), "budget", errors)
    out["budget"] = budget
    if budget is not None and current is not None:
        committed = committed_rp(current)
        if budget < committed:
            errors["budget"] = _(
                "The budget cannot be below the Rp %(committed)s already planned or paid; "
                "remove planned tranches first."
            ) % {"committed": f"{committed:,.0f}"}

    out["contractor"] = _text(data.get("contractor"), limit=NAME_MAX)
    out["consultant"] = _text(data.get("consultant"), limit=NAME_MAX)
    consultant_user = data.get("consultant_user")
    if consultant_user is not None and (
        consultant_user.role != Role.STANDARDS_ASSESSOR or not consultant_user.is_active
    ):
        errors["consultant_user"] = _(
            "The consultant's account must be an active standards assessor."
        )

    starts_on, planned_end_on = data.get("starts_on"), data.get("planned_end_on")
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = _("Give the date the works start.")
    if not isinstance(planned_end_on, datetime.date):
        errors["planned_end_on"] = _("Give the planned end of the works.")
    elif isinstance(starts_on, datetime.date) and planned_end_on < starts_on:
        errors["planned_end_on"] = _("The planned end is before the start.")
    elif current is not None and isinstance(starts_on, datetime.date):
        outside = current.milestones.filter(
            Q(planned_on__lt=starts_on) | Q(planned_on__gt=planned_end_on)
        ).first()
        if outside is not None:
            errors["planned_end_on"] = _(
                "The milestone “%(name)s” (%(date)s) would lie outside the project's dates; "
                "move it first."
            ) % {"name": outside.name, "date": outside.planned_on.isoformat()}
    if errors:
        raise ValidationFailed(fields=errors)
    return out


def create_project(
    user,
    *,
    facility: Facility,
    title: str,
    scope: str,
    budget,
    starts_on: datetime.date,
    planned_end_on: datetime.date,
    actions: Iterable[Action] = (),
    partner: Partner | None = None,
    agreement: Agreement | None = None,
    contractor: str = "",
    consultant: str = "",
    consultant_user=None,
) -> RenovationProject:
    require(user, "standards.manage_renovation")
    data = _clean_project(
        user,
        {
            "facility": facility,
            "title": title,
            "scope": scope,
            "budget": budget,
            "starts_on": starts_on,
            "planned_end_on": planned_end_on,
            "actions": actions,
            "partner": partner,
            "agreement": agreement,
            "contractor": contractor,
            "consultant": consultant,
            "consultant_user": consultant_user,
        },
        current=None,
    )
    linked = data.pop("actions")
    with transaction.atomic(), set_actor(user):
        project = RenovationProject.objects.create(**data)
        project.actions.set(linked)
        record(
            project,
            "created",
            actor=user,
            budget=project.budget,
            actions=[a.pk for a in linked],
            partner=data["partner"].code if data["partner"] else None,
        )
    return project


def update_project(user, project: RenovationProject, *, version: int | None, **changes):
    """Change some of the project's fields (see ``EDITABLE``); the others keep their
    values. ``actions`` replaces the linked actions."""
    require(user, "standards.manage_renovation")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            fields={name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )
    with transaction.atomic(), set_actor(user):
        project = _locked(project)
        _check_version(project, version)
        _final_refusal(project)
        data = {name: getattr(project, name) for name in EDITABLE if name != "actions"}
        data["actions"] = list(project.actions.all())
        data.update(changes)
        data = _clean_project(user, data, current=project)
        linked = data.pop("actions")
        changed = [name for name, value in data.items() if getattr(project, name) != value]
        for name in changed:
            setattr(project, name, data[name])
        before = {a.pk for a in project.actions.all()}
        after = {a.pk for a in linked}
        if "facility" in changed:
            project.province_code = project.facility.province_code
            changed.append("province_code")
        fields = [RenovationProject._meta.get_field(n).attname for n in changed]
        _bump(project, fields)
        if before != after:
            project.actions.set(linked)
        if changed or before != after:
            record(
                project,
                "edited",
                actor=user,
                fields=sorted(set(changed) - {"province_code"}),
                actions_added=sorted(after - before),
                actions_removed=sorted(before - after),
            )
    return project


def change_status(
    user, project: RenovationProject, *, to: str, version: int | None, reason: str = ""
) -> RenovationProject:
    require(user, "standards.manage_renovation")
    with transaction.atomic(), set_actor(user):
        project = _locked(project)
        _check_version(project, version)
        if to not in Status.values:
            raise ValidationFailed(
                fields={
                    "status": _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(Status.values)}
                }
            )
        if to == project.status:
            return project
        if to not in TRANSITIONS[project.status]:
            if to == Status.HANDED_OVER:
                message = _("Record the handover with its date and note instead.")
            elif to == Status.CLOSED:
                message = _("Close the project after the re-assessment instead.")
            elif TRANSITIONS[project.status]:
                message = _("A %(status)s project can only become: %(allowed)s.") % {
                    "status": project.get_status_display().lower(),
                    "allowed": ", ".join(
                        str(Status(s).label).lower() for s in TRANSITIONS[project.status]
                    ),
                }
            else:
                message = _("A %(status)s project cannot change its status here.") % {
                    "status": project.get_status_display().lower()
                }
            raise ValidationFailed(fields={"status": message})
        errors: dict[str, str] = {}
        reason = _text(reason)
        fields = ["status"]
        if to == Status.IN_PROGRESS:
            total = milestone_total(project)
            if total != HUNDRED:
                errors["milestones"] = _(
                    "The milestones' weights sum to %(total)s %%; they must sum to 100 %% "
                    "before the works start."
                ) % {"total": _percent_text(total)}
            if not project.contractor:
                errors["contractor"] = _("Name the contractor before the works start.")
            if not project.consultant and project.consultant_user_id is None:
                errors["consultant"] = _("Name the supervising consultant before the works start.")
        if to == Status.CANCELLED:
            if len(reason) < MIN_REASON:
                errors["reason"] = _(
                    "Give the reason for cancelling (at least %(min)d characters)."
                ) % {"min": MIN_REASON}
            project.cancel_reason = reason
            fields.append("cancel_reason")
        if errors:
            raise ValidationFailed(fields=errors)
        previous = project.status
        project.status = to
        _bump(project, fields)
        record(project, "status", actor=user, previous=previous, status=to, reason=reason)
    return project


# --- milestones -----------------------------------------------------------------------


def milestone_total(project: RenovationProject) -> Decimal:
    return project.milestones.aggregate(total=Sum("weight"))["total"] or Decimal(0)


def _percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.2f}"


@dataclass(frozen=True)
class MilestoneIn:
    name: str
    weight: object
    planned_on: datetime.date | None
    done_on: datetime.date | None = None


def set_milestones(
    user, project: RenovationProject, *, milestones: Iterable, version: int | None
) -> list[Milestone]:
    """Replace the project's milestones. ``milestones``: ``MilestoneIn`` or dicts with
    ``name``, ``weight``, ``planned_on`` and ``done_on``. Errors name the row:
    ``milestones.<n>.<field>`` (``n`` from 0) or ``milestones`` for the whole."""
    require(user, "standards.manage_renovation")
    rows = [m if isinstance(m, MilestoneIn) else MilestoneIn(**m) for m in milestones]
    today = timezone.localdate()
    with transaction.atomic(), set_actor(user):
        project = _locked(project)
        _check_version(project, version)
        _final_refusal(project)
        errors: dict[str, str] = {}
        if len(rows) > MAX_MILESTONES:
            errors["milestones"] = _("Give at most %(n)d milestones.") % {"n": MAX_MILESTONES}
        started = project.status in WORKS_STARTED
        cleaned, total = [], Decimal(0)
        for i, row in enumerate(rows):
            key = f"milestones.{i}"
            name = " ".join((row.name or "").split())
            if not name:
                errors[f"{key}.name"] = _("Name the milestone.")
            elif len(name) > NAME_MAX:
                errors[f"{key}.name"] = _("Enter at most %(limit)s characters.") % {
                    "limit": NAME_MAX
                }
            try:
                weight = Decimal(str(row.weight))
                if not weight.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, TypeError, ValueError):
                errors[f"{key}.weight"] = _("Enter the weight as a percentage.")
                weight = None
            if weight is not None:
                if weight <= 0 or weight > HUNDRED:
                    errors[f"{key}.weight"] = _("A weight is above 0 and at most 100.")
                elif weight != weight.quantize(Decimal("0.01")):
                    errors[f"{key}.weight"] = _("Give the weight with at most two decimals.")
                else:
                    total += weight
            if not isinstance(row.planned_on, datetime.date):
                errors[f"{key}.planned_on"] = _("Give the planned date.")
            elif not project.starts_on <= row.planned_on <= project.planned_end_on:
                errors[f"{key}.planned_on"] = _(
                    "Plan it between the start (%(start)s) and the planned end (%(end)s)."
                ) % {
                    "start": project.starts_on.isoformat(),
                    "end": project.planned_end_on.isoformat(),
                }
            if row.done_on is not None:
                if not started:
                    errors[f"{key}.done_on"] = _(
                        "A milestone can be marked done once the works have started."
                    )
                elif row.done_on > today:
                    errors[f"{key}.done_on"] = _("The date done cannot be in the future.")
                elif row.done_on < project.starts_on:
                    errors[f"{key}.done_on"] = _("The date done is before the works started.")
            cleaned.append((name, weight, row.planned_on, row.done_on))
        if not any(k.endswith(".weight") for k in errors):
            if total > HUNDRED:
                errors["milestones"] = _(
                    "The weights sum to %(total)s %%; they may not pass 100 %%."
                ) % {"total": _percent_text(total)}
            elif started and total != HUNDRED:
                errors["milestones"] = _(
                    "The works have started: the weights must still sum to 100 %% "
                    "(they sum to %(total)s %%)."
                ) % {"total": _percent_text(total)}
        if errors:
            raise ValidationFailed(fields=errors)
        project.milestones.all().delete()
        created = Milestone.objects.bulk_create(
            [
                Milestone(project=project, name=n, weight=w, planned_on=p, done_on=d)
                for n, w, p, d in cleaned
            ]
        )
        _bump(project, [])
        record(project, "milestones", actor=user, count=len(created), total=total)
    return sorted(created, key=lambda m: (m.planned_on, m.pk or 0))


# --- money ----------------------------------------------------------------------------


def amount_in_rupiah(amount: Decimal, rate: Decimal) -> Decimal:
    """``amount × rate`` rounded half up to whole rupiah."""
    return (amount * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _clean_money(data: dict, errors: dict) -> tuple[Decimal | None, str, Decimal | None]:
    currency = (data.get("currency") or "").strip().upper()
    if not CURRENCY.match(currency):
        errors["currency"] = _("Give the currency as its three-letter ISO code (IDR, JPY, USD…).")
    try:
        amount = Decimal(str(data.get("amount")))
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        errors["amount"] = _("Enter the amount.")
        amount = None
    if amount is not None:
        if amount <= 0:
            errors["amount"] = _("Enter an amount above 0.")
        elif amount > AMOUNT_MAX or amount != amount.quantize(Decimal("0.01")):
            errors["amount"] = _("Enter the amount with at most two decimals.")
    raw_rate = data.get("rate")
    if currency == "IDR" and raw_rate in (None, ""):
        raw_rate = 1
    try:
        rate = Decimal(str(raw_rate))
        if not rate.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        errors["rate"] = _("Enter the rate to rupiah.")
        rate = None
    if rate is not None:
        if rate <= 0 or rate > RATE_MAX:
            errors["rate"] = _("Enter a rate above 0.")
        elif rate != rate.quantize(Decimal("0.000001")):
            errors["rate"] = _("Give the rate with at most six decimals.")
        elif currency == "IDR" and rate != 1:
            errors["rate"] = _("An amount in rupiah has the rate 1.")
    return amount, currency, rate


def _over_budget_note(project, amount_rp: Decimal, note: str, errors: dict, *, leaving=None):
    committed = committed_rp(project)
    if leaving is not None:
        committed -= leaving.amount_rp
    after = committed + amount_rp
    if after > project.budget and len(note) < MIN_REASON:
        errors["note"] = _(
            "With this tranche Rp %(after)s is planned or paid against a budget of "
            "Rp %(budget)s: say why in the note (at least %(min)d characters)."
        ) % {"after": f"{after:,.0f}", "budget": f"{project.budget:,.0f}", "min": MIN_REASON}


def add_disbursement(
    user,
    project: RenovationProject,
    *,
    amount,
    currency: str = "IDR",
    rate=None,
    status: str = Disbursement.Status.PAID,
    paid_on: datetime.date | None = None,
    planned_on: datetime.date | None = None,
    note: str = "",
) -> Disbursement:
    require(user, "standards.manage_renovation")
    today = timezone.localdate()
    with transaction.atomic(), set_actor(user):
        project = _locked(project)
        errors: dict[str, str] = {}
        amount, currency, rate = _clean_money(
            {"amount": amount, "currency": currency, "rate": rate}, errors
        )
        note = _text(note, limit=200)
        if status == Disbursement.Status.PAID:
            # Any status: money for work done is paid even after a cancellation or closing.
            if not isinstance(paid_on, datetime.date):
                errors["paid_on"] = _("Give the date it was paid.")
            elif paid_on > today:
                errors["paid_on"] = _(
                    "A payment cannot be in the future; record it as planned instead."
                )
            planned_on = None
        elif status == Disbursement.Status.PLANNED:
            if project.status in FINAL:
                errors["status"] = _("A %(status)s project takes no new planned tranches.") % {
                    "status": project.get_status_display().lower()
                }
            if not isinstance(planned_on, datetime.date):
                errors["planned_on"] = _("Give the date the tranche is planned for.")
            paid_on = None
        else:
            errors["status"] = _("Choose planned or paid.")
        if not errors:
            _over_budget_note(project, amount_in_rupiah(amount, rate), note, errors)
        if errors:
            raise ValidationFailed(fields=errors)
        tranche = Disbursement.objects.create(
            project=project,
            status=status,
            planned_on=planned_on,
            paid_on=paid_on,
            amount=amount,
            currency=currency,
            rate=rate,
            amount_rp=amount_in_rupiah(amount, rate),
            note=note,
            recorded_by=user,
        )
        record(
            project,
            "disbursement",
            actor=user,
            status=status,
            amount=amount,
            currency=currency,
            amount_rp=tranche.amount_rp,
        )
    return tranche


def pay_disbursement(
    user,
    tranche: Disbursement,
    *,
    paid_on: datetime.date,
    amount=None,
    currency: str | None = None,
    rate=None,
    note: str | None = None,
) -> Disbursement:
    """A planned tranche is paid (the amount and rate of the day may differ)."""
    require(user, "standards.manage_renovation")
    today = timezone.localdate()
    with transaction.atomic(), set_actor(user):
        project = _locked(tranche.project)
        tranche = Disbursement.objects.select_for_update().get(pk=tranche.pk)
        if tranche.status != Disbursement.Status.PLANNED:
            raise ValidationFailed(fields={"disbursement": _("This tranche is already paid.")})
        errors: dict[str, str] = {}
        amount, currency, rate = _clean_money(
            {
                "amount": tranche.amount if amount is None else amount,
                "currency": currency or tranche.currency,
                "rate": tranche.rate if rate is None else rate,
            },
            errors,
        )
        note = tranche.note if note is None else _text(note, limit=200)
        if not isinstance(paid_on, datetime.date):
            errors["paid_on"] = _("Give the date it was paid.")
        elif paid_on > today:
            errors["paid_on"] = _("A payment cannot be in the future.")
        if not errors:
            _over_budget_note(
                project, amount_in_rupiah(amount, rate), note, errors, leaving=tranche
            )
        if errors:
            raise ValidationFailed(fields=errors)
        tranche.status = Disbursement.Status.PAID
        tranche.paid_on = paid_on
        tranche.amount, tranche.currency, tranche.rate = amount, currency, rate
        tranche.amount_rp = amount_in_rupiah(amount, rate)
        tranche.note = note
        tranche.save()
        record(project, "paid", actor=user, tranche=tranche.pk, amount_rp=tranche.amount_rp)
    return tranche


def remove_disbursement(user, tranche: Disbursement) -> None:
    """Remove a planned tranche (a payment is a fact and stays)."""
    require(user, "standards.manage_renovation")
    with transaction.atomic(), set_actor(user):
        project = _locked(tranche.project)
        tranche = Disbursement.objects.select_for_update().get(pk=tranche.pk)
        if tranche.status != Disbursement.Status.PLANNED:
            raise ValidationFailed(
                fields={"disbursement": _("A payment cannot be removed, only a planned tranche.")}
            )
        record(project, "tranche_removed", actor=user, amount_rp=tranche.amount_rp)
        tranche.delete()


def disbursement_for(project: RenovationProject, pk) -> Disbursement:
    try:
        found = project.disbursements.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(_("No such tranche on this project."))
    return found


# --- supervision ----------------------------------------------------------------------


def _check_photos(uploads: list, field: str) -> None:
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed(
            fields={field: _("Upload at most %(n)d photos at once.") % {"n": MAX_PHOTOS}}
        )
    for upload in uploads:
        problem = upload_problem(upload, IMAGES)
        if problem:
            name = getattr(upload, "name", "")
            raise ValidationFailed(fields={field: f"{name}: {problem}" if name else problem})


def _store_photos(user, report: SupervisionReport, uploads, *, caption: str, taken_on, stored):
    photos = []
    for upload in uploads:
        checked = check_upload(upload, field="photos", allowed=IMAGES)
        name = store(checked, "standards/supervision")
        stored.append(name)
        photos.append(
            SupervisionPhoto.objects.create(
                report=report,
                file=name,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                caption=caption,
                taken_on=taken_on,
                uploaded_by=user,
            )
        )
    return photos


def add_supervision_report(
    user,
    project: RenovationProject,
    *,
    reported_on: datetime.date,
    progress,
    findings: str = "",
    instructions: str = "",
    progress_note: str = "",
    photos: Iterable = (),
    caption: str = "",
) -> SupervisionReport:
    if not may_supervise(user, project):
        raise PermissionDenied(
            _("Only the project's supervising consultant can write its supervision reports.")
        )
    uploads = list(photos)
    today = timezone.localdate()
    stored: list[str] = []
    try:
        with transaction.atomic(), set_actor(user):
            project = _locked(project)
            errors: dict[str, str] = {}
            if project.status not in REPORTING:
                errors["status"] = _(
                    "Supervision reports are written while the works are in progress or "
                    "after the handover; this project is %(status)s."
                ) % {"status": project.get_status_display().lower()}
            if not isinstance(reported_on, datetime.date):
                errors["reported_on"] = _("Give the date of the report.")
            elif reported_on > today:
                errors["reported_on"] = _("The report's date cannot be in the future.")
            elif reported_on < project.starts_on:
                errors["reported_on"] = _(
                    "The report's date is before the works started (%(date)s)."
                ) % {"date": project.starts_on.isoformat()}
            try:
                progress = Decimal(str(progress))
                if not progress.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, TypeError, ValueError):
                errors["progress"] = _("Enter the progress as a percentage.")
            else:
                if not 0 <= progress <= HUNDRED:
                    errors["progress"] = _("The progress is between 0 and 100 %.")
                elif progress != progress.quantize(Decimal("0.01")):
                    errors["progress"] = _("Give the progress with at most two decimals.")
            progress_note = _text(progress_note)
            caption = _text(caption, limit=CAPTION_MAX)
            if not errors:
                _progress_order(project, reported_on, progress, progress_note, errors)
            if errors:
                raise ValidationFailed(fields=errors)
            _check_photos(uploads, "photos")
            report = SupervisionReport.objects.create(
                project=project,
                reported_on=reported_on,
                progress=progress,
                findings=_text(findings),
                instructions=_text(instructions),
                progress_note=progress_note,
                author=user,
            )
            _store_photos(
                user, report, uploads, caption=caption, taken_on=reported_on, stored=stored
            )
            record(
                project,
                "report",
                actor=user,
                report=report.pk,
                reported_on=reported_on,
                progress=progress,
                photos=len(uploads),
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return report


def _progress_order(project, reported_on, progress, note: str, errors: dict) -> None:
    """Progress may not go down over time unless the note explains it."""
    reports = project.supervision_reports
    before = reports.filter(reported_on__lte=reported_on).order_by("-reported_on", "-id").first()
    after = reports.filter(reported_on__gt=reported_on).order_by("reported_on", "id").first()
    if len(note) >= MIN_REASON:
        return
    if before is not None and progress < before.progress:
        errors["progress_note"] = _(
            "The progress is lower than the %(before)s %% of the report of %(date)s: "
            "explain why (at least %(min)d characters)."
        ) % {
            "before": _percent_text(before.progress),
            "date": before.reported_on.isoformat(),
            "min": MIN_REASON,
        }
    elif after is not None and progress > after.progress:
        errors["progress_note"] = _(
            "A later report (%(date)s) shows %(after)s %%, less than this one: explain why "
            "(at least %(min)d characters)."
        ) % {
            "after": _percent_text(after.progress),
            "date": after.reported_on.isoformat(),
            "min": MIN_REASON,
        }


def add_photos(
    user,
    report: SupervisionReport,
    *,
    photos: Iterable,
    caption: str = "",
    taken_on: datetime.date | None = None,
) -> list[SupervisionPhoto]:
    """More photos for a report (by the project's consultant)."""
    project = report.project
    if not may_supervise(user, project):
        raise PermissionDenied(
            _("Only the project's supervising consultant can add photos to its reports.")
        )
    uploads = list(photos)
    if not uploads:
        raise ValidationFailed(fields={"photos": _("Choose at least one photo.")})
    taken_on = taken_on or report.reported_on
    if taken_on > timezone.localdate():
        raise ValidationFailed(fields={"taken_on": _("The photo's date cannot be in the future.")})
    _check_photos(uploads, "photos")
    stored: list[str] = []
    try:
        with transaction.atomic(), set_actor(user):
            created = _store_photos(
                user,
                report,
                uploads,
                caption=_text(caption, limit=CAPTION_MAX),
                taken_on=taken_on,
                stored=stored,
            )
            record(project, "photos", actor=user, report=report.pk, photos=len(created))
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return created


def report_for(project: RenovationProject, pk) -> SupervisionReport:
    try:
        found = project.supervision_reports.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(_("No such supervision report on this project."))
    found.project = project
    return found


def open_photo(photo: SupervisionPhoto):
    return default_storage.open(photo.file.name, "rb")


def latest_report(project: RenovationProject) -> SupervisionReport | None:
    return project.supervision_reports.order_by("-reported_on", "-id").first()


# --- handover, re-assessment, closing ---------------------------------------------------


def hand_over(
    user,
    project: RenovationProject,
    *,
    handed_over_on: datetime.date,
    note: str,
    version: int | None,
) -> RenovationProject:
    require(user, "standards.manage_renovation")
    today = timezone.localdate()
    with transaction.atomic(), set_actor(user):
        project = _locked(project)
        _check_version(project, version)
        if project.status != Status.IN_PROGRESS:
            raise ValidationFailed(
                fields={
                    "status": _(
                        "Only works in progress can be handed over; this project is %(status)s."
                    )
                    % {"status": project.get_status_display().lower()}
                }
            )
        errors: dict[str, str] = {}
        last = latest_report(project)
        if last is None or last.progress < HUNDRED:
            shown = _percent_text(last.progress) if last else "0"
            errors["progress"] = _(
                "The latest supervision report shows %(progress)s %% done; the works are "
                "handed over only at 100 %%."
            ) % {"progress": shown}
        note = _text(note)
        if not note:
            errors["note"] = _("Describe the handover (who received the works, what remains).")
        if not isinstance(handed_over_on, datetime.date):
            errors["handed_over_on"] = _("Give the date of the handover.")
        elif handed_over_on > today:
            errors["handed_over_on"] = _("The handover cannot be in the future.")
        elif last is not None and handed_over_on < last.reported_on:
            errors["handed_over_on"] = _(
                "The handover cannot be before the report that found the works done (%(date)s)."
            ) % {"date": last.reported_on.isoformat()}
        if errors:
            raise ValidationFailed(fields=errors)
        project.status = Status.HANDED_OVER
        project.handed_over_on = handed_over_on
        project.handover_note = note
        _bump(project, ["status", "handed_over_on", "handover_note"])
        record(project, "handed_over", actor=user, handed_over_on=handed_over_on)
    return project


def reassessment_candidates(project: RenovationProject):
    """Submitted assessments of the centre made on or after the handover."""
    if project.handed_over_on is None:
        return Assessment.objects.none()
    return (
        Assessment.objects.filter(facility_id=project.facility_id, status__in=ASSESSMENT_DONE)
        .filter(
            Q(visit_on__gte=project.handed_over_on)
            | Q(visit_on__isnull=True, started_on__gte=project.handed_over_on)
        )
        .select_related("version__catalogue")
        .order_by("-started_on", "-id")
    )


def link_reassessment(
    user, project: RenovationProject, *, assessment: Assessment, version: int | None
) -> RenovationProject:
    require(user, "standards.manage_renovation")
    with transaction.atomic(), set_actor(user):
        project = _locked(project)
        _check_version(project, version)
        if project.status != Status.HANDED_OVER:
            raise ValidationFailed(
                fields={
                    "status": _("A re-assessment is linked after the handover, before closing.")
                }
            )
        if assessment.facility_id != project.facility_id:
            raise ValidationFailed(
                fields={
                    "assessment": _("Choose an assessment of %(centre)s.")
                    % {"centre": project.facility.name}
                }
            )
        if assessment.status not in ASSESSMENT_DONE:
            raise ValidationFailed(fields={"assessment": _("Choose a submitted assessment.")})
        if assessment_day(assessment) < project.handed_over_on:
            raise ValidationFailed(
                fields={
                    "assessment": _(
                        "This assessment (%(date)s) was made before the handover (%(handover)s)."
                    )
                    % {
                        "date": assessment_day(assessment).isoformat(),
                        "handover": project.handed_over_on.isoformat(),
                    }
                }
            )
        project.reassessment = assessment
        _bump(project, ["reassessment"])
        record(project, "reassessment", actor=user, assessment=str(assessment.public_id))
    return project


# Why a linked action is not proven closed.
NO_CRITERION = "no_criterion"
NOT_ASSESSED = "not_assessed"
NOT_RATED = "not_rated"
NOT_APPLICABLE = "not_applicable"
BELOW_MET = "below_met"
ALREADY_CANCELLED = "cancelled"


def reason_text(code: str) -> str:
    return {
        NO_CRITERION: _("The action names no criterion, so no re-assessment can prove it."),
        NOT_ASSESSED: _("The re-assessment did not assess this criterion (another catalogue)."),
        NOT_RATED: _("The re-assessment did not rate the criterion."),
        NOT_APPLICABLE: _("The re-assessment marked the criterion not applicable."),
        BELOW_MET: _("The re-assessment rated the criterion below met."),
        ALREADY_CANCELLED: _("The action was cancelled."),
    }.get(code, code)


@dataclass(frozen=True)
class GapCheck:
    action: Action
    criterion_code: str
    rating: int | None
    rating_label: str
    proven: bool
    reason: str  # empty when proven

    @property
    def reason_text(self) -> str:
        return reason_text(self.reason) if self.reason else ""


def _criterion_of(action: Action):
    if action.criterion_id:
        return action.criterion
    if action.finding_id and action.finding.criterion_id:
        return action.finding.criterion
    return None


def rating_label(scale: str, rating: int | None) -> str:
    for value, label, _share in SCALE_LEVELS.get(scale, ()):
        if value == rating:
            return str(label)
    return "" if rating is None else str(rating)


def check_gaps(project: RenovationProject, assessment: Assessment) -> list[GapCheck]:
    """For each linked action: is its criterion rated met or better in ``assessment``?
    The criterion is matched by code within the same catalogue (the re-assessment may
    use a newer version of it). Four queries whatever the number of actions."""
    actions = list(
        project.actions.select_related(
            "criterion__version", "finding__criterion__version"
        ).order_by("due_on", "id")
    )
    catalogue_id = assessment.version.catalogue_id
    criteria = {}
    for action in actions:
        criterion = _criterion_of(action)
        same = criterion is not None and criterion.version.catalogue_id == catalogue_id
        criteria[action.pk] = (criterion, same)
    codes = {c.code for c, same in criteria.values() if same}
    answers = {
        answer.criterion.code: answer
        for answer in Answer.objects.filter(
            assessment=assessment, criterion__code__in=codes
        ).select_related("criterion")
    }
    present = set(
        Criterion.objects.filter(version_id=assessment.version_id, code__in=codes).values_list(
            "code", flat=True
        )
    )
    checks = []
    for action in actions:
        criterion, same = criteria[action.pk]
        code = criterion.code if criterion else ""
        answer = answers.get(code) if same else None
        rating = None if answer is None or answer.not_applicable else answer.rating
        if action.status == Action.Status.CANCELLED:
            reason = ALREADY_CANCELLED
        elif criterion is None:
            reason = NO_CRITERION
        elif answer is None:
            reason = NOT_RATED if same and code in present else NOT_ASSESSED
        elif answer.not_applicable:
            reason = NOT_APPLICABLE
        elif rating is None:
            reason = NOT_RATED
        elif rating < MET_AT_LEAST:
            reason = BELOW_MET
        else:
            reason = ""
        checks.append(
            GapCheck(
                action=action,
                criterion_code=code,
                rating=rating,
                rating_label=rating_label(answer.criterion.scale, rating) if answer else "",
                proven=not reason,
                reason=reason,
            )
        )
    return checks


def close_project(
    user, project: RenovationProject, *, version: int | None, note: str = ""
) -> RenovationProject:
    """Close a handed-over project against its re-assessment (see the module's rules)."""
    require(user, "standards.manage_renovation")
    today = timezone.localdate()
    with transaction.atomic(), set_actor(user):
        project = _locked(project)
        _check_version(project, version)
        if project.status != Status.HANDED_OVER:
            raise ValidationFailed(
                fields={
                    "status": _("Only a handed-over project can be closed; this one is %(status)s.")
                    % {"status": project.get_status_display().lower()}
                }
            )
        assessment = project.reassessment
        if assessment is None:
            raise ValidationFailed(
                fields={"assessment": _("Link the re-assessment that checks the works first.")}
            )
        checks = check_gaps(project, assessment)
        still_open = [c for c in checks if not c.proven]
        note = _text(note)
        if still_open and len(note) < MIN_REASON:
            raise ValidationFailed(
                fields={
                    "note": _(
                        "%(n)d of the gaps are not proven closed: say what happens to them "
                        "(at least %(min)d characters)."
                    )
                    % {"n": len(still_open), "min": MIN_REASON}
                },
                extra={"open": [c.action.pk for c in still_open]},
            )
        day = assessment_day(assessment)
        proven_ids = [c.action.pk for c in checks if c.proven]
        locked = {
            a.pk: a
            for a in Action.objects.select_for_update().filter(pk__in=proven_ids).order_by("pk")
        }
        closed_now = []
        for check in checks:
            if not check.proven:
                continue
            action = locked[check.action.pk]
            if action.status not in OPEN_ACTION:
                continue
            action.status = Action.Status.DONE
            action.closed_on = today
            action.closing_note = _(
                "Closed by the renovation project “%(project)s”: criterion %(code)s rated "
                "“%(rating)s” in the %(kind)s of %(date)s (re-assessment %(id)s)."
            ) % {
                "project": project.title,
                "code": check.criterion_code,
                "rating": check.rating_label,
                "kind": assessment.get_kind_display().lower(),
                "date": day.isoformat(),
                "id": assessment.public_id,
            }
            action.version += 1
            action.save(
                update_fields=["status", "closed_on", "closing_note", "version", "updated_at"]
            )
            closed_now.append(action.pk)
        project.status = Status.CLOSED
        project.closed_on = today
        project.closing_note = note
        project.closing_result = {
            "reassessment": str(assessment.public_id),
            "reassessment_on": day.isoformat(),
            "proven": [
                {
                    "action": c.action.pk,
                    "title": c.action.title,
                    "criterion": c.criterion_code,
                    "rating": c.rating,
                    "closed_now": c.action.pk in closed_now,
                }
                for c in checks
                if c.proven
            ],
            "open": [
                {
                    "action": c.action.pk,
                    "title": c.action.title,
                    "criterion": c.criterion_code,
                    "rating": c.rating,
                    "reason": c.reason,
                }
                for c in still_open
            ],
        }
        _bump(project, ["status", "closed_on", "closing_note", "closing_result"])
        record(
            project,
            "closed",
            actor=user,
            proven=len(checks) - len(still_open),
            open=len(still_open),
            closed_actions=closed_now,
        )
    return project
