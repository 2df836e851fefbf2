"""Instrument definitions: validation with paths, the built-ins' scoring, skip rules,
incomplete assessments left unscored, the form and API schema built from a definition."""

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rehsos.cases.instruments import builtin, scoring
from rehsos.cases.instruments.forms import AnswersForm, answers_json_schema, answers_model
from rehsos.cases.instruments.schema import DefinitionError, validate_definition
from rehsos.cases.models import Instrument, InstrumentVersion

SUBSTANCES = [
    "tobacco",
    "alcohol",
    "cannabis",
    "cocaine",
    "ats",
    "inhalants",
    "sedatives",
    "hallucinogens",
    "opioids",
    "other",
]


def load(code: str):
    return validate_definition(json.loads((builtin.DEFINITIONS / f"{code}.json").read_text()))


def score(code: str, raw: dict) -> scoring.Result:
    definition = load(code)
    answers, errors = scoring.check_answers(definition, raw)
    assert errors == {}
    return scoring.evaluate(definition, answers)


def minimal(**overrides) -> dict:
    data = {
        "code": "mini",
        "title": {"id": "Mini", "en": "Mini"},
        "scales": [
            {
                "code": "yn",
                "type": "choice",
                "options": [
                    {"value": 0, "label": {"id": "Tidak", "en": "No"}},
                    {"value": 1, "label": {"id": "Ya", "en": "Yes"}},
                ],
            }
        ],
        "items": [
            {"code": "a", "text": {"id": "A", "en": "A"}, "scale": "yn"},
            {"code": "b", "text": {"id": "B", "en": "B"}, "scale": "yn"},
        ],
        "scoring": {
            "main": "total",
            "rules": [{"code": "total", "label": {"id": "T", "en": "T"}, "method": "sum"}],
        },
    }
    data.update(overrides)
    return data


def problems(data) -> dict[str, str]:
    with pytest.raises(DefinitionError) as raised:
        validate_definition(data)
    return dict(raised.value.errors)


# --- validation ----------------------------------------------------------------------------


def test_every_builtin_definition_is_valid():
    codes = {d["code"] for d in builtin.builtin_definitions()}
    assert codes == {
        "wg-ss",
        "barthel",
        "lawton-iadl",
        "who-assist-v3",
        "child-protection-risk",
        "needs-anak",
        "needs-lu",
        "needs-pd",
        "needs-kpn",
        "needs-ts-kpo",
    }


def test_structural_errors_name_their_path():
    data = minimal()
    data["title"] = {"id": "Mini"}
    data["items"][1]["colour"] = "red"
    data["items"][0]["code"] = "1bad"
    found = problems(data)
    assert "title.en" in found
    assert found["items[1].colour"].startswith("Unknown key")
    assert "starts with a letter" in found["items[0].code"]


def test_reference_errors_name_their_path():
    data = minimal()
    data["items"][0]["scale"] = "nope"
    data["items"][0]["show_if"] = {"item": "b", "equals": 1}  # b comes later
    data["items"][1]["show_if"] = {"item": "a", "equals": 1, "in": [1]}  # two tests
    data["scoring"]["main"] = "missing"
    data["scoring"]["rules"][0]["items"] = ["a", "zz"]
    data["scoring"]["rules"][0]["bands"] = [
        {"code": "lo", "label": {"id": "r", "en": "l"}, "min": 0, "max": 1},
        {"code": "hi", "label": {"id": "t", "en": "h"}, "min": 1},
    ]
    found = problems(data)
    assert found["items[0].scale"] == "No scale has the code nope."
    assert "comes later" in found["items[0].show_if.item"]
    assert "exactly one test" in found["items[1].show_if"]
    assert found["scoring.main"] == "No scoring rule has the code missing."
    assert found["scoring.rules[0].items[1]"] == "No item has the code zz."
    assert "overlaps" in found["scoring.rules[0].bands[1]"]


def test_duplicate_codes_and_values_are_refused():
    data = minimal()
    data["items"][1]["code"] = "a"
    data["scales"][0]["options"][1]["value"] = 0
    found = problems(data)
    assert found["items"] == "The code a is used twice."
    assert found["scales[0].options"] == "The value 0 is used twice."


