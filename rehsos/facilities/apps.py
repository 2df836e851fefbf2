from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "rehsos.facilities"
    label = "facilities"
    verbose_name = _("Centres")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from rehsos.facilities.models import Facility

        auditlog.register(Facility)
