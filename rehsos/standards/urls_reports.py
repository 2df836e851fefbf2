"""Pages of the standards app: comparisons of assessments and the standards reports."""

from django.urls import path

from rehsos.standards import views_compare, views_reports

urlpatterns: list = [
    path(
        "compare/self-external/",
        views_compare.self_vs_external,
        name="compare_self_external",
    ),
    path("compare/over-time/", views_compare.over_time, name="compare_over_time"),
    path("compare/centres/", views_compare.centres, name="compare_centres"),
    path("reports/facility/", views_reports.report_facility, name="report_facility"),
    path("reports/national/", views_reports.report_national, name="report_national"),
]
