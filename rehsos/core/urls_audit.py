"""Pages of the audit trail, the access log and background jobs (namespace "core")."""

from django.urls import path

from rehsos.core.views import audit, jobs

urlpatterns = [
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export", audit.audit_export, name="audit_export"),
    path("access-log/", audit.access_log, name="access_log"),
    path("access-log/export", audit.access_log_export, name="access_log_export"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<uuid:job_id>/", jobs.job_detail, name="job"),
    path("jobs/<uuid:job_id>/progress", jobs.job_progress, name="job_progress"),
    path("jobs/<uuid:job_id>/download", jobs.job_download, name="job_download"),
]
