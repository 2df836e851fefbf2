"""Pages of case management under /cases/. Each area keeps its own views module."""

from rehsos.cases import (
    views_assessments,
    views_case,
    views_delivery,
    views_notes,
    views_plans,
    views_referrals,
    views_stays,
    views_workflow,
)

app_name = "cases"

urlpatterns = [
    *views_case.urlpatterns,
    *views_workflow.urlpatterns,
    *views_referrals.urlpatterns,
    *views_assessments.urlpatterns,
    *views_plans.urlpatterns,
    *views_delivery.urlpatterns,
    *views_notes.urlpatterns,
    *views_stays.urlpatterns,
]
