"""Domain errors raised while serving a page become a plain error page in the user's
language with the right status (403, 404, 409, 422), never a 500; an error that names
a page where the user can resolve it (``extra["page"]``) redirects there."""

from django.http import HttpResponseRedirect
from django.shortcuts import render

from rehsos.core.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        # An error that has a page to resolve it (e.g. "give a reason to open this
        # sensitive case") sends the browser there instead of showing an error.
        if exception.extra.get("page"):
            return HttpResponseRedirect(exception.extra["page"])
        return render(
            request,
            "core/error.html",
            {"title": exception.title, "message": exception.message, "fields": exception.fields},
            status=exception.status,
        )
