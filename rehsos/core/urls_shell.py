from django.urls import path

from rehsos.core.views import shell

urlpatterns = [
    path("", shell.home, name="home"),
    path("health", shell.health, name="health"),
]
