"""Pages of the standards app: assessments and their schedules."""

from django.urls import path

from rehsos.standards import views_assessments as views

urlpatterns: list = [
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/start/", views.assessment_start, name="assessment_start"),
    path("assessments/new-audit/", views.assessment_create, name="assessment_create"),
    path("assessments/<uuid:public_id>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<uuid:public_id>/form/", views.assessment_form, name="assessment_form"),
    path("assessments/<uuid:public_id>/edit/", views.assessment_edit, name="assessment_edit"),
    path(
        "assessments/<uuid:public_id>/answers/<str:code>/",
        views.assessment_answer,
        name="assessment_answer",
    ),
    path(
        "assessments/<uuid:public_id>/answers/<str:code>/evidence/",
        views.assessment_evidence_upload,
        name="assessment_evidence_upload",
    ),
    path(
        "assessments/<uuid:public_id>/evidence/<int:attachment_id>/",
        views.assessment_evidence_file,
        name="assessment_evidence_file",
    ),
    path(
        "assessments/<uuid:public_id>/evidence/<int:attachment_id>/delete/",
        views.assessment_evidence_delete,
        name="assessment_evidence_delete",
    ),
    path(
        "assessments/<uuid:public_id>/findings/",
        views.assessment_finding_add,
        name="assessment_finding_add",
    ),
    path(
        "assessments/<uuid:public_id>/findings/<int:pk>/delete/",
        views.assessment_finding_delete,
        name="assessment_finding_delete",
    ),
    path("assessments/<uuid:public_id>/submit/", views.assessment_submit, name="assessment_submit"),
    path("assessments/<uuid:public_id>/reopen/", views.assessment_reopen, name="assessment_reopen"),
    path("schedules/", views.schedule_list, name="schedule_list"),
    path("schedules/new/", views.schedule_create, name="schedule_create"),
    path("schedules/<int:pk>/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/delete/", views.schedule_delete, name="schedule_delete"),
]
