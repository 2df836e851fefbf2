"""The page form and the API schema of an instrument's answers, both built from the
same definition.

* ``answers_form(definition)`` — a Django form class: one field per item, in order
  (a radio list for a choice or yes/no scale, a number or text box otherwise). Its
  ``clean`` checks the answers with the scorer (a value outside the scale is an
  error on that field) and drops answers that the skip rules hide; the page hides
  and shows items as they are answered (a small script in the form template).
* ``answers_model(definition)`` — a pydantic model of the answers (each item an
  optional field with its allowed values and its text as description);
  ``answers_json_schema`` is its JSON schema, shown in the API docs.
"""

import contextlib
import json
import re
from typing import Literal, Optional

from django import forms
from django.utils.translation import gettext_lazy as _
from pydantic import ConfigDict, Field, create_model

from rehsos.cases.instruments import scoring
from rehsos.cases.instruments.schema import Condition, Definition, Item


def _condition_json(cond: Condition | None) -> str:
    if cond is None:
        return ""
    return json.dumps(cond.model_dump(by_alias=True, exclude_none=True), separators=(",", ":"))


class AnswersForm(forms.Form):
    definition: Definition

    def __init__(self, *args, definition: Definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition.items:
            self.fields[item.code] = _field(definition, item)
        self.answers: dict = {}

    def clean(self):
        cleaned = super().clean()
        raw = {code: cleaned.get(code) for code in (i.code for i in self.definition.items)}
        answers, errors = scoring.check_answers(self.definition, raw)
        for code, message in errors.items():
            self.add_error(code if code in self.fields else None, message)
        self.answers = answers
        return cleaned

    def add_service_errors(self, fields: dict) -> None:
        for name, message in fields.items():
            code = name.removeprefix("answers.")
            self.add_error(code if code in self.fields else None, str(message))

    def rows(self) -> list[dict]:
        """The fields in order with what the template needs: the group heading where a
        group starts, the skip rule (for the script), whether it is shown now."""
        data = self.answers if self.is_bound and hasattr(self, "cleaned_data") else None
        if data is None:
            data = {}
            source = self.data if self.is_bound else self.initial
            for item in self.definition.items:
                value = source.get(item.code)
                if value not in (None, ""):
                    with contextlib.suppress(ValueError):
                        data[item.code] = scoring.coerce(self.definition.scale_of(item), value)
        shown = {i.code for i in scoring.shown_items(self.definition, data)}
        groups_shown = {i.group for i in self.definition.items if i.code in shown}
        rows, group = [], None
        for item in self.definition.items:
            heading = None
            if item.group and item.group != group:
                found = self.definition.group(item.group)
                heading = found.title if found else None
            group = item.group
            rows.append(
                {
                    "field": self[item.code],
                    "item": item,
                    "heading": heading,
                    "show_if": _condition_json(item.show_if),
                    "shown": item.code in shown,
                    "group_shown": item.group in groups_shown,
                    "required": item.required,
                }
            )
        return rows


def _field(definition: Definition, item: Item) -> forms.Field:
    scale = definition.scale_of(item)
    common = {"label": str(item.text), "required": False, "help_text": str(item.help or "")}
    if scale.type in ("choice", "yes_no"):
        return forms.ChoiceField(
            choices=[(str(o.value), str(o.label)) for o in scale.choices],
            widget=forms.RadioSelect,
            **common,
        )
    if scale.type == "number":
        attrs = {"inputmode": "decimal", "class": "form-control"}
        if scale.min is not None:
            attrs["min"] = scale.min
        if scale.max is not None:
            attrs["max"] = scale.max
        return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        max_length=scale.max_length,
        **common,
    )


def initial_from_answers(answers: dict) -> dict:
    return {code: str(value) for code, value in answers.items()}


class AssessmentMetaForm(forms.Form):
    """What the assessment records beside the answers."""

    assessed_on = forms.DateField(
        label=_("Assessed on"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    note = forms.CharField(
        label=_("Note (no names of other people)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


# --- the API schema ----------------------------------------------------------------------


def _model_name(definition: Definition) -> str:
    words = re.split(r"[^A-Za-z0-9]+", definition.code)
    return "Answers" + "".join(w[:1].upper() + w[1:] for w in words if w)


def answers_model(definition: Definition):
    """A pydantic model of the answers to this definition (every item optional: an
    incomplete assessment is saved, and not scored)."""
    fields = {}
    for item in definition.items:
        scale = definition.scale_of(item)
        description = f"{item.text.en} / {item.text.id}"
        if item.show_if is not None:
            description += " (asked only when: " + _condition_json(item.show_if) + ")"
        if item.required:
            description += " [required when asked]"
        if scale.type in ("choice", "yes_no"):
            values = tuple(o.value for o in scale.choices)
            options = "; ".join(f"{o.value} = {o.label.en}" for o in scale.choices)
            annotation = Optional[Literal[values]]  # noqa: UP045 - Literal of runtime values
            field = Field(None, description=f"{description}. Answers: {options}")
        elif scale.type == "number":
            annotation = Optional[int if scale.integer else float]  # noqa: UP045
            field = Field(None, ge=scale.min, le=scale.max, description=description)
        else:
            annotation = Optional[str]  # noqa: UP045
            field = Field(None, max_length=scale.max_length, description=description)
        fields[item.code] = (annotation, field)
    return create_model(
        _model_name(definition),
        __config__=ConfigDict(extra="forbid", title=f"{definition.title.en} — answers"),
        **fields,
    )


def answers_json_schema(definition: Definition) -> dict:
    return answers_model(definition).model_json_schema()
