"""The named checks a stage can require before a case enters it (``Stage.requirements``).

Each rule looks at the case and returns what is missing, in plain language (an empty
list: the rule holds). A stage list names rules by their key; an unknown key blocks
the move, so a typo in reference data never lets a case through unchecked."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.cases.models import Case, Stage


@dataclass(frozen=True)
class Rule:
    key: str
    label: str  # what the rule asks for, shown with a tick or a cross
    check: Callable[[Case], list[str]]


RULES: dict[str, Rule] = {}


def rule(key: str, label):
    def register(check: Callable[[Case], list[str]]):
        RULES[key] = Rule(key=key, label=label, check=check)
        return check

    return register


@rule("consent_case_management", gettext_lazy("Consent for case management"))
def consent_case_management(case: Case) -> list[str]:
    from rehsos.registry.services.consent import may_use_for

    if may_use_for(case.person, "case_management"):
        return []
    return [
        _(
            "Consent (or another lawful basis) for case management is not recorded on the "
            "person's record."
        )
    ]


@rule("assessment_complete", gettext_lazy("A complete assessment"))
def assessment_complete(case: Case) -> list[str]:
    if case.assessments.filter(is_complete=True).exists():
        return []
    return [_("No complete assessment is recorded.")]


@rule("plan_approved", gettext_lazy("An approved intervention plan"))
def plan_approved(case: Case) -> list[str]:
    if case.plans.filter(status="approved").exists():
        return []
    return [_("The intervention plan is not approved yet.")]


@rule("service_delivered", gettext_lazy("At least one service delivered"))
def service_delivered(case: Case) -> list[str]:
    if case.services.exists():
        return []
    return [_("No service delivered is recorded.")]


def _termination(case: Case):
    from rehsos.cases.models import Termination

    return Termination.objects.filter(case=case).first()


@rule("termination_summary", gettext_lazy("A termination summary"))
def termination_summary(case: Case) -> list[str]:
    if _termination(case) is not None:
        return []
    return [_("The termination summary is not written.")]


@rule("termination_approved", gettext_lazy("The termination approved by the head"))
def termination_approved(case: Case) -> list[str]:
    termination = _termination(case)
    if termination is None:
        return [_("The termination summary is not written.")]
    if termination.approved_at is None:
        return [_("The termination summary is not approved by the head yet.")]
    return []


@rule("no_open_stay", gettext_lazy("No residential stay still open"))
def no_open_stay(case: Case) -> list[str]:
    if case.stays.filter(discharged_on__isnull=True).exists():
        return [_("The person is still admitted at a centre: record the discharge first.")]
    return []


def label(key: str) -> str:
    found = RULES.get(key)
    return str(found.label) if found else key


def evaluate(case: Case, stage: Stage) -> list[dict]:
    """Each requirement of the stage with what is missing (for ticks and crosses)."""
    results = []
    for key in stage.requirements or []:
        found = RULES.get(key)
        if found is None:
            missing = [
                _("Unknown rule %(rule)s in the stage list: ask an administrator.") % {"rule": key}
            ]
        else:
            missing = found.check(case)
        results.append({"key": key, "label": label(key), "missing": missing, "met": not missing})
    return results


def check(case: Case, stage: Stage) -> list[str]:
    """What is missing before the case may enter the stage (empty: nothing)."""
    return [message for result in evaluate(case, stage) for message in result["missing"]]
