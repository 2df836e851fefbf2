"""/standards/: every part's pages under one namespace (names are prefixed by part)."""

from rehsos.standards import (
    urls_actions,
    urls_assessments,
    urls_catalogue,
    urls_equipment,
    urls_renovation,
    urls_reports,
)

app_name = "standards"

urlpatterns = [
    *urls_actions.urlpatterns,
    *urls_catalogue.urlpatterns,
    *urls_assessments.urlpatterns,
    *urls_equipment.urlpatterns,
    *urls_renovation.urlpatterns,
    *urls_reports.urlpatterns,
]
