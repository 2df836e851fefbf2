"""The one permission layer: every view, endpoint and selector asks here.

* ``can(user, action)`` / ``require(user, action)`` check an action against
  :data:`rehsos.core.roles.PERMISSIONS`.
* ``@requires(action)`` marks a page view or API operation with the action it
  needs (``@public`` marks the few that need none). The role × endpoint matrix
  test walks every URL and fails on one without a mark.
* ``scoped(user, queryset)`` filters rows to the user's scope, using the
  ``scope_fields`` a model declares.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from rehsos.core.errors import PermissionDenied
from rehsos.core.roles import ALL_ACTIONS, ScopeLevel

RULE_ATTR = "rehsos_rule"
PUBLIC = "public"


def can(user, action: str) -> bool:
    if action not in ALL_ACTIONS:
        raise ValueError(f"unknown action {action!r}: add it to rehsos.core.roles.PERMISSIONS")
    return bool(user and user.is_authenticated and action in user.actions)


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(_("You do not have permission to do this."), code="forbidden")


def _is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def requires(action: str) -> Callable:
    """Mark a view or API operation with the action it needs, and enforce it."""
    if action not in ALL_ACTIONS:
        raise ValueError(f"unknown action {action!r}: add it to rehsos.core.roles.PERMISSIONS")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = getattr(request, "auth", None) or request.user
            if not _is_api_request(request) and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require(user, action)
            return view(request, *args, **kwargs)

        setattr(wrapper, RULE_ATTR, action)
        return wrapper

    return decorate


def public(view: Callable) -> Callable:
    """Mark a view that anyone may open (login, language switch, health)."""
    setattr(view, RULE_ATTR, PUBLIC)
    return view


def rule_of(view: Callable) -> str | None:
    seen = view
    while seen is not None:
        rule = getattr(seen, RULE_ATTR, None)
        if rule:
            return rule
        seen = getattr(seen, "__wrapped__", None)
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, RULE_ATTR, None) if view_class else None


@dataclass(frozen=True)
class ScopeFields:
    """How a model's rows map onto scopes: the lookup of the province code and of
    the centre. ``None`` means the model has no such key: a user scoped to it sees nothing."""

    province: str | None = None
    facility: str | None = None


def scope_filter(user, fields: ScopeFields) -> Q | None:
    """The Q for the user's scope, ``None`` for 'everything', or a Q that matches nothing."""
    nothing = Q(pk__in=[])
    if not user or not user.is_authenticated or not user.is_active:
        return nothing
    if user.scope_level == ScopeLevel.NATION:
        return None
    if user.scope_level == ScopeLevel.PROVINCE:
        if not fields.province or not user.province_code:
            return nothing
        return Q(**{fields.province: user.province_code})
    if user.scope_level == ScopeLevel.FACILITY:
        if not fields.facility or not user.facility_id:
            return nothing
        return Q(**{fields.facility: user.facility_id})
    return nothing


def scoped(user, queryset: QuerySet) -> QuerySet:
    fields = getattr(queryset.model, "scope_fields", None)
    if fields is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_fields")
    condition = scope_filter(user, fields)
    return queryset if condition is None else queryset.filter(condition)
