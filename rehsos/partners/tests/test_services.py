"""Partners: creating partners and agreements, and linking a partner viewer's account."""

import datetime

import pytest

from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.roles import Role
from rehsos.core.tests.factories import UserFactory
from rehsos.partners import services
from rehsos.partners.models import Agreement, Partner, PartnerUser
from rehsos.partners.tests.factories import AgreementFactory, PartnerFactory


def test_a_partner_and_its_agreement(national_admin):
    jica = services.create_partner(
        national_admin,
        code="JICA",
        name="Japan International  Cooperation Agency",
        kind=Partner.Kind.BILATERAL,
        acronym="JICA",
        country="jp",
        iati_id="JP-8",
    )
    assert (jica.code, jica.name, jica.country) == (
        "jica",
        "Japan International Cooperation Agency",
        "JP",
    )
    grant = services.create_agreement(
        national_admin,
        partner=jica,
        kind=Agreement.Kind.GRANT,
        title="Grant aid for four model centres",
        status=Agreement.Status.IN_FORCE,
        signed_on=datetime.date(2025, 6, 1),
        value="1500000000",
        currency="jpy",
    )
    assert (grant.partner, grant.currency, grant.status) == (jica, "JPY", "in_force")


def test_bad_partner_input_is_named_and_nothing_saved(national_admin):
    PartnerFactory(code="koica")
    with pytest.raises(ValidationFailed) as raised:
        services.create_partner(national_admin, code="koica", name=" ", kind="spy", country="KOR")
    assert set(raised.value.fields) == {"code", "name", "kind", "country"}
    assert Partner.objects.count() == 1


def test_agreement_rules(national_admin):
    jica, koica = PartnerFactory(code="jica"), PartnerFactory(code="koica")
    umbrella = AgreementFactory(partner=koica)
    with pytest.raises(ValidationFailed) as raised:
        services.create_agreement(
            national_admin,
            partner=jica,
            kind=Agreement.Kind.PKS,
            title="Implementing arrangement",
            status=Agreement.Status.SIGNED,
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2025, 1, 1),
            parent=umbrella,
            currency="rupiah",
        )
    assert set(raised.value.fields) == {"ends_on", "signed_on", "parent", "currency"}
    assert not Agreement.objects.filter(partner=jica).exists()


def test_only_a_partner_viewer_is_linked_and_linking_again_moves_it(national_admin, analyst):
    jica, koica = PartnerFactory(code="jica"), PartnerFactory(code="koica")
    viewer = UserFactory(username="jica.viewer", role=Role.PARTNER_VIEWER)
    with pytest.raises(ValidationFailed) as raised:
        services.link_partner_user(national_admin, account=analyst, partner=jica)
    assert set(raised.value.fields) == {"account"}
    services.link_partner_user(national_admin, account=viewer, partner=jica)
    services.link_partner_user(national_admin, account=viewer, partner=koica)
    assert list(PartnerUser.objects.values_list("user__username", "partner__code")) == [
        ("jica.viewer", "koica")
    ]
    assert services.unlink_partner_user(national_admin, account=viewer) is True
    assert not PartnerUser.objects.exists()


def test_managing_partners_needs_the_right(facility_head):
    with pytest.raises(PermissionDenied):
        services.create_partner(facility_head, code="x", name="X", kind=Partner.Kind.NGO)
    assert not Partner.objects.exists()
