"""Two-factor enforcement for every signed-in page request."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from rehsos.core.services.two_factor import has_two_factor

# The session remembers, per user, whether they have a second factor, so most
# requests need no query; the verify page refreshes it when devices change.
TWO_FACTOR_SESSION_KEY = "rehsos_two_factor"


def remember_two_factor(request: HttpRequest, user, enabled: bool) -> None:
    request.session[TWO_FACTOR_SESSION_KEY] = [user.pk, bool(enabled)]


def must_verify(request: HttpRequest, user) -> bool:
    """True when this user has to pass the second factor before using the session:
    their role requires it (national admins), or they enrolled an authenticator."""
    if getattr(user, "requires_two_factor", False):
        return True
    cached = request.session.get(TWO_FACTOR_SESSION_KEY)
    if isinstance(cached, list) and len(cached) == 2 and cached[0] == user.pk:
        return bool(cached[1])
    enabled = has_two_factor(user)
    remember_two_factor(request, user, enabled)
    return enabled


class RequireTwoFactorMiddleware:
    """A signed-in user who must pass the second factor reaches nothing but the
    enrolment, verification and logout pages until they have; to the API such a
    session is anonymous (no token: 401)."""

    ALLOWED_PREFIXES = ("/static/", "/i18n/", "/health")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not user.is_verified()
            and must_verify(request, user)
        ):
            if request.path.startswith("/api/"):
                # The half-signed-in session does not count; a valid API token still does.
                request.user = AnonymousUser()
            else:
                allowed = {
                    reverse("core:two_factor"),
                    reverse("core:two_factor_setup"),
                    reverse("core:logout"),
                }
                if request.path not in allowed:
                    query = urlencode({"next": request.get_full_path()})
                    return redirect(f"{reverse('core:two_factor')}?{query}")
        return self.get_response(request)
