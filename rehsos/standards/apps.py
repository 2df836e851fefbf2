from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardsConfig(AppConfig):
    name = "rehsos.standards"
    label = "standards"
    verbose_name = _("Standards")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from rehsos.standards import models
        from rehsos.standards.panels import actions, assessments, equipment, renovation  # noqa: F401

        for name in models.__all__:
            model = getattr(models, name)
            if isinstance(model, type) and hasattr(model, "_meta"):
                auditlog.register(model)
