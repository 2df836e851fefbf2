"""The user's own page: who they are, language, password, second factor, API tokens."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.forms import LanguageForm, PasswordChangeForm, TokenForm, add_domain_errors
from rehsos.core.middleware import remember_two_factor
from rehsos.core.models import ApiToken
from rehsos.core.permissions import requires
from rehsos.core.services import accounts, two_factor
from rehsos.core.views.auth import set_language_cookie


def _page(request: HttpRequest, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    context = {
        "language_form": forms.get("language_form")
        or LanguageForm(initial={"language": user.language}),
        "password_form": forms.get("password_form") or PasswordChangeForm(user),
        "token_form": forms.get("token_form") or TokenForm(),
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"),
        "has_two_factor": two_factor.has_two_factor(user),
        "two_factor_required": user.requires_two_factor,
    }
    return render(request, "core/account/account.html", context, status=status)


@requires("account.view")
@never_cache
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return _page(request)


@requires("account.view")
@require_POST
def account_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if form.is_valid():
        try:
            accounts.set_language(user=request.user, language=form.cleaned_data["language"])
        except ValidationFailed as error:
            add_domain_errors(form, error)
        else:
            response = redirect("core:account")
            return set_language_cookie(response, request.user.language)
    return _page(request, language_form=form)


@requires("account.view")
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_POST
def account_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        try:
            accounts.set_password(user=request.user, password=form.cleaned_data["new_password1"])
        except ValidationFailed as error:
            add_domain_errors(form, error)
        else:
            # Keep this session; other sessions of the user end with the old password.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("core:account")
    return _page(request, password_form=form)


@requires("account.manage_tokens")
@never_cache
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = accounts.issue_token(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationFailed as error:
            add_domain_errors(form, error)
        else:
            # The raw value exists only in this response: it is never stored or shown again.
            return render(request, "core/account/token_created.html", {"token": token, "raw": raw})
    return _page(request, token_form=form)


@requires("account.manage_tokens")
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = accounts.revoke_token(user=request.user, token_id=token_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("core:account")


@requires("account.manage_2fa")
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    try:
        two_factor.disable_two_factor(user=request.user)
    except ValidationFailed as error:
        messages.error(request, str(error.message))
    else:
        remember_two_factor(request, request.user, False)
        messages.success(request, _("Two-factor sign-in is switched off."))
    return redirect("core:account")


@requires("account.manage_2fa")
@never_cache
@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    if not two_factor.has_two_factor(request.user):
        messages.error(request, _("Set up two-factor sign-in first."))
        return redirect("core:account")
    codes = two_factor.new_backup_codes(user=request.user)
    return render(request, "core/auth/backup_codes.html", {"codes": codes, "first_time": False})
