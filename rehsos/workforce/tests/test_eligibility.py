"""The eligibility rules of an internship call, each decided for one applicant; the
shape checks with field-named errors; the scoring criteria and the weighted total."""

import datetime
from decimal import Decimal

import pytest

from rehsos.core.errors import ValidationFailed
from rehsos.workforce import eligibility
from rehsos.workforce.models import Application, Competency, Qualification, StaffRole
from rehsos.workforce.tests.factories import (
    ApplicationFactory,
    CallFactory,
    CertificationFactory,
    StaffFactory,
)

CLOSES = datetime.date(2026, 6, 30)


def decide(rule: dict, staff, on=CLOSES) -> dict:
    eligibility.validate_rules([rule])  # every rule used here has a valid shape
    who = eligibility.applicant(staff)
    return eligibility.evaluate([rule], who, on)[rule["rule"]]


@pytest.fixture
def instructor(handayani):
    return StaffFactory(
        facility=handayani,
        role=StaffRole.INSTRUCTOR,
        birth_year=1986,
        started_on=datetime.date(2023, 7, 1),
    )


def test_every_rule_has_a_shape_and_a_decider():
    assert set(eligibility.SHAPES) == set(eligibility.DECIDERS)


def test_role_in(instructor):
    assert decide({"rule": "role_in", "roles": ["instructor", "caregiver"]}, instructor)["ok"]
    result = decide({"rule": "role_in", "roles": ["nurse"]}, instructor)
    assert result == {"ok": False, "reason": "Role Instructor is not among the eligible roles."}


def test_employment_in(instructor):
    assert decide({"rule": "employment_in", "employments": ["pns"]}, instructor)["ok"]
    assert not decide({"rule": "employment_in", "employments": ["pppk"]}, instructor)["ok"]


def test_min_service_years_counts_full_years_at_the_closing_date(instructor):
    # Started 1 July 2023; the call closes 30 June 2026: two full years, not three.
    assert decide({"rule": "min_service_years", "years": 2}, instructor)["ok"]
    result = decide({"rule": "min_service_years", "years": 3}, instructor)
    assert result == {"ok": False, "reason": "2 full years of service; at least 3 needed."}
    assert decide(
        {"rule": "min_service_years", "years": 3}, instructor, on=datetime.date(2026, 7, 1)
    )["ok"]


def test_max_and_min_age_from_the_birth_year(instructor):
    assert decide({"rule": "max_age", "years": 40}, instructor)["ok"]  # 2026 − 1986 = 40
    assert not decide({"rule": "max_age", "years": 39}, instructor)["ok"]
    assert decide({"rule": "min_age", "years": 40}, instructor)["ok"]
    assert not decide({"rule": "min_age", "years": 41}, instructor)["ok"]
    instructor.birth_year = None
    instructor.save()
    result = decide({"rule": "max_age", "years": 45}, instructor)
    assert result == {"ok": False, "reason": "The birth year is not recorded."}


def test_facility_model_and_facility_in(instructor, handayani):
    assert not decide({"rule": "facility_model"}, instructor)["ok"]
    handayani.is_model = True
    handayani.save()
    assert decide({"rule": "facility_model"}, instructor)["ok"]
    assert decide({"rule": "facility_in", "facilities": [handayani.code]}, instructor)["ok"]
    assert not decide({"rule": "facility_in", "facilities": ["other"]}, instructor)["ok"]


def test_has_certification_valid_at_the_closing_date(instructor):
    rule = {"rule": "has_certification", "name": "pekerja sosial"}
    assert decide(rule, instructor) == {
        "ok": False,
        "reason": "No certification pekerja sosial recorded.",
    }
    cert = CertificationFactory(staff=instructor, expires_on=datetime.date(2026, 6, 29))
    result = decide(rule, instructor)
    assert not result["ok"]
    assert "expired on 2026-06-29" in result["reason"]
    cert.expires_on = CLOSES
    cert.save()
    assert decide(rule, instructor)["ok"]


def test_has_competency_by_code_or_name_and_level(instructor):
    instructor.competencies.create(
        code="Q.87SOS00.001.1", name="Melakukan asesmen", level=Competency.Level.INTERMEDIATE
    )
    assert decide({"rule": "has_competency", "code": "q.87sos00.001.1"}, instructor)["ok"]
    assert decide({"rule": "has_competency", "name": "asesmen"}, instructor)["ok"]
    assert decide(
        {"rule": "has_competency", "code": "Q.87SOS00.001.1", "min_level": "intermediate"},
        instructor,
    )["ok"]
    result = decide(
        {"rule": "has_competency", "code": "Q.87SOS00.001.1", "min_level": "advanced"},
        instructor,
    )
    assert not result["ok"]
    assert not decide({"rule": "has_competency", "name": "konseling"}, instructor)["ok"]


def test_min_qualification_by_kkni_level(instructor):
    assert not decide({"rule": "min_qualification", "level": "d3"}, instructor)["ok"]
    instructor.qualifications.create(level=Qualification.Level.D4, field="Pekerjaan sosial")
    assert decide({"rule": "min_qualification", "level": "s1"}, instructor)["ok"]  # D4 = S1
    assert not decide({"rule": "min_qualification", "level": "profession"}, instructor)["ok"]
    instructor.qualifications.create(level=Qualification.Level.S2, field="Kesejahteraan sosial")
    assert decide({"rule": "min_qualification", "level": "profession"}, instructor)["ok"]


