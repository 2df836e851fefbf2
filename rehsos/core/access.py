"""The access log helper: every read of a person's record goes through here.

Call ``log_access(request, person)`` (or a list of people) from the view or
endpoint that shows the record. Nothing personal is written: only who read,
which record (its public id), and from which page or endpoint.
"""

from collections.abc import Iterable
from functools import lru_cache

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

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
    """Write one access-log row per record read. Returns the number written.

    The rows of one call go in with one INSERT (a result page's worth in one statement),
    at one instant."""
    if not isinstance(records, Iterable) or hasattr(records, "_meta"):
        records = [records]
    actor = user or getattr(request, "auth", None) or request.user
    channel, where, ip = _channel(request), _via(request, via), _ip(request)
    subjects = [_subject(record) for record in records]
    if not subjects:
        return 0
    at = _AT.get_db_prep_save(timezone.now(), connection)
    ip = _IP.get_db_prep_save(ip, connection)
    fixed = [actor.pk, channel, where, purpose[:200], ip]
    with connection.cursor() as cursor:
        for start in range(0, len(subjects), BATCH):
            part = subjects[start : start + BATCH]
            cursor.execute(
                _insert_sql(len(part)),
                [x for kind, subject in part for x in (at, kind, subject, *fixed)],
            )
    return len(subjects)


BATCH = 500
_AT = AccessLog._meta.get_field("at")
_IP = AccessLog._meta.get_field("ip_address")
_COLUMNS = (
    "at",
    "subject_type",
    "subject_id",
    "user_id",
    "channel",
    "via",
    "purpose",
    "ip_address",
)


@lru_cache(maxsize=8)
def _insert_sql(rows: int) -> str:
    table = AccessLog._meta.db_table
    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    return f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES " + ", ".join([row] * rows)  # noqa: S608 - constant names and parameter marks
