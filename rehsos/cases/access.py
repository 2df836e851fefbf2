"""Who may see which case, and the one way a page or endpoint gets a case.

* ``visible_cases(user)``: the cases in the user's scope (``scoped``), minus the
  *sensitive* ones (child, trafficking, NAPZA, HIV, conflict with the law) the user
  is not on the team of. The team is the assigned social worker, the supervisor
  and the head of the responsible unit (a facility head of that unit); a user in
  scope but outside the team reaches a sensitive case only by breaking the glass.
* ``get_case(request, public_id, action)``: permission check, scope, the
  sensitive-case rule and the access log in one call. Raises ``NotFound`` outside
  the scope, ``GlassRequired`` (403, code ``break_glass_required``) for a sensitive
  case the user may open only with a reason.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from rehsos.cases.models import SENSITIVITY_FLAGS, Case, GlassBreak
from rehsos.core.access import log_access
from rehsos.core.errors import DomainError, NotFound
from rehsos.core.permissions import require, scoped
from rehsos.core.roles import Role


class GlassRequired(DomainError):
    status = 403
    code = "break_glass_required"
    title = _("This case is sensitive: give a reason to open it")


def _sensitive_q() -> Q:
    condition = Q()
    for field, _label in SENSITIVITY_FLAGS:
        condition |= Q(**{field: True})
    return condition


def is_unit_head(user, case: Case) -> bool:
    return user.role == Role.FACILITY_HEAD and user.facility_id == case.unit_id


def on_team(user, case: Case) -> bool:
    return user.pk in (case.social_worker_id, case.supervisor_id) or is_unit_head(user, case)


def team_q(user) -> Q:
    """Cases whose team the user is on."""
    condition = Q(social_worker=user) | Q(supervisor=user)
    if user.role == Role.FACILITY_HEAD and user.facility_id:
        condition |= Q(unit_id=user.facility_id)
    return condition


def visible_cases(user, queryset: QuerySet | None = None) -> QuerySet:
    """Cases in scope, without sensitive ones the user is not on the team of (or has
    no open break-the-glass access to). The glass condition is a subquery, so the
    result never repeats a case."""
    queryset = scoped(user, Case.objects.all() if queryset is None else queryset)
    opened = GlassBreak.objects.filter(user=user, expires_at__gt=timezone.now()).values("case_id")
    return queryset.filter(~_sensitive_q() | team_q(user) | Q(pk__in=opened))


def in_scope(user, queryset: QuerySet | None = None) -> QuerySet:
    """Cases in scope, sensitive or not (for counts, boards that mask names, and
    the break-the-glass step)."""
    return scoped(user, Case.objects.all() if queryset is None else queryset)


def may_open(user, case: Case) -> bool:
    if not case.is_sensitive or on_team(user, case):
        return True
    return GlassBreak.objects.filter(user=user, case=case, expires_at__gt=timezone.now()).exists()


def get_case(request, public_id, action: str = "cases.view", *, log: bool = True) -> Case:
    """The case for a page or endpoint, after every check, access-logged."""
    user = getattr(request, "auth", None) or request.user
    require(user, action)
    case = (
        in_scope(user)
        .select_related("person", "unit", "stage", "ppks_type", "social_worker", "supervisor")
        .filter(public_id=public_id)
        .first()
    )
    if case is None:
        raise NotFound(_("No such case in your scope."))
    if not may_open(user, case):
        page = reverse("cases:break_glass", args=[case.public_id])
        page += "?" + urlencode({"next": request.get_full_path()})
        raise GlassRequired(
            _("This case is sensitive. Only its team may open it; others must give a reason."),
            extra={"page": page, "case": str(case.public_id)},
        )
    if log:
        log_access(request, case.person, purpose=f"case {case.number}")
    return case


def break_glass(user, case: Case, reason: str) -> GlassBreak:
    """Record a reasoned access to a sensitive case; the head of its unit sees it."""
    from rehsos.core.errors import ValidationFailed

    require(user, "cases.break_glass")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationFailed(
            fields={"reason": _("Say why you need to open this case (at least 10 characters).")}
        )
    if not in_scope(user).filter(pk=case.pk).exists():
        raise NotFound(_("No such case in your scope."))
    minutes = settings.REHSOS_BREAK_GLASS_MINUTES
    return GlassBreak.objects.create(
        case=case, user=user, reason=reason, expires_at=timezone.now() + timedelta(minutes=minutes)
    )