def test_a_text_item_cannot_be_summed():
    data = minimal()
    data["scales"].append({"code": "note", "type": "text"})
    data["items"].append({"code": "c", "text": {"id": "C", "en": "C"}, "scale": "note"})
    data["scoring"]["rules"][0]["items"] = ["a", "c"]
    assert "no numeric score" in problems(data)["scoring.rules[0].items[1]"]


def test_a_definition_must_be_an_object():
    assert problems([1, 2]) == {"": "A definition is an object (a mapping of keys)."}


# --- the built-ins score known examples ---------------------------------------------------

BARTHEL_MAX = {
    "bowels": 2,
    "bladder": 2,
    "grooming": 1,
    "toilet": 2,
    "feeding": 2,
    "transfer": 3,
    "mobility": 3,
    "dressing": 2,
    "stairs": 2,
    "bathing": 1,
}


@pytest.mark.parametrize(
    ("lowered", "total", "band"),
    [
        ({}, 100, "independent"),
        ({"stairs": 1}, 95, "slight"),
        ({"stairs": 0, "bathing": 0, "transfer": 2}, 80, "moderate"),
        ({"transfer": 0, "mobility": 1, "stairs": 0, "bathing": 0}, 60, "severe"),
        ({"bowels": 0, "bladder": 0, "grooming": 0, "toilet": 0, "feeding": 0,
          "transfer": 1, "mobility": 1, "dressing": 0, "stairs": 0, "bathing": 0}, 10, "total"),
        ({"bowels": 0, "bladder": 0, "grooming": 0, "toilet": 0, "feeding": 2,
          "transfer": 1, "mobility": 1, "dressing": 0, "stairs": 0, "bathing": 0}, 20, "total"),
        ({"bowels": 1, "bladder": 0, "grooming": 0, "toilet": 0, "feeding": 2,
          "transfer": 1, "mobility": 1, "dressing": 0, "stairs": 0, "bathing": 0}, 25, "severe"),
    ],
)  # fmt: skip
def test_barthel_total_and_bands(lowered, total, band):
    result = score("barthel", {**BARTHEL_MAX, **lowered})
    assert result.is_complete
    assert result.score == Decimal(total)
    assert result.subscores["raw"]["value"] == total // 5
    assert result.band == band


def test_barthel_value_outside_the_scale_is_an_error():
    definition = load("barthel")
    _answers, errors = scoring.check_answers(definition, {**BARTHEL_MAX, "grooming": 2})
    assert errors == {"grooming": "Choose one of the answers on the scale (0, 1)."}


def test_wg_ss_disability_when_any_domain_is_a_lot_or_worse():
    none = dict.fromkeys(
        ("seeing", "hearing", "walking", "cognition", "selfcare", "communication"), 1
    )
    result = score("wg-ss", {**none, "hearing": 2})
    assert (result.score, result.band) == (Decimal(0), "no_disability")
    assert result.subscores["domains_some"]["value"] == 1
    result = score("wg-ss", {**none, "walking": 3, "selfcare": 4})
    assert (result.score, result.band) == (Decimal(2), "disability")


def test_wg_ss_keeps_the_official_short_set_wording():
    texts = [item.text.en for item in load("wg-ss").items]
    assert texts == [
        "Do you have difficulty seeing, even if wearing glasses?",
        "Do you have difficulty hearing, even if using a hearing aid(s)?",
        "Do you have difficulty walking or climbing steps?",
        "Do you have difficulty remembering or concentrating?",
        "Do you have difficulty (with self-care such as) washing all over or dressing?",
        "Using your usual language, do you have difficulty communicating, "
        "for example understanding or being understood?",
    ]


LAWTON_ITEMS = ("telephone", "shopping", "food", "housekeeping", "laundry", "transport",
                "medication", "finances")  # fmt: skip
PROTECTIVE = ("safe_caregiver", "support_network", "in_school", "caregiver_cooperates",
              "child_can_seek_help")  # fmt: skip


