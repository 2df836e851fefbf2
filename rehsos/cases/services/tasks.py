"""Tasks and reminders of a case, the overdue alerts and the daily e-mail digest.

Manual tasks are written by caseworkers. Alerts are Task rows that the worker makes
from rules (:data:`RULES`); each carries a ``source_key`` naming the rule and the
row it is about, so a rule never makes the same task twice (a unique constraint
backs it), and an alert closes itself when its condition is gone.

The generator is set-based: per rule one ``INSERT … SELECT`` adds the missing
alerts and one ``UPDATE`` closes the ones whose condition no longer holds — no
loop over cases, whatever their number.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rehsos.cases import access
from rehsos.cases.models import AftercareVisit, Assessment, Case, CaseStatus, Plan, Task, Transfer
from rehsos.cases.services import events
from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.permissions import can
from rehsos.core.roles import Role

DUE_SOON_DAYS = 7
WAITING_DAYS = 3
TITLE_MAX = 200


# --- manual tasks -----------------------------------------------------------------------


def _check_assignee(case: Case, assignee) -> None:
    if assignee is None:
        return
    able = (
        assignee.is_active
        and can(assignee, "cases.view")
        and access.visible_cases(assignee).filter(pk=case.pk).exists()
    )
    if not able:
        raise ValidationFailed(
            fields={"assignee": _("Assign the task to a caseworker who can see this case.")}
        )


@transaction.atomic
def create_task(
    user, case: Case, *, title: str, due_on: datetime.date | None, assignee=None
) -> Task:
    """A task or reminder on the case; assigned to the writer unless someone else is named."""
    problems = {}
    title = " ".join((title or "").split())
    if not title:
        problems["title"] = _("Say what has to be done.")
    elif len(title) > TITLE_MAX:
        problems["title"] = _("Enter at most %(limit)s characters.") % {"limit": TITLE_MAX}
    if not isinstance(due_on, datetime.date):
        problems["due_on"] = _("Enter the date the task is due.")
    elif due_on < case.opened_on:
        problems["due_on"] = _("The due date cannot be before the case was opened.")
    assignee = assignee or user
    try:
        _check_assignee(case, assignee)
    except ValidationFailed as exc:
        problems.update(exc.fields)
    if problems:
        raise ValidationFailed(fields=problems)
    with set_actor(user):
        task = Task.objects.create(
            case=case,
            unit_id=case.unit_id,
            province_code=case.province_code,
            assignee=assignee,
            kind=Task.Kind.MANUAL,
            title=title,
            due_on=due_on,
            created_by=user,
        )
    events.record(
        case, "task_created", actor=user, task=str(task.public_id), due_on=due_on.isoformat()
    )
    return task


def visible_tasks(user) -> QuerySet:
    """Tasks the user may see: those assigned to them, and those of cases they may open."""
    if not can(user, "cases.view"):
        return Task.objects.none()
    cases = access.visible_cases(user).values("pk")
    return Task.objects.filter(Q(assignee=user) | Q(case__in=cases))


def task_for(user, public_id) -> Task:
    task = visible_tasks(user).select_related("case", "assignee").filter(public_id=public_id)
    found = task.first()
    if found is None:
        raise NotFound(_("No such task in your scope."))
    return found


@transaction.atomic
def set_status(user, task: Task, *, status: str, version: int | None) -> Task:
    """Mark a task done or cancelled (or open again), with its row version."""
    if not can(user, "cases.edit"):
        raise PermissionDenied(_("You do not have permission to do this."))
    if status not in Task.Status.values:
        raise ValidationFailed(
            fields={
                "status": _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(Task.Status.values)}
            }
        )
    current = Task.objects.select_for_update().get(pk=task.pk)
    if version is not None and version != current.version:
        raise Conflict(
            _("The task was changed by someone else: reload it and try again."),
            extra={"yours": version, "current_version": current.version},
        )
    if status == current.status:
        return current
    current.status = status
    current.done_at = timezone.now() if status != Task.Status.OPEN else None
    current.version += 1
    with set_actor(user):
        current.save(update_fields=["status", "done_at", "version", "updated_at"])
    if current.case_id:
        events.record(current.case, "task_" + status, actor=user, task=str(current.public_id))
    return current


def work_tasks(user, *, today: datetime.date | None = None) -> QuerySet:
    """Open tasks that are overdue or due within a week: the user's own and, for the
    head of a centre, every task of the centre."""
    today = today or timezone.localdate()
    mine = Q(assignee=user)
    if user.role == Role.FACILITY_HEAD and user.facility_id:
        mine |= Q(unit_id=user.facility_id)
    return Task.objects.filter(
        mine, status=Task.Status.OPEN, due_on__lte=today + timedelta(days=DUE_SOON_DAYS)
    )


def work_counts(tasks: QuerySet, today: datetime.date) -> dict:
    return tasks.aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        due_soon=Count("pk", filter=Q(due_on__gte=today)),
    )


# --- alert rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """An alert: ``rows(today, now)`` gives, per row the alert is about, ``alert_key``,
    ``case_ref``, ``unit_ref``, ``province_ref``, ``assignee_ref`` and ``base_date``; the
    task is due ``due_days`` after ``base_date``."""

    kind: str
    title: str  # stored in English; pages show the kind's translated label
    rows: Callable[[datetime.date, datetime.datetime], QuerySet]
    due_days: Callable[[], int] = lambda: 0


def _key(prefix: str, *parts) -> Concat:
    pieces = [Value(prefix + ":")]
    for index, part in enumerate(parts):
        if index:
            pieces.append(Value(":"))
        pieces.append(Cast(part, output_field=CharField()))
    if len(pieces) == 1:
        pieces.append(Value(""))
    return Concat(*pieces, output_field=CharField())


def _head_of(unit_field: str) -> Subquery:
    """The first active head of a unit (for alerts that are a head's to act on)."""
    heads = get_user_model().objects.filter(
        facility_id=OuterRef(unit_field), role=Role.FACILITY_HEAD, is_active=True
    )
    return Subquery(heads.order_by("pk").values("pk")[:1], output_field=IntegerField())


def _assessment_due(today, now) -> QuerySet:
    cutoff = today - timedelta(days=settings.REHSOS_ASSESSMENT_DUE_DAYS)
    return (
        Case.objects.filter(status=CaseStatus.OPEN, opened_on__lte=cutoff)
        .filter(~Exists(Assessment.objects.filter(case_id=OuterRef("pk"))))
        .order_by()
        .values(
            alert_key=_key("assessment_due", "pk"),
            case_ref=F("pk"),
            unit_ref=F("unit_id"),
            province_ref=F("province_code"),
            assignee_ref=F("social_worker_id"),
            base_date=F("opened_on"),
        )
    )


def _plan_review(today, now) -> QuerySet:
    return (
        Plan.objects.filter(
            status=Plan.Status.APPROVED,
            review_on__lte=today + timedelta(days=DUE_SOON_DAYS),
            case__status=CaseStatus.OPEN,
        )
        .order_by()
        .values(
            alert_key=_key("plan_review", "pk", "review_on"),
            case_ref=F("case_id"),
            unit_ref=F("case__unit_id"),
            province_ref=F("case__province_code"),
            assignee_ref=F("case__social_worker_id"),
            base_date=F("review_on"),
        )
    )


def _aftercare_visit(today, now) -> QuerySet:
    return (
        AftercareVisit.objects.filter(
            visited_on__isnull=True, due_on__lte=today + timedelta(days=DUE_SOON_DAYS)
        )
        .order_by()
        .values(
            alert_key=_key("aftercare_visit", "pk"),
            case_ref=F("case_id"),
            unit_ref=F("case__unit_id"),
            province_ref=F("case__province_code"),
            assignee_ref=F("case__social_worker_id"),
            base_date=F("due_on"),
        )
    )


def _transfer_waiting(today, now) -> QuerySet:
    return (
        Transfer.objects.filter(
            status=Transfer.Status.PENDING, created_at__lt=now - timedelta(days=WAITING_DAYS)
        )
        .order_by()
        .values(
            alert_key=_key("transfer_waiting", "pk"),
            case_ref=F("case_id"),
            unit_ref=F("to_unit_id"),
            province_ref=F("to_province_code"),
            assignee_ref=_head_of("to_unit_id"),
            base_date=TruncDate("created_at"),
        )
    )


def _approval_waiting(today, now) -> QuerySet:
    return (
        Plan.objects.filter(
            status=Plan.Status.SUBMITTED,
            submitted_at__lt=now - timedelta(days=WAITING_DAYS),
            case__status=CaseStatus.OPEN,
        )
        .order_by()
        .values(
            # The version: a plan sent back and submitted again waits anew.
            alert_key=_key("approval_waiting", "pk", "version"),
            case_ref=F("case_id"),
            unit_ref=F("case__unit_id"),
            province_ref=F("case__province_code"),
            assignee_ref=Coalesce(F("case__supervisor_id"), _head_of("case__unit_id")),
            base_date=TruncDate("submitted_at"),
        )
    )


RULES: tuple[Rule, ...] = (
    Rule(
        Task.Kind.ASSESSMENT_DUE,
        "Assessment not done",
        _assessment_due,
        lambda: settings.REHSOS_ASSESSMENT_DUE_DAYS,
    ),
    Rule(Task.Kind.PLAN_REVIEW, "Plan review due", _plan_review),
    Rule(Task.Kind.AFTERCARE_VISIT, "Aftercare visit due", _aftercare_visit),
    Rule(
        Task.Kind.TRANSFER_WAITING,
        "Transfer waiting for a decision",
        _transfer_waiting,
        lambda: WAITING_DAYS,
    ),
    Rule(
        Task.Kind.APPROVAL_WAITING,
        "Plan waiting for approval",
        _approval_waiting,
        lambda: WAITING_DAYS,
    ),
)

_TASK_COLUMNS = (
    "public_id",
    "created_at",
    "updated_at",
    "version",
    "case",
    "unit",
    "province_code",
    "assignee",
    "kind",
    "title",
    "due_on",
    "status",
    "source_key",
)


def _insert_sql(inner: str) -> str:
    """INSERT … SELECT of the missing alerts from the rule's rows (``inner``)."""
    table = Task._meta.db_table
    column = {name: Task._meta.get_field(name).column for name in _TASK_COLUMNS}
    if connection.vendor == "postgresql":
        new_id, due = "gen_random_uuid()", "(s.base_date + %s)"
    else:  # SQLite, the only other database settings.py accepts; it keeps a UUID as 32 hex digits
        new_id, due = "lower(hex(randomblob(16)))", "date(s.base_date, %s)"
    names = ", ".join(column[name] for name in _TASK_COLUMNS)
    return (
        f"INSERT INTO {table} ({names}) "  # noqa: S608 - names from our model, values bound
        f"SELECT {new_id}, %s, %s, 1, s.case_ref, s.unit_ref, s.province_ref, s.assignee_ref, "
        f"%s, %s, {due}, %s, s.alert_key FROM ({inner}) s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{column['source_key']} = s.alert_key) "
        "ON CONFLICT DO NOTHING"
    )


def _due_param(days: int):
    return days if connection.vendor == "postgresql" else f"+{days} days"


# Rows created or closed in one run from which the task table's statistics are refreshed.
ANALYZE_AFTER = 10_000


def _condition_gone(rows: QuerySet) -> Q:
    """Open alerts whose condition no longer holds. PostgreSQL turns NOT EXISTS into a
    hash anti-join; its NOT IN over a subquery larger than work_mem rescans the
    subquery for every task (minutes at 700,000 alerts). SQLite is the other way
    round: NOT IN builds a temporary index, a correlated NOT EXISTS scans per row."""
    if connection.vendor == "postgresql":
        return ~Exists(rows.filter(alert_key=OuterRef("source_key")))
    return ~Q(source_key__in=rows.values("alert_key"))


def generate_alerts(*, now: datetime.datetime | None = None) -> dict[str, dict[str, int]]:
    """Add the alerts whose condition holds and close those whose condition is gone.
    Idempotent: a second run at once changes nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    stamp = Task._meta.get_field("created_at").get_db_prep_value(now, connection, prepared=False)
    result = {}
    for rule in RULES:
        rows = rule.rows(today, now)
        with transaction.atomic():
            closed = (
                Task.objects.filter(kind=rule.kind, status=Task.Status.OPEN)
                .filter(_condition_gone(rows))
                .update(
                    status=Task.Status.DONE,
                    done_at=now,
                    updated_at=now,
                    version=F("version") + 1,
                )
            )
            inner, inner_params = rows.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(
                    _insert_sql(inner),
                    [
                        stamp,
                        stamp,
                        rule.kind,
                        rule.title,
                        _due_param(rule.due_days()),
                        Task.Status.OPEN,
                        *inner_params,
                    ],
                )
                created = max(cursor.rowcount, 0)
        result[str(rule.kind)] = {"created": created, "closed": closed}
    made = sum(part["created"] + part["closed"] for part in result.values())
    if made >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # A large backlog just went in: refresh the planner's statistics now, not when
        # autovacuum gets to it, or the next run plans its anti-join for an empty table
        # (a nested loop over 700,000 tasks: minutes instead of seconds).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Task._meta.db_table}")
    return result


# --- the daily digest -----------------------------------------------------------------------


def _site_url() -> str:
    return getattr(settings, "REHSOS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def digest_message(user, *, overdue: int, due_soon: int) -> EmailMessage:
    """The digest: counts and a link, nothing about any person or case."""
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        subject = _("rehsos: %(overdue)s overdue, %(due_soon)s due this week") % {
            "overdue": overdue,
            "due_soon": due_soon,
        }
        lines = [
            ngettext(
                "You have %(count)s overdue task in rehsos.",
                "You have %(count)s overdue tasks in rehsos.",
                overdue,
            )
            % {"count": overdue},
            ngettext(
                "%(count)s more task is due within 7 days.",
                "%(count)s more tasks are due within 7 days.",
                due_soon,
            )
            % {"count": due_soon},
            "",
            _("Open your tasks: %(link)s") % {"link": _site_url() + reverse("cases:my_tasks")},
            "",
            _(
                "This message comes once a day while you have tasks due. It names no case "
                "or person: sign in to see them."
            ),
        ]
    return EmailMessage(subject=subject, body="\n".join(lines), to=[user.email])


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """One e-mail per user and day with the counts of their overdue and soon-due tasks.
    Returns the number of messages sent. Does nothing unless e-mail is configured."""
    if not settings.REHSOS_EMAIL_ENABLED:
        return 0
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_of_day = timezone.make_aware(
        datetime.datetime.combine(today, datetime.time.min), timezone.get_current_timezone()
    )
    due = Task.objects.filter(
        status=Task.Status.OPEN,
        due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
        assignee__isnull=False,
        assignee__is_active=True,
    ).exclude(assignee__email="")
    sent_today = Task.objects.filter(notified_at__gte=start_of_day).values("assignee_id")
    counts = {
        row["assignee_id"]: row
        for row in due.exclude(assignee_id__in=sent_today)
        .order_by()
        .values("assignee_id")
        .annotate(
            overdue=Count("pk", filter=Q(due_on__lt=today)),
            due_soon=Count("pk", filter=Q(due_on__gte=today)),
        )
    }
    if not counts:
        return 0
    users = get_user_model().objects.filter(pk__in=counts).only("pk", "email", "language")
    messages = [
        digest_message(
            user, overdue=counts[user.pk]["overdue"], due_soon=counts[user.pk]["due_soon"]
        )
        for user in users
    ]
    sent = get_connection().send_messages(messages) or 0
    due.filter(assignee_id__in=list(counts)).update(notified_at=now)
    return sent
