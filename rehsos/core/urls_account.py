from django.urls import path

from rehsos.core.views import account, auth, users

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("account/", account.account, name="account"),
    path("account/language/", account.account_language, name="account_language"),
    path("account/password/", account.account_password, name="account_password"),
    path("account/tokens/", account.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token_revoke"),
    path("account/2fa/", auth.two_factor_verify, name="two_factor"),
    path("account/2fa/setup/", auth.two_factor_setup, name="two_factor_setup"),
    path("account/2fa/disable/", account.two_factor_disable, name="two_factor_disable"),
    path("account/2fa/backup-codes/", account.backup_codes, name="two_factor_backup_codes"),
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<int:pk>/", users.user_edit, name="user_edit"),
    path("users/<int:pk>/deactivate/", users.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/unlock/", users.user_unlock, name="user_unlock"),
    path("users/<int:pk>/reset-2fa/", users.user_reset_two_factor, name="user_reset_two_factor"),
]
