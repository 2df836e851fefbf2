"""The API shell: django-ninja at /api/v1/ with token and session auth,
RFC 9457 problem+json for every error, and per-token rate limiting."""

import logging

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from rehsos.core.errors import DomainError
from rehsos.core.models import ApiRateCount, ApiToken
from rehsos.core.permissions import public

logger = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def _rate() -> tuple[int, int]:
    count, _sep, period = settings.REHSOS_API_RATE.partition("/")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[period]
    return int(count), seconds


def throttle(token: ApiToken) -> None:
    """Fixed-window counter per token: one UPSERT … RETURNING (SQLite ≥ 3.35 and PostgreSQL).
    Over the limit raises RateLimited with the seconds until the window ends."""
    limit, window = _rate()
    now = int(timezone.now().timestamp())
    bucket = now // window
    table = ApiRateCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, bucket, count) VALUES (%s, %s, 1) "  # noqa: S608 - table name from our model, values bound
            f"ON CONFLICT (token_id, bucket) DO UPDATE SET count = {table}.count + 1 "
            "RETURNING count",
            [token.pk, bucket],
        )
        used = cursor.fetchone()[0]
    if used == 1:
        ApiRateCount.objects.filter(token=token, bucket__lt=bucket).delete()
    if used > limit:
        raise RateLimited(retry_after=(bucket + 1) * window - now)


def _authenticate_token(request: HttpRequest, raw: str):
    token = ApiToken.authenticate(raw)
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
    # ninja locations look like ("body", "payload", "name") or ("query", "limit").
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
