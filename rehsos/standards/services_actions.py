"""Quality improvement plans: actions, their evidence, and the head's yearly attestation.

* ``create_from_findings``: every "recommendation" finding of a submitted assessment
  becomes one action, due ``ACTION_DUE_DAYS`` (90) after the visit (or the
  submission); running it again creates nothing new.
* ``create_action`` / ``update_action``: the owner is an active user of the centre or
  a national user; the cost estimate is whole rupiah, at least 0; partner funding
  names a partner agreement that is signed or in force (own budget and "not funded
  yet" name none). An edit carries the row version it read (stale: ``Conflict``).
* ``change_status``: open → in progress → done / cancelled (open → done and
  open → cancelled too). Done needs at least one piece of evidence and a note on how
  it was closed; cancelled needs the reason. Done and cancelled are final: a gap
  found again at the next audit becomes a new action.
* ``add_evidence``: a document or photo checked by content (``core.uploads``) with the
  date it is valid from.
* ``attest``: once a year per centre, by the head of that centre, recording how many
  actions were open and overdue at that moment.

Every write runs in one transaction with the user as the audit log's actor.
"""

import datetime
from decimal import Decimal, InvalidOperation

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.permissions import require, scoped
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.uploads import DOCUMENTS, check_upload, store
from rehsos.facilities.models import Facility
from rehsos.partners.models import Agreement
from rehsos.standards.models import (
    ACTION_DUE_DAYS,
    Action,
    ActionEvidence,
    Assessment,
    Attestation,
    Criterion,
    Finding,
)

TITLE_MAX = 300
CAPTION_MAX = 200
NOTE_MIN = 10
STATEMENT_MIN = 20
# The most an estimate may be (the column holds 16 digits).
COST_MAX = Decimal("9" * 16)
# Partner agreements that may fund an action.
FUNDING_AGREEMENT_STATUSES = (Agreement.Status.SIGNED, Agreement.Status.IN_FORCE)
OPEN_STATUSES = (Action.Status.OPEN, Action.Status.IN_PROGRESS)
# status → the statuses it may move to.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Action.Status.OPEN: (Action.Status.IN_PROGRESS, Action.Status.DONE, Action.Status.CANCELLED),
    Action.Status.IN_PROGRESS: (Action.Status.DONE, Action.Status.CANCELLED),
    Action.Status.DONE: (),
    Action.Status.CANCELLED: (),
}
EDITABLE = ("title", "description", "criterion", "owner", "due_on", "cost_estimate", "funding")

_UNSET = object()


# --- from an audit ----------------------------------------------------------------


def due_date_for(assessment: Assessment) -> datetime.date:
    """The due date of the actions of an assessment: ``ACTION_DUE_DAYS`` after its visit,
    or after its submission when no visit date is recorded (today when neither)."""
    if assessment.visit_on:
        base = assessment.visit_on
    elif assessment.submitted_at:
        base = timezone.localdate(assessment.submitted_at)
    else:
        base = timezone.localdate()
    return base + datetime.timedelta(days=ACTION_DUE_DAYS)


def _title_of(text: str) -> str:
    first = " ".join((text or "").strip().splitlines()[0].split()) if text.strip() else ""
    if len(first) > TITLE_MAX:
        first = first[: TITLE_MAX - 1].rstrip() + "…"
    return first or _("Recommendation of the audit")


def create_from_findings(assessment: Assessment, *, user) -> list[Action]:
    """One action per recommendation finding of ``assessment`` that has none yet;
    returns the actions created (none on a second run). Called by the assessments
    part when an assessment is submitted; the caller has checked its permission."""
    with transaction.atomic(), set_actor(user):
        # Two submissions at once: the second waits here, then finds the actions made.
        assessment = (
            Assessment.objects.select_for_update().select_related("facility").get(pk=assessment.pk)
        )
        findings = list(
            Finding.objects.filter(
                assessment=assessment, kind=Finding.Kind.RECOMMENDATION, action__isnull=True
            ).order_by("pk")
        )
        due_on = due_date_for(assessment)
        created = []
        for finding in findings:
            text = (finding.text or "").strip()
            title = _title_of(text)
            created.append(
                Action.objects.create(
                    facility=assessment.facility,
                    province_code=assessment.facility.province_code,
                    finding=finding,
                    criterion_id=finding.criterion_id,
                    title=title,
                    description=text if text != title else "",
                    due_on=due_on,
                    funding=Action.Funding.NONE,
                )
            )
    return created