def test_not_previously_selected(instructor):
    assert decide({"rule": "not_previously_selected"}, instructor)["ok"]
    ApplicationFactory(staff=instructor, decision=Application.Decision.SELECTED)
    assert not decide({"rule": "not_previously_selected"}, instructor)["ok"]
    # The call being decided does not count against its own applicant.
    earlier = Application.objects.get(staff=instructor)
    who = eligibility.applicant(instructor, call_id=earlier.call_id)
    assert who.selected_before is False


# --- shapes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ("not a list", "eligibility"),
        (["role_in"], "eligibility[0]"),
        ([{"rule": "be_nice"}], "eligibility[0].rule"),
        ([{"rule": "role_in", "roles": []}], "eligibility[0].roles"),
        ([{"rule": "role_in", "roles": ["astronaut"]}], "eligibility[0].roles"),
        ([{"rule": "employment_in"}], "eligibility[0].employments"),
        ([{"rule": "facility_model"}, {"rule": "max_age", "years": "45"}], "eligibility[1].years"),
        ([{"rule": "min_service_years", "years": -1}], "eligibility[0].years"),
        ([{"rule": "max_age", "years": True}], "eligibility[0].years"),
        ([{"rule": "facility_model", "yes": 1}], "eligibility[0].yes"),
        ([{"rule": "facility_in", "facilities": "x"}], "eligibility[0].facilities"),
        ([{"rule": "has_certification"}], "eligibility[0].name"),
        ([{"rule": "has_competency"}], "eligibility[0].code"),
        (
            [{"rule": "has_competency", "code": "X", "min_level": "guru"}],
            "eligibility[0].min_level",
        ),
        ([{"rule": "min_qualification", "level": "phd"}], "eligibility[0].level"),
        ([{"rule": "facility_model"}, {"rule": "facility_model"}], "eligibility[1].rule"),
    ],
)
def test_bad_rules_name_their_field(rules, field):
    with pytest.raises(ValidationFailed) as raised:
        eligibility.validate_rules(rules)
    assert field in raised.value.fields, raised.value.fields


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({"code": "x"}, "scoring"),
        ([{"code": "Bad Code", "label": "x", "weight": 100, "max": 10}], "scoring[0].code"),
        ([{"code": "a", "label": "", "weight": 100, "max": 10}], "scoring[0].label"),
        ([{"code": "a", "label": "A", "weight": 0, "max": 10}], "scoring[0].weight"),
        ([{"code": "a", "label": "A", "weight": 100, "max": "ten"}], "scoring[0].max"),
        ([{"code": "a", "label": "A", "weight": 100, "max": 10, "bonus": 1}], "scoring[0].bonus"),
        (
            [
                {"code": "a", "label": "A", "weight": 50, "max": 10},
                {"code": "a", "label": "B", "weight": 50, "max": 10},
            ],
            "scoring[1].code",
        ),
        ([{"code": "a", "label": "A", "weight": 60, "max": 10}], "scoring"),
    ],
)
def test_bad_scoring_criteria_name_their_field(criteria, field):
    with pytest.raises(ValidationFailed) as raised:
        eligibility.validate_scoring(criteria)
    assert field in raised.value.fields, raised.value.fields


def test_weights_must_add_up_to_100():
    with pytest.raises(ValidationFailed) as raised:
        eligibility.validate_scoring([{"code": "a", "label": "A", "weight": 60, "max": 10}])
    assert raised.value.fields == {"scoring": "The weights add up to 60; they must add up to 100."}


# --- scoring ----------------------------------------------------------------------------

CRITERIA = [
    {"code": "motivation", "label": "Motivation", "weight": 40, "max": 10},
    {"code": "plan", "label": "Re-entry plan", "weight": 35, "max": 20},
    {"code": "language", "label": "Japanese", "weight": 25, "max": 5},
]


def test_the_weighted_total_is_out_of_100():
    # 40 × 8/10 + 35 × 15/20 + 25 × 2/5 = 32 + 26.25 + 10 = 68.25
    points = {"motivation": 8, "plan": 15, "language": 2}
    assert eligibility.weighted_total(CRITERIA, points) == Decimal("68.25")
    full = {"motivation": 10, "plan": 20, "language": 5}
    assert eligibility.weighted_total(CRITERIA, full) == Decimal("100.00")
    assert eligibility.weighted_total(CRITERIA, dict.fromkeys(full, 0)) == Decimal("0.00")


def test_no_total_until_every_criterion_has_points():
    assert eligibility.weighted_total(CRITERIA, {"motivation": 8, "plan": 15}) is None


def test_points_outside_0_to_max_name_the_criterion():
    with pytest.raises(ValidationFailed) as raised:
        eligibility.check_points(CRITERIA, {"motivation": 11, "plan": -1, "other": 1})
    assert raised.value.fields == {
        "scores.motivation": "Give 0 to 10 points.",
        "scores.plan": "Give 0 to 20 points.",
        "scores.other": "No such criterion in this call.",
    }
    assert eligibility.check_points(CRITERIA, {"language": "2.5"}) == {"language": Decimal("2.5")}


def test_rules_read_in_words(db):
    call = CallFactory(eligibility=[{"rule": "max_age", "years": 45}])
    assert eligibility.describe(call.eligibility[0]) == "At most 45 years old in the closing year"
