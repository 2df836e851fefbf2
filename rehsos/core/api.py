"""The API shell: django-ninja at /api/v1/ with token and session auth,
RFC 9457 problem+json for every error, and per-token rate limiting."""

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth
from pydantic import WithJsonSchema

from rehsos.core.errors import DomainError
from rehsos.core.models import ApiRateCount, ApiToken
from rehsos.core.models import _hash_token as hash_token
from rehsos.core.permissions import public

logger = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class Problem(Schema):
    """RFC 9457 problem details, as every error of this API is answered (see problem())."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str
    errors: list[dict] | None = None


def choices_schema(choices: Any, name: str) -> WithJsonSchema:
    """The OpenAPI schema of a model's TextChoices used as a field type, inline and titled
    ``name``: as a component it would be filed under the class name, and many models call
    their choices Kind or Status, each replacing the last. Use it as
    ``Annotated[Model.Kind, choices_schema(Model.Kind, "ModelKind")]``; the values, the
    validation and its errors stay those of the choices."""
    return WithJsonSchema({"title": name, "type": "string", "enum": list(choices.values)})


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def _rate() -> tuple[int, int]:
    count, _sep, period = settings.REHSOS_API_RATE.partition("/")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[period]
    return int(count), seconds


# --- rate limiting ---------------------------------------------------------------------
#
# A fixed-window counter per token in the database (ApiRateCount), shared by every web
# worker. Writing it on every request would cost a commit each (a WAL flush on
# PostgreSQL, as much as the rest of a small request). So a worker *reserves* requests:
# one UPSERT adds n to the window's count and the worker may serve the part of those n
# that fitted under the limit without asking again. The sum of all reservations never
# passes the limit, so the limit holds across workers; a worker reserves about as many
# requests as the token sent it in the last second (so it writes about once a second),
# and only one at a time when the window is nearly used up, so little is held back.


@dataclass
class _Lease:
    bucket: int
    left: int  # reserved requests not served yet
    size: int  # the last reservation
    taken_at: float  # time.monotonic() of the last reservation
    seen: int  # the window's count after the last reservation


_leases: dict[tuple, _Lease] = {}
_leases_lock = threading.Lock()
MAX_RESERVED_SHARE = 20  # a worker reserves at most 1/20 of the limit at once


def _reserve(token_pk: int, bucket: int, wanted: int) -> int:
    """Add ``wanted`` to the window's count; return the window's count after it."""
    table = ApiRateCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, bucket, count) VALUES (%s, %s, %s) "  # noqa: S608 - table name from our model, values bound
            f"ON CONFLICT (token_id, bucket) DO UPDATE SET count = {table}.count + %s "
            "RETURNING count",
            [token_pk, bucket, wanted, wanted],
        )
        count = cursor.fetchone()[0]
    if count == wanted:  # the first reservation of this window: forget the old ones
        ApiRateCount.objects.filter(token_id=token_pk, bucket__lt=bucket).delete()
    return count


def throttle(token: ApiToken) -> None:
    """Count one request of ``token``; over the limit raises RateLimited with the seconds
    until the window ends."""
    limit, window = _rate()
    now = int(timezone.now().timestamp())
    bucket = now // window
    key = (token.pk, token.lookup, limit, window)
    with _leases_lock:
        lease = _leases.get(key)
        if lease is not None and lease.bucket == bucket and lease.left > 0:
            lease.left -= 1
            return
        wanted = 1
        if lease is not None and lease.bucket == bucket:
            # About one second's worth of this token's requests, never much of the limit.
            elapsed = max(time.monotonic() - lease.taken_at, 1e-3)
            wanted = min(math.ceil(lease.size / elapsed), max(1, limit // MAX_RESERVED_SHARE))
            wanted = max(1, min(wanted, (limit - lease.seen) // 4))
        count = _reserve(token.pk, bucket, wanted)
        granted = max(0, min(wanted, limit - (count - wanted)))
        if len(_leases) > 10_000:
            _leases.clear()
        _leases[key] = _Lease(bucket, granted - 1, wanted, time.monotonic(), count)
        if granted == 0:
            raise RateLimited(retry_after=(bucket + 1) * window - now)


# --- token authentication --------------------------------------------------------------


def _loader(model, alias: str):
    """Columns and a row → instance function for ``model`` (the ORM's converters applied)."""
    fields = list(model._meta.concrete_fields)
    columns = [f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields]
    converters = []
    for position, f in enumerate(fields):
        col = f.get_col(alias)
        found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        if found:
            converters.append((position, col, found))
    names = [f.attname for f in fields]

    def load(values: list):
        for position, col, found in converters:
            for convert in found:
                values[position] = convert(values[position], col, connection)
        return model.from_db(connection.alias, names, values)

    return columns, load


@lru_cache(maxsize=4)
def _token_query(vendor: str):
    """One statement that finds a usable token with its user (the ApiToken.usable() rules)."""
    User = ApiToken._meta.get_field("user").related_model
    token_columns, load_token = _loader(ApiToken, "t")
    user_columns, load_user = _loader(User, "u")
    sql = (
        f"SELECT {', '.join(token_columns + user_columns)} "  # noqa: S608 - names from our models
        f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
        "WHERE t.lookup = %s AND t.digest = %s AND t.revoked_at IS NULL "
        "AND t.expires_at > %s AND u.is_active"
    )
    return sql, len(token_columns), load_token, load_user


def _find_token(raw: str) -> ApiToken | None:
    """The usable token whose raw value this is, its user loaded, in one query. The
    SHA-256 of the raw value is compared in the database: the digest of a guess says
    nothing about the stored one."""
    if not raw.startswith(ApiToken.PREFIX) or "_" not in raw[len(ApiToken.PREFIX) :]:
        return None
    lookup = raw[len(ApiToken.PREFIX) :].split("_", 1)[0]
    sql, split, load_token, load_user = _token_query(connection.vendor)
    now = ApiToken._meta.get_field("expires_at").get_db_prep_value(
        timezone.now(), connection, prepared=False
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [lookup, hash_token(raw), now])
        row = cursor.fetchone()
    if row is None:
        return None
    token = load_token(list(row[:split]))
    token.user = load_user(list(row[split:]))
    return token


def _authenticate_token(request: HttpRequest, raw: str):
    token = _find_token(raw)
    if token is None:
        return None
    throttle(token)
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    request.api_token = token
    return token.user


class BearerToken(HttpBearer):
    openapi_description = "Personal API token: `Authorization: Bearer rhs_…`"

    def authenticate(self, request, token):
        return _authenticate_token(request, token)


class HeaderToken(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request, key):
        return _authenticate_token(request, key) if key else None


def problem(
    request,
    status: int,
    title: str,
    *,
    code: str,
    detail: str = "",
    errors: list | None = None,
    headers: dict | None = None,
    **extra,
) -> JsonResponse:
    body = {
        "type": f"https://rehsos.kemensos.go.id/problems/{code}",
        "title": str(title),
        "status": status,
        "detail": str(detail or title),
        "instance": request.path,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = JsonResponse(
        body, status=status, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_name(loc) -> str:
    # ninja locations look like ("body", "payload", "name") or ("query", "limit"); an
    # upload's is ("file", "<parameter>"): its first "file" names the source, not a field.
    if len(loc) > 1 and loc[0] == "file":
        loc = loc[1:]
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header")]
    if len(parts) > 1 and loc and loc[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or str(loc[-1] if loc else "")


_BOUNDS = {
    "less_than_equal": ("le", gettext_lazy("Enter a value of at most %(limit)s.")),
    "less_than": ("lt", gettext_lazy("Enter a value below %(limit)s.")),
    "greater_than_equal": ("ge", gettext_lazy("Enter a value of at least %(limit)s.")),
    "greater_than": ("gt", gettext_lazy("Enter a value above %(limit)s.")),
    "string_too_long": ("max_length", gettext_lazy("Enter at most %(limit)s characters.")),
    "string_too_short": ("min_length", gettext_lazy("Enter at least %(limit)s characters.")),
    "too_long": ("max_length", gettext_lazy("Give at most %(limit)s items.")),
    "string_pattern_mismatch": (
        "pattern",
        gettext_lazy("The value does not have the expected form."),
    ),
}


def _validation_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind in _BOUNDS:
        key, message = _BOUNDS[kind]
        return str(message) % {"limit": (error.get("ctx") or {}).get(key, "")}
    if kind == "missing":
        return _("This field is required.")
    if kind == "json_invalid":
        return _("The body is not valid JSON.")
    if kind.startswith("int"):
        return _("Enter a whole number.")
    if kind.startswith(("string", "str")):
        return _("Enter text.")
    if kind.startswith("bool"):
        return _("Enter true or false.")
    if kind.startswith(("date", "datetime")):
        return _("Enter a valid date (YYYY-MM-DD).")
    if kind.startswith("uuid"):
        return _("Enter a valid identifier.")
    return str(error.get("msg", _("This value is not valid.")))


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="rehsos API",
        version="1",
        urls_namespace="api",
        description=(
            "The API of rehsos, the information system of Indonesia's social rehabilitation "
            "programme. Authenticate with a personal token (`Authorization: Bearer rhs_…`, "
            "created on your account page or with `rehsos create-token USERNAME`). Errors are "
            "RFC 9457 problem+json."
        ),
        auth=[BearerToken(), HeaderToken(), django_auth],
        # The schema and its docs page describe the API and hold no data.
        docs_decorator=public,
    )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc):
        errors = [
            {
                "field": _field_name(e.get("loc", ())),
                "message": _validation_message(e),
                "code": e.get("type", "invalid"),
            }
            for e in exc.errors
        ]
        return problem(
            request, 422, _("Some fields are not valid"), code="validation_failed", errors=errors
        )

    @api.exception_handler(DomainError)
    def domain_error(request, exc):
        errors = [{"field": f, "message": str(m)} for f, m in exc.fields.items()] or None
        return problem(
            request,
            exc.status,
            exc.title,
            code=exc.code,
            detail=str(exc.message),
            errors=errors,
            **exc.extra,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return problem(
            request,
            401,
            _("Authentication required"),
            code="unauthenticated",
            detail=_("Send a valid, unexpired API token: Authorization: Bearer rhs_…"),
            headers={"WWW-Authenticate": 'Bearer realm="rehsos"'},
        )

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc):
        return problem(
            request,
            429,
            _("Too many requests"),
            code="rate_limited",
            detail=_("Wait %(seconds)s seconds before trying again.")
            % {"seconds": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return problem(request, 404, _("Not found"), code="not_found")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            # ninja reports a body that is not JSON as a bare 400; like any other bad
            # input it is a 422 naming where the problem is: the body itself.
            return problem(
                request,
                422,
                _("Some fields are not valid"),
                code="validation_failed",
                errors=[
                    {
                        "field": "body",
                        "message": _("The body is not valid JSON."),
                        "code": "json_invalid",
                    }
                ],
            )
        return problem(request, exc.status_code, str(exc), code="http_error")

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        logger.exception("unexpected API error on %s", request.path)
        return problem(
            request,
            500,
            _("Something went wrong on our side"),
            code="server_error",
            detail=_("The error was logged. Try again, or contact the administrator."),
        )

    return api
