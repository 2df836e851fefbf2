"""Reads of the audit trail, the personal-data access log and background jobs.

Every function takes the user and asks the permission layer first. ``user=None``
means the command line or a job started there: whoever runs it already holds the
server, so no role applies.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from uuid import UUID

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language

from rehsos.core.logfilters import ACTION_NAMES, AUDIT_ACTIONS, AccessFilters, AuditFilters
from rehsos.core.models import AccessLog, Job
from rehsos.core.pagination import Page, keyset_page
from rehsos.core.permissions import can, require

AUDIT_ORDER = ("timestamp", "id")
ACCESS_ORDER = ("at", "id")
JOB_ORDER = ("created_at", "id")

# Never shown, even if a model registers them by mistake.
HIDDEN_FIELDS = frozenset({"password"})


def _require(user, action: str) -> None:
    if user is not None:
        require(user, action)


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the active time zone (Asia/Jakarta by default)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _in_dates(queryset: QuerySet, field: str, start: date | None, end: date | None) -> QuerySet:
    if start:
        queryset = queryset.filter(**{f"{field}__gte": _start_of(start)})
    if end:
        queryset = queryset.filter(**{f"{field}__lt": _start_of(end + timedelta(days=1))})
    return queryset


def audit_entries(*, user, filters: AuditFilters) -> QuerySet[LogEntry]:
    """Recorded creates, updates and deletes matching ``filters``, newest first."""
    _require(user, "audit.view")
    entries = LogEntry.objects.select_related("content_type", "actor")
    if filters.model:
        app_label, _dot, model = filters.model.partition(".")
        entries = entries.filter(content_type__app_label=app_label, content_type__model=model)
    if filters.action:
        entries = entries.filter(action=AUDIT_ACTIONS[filters.action])
    if filters.actor:
        entries = entries.filter(actor__username=filters.actor)
    if filters.object_id:
        entries = entries.filter(object_pk=filters.object_id)
    entries = _in_dates(entries, "timestamp", filters.date_from, filters.date_to)
    return entries.order_by("-timestamp", "-id")


def audit_page(*, user, filters: AuditFilters, after: str | None, limit: int) -> Page:
    return keyset_page(
        audit_entries(user=user, filters=filters),
        order=AUDIT_ORDER,
        after=after,
        limit=limit,
        descending=True,
    )


def access_entries(*, user, filters: AccessFilters) -> QuerySet[AccessLog]:
    """Reads of personal records matching ``filters``, newest first."""
    _require(user, "access_log.view")
    entries = AccessLog.objects.select_related("user")
    if filters.user:
        entries = entries.filter(user__username=filters.user)
    if filters.record_type:
        entries = entries.filter(subject_type=filters.record_type)
    if filters.record_id:
        entries = entries.filter(subject_id=filters.record_id)
    if filters.channel:
        entries = entries.filter(channel=filters.channel)
    entries = _in_dates(entries, "at", filters.date_from, filters.date_to)
    return entries.order_by("-at", "-id")


def access_page(*, user, filters: AccessFilters, after: str | None, limit: int) -> Page:
    return keyset_page(
        access_entries(user=user, filters=filters),
        order=ACCESS_ORDER,
        after=after,
        limit=limit,
        descending=True,
    )


@dataclass(frozen=True)
class FieldChange:
    """One changed field of an audit entry; ``None`` stands for an empty value."""

    field: str
    old: str | None
    new: str | None


def _label(model, name: str) -> str | None:
    """A field's verbose name, or None for what is not one of the row's own fields."""
    return _label_in(model, name, get_language())


@lru_cache(maxsize=2048)
def _label_in(model, name: str, language: str) -> str | None:
    # Cached: an export asks for each field's label once per row.
    if model is None:
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    if field.auto_created and not field.concrete:
        return None  # another model's foreign key to this one, recorded as "….None"
    return str(capfirst(field.verbose_name))


def _value(raw) -> str | None:
    return None if raw in (None, "None", "") else str(raw)


def entry_changes(entry: LogEntry) -> list[FieldChange]:
    """The fields an audit entry changed, old → new, without any hidden field.

    Values are shown as recorded (a related row by its id) so that listing a page
    never runs one query per row."""
    model = entry.content_type.model_class()
    changes = []
    for name, values in (entry.changes_dict or {}).items():
        if name in HIDDEN_FIELDS:
            continue
        if isinstance(values, list | tuple) and len(values) == 2:
            old, new = values
        elif isinstance(values, dict):  # many-to-many: {"type": "m2m", "operation", "objects"}
            old = None
            new = f"{values.get('operation', '')}: {', '.join(map(str, values.get('objects', [])))}"
        else:
            old, new = None, values
        label = _label(model, name)
        if label is not None:
            changes.append(FieldChange(field=label, old=_value(old), new=_value(new)))
    return changes


def entry_action(entry: LogEntry) -> str:
    """The action's name: create, update, delete (or access)."""
    return ACTION_NAMES.get(entry.action, "access")


def entry_model_name(entry: LogEntry) -> str:
    model = entry.content_type.model_class()
    if model is None:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"
    return str(capfirst(model._meta.verbose_name))


def jobs_visible_to(user) -> QuerySet[Job]:
    """The user's own jobs; every job for those who may see all (national admins)."""
    require(user, "jobs.view_own")
    jobs = Job.objects.select_related("created_by")
    return jobs if can(user, "jobs.view_all") else jobs.filter(created_by=user)


def jobs_page(*, user, after: str | None, limit: int) -> Page:
    return keyset_page(
        jobs_visible_to(user), order=JOB_ORDER, after=after, limit=limit, descending=True
    )


def job_for_user(user, public_id: UUID | str) -> Job:
    """One job the user may see; 404 alike for 'no such job' and 'not yours'."""
    return get_object_or_404(jobs_visible_to(user), public_id=public_id)
