"""Keyset pagination: stable, index-friendly pages for any ordering on unique keys.

    page = keyset_page(queryset, order=("name", "code"), after=cursor, limit=50)
    {"items": [...], "next": page.next_cursor}

The cursor is an opaque, URL-safe string holding the last row's key values.
"""

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rehsos.core.errors import ValidationFailed

INVALID_CURSOR = gettext_noop("This cursor is not valid; start from the first page.")


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise ValidationFailed(fields={"after": _(INVALID_CURSOR)})
    return values


@dataclass
class Page:
    items: list
    next_cursor: str | None


def keyset_page(
    queryset: QuerySet,
    *,
    order: tuple[str, ...],
    after: str | None,
    limit: int,
    descending: bool = False,
) -> Page:
    """One page of ``queryset`` ordered by ``order`` (the last key must be unique).

    ``descending=True`` walks every key from the largest down: newest first for
    logs ordered by ``("timestamp", "id")``.
    """
    beyond = "lt" if descending else "gt"
    if after:
        values = decode_cursor(after, len(order))
        condition = Q()
        for i, field in enumerate(order):
            step = Q(**{f"{field}__{beyond}": values[i]})
            for prev_field, prev_value in zip(order[:i], values[:i], strict=True):
                step &= Q(**{prev_field: prev_value})
            condition |= step
        try:
            queryset = queryset.filter(condition)
        except (DjangoValidationError, ValueError, TypeError) as exc:
            raise ValidationFailed(fields={"after": _(INVALID_CURSOR)}) from exc
    ordering = [f"-{field}" for field in order] if descending else list(order)
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([_key(last, f) for f in order])
    return Page(items=rows, next_cursor=next_cursor)


def _key(row, field: str):
    if isinstance(row, dict):
        return row[field]
    value = row
    for part in field.split("__"):
        value = getattr(value, part)
    return value
