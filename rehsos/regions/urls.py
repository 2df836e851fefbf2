from django.urls import path

from rehsos.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.index, name="index"),
    path("options/", views.options, name="options"),
]
