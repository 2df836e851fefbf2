"""The access log helper: every read of a person's record goes through here.

Call ``log_access(request, person)`` (or a list of people) from the view or
endpoint that shows the record. Nothing personal is written: only who read,
which record (its public id), and from which page or endpoint.
"""

from collections.abc import Iterable

from django.http import HttpRequest

from rehsos.core.models import AccessLog


def _channel(request: HttpRequest | None) -> str:
    if request is None:
        return "cli"
    return "api" if request.path.startswith("/api/") else "page"


def _via(request: HttpRequest | None, via: str | None) -> str:
    if via:
        return via[:200]
    if request is None:
        return "command line"
    match = getattr(request, "resolver_match", None)
    name = match.view_name if match and match.view_name else request.path
    return f"{request.method} {name}"[:200]


def _ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _subject(record) -> tuple[str, str]:
    return record._meta.label_lower, str(getattr(record, "public_id", record.pk))


def log_access(
    request: HttpRequest | None,
    records,
    *,
    user=None,
    via: str | None = None,
    purpose: str = "",
) -> int:
    """Write one access-log row per record read. Returns the number written."""
    if not isinstance(records, Iterable) or hasattr(records, "_meta"):
        records = [records]
    actor = user or getattr(request, "auth", None) or request.user
    channel, where, ip = _channel(request), _via(request, via), _ip(request)
    rows = [
        AccessLog(
            user=actor,
            subject_type=subject_type,
            subject_id=subject_id,
            channel=channel,
            via=where,
            purpose=purpose[:200],
            ip_address=ip,
        )
        for subject_type, subject_id in (_subject(record) for record in records)
    ]
    AccessLog.objects.bulk_create(rows, batch_size=500)
    return len(rows)
