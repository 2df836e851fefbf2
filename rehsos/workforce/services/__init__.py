"""Every write of the workforce app, one module per sub-domain: ``staff`` (staff,
qualifications, certifications, competencies), ``trainings``, ``internships`` (calls,
applications, scores, selection, placements) and ``returns`` (reports and the re-entry
plan). Each function checks the permission and the scope itself, runs in one
transaction and raises the errors of :mod:`rehsos.core.errors`."""

from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict


def check_version(row, version: int | None, what: str) -> None:
    """Refuse an edit made on a stale copy of ``row`` (HTTP 409 / a page showing both)."""
    if version is not None and row.version != version:
        raise Conflict(
            _("Someone else changed this %(what)s after you opened it.") % {"what": what},
            extra={"current_version": row.version, "your_version": version},
        )
