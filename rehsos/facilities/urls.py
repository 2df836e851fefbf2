"""Pages of the facilities app, mounted at /centres/."""

from django.urls import path

from rehsos.facilities import views

app_name = "facilities"

urlpatterns = [
    path("", views.centre_list, name="list"),
    path("new/", views.centre_create, name="create"),
    path("<slug:code>/", views.centre_detail, name="detail"),
    path("<slug:code>/edit/", views.centre_edit, name="edit"),
    path("<slug:code>/rename/", views.centre_rename, name="rename"),
    path("<slug:code>/merge/", views.centre_merge, name="merge"),
    path("<slug:code>/capacity/", views.centre_capacity, name="capacity"),
    path("<slug:code>/rooms/", views.centre_rooms, name="rooms"),
    path("<slug:code>/contacts/", views.centre_contacts, name="contacts"),
    path("<slug:code>/photos/", views.centre_photos, name="photos"),
    path("<slug:code>/photos/<int:photo_id>/", views.photo_file, name="photo"),
    path("<slug:code>/photos/<int:photo_id>/delete/", views.photo_delete, name="photo_delete"),
]
