from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Staff are people: the audit trail records that these fields changed, never their values.
PERSONAL_FIELDS = {
    "StaffMember": ["name", "sex", "birth_year", "email", "phone"],
    "Application": ["motivation", "eligibility_result"],
    "InternshipReport": ["text"],
}


def hidden(value: str) -> str:
    """The audit trail's mask for a staff member's personal data: nothing of it."""
    return "•••" if value not in (None, "", "None") else value


class WorkforceConfig(AppConfig):
    name = "rehsos.workforce"
    label = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from rehsos.workforce import models, panels  # noqa: F401 - panels register themselves

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
            masked = PERSONAL_FIELDS.get(model.__name__)
            if masked:
                auditlog.register(
                    model, mask_fields=masked, mask_callable="rehsos.workforce.apps.hidden"
                )
            else:
                auditlog.register(model)
