"""Pages of the bulk import of persons; rehsos/registry/urls.py adds them to the
"registry" namespace (under /registry/imports/)."""

from django.urls import path

from rehsos.registry import views_imports as views

urlpatterns = [
    path("imports/", views.import_list, name="imports"),
    path(
        "imports/template-<str:language>.<str:fmt>",
        views.import_template,
        name="import_template",
    ),
    path("imports/<uuid:public_id>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:public_id>/progress", views.import_progress, name="import_progress"),
    path("imports/<uuid:public_id>/rejects.xlsx", views.import_rejects, name="import_rejects"),
    path("imports/<uuid:public_id>/resume", views.import_resume, name="import_resume"),
    path("imports/<uuid:public_id>/import", views.import_commit, name="import_commit"),
]