# --- checks -----------------------------------------------------------------------


def _in_scope(user, facility: Facility) -> None:
    if not scoped(user, Facility.objects.filter(pk=facility.pk)).exists():
        raise NotFound(_("No such centre in your scope."))


def _check_version(action: Action, version) -> None:
    if version is None or int(version) != action.version:
        raise Conflict(
            _("Someone else changed this action after you opened it."),
            extra={"current_version": action.version, "your_version": version},
        )


def owner_allowed(owner, facility: Facility) -> bool:
    return bool(
        owner.is_active
        and (owner.facility_id == facility.pk or owner.scope_level == ScopeLevel.NATION)
    )


def _owner(value, facility: Facility, errors: dict):
    """A user (or its id or username) that may own an action of ``facility``."""
    if value in (None, ""):
        return None
    User = get_user_model()
    if isinstance(value, User):
        owner = value
    else:
        lookup = {"pk": value} if isinstance(value, int) else {"username": str(value)}
        owner = User.objects.filter(**lookup).first()
    if owner is None or not owner_allowed(owner, facility):
        errors["owner"] = _(
            "Choose an active user of %(centre)s or a national user as the owner."
        ) % {"centre": facility.name}
        return None
    return owner


def _cost(value, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.to_integral_value():
        errors["cost_estimate"] = _("Enter the cost in whole rupiah (digits only).")
        return None
    if amount < 0:
        errors["cost_estimate"] = _("The cost estimate cannot be negative.")
        return None
    if amount > COST_MAX:
        errors["cost_estimate"] = _("The cost estimate is too large.")
        return None
    return amount.quantize(Decimal(1))


def _agreement(value, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, Agreement):
        agreement = value
    else:
        key = "pk" if isinstance(value, int) else "public_id"
        try:
            agreement = Agreement.objects.filter(**{key: value}).first()
        except (ValueError, TypeError, DjangoValidationError):  # a malformed id
            agreement = None
    if agreement is None or agreement.status not in FUNDING_AGREEMENT_STATUSES:
        errors["agreement"] = _(
            "Choose a partner agreement that is signed or in force; a draft or expired "
            "agreement cannot fund an action."
        )
        return None
    return agreement


def _criterion(value, facility: Facility, errors: dict):
    """A criterion of a catalogue version this centre has been assessed against."""
    if value in (None, ""):
        return None
    criterion_id = value.pk if isinstance(value, Criterion) else value
    try:
        criterion_id = int(criterion_id)
    except (TypeError, ValueError):
        criterion_id = None
    criterion = (
        Criterion.objects.filter(
            pk=criterion_id,
            version__assessments__facility=facility,
        )
        .distinct()
        .first()
        if criterion_id is not None
        else None
    )
    if criterion is None:
        errors["criterion"] = _(
            "Choose a criterion of a catalogue version this centre has been assessed against."
        )
    return criterion


def _clean(facility: Facility, data: dict, *, creating: bool, current: Action | None) -> dict:
    """Check the fields given in ``data``; raise ``ValidationFailed`` naming each bad
    one. Returns the cleaned values (only the fields given)."""
    errors: dict[str, str] = {}
    clean: dict = {}
    today = timezone.localdate()
    if "title" in data:
        title = " ".join((data["title"] or "").split())
        if not title:
            errors["title"] = _("Say what has to be done.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("Enter at most %(limit)s characters.") % {"limit": TITLE_MAX}
        clean["title"] = title
    if "description" in data:
        clean["description"] = (data["description"] or "").strip()
    if "criterion" in data:
        clean["criterion"] = _criterion(data["criterion"], facility, errors)
    if "owner" in data:
        clean["owner"] = _owner(data["owner"], facility, errors)
    if "due_on" in data:
        due_on = data["due_on"]
        if due_on is None:
            errors["due_on"] = _("Give the date the action is due.")
        elif not isinstance(due_on, datetime.date):
            errors["due_on"] = _("Enter a valid date (YYYY-MM-DD).")
        elif due_on < today and (creating or (current and due_on != current.due_on)):
            errors["due_on"] = _("The due date cannot be in the past.")
        clean["due_on"] = due_on
    if "cost_estimate" in data:
        clean["cost_estimate"] = _cost(data["cost_estimate"], errors)
    funding = data.get("funding", current.funding if current else Action.Funding.OWN)
    if "funding" in data and funding not in Action.Funding.values:
        errors["funding"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Action.Funding.values)
        }
    if "funding" in data or "agreement" in data:
        agreement_value = data.get("agreement", _UNSET)
        if agreement_value is _UNSET:
            agreement_value = current.agreement if current else None
        if funding == Action.Funding.PARTNER:
            if agreement_value in (None, ""):
                errors["agreement"] = _(
                    "Partner funding needs the partner agreement (signed or in force) "
                    "that pays for it."
                )
                agreement = None
            else:
                agreement = _agreement(agreement_value, errors)
        else:
            if agreement_value not in (None, "") and "agreement" in data:
                errors["agreement"] = _(
                    "Only an action funded by a partner names an agreement; choose "
                    "partner funding or leave the agreement empty."
                )
            agreement = None
        clean["funding"] = funding
        clean["agreement"] = agreement
    if errors:
        raise ValidationFailed(fields=errors)
    return clean


# --- actions of the plan ----------------------------------------------------------


def create_action(
    *,
    user,
    facility: Facility,
    title: str,
    due_on: datetime.date | None,
    description: str = "",
    criterion=None,
    owner=None,
    cost_estimate=None,
    funding: str = Action.Funding.OWN,
    agreement=None,
) -> Action:
    """An action the centre adds to its plan itself (not from an audit finding)."""
    require(user, "standards.manage_actions")
    _in_scope(user, facility)
    data = {
        "title": title,
        "description": description,
        "criterion": criterion,
        "owner": owner,
        "due_on": due_on,
        "cost_estimate": cost_estimate,
        "funding": funding,
        "agreement": agreement,
    }
    clean = _clean(facility, data, creating=True, current=None)
    with transaction.atomic(), set_actor(user):
        return Action.objects.create(
            facility=facility, province_code=facility.province_code, **clean
        )


def update_action(*, user, action: Action, version: int | None, **changes) -> Action:
    """Change some of an open action's fields (``EDITABLE`` plus ``agreement``): only
    the keyword arguments given are changed."""
    require(user, "standards.manage_actions")
    unknown = set(changes) - {*EDITABLE, "agreement"}
    if unknown:
        raise TypeError(f"update_action() got unexpected fields {sorted(unknown)}")
    with transaction.atomic(), set_actor(user):
        action = Action.objects.select_for_update().select_related("facility").get(pk=action.pk)
        _in_scope(user, action.facility)
        _check_version(action, version)
        if action.status not in OPEN_STATUSES:
            raise ValidationFailed(
                fields={
                    "status": _("A %(status)s action cannot be changed.")
                    % {"status": action.get_status_display().lower()}
                }
            )
        clean = _clean(action.facility, changes, creating=False, current=action)
        changed = [name for name, value in clean.items() if getattr(action, name) != value]
        if not changed:
            return action
        for name in changed:
            setattr(action, name, clean[name])
        action.version += 1
        action.save(update_fields=[*changed, "version", "updated_at"])
    return action


def change_status(
    *,
    user,
    action: Action,
    status: str,
    version: int | None,
    note: str = "",
    closed_on: datetime.date | None = None,
) -> Action:
    """Move the action to ``status`` (see the module's rules). ``note`` is how it was
    closed (done) or why it was cancelled; ``closed_on`` defaults to today."""
    require(user, "standards.manage_actions")
    today = timezone.localdate()
    with transaction.atomic(), set_actor(user):
        action = Action.objects.select_for_update().select_related("facility").get(pk=action.pk)
        _in_scope(user, action.facility)
        _check_version(action, version)
        errors: dict[str, str] = {}
        if status not in Action.Status.values:
            raise ValidationFailed(
                fields={
                    "status": _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(Action.Status.values)}
                }
            )
        if status == action.status:
            return action
        if status not in TRANSITIONS[action.status]:
            allowed = TRANSITIONS[action.status]
            if allowed:
                message = _("A %(status)s action can only become: %(allowed)s.") % {
                    "status": action.get_status_display().lower(),
                    "allowed": ", ".join(str(Action.Status(s).label).lower() for s in allowed),
                }
            else:
                message = _(
                    "A %(status)s action is final. If the gap is still there, add a new action."
                ) % {"status": action.get_status_display().lower()}
            raise ValidationFailed(fields={"status": message})
        note = (note or "").strip()
        closing = status in (Action.Status.DONE, Action.Status.CANCELLED)
        if status == Action.Status.DONE:
            if not action.evidence.exists():
                errors["evidence"] = _(
                    "Upload at least one piece of evidence that shows the action done "
                    "before closing it."
                )
            if len(note) < NOTE_MIN:
                errors["note"] = _(
                    "Say how the action was closed (at least %(min)d characters)."
                ) % {"min": NOTE_MIN}
        elif status == Action.Status.CANCELLED and len(note) < NOTE_MIN:
            errors["note"] = _("Give the reason for cancelling (at least %(min)d characters).") % {
                "min": NOTE_MIN
            }
        if closing:
            closed_on = closed_on or today
            if closed_on > today:
                errors["closed_on"] = _("The closing date cannot be in the future.")
            elif closed_on < timezone.localdate(action.created_at):
                errors["closed_on"] = _("The closing date cannot be before the action was added.")
        if errors:
            raise ValidationFailed(fields=errors)
        action.status = status
        fields = ["status", "version", "updated_at"]
        if closing:
            action.closed_on = closed_on
            action.closing_note = note
            fields += ["closed_on", "closing_note"]
        action.version += 1
        action.save(update_fields=fields)
    return action


