from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "rehsos.facilities"
    label = "facilities"
    verbose_name = _("Centres")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from rehsos.facilities.models import (
            Facility,
            FacilityCapacity,
            FacilityContact,
            FacilityName,
            FacilityPhoto,
            FacilityRoom,
        )

        for model in (
            Facility,
            FacilityName,
            FacilityCapacity,
            FacilityRoom,
            FacilityContact,
            FacilityPhoto,
        ):
            auditlog.register(model)
