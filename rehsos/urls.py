from django.contrib import admin
from django.urls import include, path

from rehsos.api import api

urlpatterns = [
    path("", include("rehsos.core.urls")),
    path("regions/", include("rehsos.regions.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
