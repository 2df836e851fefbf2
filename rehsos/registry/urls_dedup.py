"""Duplicate review pages (namespace "dedup"), mounted at /persons/duplicates/."""

from django.urls import path

from rehsos.registry import views_dedup

app_name = "dedup"
urlpatterns = [
    path("", views_dedup.queue_page, name="queue"),
    path("run/", views_dedup.start_run, name="run"),
    path("<int:pair_id>/", views_dedup.pair_page, name="pair"),
    path("<int:pair_id>/merge/", views_dedup.merge_page, name="merge"),
    path("merges/<int:merge_id>/", views_dedup.merge_detail, name="merge_detail"),
    path("merges/<int:merge_id>/undo/", views_dedup.undo_merge, name="undo"),
]