# --- evidence ---------------------------------------------------------------------


def add_evidence(
    *, user, action: Action, upload, valid_from: datetime.date | None, caption: str = ""
) -> ActionEvidence:
    """Check and store a file that shows the action done."""
    require(user, "standards.manage_actions")
    _in_scope(user, action.facility)
    errors: dict[str, str] = {}
    if action.status == Action.Status.CANCELLED:
        errors["action"] = _("The action is cancelled: it takes no more evidence.")
    if valid_from is None:
        errors["valid_from"] = _(
            "Give the date the evidence shows (the photo's day, the letter's date)."
        )
    elif valid_from > timezone.localdate():
        errors["valid_from"] = _("The date the evidence is valid from cannot be in the future.")
    caption = " ".join((caption or "").split())
    if len(caption) > CAPTION_MAX:
        errors["caption"] = _("Enter at most %(limit)s characters.") % {"limit": CAPTION_MAX}
    try:
        checked = check_upload(upload, field="file", allowed=DOCUMENTS)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        checked = None
    if errors:
        raise ValidationFailed(fields=errors)
    stored = store(checked, "standards/actions")
    try:
        with transaction.atomic(), set_actor(user):
            evidence = ActionEvidence.objects.create(
                action=action,
                file=stored,
                original_name=checked.original_name[:200],
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                caption=caption,
                valid_from=valid_from,
                uploaded_by=user,
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return evidence


def remove_evidence(*, user, evidence: ActionEvidence) -> None:
    """Remove a file from an action that is not closed yet (the evidence that closed
    an action is kept)."""
    require(user, "standards.manage_actions")
    action = evidence.action
    _in_scope(user, action.facility)
    if action.status not in OPEN_STATUSES:
        raise ValidationFailed(
            fields={"evidence": _("The evidence of a closed action is kept; it cannot be removed.")}
        )
    name = evidence.file.name
    with transaction.atomic(), set_actor(user):
        evidence.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


def open_evidence(evidence: ActionEvidence):
    return default_storage.open(evidence.file.name, "rb")


# --- attestation ------------------------------------------------------------------


def plan_counts(facility: Facility, today: datetime.date) -> dict[str, int]:
    """The centre's open (open or in progress) and overdue actions, in one query."""
    return Action.objects.filter(facility=facility, status__in=OPEN_STATUSES).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today))
    )


