from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "rehsos.cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import rehsos.cases.facility_hooks  # noqa: F401  (capacity by cluster, centre panel)
        from rehsos.cases import signals  # noqa: F401  (audit registration, registry holds)