def test_lawton_scores_the_option_points_not_its_number():
    best = dict.fromkeys(LAWTON_ITEMS, 1)
    assert score("lawton-iadl", best).score == Decimal(8)
    # "Dials a few well-known numbers" (option 2) still counts 1; shopping option 2 counts 0.
    assert score("lawton-iadl", {**best, "telephone": 2, "shopping": 2}).score == Decimal(7)
    assert score("lawton-iadl", {**best, "telephone": 4, "housekeeping": 5}).score == Decimal(6)


def assist_answers(**used: dict) -> dict:
    """Q1 'no' for every substance but those given ({substance: {q2: .., q3: ..}})."""
    raw = {f"q1_{s}": 0 for s in SUBSTANCES}
    raw["q8_injection"] = 0
    for substance, answers in used.items():
        raw[f"q1_{substance}"] = 3
        raw.update({f"{q}_{substance}": v for q, v in answers.items()})
    return raw


def test_assist_alcohol_and_cannabis_thresholds_differ():
    # 2 + 3 + 0 + 0 + 3 + 0 = 8 for each: low for alcohol (0-10), moderate for cannabis (4-26).
    eight = {"q2": 2, "q3": 3, "q4": 0, "q5": 0, "q6": 3, "q7": 0}
    result = score("who-assist-v3", assist_answers(alcohol=eight, cannabis=eight))
    assert result.is_complete
    assert result.subscores["alcohol"] == {"value": 8, "band": "low"}
    assert result.subscores["cannabis"] == {"value": 8, "band": "moderate"}
    assert result.band == "moderate"  # the riskiest substance

    eleven = {"q2": 2, "q3": 3, "q4": 0, "q5": 0, "q6": 6, "q7": 0}
    assert score("who-assist-v3", assist_answers(alcohol=eleven)).subscores["alcohol"] == {
        "value": 11,
        "band": "moderate",
    }
    three = {"q2": 0, "q6": 3, "q7": 0}
    assert score("who-assist-v3", assist_answers(cannabis=three)).subscores["cannabis"] == {
        "value": 3,
        "band": "low",
    }


def test_assist_high_risk_and_tobacco_has_no_q5():
    daily = {"q2": 6, "q3": 6, "q4": 7, "q5": 8, "q6": 6, "q7": 6}
    result = score(
        "who-assist-v3",
        assist_answers(opioids=daily, tobacco={k: v for k, v in daily.items() if k != "q5"}),
    )
    assert result.subscores["opioids"] == {"value": 39, "band": "high"}
    assert result.subscores["tobacco"] == {"value": 31, "band": "high"}
    assert result.band == "high"
    assert load("who-assist-v3").item("q5_tobacco") is None


def test_assist_skip_rules_ask_only_what_applies():
    definition = load("who-assist-v3")
    nobody = assist_answers()
    shown = {i.code for i in scoring.shown_items(definition, nobody)}
    assert shown == {f"q1_{s}" for s in SUBSTANCES} | {"q8_injection"}
    # Used, but not in the past three months: Q3-Q5 skipped, Q6 and Q7 asked.
    past = assist_answers(alcohol={"q2": 0})
    shown = {i.code for i in scoring.shown_items(definition, past)}
    assert {"q2_alcohol", "q6_alcohol", "q7_alcohol"} <= shown
    assert not {"q3_alcohol", "q4_alcohol", "q5_alcohol"} & shown
    assert scoring.missing_items(definition, past) == ["q6_alcohol", "q7_alcohol"]


def test_answers_to_skipped_items_are_dropped():
    definition = load("who-assist-v3")
    raw = assist_answers(cannabis={"q2": 0, "q6": 0, "q7": 0})
    raw["q3_cannabis"] = 6  # not asked: no use in the past three months
    raw["q2_alcohol"] = 6  # not asked: never used
    answers, errors = scoring.check_answers(definition, raw)
    assert errors == {}
    assert "q3_cannabis" not in answers
    assert "q2_alcohol" not in answers
    assert scoring.evaluate(definition, answers).subscores["cannabis"]["value"] == 0


