from rehsos.core.urls_account import urlpatterns as account_urls
from rehsos.core.urls_audit import urlpatterns as audit_urls
from rehsos.core.urls_shell import urlpatterns as shell_urls

app_name = "core"
urlpatterns = shell_urls + account_urls + audit_urls