def attest(*, user, facility: Facility, statement: str, today=None) -> Attestation:
    """The head's yearly statement that the centre's improvement plan is being kept."""
    require(user, "standards.attest")
    _in_scope(user, facility)
    if user.facility_id != facility.pk:
        raise PermissionDenied(_("Only the head of this centre can attest its plan."))
    today = today or timezone.localdate()
    statement = (statement or "").strip()
    if len(statement) < STATEMENT_MIN:
        raise ValidationFailed(
            fields={
                "statement": _("Write the statement (at least %(min)d characters).")
                % {"min": STATEMENT_MIN}
            }
        )
    with transaction.atomic(), set_actor(user):
        Facility.objects.select_for_update().filter(pk=facility.pk).first()
        earlier = (
            Attestation.objects.select_related("attested_by")
            .filter(facility=facility, year=today.year)
            .first()
        )
        if earlier is not None:
            raise ValidationFailed(fields={"year": already_attested_message(earlier)})
        counts = plan_counts(facility, today)
        try:
            with transaction.atomic():
                return Attestation.objects.create(
                    facility=facility,
                    year=today.year,
                    statement=statement,
                    attested_by=user,
                    open_actions=counts["open"],
                    overdue_actions=counts["overdue"],
                )
        except IntegrityError:  # attested at the same moment in another request
            earlier = Attestation.objects.get(facility=facility, year=today.year)
            raise ValidationFailed(fields={"year": already_attested_message(earlier)}) from None


