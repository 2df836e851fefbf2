"""Reads of the registry, always scoped to the user."""

from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound
from rehsos.core.permissions import scoped
from rehsos.registry.models import Consent, DataRequest, Household, Person


def visible_persons(user):
    return scoped(user, Person.objects.live())


def person_for(user, public_id) -> tuple[Person, bool]:
    """The person the user may see, following merges. Returns (person, redirected).
    A person outside the user's scope is reported as not found, not as forbidden."""
    found = Person.objects.filter(public_id=public_id).first()
    redirected = False
    hops = 0
    while found is not None and found.merged_into_id and hops < 20:
        found, redirected, hops = found.merged_into, True, hops + 1
    if found is None or not scoped(user, Person.objects.filter(pk=found.pk)).exists():
        raise NotFound(_("No person with this id in your area of work."))
    return found, redirected


def household_for(user, public_id) -> Household:
    found = scoped(user, Household.objects.filter(public_id=public_id)).first()
    if found is None:
        raise NotFound(_("No household with this id in your area of work."))
    return found


def consent_for(user, public_id) -> Consent:
    consent = Consent.objects.select_related("person").filter(public_id=public_id).first()
    if consent is None:
        raise NotFound(_("No consent with this id."))
    person_for(user, consent.person.public_id)
    return consent


def request_for(user, public_id) -> DataRequest:
    req = DataRequest.objects.select_related("person").filter(public_id=public_id).first()
    if req is None:
        raise NotFound(_("No request with this id."))
    person_for(user, req.person.public_id)
    return req


def timeline(person: Person, limit: int = 200):
    return list(person.events.select_related("actor")[:limit])


def current_household(person: Person):
    membership = person.memberships.filter(end__isnull=True).select_related("household").first()
    return membership
