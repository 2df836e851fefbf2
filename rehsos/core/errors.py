"""One family of domain errors, raised by services and translated once at the edge:
problem+json in the API, a form error or message on pages, one line on the CLI."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "invalid"
    title = _("The request could not be completed")

    def __init__(
        self,
        message=None,
        *,
        fields: dict | None = None,
        code: str | None = None,
        extra: dict | None = None,
    ):
        self.message = message or self.title
        self.fields = fields or {}
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    title = _("Some fields are not valid")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = _("Not found")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    title = _("You do not have permission to do this")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = _("The record was changed by someone else")
