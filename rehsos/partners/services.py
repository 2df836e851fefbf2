"""Writes on partners, their agreements and the accounts of their viewers.

The partners issue grows this module (approval trail, CSR programmes, commitments);
for now it holds what the standards and workforce apps need: a partner, an agreement
of that partner, and the link that lets a partner viewer's account see its partner's
portfolio. Each needs ``partners.manage``.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from auditlog.context import set_actor
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from rehsos.core.errors import ValidationFailed
from rehsos.core.permissions import require
from rehsos.core.roles import Role
from rehsos.partners.models import Agreement, Partner, PartnerUser

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


def _name(value: str, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def create_partner(
    user,
    *,
    code: str,
    name: str,
    kind: str,
    acronym: str = "",
    country: str = "",
    iati_id: str = "",
) -> Partner:
    require(user, "partners.manage")
    errors = {}
    code = (code or "").strip().lower()
    if not CODE.match(code):
        errors["code"] = _("Use lower-case letters, digits and hyphens (at most 40).")
    elif Partner.objects.filter(code=code).exists():
        errors["code"] = _("A partner with this code exists already.")
    name = _name(name, 200)
    if not name:
        errors["name"] = _("Give the partner's name.")
    if kind not in Partner.Kind.values:
        errors["kind"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Partner.Kind.values)
        }
    country = (country or "").strip().upper()
    if country and not COUNTRY.match(country):
        errors["country"] = _("Give the country as its two-letter ISO code (JP, KR…).")
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic(), set_actor(user):
            return Partner.objects.create(
                code=code,
                name=name,
                kind=kind,
                acronym=_name(acronym, 30),
                country=country,
                iati_id=(iati_id or "").strip()[:60],
            )
    except IntegrityError as exc:  # the same code saved by someone else meanwhile
        raise ValidationFailed(
            fields={"code": _("A partner with this code exists already.")}
        ) from exc


def create_agreement(
    user,
    *,
    partner: Partner,
    kind: str,
    title: str,
    number: str = "",
    status: str = Agreement.Status.DRAFT,
    signed_on: datetime.date | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    value=None,
    currency: str = "IDR",
    parent: Agreement | None = None,
) -> Agreement:
    require(user, "partners.manage")
    errors = {}
    if kind not in Agreement.Kind.values:
        errors["kind"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Agreement.Kind.values)
        }
    if status not in Agreement.Status.values:
        errors["status"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Agreement.Status.values)
        }
    title = _name(title, 300)
    if not title:
        errors["title"] = _("Give the agreement's title.")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The end is before the start.")
    if status in (Agreement.Status.SIGNED, Agreement.Status.IN_FORCE) and signed_on is None:
        errors["signed_on"] = _("A signed agreement needs the date it was signed.")
    if parent is not None and parent.partner_id != partner.pk:
        errors["parent"] = _("The umbrella agreement must be one of the same partner.")
    currency = (currency or "").strip().upper()
    if not CURRENCY.match(currency):
        errors["currency"] = _("Give the currency as its three-letter ISO code (IDR, JPY, USD…).")
    if value is not None:
        try:
            value = Decimal(str(value))
            if not value.is_finite() or value < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError, TypeError):
            errors["value"] = _("Enter the value as a number, at least 0.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic(), set_actor(user):
        return Agreement.objects.create(
            partner=partner,
            parent=parent,
            kind=kind,
            number=(number or "").strip()[:100],
            title=title,
            status=status,
            signed_on=signed_on,
            starts_on=starts_on,
            ends_on=ends_on,
            value=value,
            currency=currency,
        )


def link_partner_user(user, *, account, partner: Partner) -> PartnerUser:
    """Let a partner viewer's ``account`` see ``partner``'s portfolio (one partner per
    account: linking again moves the account)."""
    require(user, "partners.manage")
    if account.role != Role.PARTNER_VIEWER:
        raise ValidationFailed(
            fields={"account": _("Only a partner viewer's account can be linked to a partner.")}
        )
    if not partner.is_active:
        raise ValidationFailed(fields={"partner": _("The partner is no longer active.")})
    with transaction.atomic(), set_actor(user):
        link, _created = PartnerUser.objects.update_or_create(
            user=account, defaults={"partner": partner}
        )
    return link


def unlink_partner_user(user, *, account) -> bool:
    require(user, "partners.manage")
    with transaction.atomic(), set_actor(user):
        deleted, _rows = PartnerUser.objects.filter(user=account).delete()
    return bool(deleted)
