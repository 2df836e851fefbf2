from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "rehsos.partners"
    label = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from rehsos.partners.models import Agreement, Partner, PartnerUser

        for model in (Partner, Agreement, PartnerUser):
            auditlog.register(model)
