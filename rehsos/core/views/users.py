"""User management for national administrators: list, create, edit, deactivate,
unlock after failed logins, reset the second factor."""

import logging

from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.errors import ValidationFailed
from rehsos.core.forms import UserCreateForm, UserEditForm, UserFilterForm, add_domain_errors
from rehsos.core.models import User
from rehsos.core.permissions import requires
from rehsos.core.roles import ScopeLevel
from rehsos.core.services import accounts, two_factor
from rehsos.core.views.auth import posted

PAGE_SIZE = 50
logger = logging.getLogger(__name__)


def _province_names() -> dict[str, str]:
    region = apps.get_model("regions", "Region")
    return dict(region.objects.filter(level=1).values_list("code", "name"))


def _locked_usernames(usernames: list[str]) -> set[str]:
    """Which of these usernames django-axes currently refuses."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(
            username__in=usernames,
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
            attempt_time__gte=since,
        ).values_list("username", flat=True)
    )


def _filtered(form: UserFilterForm):
    users = User.objects.select_related("facility").order_by("username", "pk")
    if not form.is_valid():
        return users
    data = form.cleaned_data
    if data["q"]:
        for word in data["q"].split():
            users = users.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
            )
    if data["role"]:
        users = users.filter(role=data["role"])
    if data["scope_level"]:
        users = users.filter(scope_level=data["scope_level"])
    if data["active"] == "yes":
        users = users.filter(is_active=True)
    elif data["active"] == "no":
        users = users.filter(is_active=False)
    return users


@requires("users.manage")
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserFilterForm(request.GET or None)
    paginator = Paginator(_filtered(form), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    users = list(page.object_list)
    provinces = _province_names() if any(u.province_code for u in users) else {}
    locked = _locked_usernames([u.username for u in users]) if users else set()
    enrolled = (
        set(
            TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list(
                "user_id", flat=True
            )
        )
        if users
        else set()
    )
    rows = [
        {
            "user": u,
            "scope": _scope_label(u, provinces),
            "locked": u.username in locked,
            "two_factor": u.pk in enrolled,
        }
        for u in users
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    return render(request, "core/users/list.html", context)


def _scope_label(user: User, provinces: dict[str, str]) -> str:
    if user.scope_level == ScopeLevel.FACILITY and user.facility_id:
        return str(user.facility)
    if user.scope_level == ScopeLevel.PROVINCE:
        return provinces.get(user.province_code, user.province_code)
    return str(ScopeLevel.NATION.label)


@requires("users.manage")
@sensitive_post_parameters("password", "password2")
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = accounts.create_user(
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                scope_level=data["scope_level"],
                province_code=data["province_code"],
                facility=data["facility"],
                password=data["password"],
            )
        except ValidationFailed as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, _("The user %(username)s was created.") % {"username": user})
            return redirect("core:users")
    return render(request, "core/users/form.html", {"form": form, "creating": True})


@requires("users.manage")
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User.objects.select_related("facility"), pk=pk)
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "scope_level": user.scope_level,
        "province_code": user.province_code,
        "facility": user.facility,
        "is_active": user.is_active,
    }
    form = UserEditForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accounts.update_user(by=request.user, user=user, **data)
        except ValidationFailed as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, _("The user %(username)s was saved.") % {"username": user})
            return redirect("core:users")
    context = {
        "form": form,
        "creating": False,
        "subject": user,
        "locked": bool(_locked_usernames([user.username])),
        "has_two_factor": two_factor.has_two_factor(user),
    }
    return render(request, "core/users/form.html", context)


@requires("users.manage")
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    try:
        accounts.deactivate(by=request.user, user=user)
    except ValidationFailed as error:
        messages.error(request, " ".join(str(m) for m in error.fields.values()))
    else:
        messages.success(request, _("The user %(username)s was deactivated.") % {"username": user})
    return redirect("core:users")


@requires("users.manage")
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    accounts.unlock(username=user.username)
    logger.info("user %s unlocked user %s", request.user.pk, user.pk)
    messages.success(
        request, _("The user %(username)s can log in again.") % {"username": user.username}
    )
    return redirect("core:user_edit", pk=user.pk)


@requires("users.manage")
@require_POST
def user_reset_two_factor(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    two_factor.remove_two_factor(user=user)
    logger.info("user %s reset the second factor of user %s", request.user.pk, user.pk)
    messages.success(
        request,
        _("The second factor of %(username)s was reset; they set it up again at next login.")
        % {"username": user.username},
    )
    return redirect("core:user_edit", pk=user.pk)
