"""RegionField and RegionSelectWidget: validation and the rendered dependent selects."""

import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rehsos.regions.forms import RegionField
from rehsos.regions.models import Level, Region


class VillageForm(forms.Form):
    village = RegionField(label="Village")


class RegencyForm(forms.Form):
    regency = RegionField(level=Level.REGENCY, required=False)


def selects(html: str) -> dict[str, dict]:
    """Each <select> of the widget: its attributes, option values, and the selected one."""
    found = {}
    for attrs, body in re.findall(r"<select ([^>]*)>(.*?)</select>", html, re.S):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        options = re.findall(r'<option value="([^"]*)"', body)
        selected = re.findall(r'<option value="([^"]*)" selected>', body)
        found[attributes["name"]] = {
            "attrs": attributes,
            "options": options,
            "selected": selected[0] if selected else "",
        }
    return found


def test_a_village_code_gives_the_region(db):
    form = VillageForm({"village": "32.01.01.1006"})
    assert form.is_valid()
    assert form.cleaned_data["village"] == Region.objects.get(code="32.01.01.1006")


def test_the_four_selects_give_the_deepest_choice(db):
    data = {
        "village_1": "32",
        "village_2": "32.01",
        "village_3": "32.01.01",
        "village_4": "32.01.01.1006",
    }
    form = VillageForm(data)
    assert form.is_valid()
    assert form.cleaned_data["village"].code == "32.01.01.1006"


def test_a_choice_left_over_from_another_parent_is_ignored(db, english):
    # The province was changed to Banten after a Bogor village had been chosen.
    data = {"village_1": "36", "village_2": "32.01", "village_4": "32.01.01.1006"}
    form = VillageForm(data)
    assert not form.is_valid()
    assert form.errors["village"] == [
        "Choose a region down to the level “Village”; Banten (36) is a “Province”."
    ]


@pytest.mark.parametrize("code", ["32.01.01.9999", "99", "abc"])
def test_an_unknown_code_is_a_form_error(db, english, code):
    form = VillageForm({"village": code})
    assert not form.is_valid()
    assert form.errors["village"] == [
        f"Unknown region code {code}: choose the region from the lists."
    ]


def test_a_region_of_the_wrong_level_is_a_form_error(db, english):
    form = VillageForm({"village": "32.01.01"})
    assert not form.is_valid()
    assert form.errors["village"] == [
        "Choose a region down to the level “Village”; Cibinong (32.01.01) is a “District”."
    ]


def test_a_required_region_must_be_chosen(db, english):
    form = VillageForm({"village_1": ""})
    assert not form.is_valid()
    assert form.errors["village"] == ["This field is required."]


def test_an_optional_regency(db):
    assert RegencyForm({}).is_valid()
    form = RegencyForm({"regency_1": "32", "regency_2": "32.71"})
    assert form.is_valid()
    assert form.cleaned_data["regency"].name == "Kota Bogor"


def test_an_empty_widget_lists_the_provinces(db, english):
    html = str(VillageForm()["village"])
    found = selects(html)
    assert list(found) == ["village_1", "village_2", "village_3", "village_4"]
    assert len(found["village_1"]["options"]) == 39  # the placeholder and 38 provinces
    assert found["village_1"]["options"][:3] == ["", "11", "51"]  # Aceh, Bali: by name
    assert [found[n]["options"] for n in ("village_2", "village_3", "village_4")] == [[""]] * 3
    for level, label in enumerate(["Province", "Regency / city", "District", "Village"], 1):
        assert (
            f'<label class="form-label small mb-1" for="id_village_{level}">{label}</label>' in html
        )


def test_each_select_asks_for_the_next_ones_options_and_clears_the_rest(db):
    html = str(VillageForm()["village"])
    found = selects(html)
    assert found["village_1"]["attrs"] == {
        "name": "village_1",
        "id": "id_village_1",
        "class": "form-select",
        "hx-get": "/regions/options/?clear=id_village_3&amp;clear=id_village_4",
        "hx-trigger": "change",
        "hx-target": "#id_village_2",
        "hx-swap": "innerHTML",
        "hx-include": "this",
    }
    assert html.count(" required ") == 4
    assert found["village_3"]["attrs"]["hx-get"] == "/regions/options/"
    assert found["village_3"]["attrs"]["hx-target"] == "#id_village_4"
    assert "hx-get" not in found["village_4"]["attrs"]


def test_a_form_shown_again_keeps_the_chosen_path(db):
    form = VillageForm({"village_1": "32", "village_2": "32.01", "village_3": "32.01.01"})
    assert not form.is_valid()  # a district, not a village
    with CaptureQueriesContext(connection) as seen:
        html = str(form["village"])
    assert len(seen.captured_queries) == 1  # every select's options in one query
    found = selects(html)
    assert [found[f"village_{n}"]["selected"] for n in range(1, 5)] == [
        "32",
        "32.01",
        "32.01.01",
        "",
    ]
    assert len(found["village_2"]["options"]) == 1 + 27  # Jawa Barat's regencies and cities
    assert len(found["village_3"]["options"]) == 1 + 40  # Kabupaten Bogor's districts
    assert found["village_4"]["options"][:3] == ["", "32.01.01.1006", "32.01.01.1011"]
    assert found["village_1"]["attrs"]["aria-invalid"] == "true"


def test_initial_region_is_rendered_selected(db):
    form = VillageForm(initial={"village": Region.objects.get(code="31.75.03.1001")})
    found = selects(str(form["village"]))
    assert found["village_4"]["selected"] == "31.75.03.1001"
    assert found["village_3"]["selected"] == "31.75.03"


def test_a_regency_field_renders_two_selects(db):
    found = selects(str(RegencyForm()["regency"]))
    assert list(found) == ["regency_1", "regency_2"]
    assert found["regency_1"]["attrs"]["hx-get"] == "/regions/options/"
    assert " required " not in str(RegencyForm()["regency"])
