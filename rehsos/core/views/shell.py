"""The pages of the shell: each role's home page, the language switch, the health check."""

from django.conf import settings
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rehsos.core import home_panels
from rehsos.core.permissions import public, requires
from rehsos.core.selectors_home import home_for
from rehsos.core.services import accounts
from rehsos.core.views.auth import set_language_cookie


@requires("home.view")
def home(request):
    section, figures = home_for(request.user)
    return render(
        request,
        "core/home.html",
        {
            "section": section,
            "figures": figures,
            "section_template": f"core/home_{section}.html",
            "panels": home_panels.panels_for(request.user),
        },
    )


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.headers.get("referer") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("core:home")


@public
@require_POST
def set_language(request):
    """Switch the interface language: remembered in a cookie, and on the user's record
    for a signed-in user so it follows them to another browser."""
    response = HttpResponseRedirect(_safe_next(request))
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated and request.user.language != language:
        accounts.set_language(user=request.user, language=language)
    return set_language_cookie(response, language)


@public
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
