"""Households (KK): members with their relationship to the head, and their history."""

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.registry import events, nik
from rehsos.registry.identifiers import Sealer
from rehsos.registry.models import Guardian, Household, HouseholdMembership, Person, Relationship


@transaction.atomic
def create_household(
    user, *, kk_number: str, village: str, address: str = "", facility=None
) -> Household:
    number = nik.normalise(kk_number or "")
    if number and (not number.isdigit() or len(number) != 16):
        raise ValidationFailed(fields={"kk_number": _("A KK number has 16 digits.")})
    sealer = Sealer()
    index = sealer.blind_index(number) if number else ""
    if index and Household.objects.filter(kk_index=index).exists():
        raise ValidationFailed(fields={"kk_number": _("A household with this KK number exists.")})
    if not apps.get_model("regions", "Region").objects.filter(code=village, level=4).exists():
        raise ValidationFailed(
            fields={"village": _("%(code)s is not a known village code.") % {"code": village}}
        )
    return Household.objects.create(
        kk_sealed=sealer.seal(number) if number else "",
        kk_index=index,
        village_id=village,
        address=address.strip()[:300],
        facility=facility or getattr(user, "facility", None),
    )


@transaction.atomic
def add_member(
    user, household: Household, person: Person, *, relationship: str, start=None
) -> HouseholdMembership:
    """Put a person on a KK. Their open membership elsewhere ends the day before."""
    if relationship not in Relationship.values:
        raise ValidationFailed(fields={"relationship": _("Choose a relationship from the list.")})
    start = start or timezone.localdate()
    members = HouseholdMembership.objects.select_for_update().filter(
        household=household, end__isnull=True
    )
    if (
        relationship == Relationship.HEAD
        and members.filter(relationship="head").exclude(person=person).exists()
    ):
        raise Conflict(_("This household already has a head; end that membership first."))
    current = (
        HouseholdMembership.objects.select_for_update()
        .filter(person=person, end__isnull=True)
        .first()
    )
    if current is not None:
        if current.household_id == household.pk:
            raise Conflict(_("This person is already a member of this household."))
        current.end = start
        current.save(update_fields=["end"])
        events.record(
            person, "household_left", actor=user, household=str(current.household.public_id)
        )
    membership = HouseholdMembership.objects.create(
        household=household, person=person, relationship=relationship, start=start
    )
    events.record(
        person,
        "household_joined",
        actor=user,
        household=str(household.public_id),
        relationship=relationship,
    )
    return membership


@transaction.atomic
def end_membership(user, membership: HouseholdMembership, *, end=None) -> HouseholdMembership:
    if membership.end:
        raise Conflict(_("This membership has already ended."))
    membership.end = end or timezone.localdate()
    membership.save(update_fields=["end"])
    events.record(
        membership.person,
        "household_left",
        actor=user,
        household=str(membership.household.public_id),
    )
    return membership


@transaction.atomic
def add_guardian(
    user,
    person: Person,
    *,
    relationship: str,
    basis: str,
    guardian=None,
    name: str = "",
    phone: str = "",
) -> Guardian:
    errors = {}
    if guardian is None and not name.strip():
        errors["name"] = _("Enter the guardian's name, or choose a registered person.")
    if guardian is not None and guardian.pk == person.pk:
        errors["guardian"] = _("A person cannot be their own guardian.")
    if not relationship.strip():
        errors["relationship"] = _("Say how the guardian is related to the person.")
    if basis not in dict(Guardian._meta.get_field("basis").choices):
        errors["basis"] = _("Choose the basis of the guardianship.")
    if errors:
        raise ValidationFailed(fields=errors)
    record = Guardian.objects.create(
        person=person,
        guardian=guardian,
        name=name.strip()[:200],
        phone=phone.strip()[:32],
        relationship=relationship.strip()[:60],
        basis=basis,
    )
    events.record(person, "guardian_added", actor=user, basis=basis)
    return record
