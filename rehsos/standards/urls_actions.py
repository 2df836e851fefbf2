"""Pages of the standards app: the home page, the dashboards, the improvement plans
and the attestation."""

from django.urls import path

from rehsos.standards import views_actions, views_dashboard

urlpatterns: list = [
    path("", views_dashboard.home, name="home"),
    path("dashboard/", views_dashboard.national, name="dashboard_national"),
    path("centres/<slug:code>/dashboard/", views_dashboard.centre, name="dashboard_centre"),
    path("centres/<slug:code>/actions/", views_actions.plan, name="actions_plan"),
    path("centres/<slug:code>/actions/new/", views_actions.create, name="actions_create"),
    path("centres/<slug:code>/attestation/", views_actions.attestation, name="actions_attestation"),
    path("actions/<uuid:public_id>/", views_actions.detail, name="actions_detail"),
    path("actions/<uuid:public_id>/status/", views_actions.change_status, name="actions_status"),
    path(
        "actions/<uuid:public_id>/evidence/",
        views_actions.evidence_upload,
        name="actions_evidence_upload",
    ),
    path(
        "actions/<uuid:public_id>/evidence/<int:pk>/",
        views_actions.evidence_file,
        name="actions_evidence_file",
    ),
    path(
        "actions/<uuid:public_id>/evidence/<int:pk>/delete/",
        views_actions.evidence_delete,
        name="actions_evidence_delete",
    ),
]
