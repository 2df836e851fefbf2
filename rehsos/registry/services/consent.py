"""Consent under UU PDP: recorded with purpose, lawful basis and who gave it; withdrawable."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.registry import events
from rehsos.registry.models import Consent, LawfulBasis, Person, Purpose

ADULT_AGE = 18


def _is_minor(person: Person, on: datetime.date) -> bool:
    if not person.birth_date:
        return False
    born = person.birth_date
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years < ADULT_AGE


@transaction.atomic
def give_consent(
    user,
    person: Person,
    *,
    purpose: str,
    lawful_basis: str,
    given_by: str,
    giver_name: str = "",
    scope: str = "",
    given_at=None,
) -> Consent:
    errors = {}
    if purpose not in Purpose.values:
        errors["purpose"] = _("Choose a purpose from the list.")
    if lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = _("Choose a lawful basis from the list.")
    if given_by not in ("self", "parent", "guardian"):
        errors["given_by"] = _("Say who gave the consent: the person, a parent or a guardian.")
    given_at = given_at or timezone.now()
    if given_at > timezone.now():
        errors["given_at"] = _("Consent cannot be recorded for a future date.")
    if given_by in ("parent", "guardian") and not giver_name.strip():
        errors["giver_name"] = _("Enter the name of the parent or guardian who gave it.")
    if (
        given_by == "self"
        and lawful_basis == LawfulBasis.CONSENT
        and _is_minor(person, timezone.localdate())
    ):
        errors["given_by"] = _("This person is a child: a parent or guardian must give consent.")
    if errors:
        raise ValidationFailed(fields=errors)
    consent = Consent.objects.create(
        person=person,
        purpose=purpose,
        lawful_basis=lawful_basis,
        given_by=given_by,
        giver_name=giver_name.strip(),
        scope=scope.strip()[:300],
        given_at=given_at,
        recorded_by=user,
    )
    events.record(person, "consent_given", actor=user, purpose=purpose, basis=lawful_basis)
    return consent


@transaction.atomic
def withdraw_consent(user, consent: Consent, *, reason: str = "") -> Consent:
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at:
        raise Conflict(_("This consent was already withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawal_reason = reason.strip()[:300]
    consent.version += 1
    consent.save()
    events.record(consent.person, "consent_withdrawn", actor=user, purpose=consent.purpose)
    return consent


def allowed_purposes(person: Person, at=None) -> set[str]:
    """The purposes for which the person's data may be used now. Later modules ask this
    before sharing (an employer referral asks for 'employment')."""
    return set(person.consents.in_force(at).values_list("purpose", flat=True))


def may_use_for(person: Person, purpose: str) -> bool:
    return purpose in allowed_purposes(person)
