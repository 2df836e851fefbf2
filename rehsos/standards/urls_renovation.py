"""Pages of the standards app: renovation projects, and the partner's view of the
centres it funds."""

from django.urls import path

from rehsos.standards import views_partner
from rehsos.standards import views_renovation as views

urlpatterns: list = [
    path("renovations/", views.renovation_list, name="renovation_list"),
    path("renovations/new/", views.renovation_create, name="renovation_create"),
    path(
        "renovations/actions/<uuid:public_id>/chain/",
        views.renovation_action_chain,
        name="renovation_action_chain",
    ),
    path("renovations/<uuid:public_id>/", views.renovation_detail, name="renovation_detail"),
    path("renovations/<uuid:public_id>/edit/", views.renovation_edit, name="renovation_edit"),
    path("renovations/<uuid:public_id>/status/", views.renovation_status, name="renovation_status"),
    path(
        "renovations/<uuid:public_id>/milestones/",
        views.renovation_milestones,
        name="renovation_milestones",
    ),
    path(
        "renovations/<uuid:public_id>/money/",
        views.renovation_disbursements,
        name="renovation_disbursements",
    ),
    path(
        "renovations/<uuid:public_id>/reports/new/",
        views.renovation_report,
        name="renovation_report",
    ),
    path(
        "renovations/<uuid:public_id>/photos/",
        views.renovation_photos_add,
        name="renovation_photos_add",
    ),
    path(
        "renovations/<uuid:public_id>/photos/<int:attachment_id>/",
        views.renovation_photo,
        name="renovation_photo",
    ),
    path(
        "renovations/<uuid:public_id>/handover/",
        views.renovation_handover,
        name="renovation_handover",
    ),
    path(
        "renovations/<uuid:public_id>/reassessment/",
        views.renovation_reassessment,
        name="renovation_reassessment",
    ),
    path("renovations/<uuid:public_id>/close/", views.renovation_close, name="renovation_close"),
    path("renovations/<uuid:public_id>/chain/", views.renovation_chain, name="renovation_chain"),
    path("partner/", views_partner.partner_portfolio, name="partner_portfolio"),
    path("partner/centres/<slug:code>/", views_partner.partner_centre, name="partner_centre"),
]
