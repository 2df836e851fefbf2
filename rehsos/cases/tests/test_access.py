"""Who sees which case: scope, the sensitive-case team rule and breaking the glass."""

import pytest

from rehsos.cases import access
from rehsos.cases.models import GlassBreak
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory


@pytest.fixture
def other_worker(handayani):
    return UserFactory(
        username="peksos.lain",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


def test_sensitive_case_is_hidden_from_a_colleague_outside_the_team(
    handayani, social_worker, other_worker, facility_head
):
    plain = CaseFactory(unit=handayani, social_worker=social_worker)
    sensitive = CaseFactory(unit=handayani, social_worker=social_worker, flag_trafficking=True)

    assert set(access.visible_cases(social_worker)) == {plain, sensitive}
    assert set(access.visible_cases(facility_head)) == {plain, sensitive}
    assert set(access.visible_cases(other_worker)) == {plain}
    assert set(access.in_scope(other_worker)) == {plain, sensitive}


def test_breaking_the_glass_needs_a_reason_and_opens_the_case(
    handayani, social_worker, other_worker
):
    sensitive = CaseFactory(unit=handayani, social_worker=social_worker, flag_child=True)
    with pytest.raises(ValidationFailed) as raised:
        access.break_glass(other_worker, sensitive, "too short")
    assert "reason" in raised.value.fields

    access.break_glass(other_worker, sensitive, "Covering a home visit while the worker is ill")

    assert GlassBreak.objects.filter(case=sensitive, user=other_worker).count() == 1
    assert list(access.visible_cases(other_worker)) == [sensitive]


def test_a_case_outside_the_scope_cannot_be_broken_into(galih_pakuan, other_worker):
    elsewhere = CaseFactory(unit=galih_pakuan, flag_napza=True)
    with pytest.raises(NotFound):
        access.break_glass(other_worker, elsewhere, "I would like to see it please")
