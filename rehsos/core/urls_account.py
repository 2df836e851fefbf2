from django.contrib.auth import views as auth_views
from django.urls import path

from rehsos.core.permissions import public

urlpatterns = [
    path("login/", public(auth_views.LoginView.as_view()), name="login"),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("account/2fa/", public(auth_views.LoginView.as_view()), name="two_factor"),
    path("account/2fa/setup/", public(auth_views.LoginView.as_view()), name="two_factor_setup"),
]
