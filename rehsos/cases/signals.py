"""Start-up wiring: audit registration and the registry's legal holds."""

from auditlog.registry import auditlog
from django.utils.translation import gettext_lazy as _

from rehsos.cases import models
from rehsos.registry import holds

for model in (
    models.Case,
    models.Referral,
    models.OutgoingReferral,
    models.Transfer,
    models.Assessment,
    models.Plan,
    models.Goal,
    models.ServiceRecord,
    models.GroupSession,
    models.Conference,
    models.Attachment,
    models.Task,
    models.Stay,
    models.Termination,
    models.AftercareVisit,
    models.InstrumentVersion,
    models.Stage,
    models.StageSet,
):
    auditlog.register(model)
# A note's text is personal and sensitive: the audit says who wrote or changed it, not what.
auditlog.register(models.Note, exclude_fields=["body_html"])


@holds.register
def open_case_hold(person):
    if models.Case.objects.filter(person=person, status=models.CaseStatus.OPEN).exists():
        return [_("The person has an open rehabilitation case.")]
    return []


# Home-page panels register themselves on import.
from rehsos.cases import panels_indicators, panels_work  # noqa: E402, F401
