"""Pages that ask for a standards report (facility or national, PDF or XLSX, Indonesian
or English); the report is made by a background job whose page shows the progress and
offers the file."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rehsos.core.errors import ValidationFailed
from rehsos.core.permissions import requires, scoped
from rehsos.facilities.models import Facility
from rehsos.standards.models import Assessment, Catalogue
from rehsos.standards.reports.jobs import FORMATS, language_of, start_report
from rehsos.standards.reports.national import scope_label


def _form(request: HttpRequest, report: str) -> dict:
    data = request.POST if request.method == "POST" else request.GET
    default_centre = request.user.facility.code if request.user.facility_id else ""
    return {
        "centre": data.get("centre", default_centre),
        "catalogue": data.get("catalogue", ""),
        "kind": data.get("kind", ""),
        "format": data.get("format", "pdf"),
        "lang": data.get("lang") or language_of(get_language()),
        "report": report,
    }


def _page(request: HttpRequest, report: str, template: str) -> HttpResponse:
    form = _form(request, report)
    errors: dict = {}
    if request.method == "POST":
        try:
            job = start_report(
                user=request.user,
                report=report,
                fmt=form["format"],
                lang=form["lang"],
                facility=form["centre"] if report == "facility" else "",
                catalogue=form["catalogue"],
                kind=form["kind"] if report == "national" else "",
            )
        except ValidationFailed as exc:
            errors = {name: str(message) for name, message in exc.fields.items()}
        else:
            messages.success(request, _("The report was queued. This page shows its progress."))
            return redirect("core:job", job_id=job.public_id)
    context = {
        "form": form,
        "errors": errors,
        "centres": scoped(request.user, Facility.objects.filter(is_active=True)).order_by("name"),
        "catalogues": Catalogue.objects.order_by("code"),
        "kinds": Assessment.Kind.choices,
        "formats": FORMATS,
        "languages": (("id", "Bahasa Indonesia"), ("en", "English")),
        "scope_label": scope_label(request.user),
    }
    return render(request, template, context, status=422 if errors else 200)


@requires("standards.report")
@require_http_methods(["GET", "POST"])
def report_facility(request: HttpRequest) -> HttpResponse:
    return _page(request, "facility", "standards/reports/request_facility.html")


@requires("standards.report")
@require_http_methods(["GET", "POST"])
def report_national(request: HttpRequest) -> HttpResponse:
    return _page(request, "national", "standards/reports/request_national.html")
