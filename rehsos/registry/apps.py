from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "rehsos.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from rehsos.registry.models import MatchPair, Merge, Person

        auditlog.register(Person)
        # Review decisions and merges are audited too (the merge service sets the actor).
        auditlog.register(MatchPair, include_fields=["decision", "decided_by", "decided_at"])
        auditlog.register(Merge, exclude_fields=["snapshot"])
