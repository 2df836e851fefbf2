from django.urls import path

from rehsos.registry import views
from rehsos.registry.urls_imports import urlpatterns as import_urls

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.register, name="register"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/identifiers/", views.identifiers, name="identifiers"),
    path("<uuid:public_id>/edit/", views.edit, name="edit"),
    path("<uuid:public_id>/consents/", views.add_consent, name="add_consent"),
    path("<uuid:public_id>/guardians/", views.add_guardian, name="add_guardian"),
    path("<uuid:public_id>/household/", views.household, name="household"),
    path("<uuid:public_id>/photo/", views.photo, name="photo"),
    path("<uuid:public_id>/photo/upload/", views.upload_photo, name="upload_photo"),
    path("<uuid:public_id>/rights/", views.rights_page, name="rights"),
    path("<uuid:public_id>/rights/export.json", views.export_json, name="export_json"),
    path("<uuid:public_id>/rights/export.pdf", views.export_pdf, name="export_pdf"),
    path("<uuid:public_id>/rights/correction/", views.request_correction, name="correction"),
    path("<uuid:public_id>/rights/erasure/", views.request_erasure, name="erasure"),
    path("consents/<uuid:public_id>/withdraw/", views.withdraw_consent, name="withdraw_consent"),
    path("households/<uuid:public_id>/", views.household_detail, name="household_detail"),
    path("requests/<uuid:public_id>/decide/", views.decide_request, name="decide_request"),
]
urlpatterns += import_urls
