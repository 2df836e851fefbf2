from django.urls import path

from rehsos.core.views import shell

urlpatterns = [
    path("", shell.home, name="home"),
    path("health", shell.health, name="health"),
    # Under /i18n/ so it also works on the second-factor pages (RequireTwoFactorMiddleware).
    path("i18n/setlang/", shell.set_language, name="set_language"),
]
