from django.contrib import admin
from django.urls import include, path

from rehsos.api import api

urlpatterns = [
    path("", include("rehsos.core.urls")),
    path("regions/", include("rehsos.regions.urls")),
    path("persons/duplicates/", include("rehsos.registry.urls_dedup")),
    path("persons/", include("rehsos.registry.urls")),
    path("cases/", include("rehsos.cases.urls")),
    path("centres/", include("rehsos.facilities.urls")),
    path("standards/", include("rehsos.standards.urls")),
    path("workforce/", include("rehsos.workforce.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# problem+json under /api/, Django's pages elsewhere (rehsos.core.views.errors).
handler400 = "rehsos.core.views.errors.bad_request"
handler403 = "rehsos.core.views.errors.permission_denied"
handler404 = "rehsos.core.views.errors.page_not_found"
handler500 = "rehsos.core.views.errors.server_error"
