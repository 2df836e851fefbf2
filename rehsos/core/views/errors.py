"""Django's error handlers: problem+json under /api/, the ordinary pages elsewhere.

ninja answers its own operations' errors (rehsos.core.api); these catch what
happens before ninja is reached — an unknown /api/ address, a CSRF refusal —
and anything that escapes, so an API client never gets an HTML page."""

from django.utils.translation import gettext as _
from django.views import defaults

from rehsos.core.api import problem
from rehsos.core.permissions import public


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


@public
def bad_request(request, exception=None):
    if _is_api(request):
        return problem(request, 400, _("The request could not be read"), code="bad_request")
    return defaults.bad_request(request, exception)


@public
def permission_denied(request, exception=None):
    if _is_api(request):
        return problem(request, 403, _("You do not have permission to do this"), code="forbidden")
    return defaults.permission_denied(request, exception)


@public
def page_not_found(request, exception=None):
    if _is_api(request):
        return problem(
            request,
            404,
            _("Not found"),
            code="not_found",
            detail=_("There is no such address in the API; /api/v1/docs lists them."),
        )
    return defaults.page_not_found(request, exception)


@public
def server_error(request):
    if _is_api(request):
        return problem(
            request,
            500,
            _("Something went wrong on our side"),
            code="server_error",
            detail=_("The error was logged. Try again, or contact the administrator."),
        )
    return defaults.server_error(request)