def test_incomplete_assessment_is_not_scored_and_names_the_missing_items():
    result = score(
        "barthel", {k: v for k, v in BARTHEL_MAX.items() if k not in ("stairs", "toilet")}
    )
    assert not result.is_complete
    assert result.missing_items == ["toilet", "stairs"]
    assert result.score is None
    assert result.band == ""
    assert result.subscores == {}


def test_child_protection_levels_and_response():
    definition = load("child-protection-risk")
    factors = {i.code: 0 for i in definition.items if i.group in ("safety", "risk", "protective")}
    low = score("child-protection-risk", {**factors, "safe_caregiver": 1})
    assert (low.score, low.band) == (Decimal(0), "low")  # never below zero
    medium = score(
        "child-protection-risk",
        {**factors, "neglect": 2, "domestic_violence": 2, "previous_reports": 1, "in_school": 1},
    )
    assert (medium.score, medium.band) == (Decimal(4), "medium")
    # One immediate-danger factor makes it high whatever the protective factors.
    protective = dict.fromkeys(PROTECTIVE, 1)
    high = score("child-protection-risk", {**factors, **protective, "sexual_abuse": 1})
    assert (high.score, high.band) == (Decimal(15), "high")
    band = scoring.band_label(definition, "high")
    assert band.response.en == "Respond within 24 hours; consider immediate safe placement"


def test_needs_assessment_by_domain_and_atensi_component():
    definition = load("needs-kpn")
    answers = {i.code: 0 for i in definition.items if i.scale == "need"}
    answers.update(relapse_prevention=3, vocational_training=2, shelter=1)
    result = score("needs-kpn", answers)
    assert result.subscores["domain.psychosocial"] == {"value": 3, "band": "high"}
    assert result.subscores["domain.livelihood"] == {"value": 2, "band": "moderate"}
    assert result.subscores["component.TERAPI"] == {"value": 3, "band": "high"}
    assert result.subscores["component.VOKASIONAL"] == {"value": 2, "band": "moderate"}
    assert result.subscores["component.HIDUP_LAYAK"] == {"value": 1, "band": "low"}
    assert result.subscores["high_needs"]["value"] == 1
    assert result.subscores["total"]["value"] == 6
    assert result.score == Decimal("0.43")  # 6 / 14 needs
    assert result.band == "low"


# --- the scorer, with generated answers ----------------------------------------------------

BARTHEL = load("barthel")


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({k: st.integers(0, v) for k, v in BARTHEL_MAX.items()}))
def test_barthel_total_is_five_times_the_raw_sum_and_always_banded(answers):
    result = scoring.evaluate(BARTHEL, answers)
    raw = sum(answers.values())
    assert result.score == Decimal(raw * 5)
    assert 0 <= result.score <= 100
    assert result.band in {"total", "severe", "moderate", "slight", "independent"}


ASSIST = load("who-assist-v3")


def _assist_raw():
    option = {
        "q1": [0, 3],
        "q2": [0, 2, 3, 4, 6],
        "q3": [0, 3, 4, 5, 6],
        "q4": [0, 4, 5, 6, 7],
        "q5": [0, 5, 6, 7, 8],
        "q6": [0, 3, 6],
        "q7": [0, 3, 6],
    }
    fields = {
        f"{q}_{s}": st.sampled_from(values)
        for q, values in option.items()
        for s in SUBSTANCES
        if not (q == "q5" and s == "tobacco")
    }
    fields["q8_injection"] = st.sampled_from([0, 1, 2])
    return st.fixed_dictionaries(fields)


