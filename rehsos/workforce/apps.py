from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "rehsos.workforce"
    label = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from rehsos.workforce import models

        for model in (
            models.StaffMember,
            models.Qualification,
            models.Certification,
            models.Competency,
            models.Training,
            models.TrainingParticipant,
            models.InternshipCall,
            models.Application,
            models.InternshipReport,
            models.ReentryAction,
        ):
            auditlog.register(model)
