"""PDF reports with WeasyPrint: a template in the ministry's plain style, rendered in
the active language. Nothing is fetched while rendering: photos are embedded as data
URIs, and any other URL is refused."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import get_language


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(template, {**context, "LANGUAGE_CODE": get_language() or "id"})
    # data: URIs only — any other URL (http, file) is refused, and left out with a warning.
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def facility_pdf(report) -> bytes:
    return render_pdf("standards/reports/facility_pdf.html", {"report": report})


def national_pdf(report) -> bytes:
    return render_pdf("standards/reports/national_pdf.html", {"report": report})