@settings(max_examples=100, deadline=None)
@given(_assist_raw())
def test_assist_involvement_is_q2_to_q7_of_what_was_asked(raw):
    answers, errors = scoring.check_answers(ASSIST, raw)
    assert errors == {}
    result = scoring.evaluate(ASSIST, answers)
    assert result.is_complete  # every shown item was answered
    for s in SUBSTANCES:
        expected = 0
        if raw[f"q1_{s}"] == 3:
            questions = ["q2", "q6", "q7"]
            if raw[f"q2_{s}"] != 0:
                questions += ["q3", "q4"] + ([] if s == "tobacco" else ["q5"])
            expected = sum(raw[f"{q}_{s}"] for q in questions)
        value = result.subscores[s]["value"]
        assert value == expected
        low = 10 if s == "alcohol" else 3
        band = "low" if value <= low else "moderate" if value <= 26 else "high"
        assert result.subscores[s]["band"] == band


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(list(BARTHEL_MAX)), st.integers(-2, 4)))
def test_any_answers_are_either_errors_or_scored_consistently(raw):
    answers, errors = scoring.check_answers(BARTHEL, raw)
    for code, value in raw.items():
        assert (code in errors) == (value < 0 or value > BARTHEL_MAX[code])
    result = scoring.evaluate(BARTHEL, answers)
    assert result.is_complete == (set(answers) == set(BARTHEL_MAX))
    assert sorted(result.missing_items) == sorted(set(BARTHEL_MAX) - set(answers))


# --- the form and the API schema from the same definition --------------------------------


def test_form_has_the_items_in_order_and_hides_skipped_ones():
    definition = load("who-assist-v3")
    form = AnswersForm(definition=definition)
    assert list(form.fields) == [i.code for i in definition.items]
    data = {f"q1_{s}": "0" for s in SUBSTANCES} | {"q1_alcohol": "3", "q8_injection": "0"}
    data.update(q2_alcohol="4", q3_alcohol="9", q3_cannabis="6")
    form = AnswersForm(data, definition=definition)
    assert not form.is_valid()
    assert list(form.errors) == ["q3_alcohol"]  # 9 is off the scale; q3_cannabis is skipped
    rows = {row["item"].code: row for row in form.rows()}
    assert rows["q2_alcohol"]["shown"]
    assert not rows["q2_cannabis"]["shown"]
    assert json.loads(rows["q3_alcohol"]["show_if"]) == {
        "all": [{"item": "q1_alcohol", "equals": 3}, {"item": "q2_alcohol", "not_equals": 0}]
    }


def test_answers_schema_lists_items_and_their_values():
    schema = answers_json_schema(load("barthel"))
    assert list(schema["properties"]) == list(BARTHEL_MAX)
    stairs = schema["properties"]["stairs"]
    assert {"enum": [0, 1, 2], "type": "integer"} in stairs["anyOf"]
    assert stairs["description"].startswith("Stairs / Naik turun tangga")
    model = answers_model(load("barthel"))
    with pytest.raises(ValueError, match="stairs"):
        model(stairs=3)


# --- loading the built-ins ------------------------------------------------------------------


@pytest.mark.django_db
def test_builtins_are_loaded_by_the_migration_and_reloading_changes_nothing():
    assert Instrument.objects.filter(is_builtin=True).count() == 10
    barthel = InstrumentVersion.objects.get(instrument__code="barthel")
    assert (barthel.version, barthel.status) == (1, "published")
    loaded = builtin.load_builtins()
    assert (loaded.created, loaded.versioned, loaded.unchanged) == (0, 0, 10)


@pytest.mark.django_db
def test_a_changed_builtin_becomes_a_new_version_and_retires_the_old(monkeypatch):
    original = builtin.builtin_definitions

    def changed():
        found = copy.deepcopy(original())
        for data in found:
            if data["code"] == "lawton-iadl":
                data["instructions"]["en"] += " (revised)"
        return found

    monkeypatch.setattr(builtin, "builtin_definitions", changed)
    loaded = builtin.load_builtins()
    assert (loaded.versioned, loaded.unchanged) == (1, 9)
    versions = dict(
        InstrumentVersion.objects.filter(instrument__code="lawton-iadl").values_list(
            "version", "status"
        )
    )
    assert versions == {1: "retired", 2: "published"}


@pytest.mark.django_db
def test_load_instruments_command(capsys):
    from django.core.management import call_command

    call_command("load_instruments")
    assert "0 added, 0 new versions, 10 unchanged" in capsys.readouterr().out