def already_attested_message(earlier: Attestation) -> str:
    return _(
        "The plan of this centre was already attested for %(year)s by %(who)s on %(date)s. "
        "The next attestation can be made from 1 January %(next)s."
    ) % {
        "year": earlier.year,
        "who": earlier.attested_by.get_full_name() or earlier.attested_by.get_username(),
        "date": timezone.localtime(earlier.attested_at).date().isoformat(),
        "next": earlier.year + 1,
    }


# --- e-mail reminders -------------------------------------------------------------

REMIND_WITHIN_DAYS = 14


def _site_url() -> str:
    return getattr(settings, "REHSOS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def reminder_message(user, *, overdue: int, due_soon: int, link: str) -> EmailMessage:
    """Counts and a link, nothing else."""
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        subject = _("rehsos: %(overdue)s improvement actions overdue, %(due_soon)s due soon") % {
            "overdue": overdue,
            "due_soon": due_soon,
        }
        lines = [
            ngettext(
                "%(count)s action of an improvement plan in your care is overdue.",
                "%(count)s actions of an improvement plan in your care are overdue.",
                overdue,
            )
            % {"count": overdue},
            ngettext(
                "%(count)s more is due within %(days)s days.",
                "%(count)s more are due within %(days)s days.",
                due_soon,
            )
            % {"count": due_soon, "days": REMIND_WITHIN_DAYS},
            "",
            _("Open the plan: %(link)s") % {"link": link},
            "",
            _("This message comes at most once a day while actions in your care are due."),
        ]
    return EmailMessage(subject=subject, body="\n".join(lines), to=[user.email])


def send_reminders(*, now: datetime.datetime | None = None) -> int:
    """One e-mail a day to each person with improvement actions overdue or due within
    14 days: the action's owner, or the heads of the centre for an action without an
    owner. Returns the number sent; does nothing unless e-mail is configured."""
    if not settings.REHSOS_EMAIL_ENABLED:
        return 0
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_of_day = timezone.make_aware(
        datetime.datetime.combine(today, datetime.time.min), timezone.get_current_timezone()
    )
    due = Action.objects.filter(
        status__in=OPEN_STATUSES,
        due_on__lte=today + datetime.timedelta(days=REMIND_WITHIN_DAYS),
        facility__is_active=True,
    )
    counted = {
        "overdue": Count("pk", filter=Q(due_on__lt=today)),
        "due_soon": Count("pk", filter=Q(due_on__gte=today)),
        "reminded": Count("pk", filter=Q(reminded_at__gte=start_of_day)),
    }
    User = get_user_model()
    by_owner = {
        row["owner_id"]: row
        for row in due.filter(owner__isnull=False, owner__is_active=True)
        .exclude(owner__email="")
        .values("owner_id")
        .annotate(**counted)
        .order_by()
        if not row["reminded"]
    }
    by_centre = {
        row["facility_id"]: row
        for row in due.filter(owner__isnull=True)
        .values("facility_id")
        .annotate(**counted)
        .order_by()
        if not row["reminded"]
    }
    heads = list(
        User.objects.filter(
            is_active=True, role=Role.FACILITY_HEAD, facility_id__in=list(by_centre)
        ).exclude(email="")
    )
    messages = []
    home = _site_url() + reverse("core:home")
    for owner in User.objects.filter(pk__in=list(by_owner)):
        row = by_owner[owner.pk]
        messages.append(
            reminder_message(owner, overdue=row["overdue"], due_soon=row["due_soon"], link=home)
        )
    for head in heads:
        row = by_centre[head.facility_id]
        link = _site_url() + reverse("standards:actions_plan", args=[head.facility.code])
        messages.append(
            reminder_message(head, overdue=row["overdue"], due_soon=row["due_soon"], link=link)
        )
    if not messages:
        return 0
    sent = get_connection().send_messages(messages) or 0
    due.filter(
        Q(owner_id__in=list(by_owner))
        | Q(owner__isnull=True, facility_id__in={h.facility_id for h in heads})
    ).update(reminded_at=now)
    return sent
