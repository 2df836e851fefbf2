"""Login, lockout, logout and the second factor (verification and enrolment)."""

from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from rehsos.core.errors import ValidationFailed
from rehsos.core.forms import CodeForm, LoginForm, SetupCodeForm, add_domain_errors
from rehsos.core.middleware import must_verify, remember_two_factor
from rehsos.core.permissions import public, requires
from rehsos.core.services import two_factor


def posted(request: HttpRequest):
    """The submitted data of a POST (even an empty one, so it is validated), else None."""
    return request.POST if request.method == "POST" else None


def login_failed_message() -> str:
    return _("The username or password is not correct.")


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The ``next`` parameter when it points into this site, else ``default`` (or home)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse("core:home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def set_language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@public
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    form = LoginForm(posted(request))
    if request.method == "POST" and form.is_valid():
        # authenticate() gets the request so django-axes counts the failure and
        # refuses a locked username; wrong user and wrong password read the same.
        user = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if user is None:
            form.add_error(None, login_failed_message())
        else:
            auth_login(request, user)
            has_device = two_factor.has_two_factor(user)
            remember_two_factor(request, user, has_device)
            if has_device:
                target = _with_next("core:two_factor", next_url)
            elif user.requires_two_factor:
                target = _with_next("core:two_factor_setup", next_url)
            else:
                target = next_url
            return set_language_cookie(redirect(target), user.language)
    return render(request, "core/auth/login.html", {"form": form, "next": next_url})


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes calls this (AXES_LOCKOUT_CALLABLE) for a locked username."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "core/auth/locked_out.html", {"minutes": minutes}, status=403)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        auth_logout(request)
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "core/auth/logout.html", {})


@requires("account.manage_2fa")
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = safe_next(request)
    if user.is_verified():
        return redirect(next_url)
    if not two_factor.has_two_factor(user):
        remember_two_factor(request, user, False)
        if must_verify(request, user):
            return redirect(_with_next("core:two_factor_setup", next_url))
        return redirect(next_url)
    form = CodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify(user=user, code=form.cleaned_data["code"])
        except ValidationFailed as error:
            add_domain_errors(form, error)
        else:
            django_otp.login(request, device)
            remember_two_factor(request, user, True)
            return redirect(next_url)
    return render(request, "core/auth/two_factor.html", {"form": form, "next": next_url})


@requires("account.manage_2fa")
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = safe_next(request, default=reverse("core:account"))
    if two_factor.has_two_factor(user):
        if not user.is_verified():
            return redirect(_with_next("core:two_factor", next_url))
        return redirect("core:account")
    device = two_factor.pending_totp_device(user)
    form = SetupCodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.confirm_totp(user=user, code=form.cleaned_data["code"])
        except ValidationFailed as error:
            add_domain_errors(form, error)
        else:
            django_otp.login(request, device)
            remember_two_factor(request, user, True)
            return render(
                request,
                "core/auth/backup_codes.html",
                {"codes": codes, "next": next_url, "first_time": True},
            )
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _grouped(b32encode(device.bin_key).decode()),
        "forced": user.requires_two_factor,
    }
    return render(request, "core/auth/two_factor_setup.html", context)


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    # Generated here from the otpauth URL, never from user input: safe to inline.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
