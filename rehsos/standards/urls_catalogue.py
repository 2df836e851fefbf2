"""Pages of the standards app: catalogue (names prefixed ``catalogue_``)."""

from django.urls import path

from rehsos.standards import views_catalogue as views

VERSION = "catalogues/<slug:code>/v<int:number>/"
CRITERION = f"{VERSION}criteria/<str:criterion>/"

urlpatterns = [
    path("catalogues/", views.catalogue_list, name="catalogue_list"),
    path("catalogues/new/", views.catalogue_create, name="catalogue_create"),
    path("catalogues/<slug:code>/", views.catalogue_detail, name="catalogue_detail"),
    path(
        "catalogues/<slug:code>/new-draft/", views.catalogue_new_draft, name="catalogue_new_draft"
    ),
    path("catalogues/<slug:code>/diff/", views.catalogue_diff, name="catalogue_diff"),
    path(VERSION, views.catalogue_version, name="catalogue_version"),
    path(f"{VERSION}export.xlsx", views.catalogue_export, name="catalogue_export"),
    path(f"{VERSION}adopt/", views.catalogue_adopt, name="catalogue_adopt"),
    path(f"{VERSION}retire/", views.catalogue_retire, name="catalogue_retire"),
    path(f"{VERSION}discard/", views.catalogue_discard, name="catalogue_discard"),
    path(f"{VERSION}criteria/new/", views.catalogue_criterion_add, name="catalogue_criterion_add"),
    path(f"{CRITERION}edit/", views.catalogue_criterion_edit, name="catalogue_criterion_edit"),
    path(
        f"{CRITERION}delete/", views.catalogue_criterion_delete, name="catalogue_criterion_delete"
    ),
    path(f"{CRITERION}move/", views.catalogue_criterion_move, name="catalogue_criterion_move"),
    path(f"{VERSION}import/", views.catalogue_import, name="catalogue_import"),
    path(
        f"{VERSION}import/<uuid:import_id>/",
        views.catalogue_import_preview,
        name="catalogue_import_preview",
    ),
]
