"""Answers checked against a definition, skip rules applied, scores computed.

``check_answers(definition, raw)`` gives the answers as stored (typed, hidden items
dropped) and the errors per item; ``evaluate(definition, answers)`` gives the
result. An assessment with a required, shown item unanswered is NOT scored: its
result names the missing items and has no score, band or sub-scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from rehsos.cases.instruments.schema import Band, Condition, Definition, Item, Rule, Scale


@dataclass
class Result:
    is_complete: bool
    missing_items: list[str]
    score: Decimal | None = None
    band: str = ""
    subscores: dict[str, dict] = field(default_factory=dict)


# --- skip rules ---------------------------------------------------------------------------


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return a == b


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, int | float) else None


def holds(cond: Condition, answers: dict) -> bool:
    """Whether a skip rule holds on the answers given (an unanswered item fails every
    test but ``answered: false``)."""
    if cond.all is not None:
        return all(holds(part, answers) for part in cond.all)
    if cond.any is not None:
        return any(holds(part, answers) for part in cond.any)
    present = cond.item in answers and answers[cond.item] not in (None, "")
    if cond.answered is not None:
        return present == cond.answered
    if not present:
        return False
    value = answers[cond.item]
    if cond.equals is not None:
        return _same(value, cond.equals)
    if cond.not_equals is not None:
        return not _same(value, cond.not_equals)
    if cond.in_ is not None:
        return any(_same(value, v) for v in cond.in_)
    if cond.not_in is not None:
        return not any(_same(value, v) for v in cond.not_in)
    number = _number(value)
    if number is None:
        return False
    for name, test in (
        ("gt", number.__gt__),
        ("gte", number.__ge__),
        ("lt", number.__lt__),
        ("lte", number.__le__),
    ):
        limit = getattr(cond, name)
        if limit is not None:
            return test(limit)
    return False


def shown_items(definition: Definition, answers: dict) -> list[Item]:
    """The items asked, given the answers: an item whose rule fails is skipped (and an
    item hidden by it counts as unanswered for the rules after it)."""
    seen: dict = {}
    shown = []
    for item in definition.items:
        if item.show_if is None or holds(item.show_if, seen):
            shown.append(item)
            if item.code in answers:
                seen[item.code] = answers[item.code]
    return shown


# --- answers ------------------------------------------------------------------------------


class _Invalid(ValueError):
    pass


def coerce(scale: Scale, raw):
    """The stored value of one raw answer (from a form or JSON), or _Invalid."""
    if scale.type in ("choice", "yes_no"):
        if scale.type == "yes_no" and isinstance(raw, bool):
            raw = int(raw)
        for option in scale.choices:
            if _same(option.value, raw) and not isinstance(raw, bool):
                return option.value
            if isinstance(raw, str) and raw.strip() == str(option.value):
                return option.value
        allowed = ", ".join(str(o.value) for o in scale.choices)
        raise _Invalid(
            _("Choose one of the answers on the scale (%(allowed)s).") % {"allowed": allowed}
        )
    if scale.type == "number":
        try:
            if isinstance(raw, bool):
                raise ValueError
            number = float(raw.strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
        except (TypeError, ValueError):
            raise _Invalid(_("Enter a number.")) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise _Invalid(_("Enter a number."))
        if scale.integer and number != int(number):
            raise _Invalid(_("Enter a whole number."))
        if scale.min is not None and number < scale.min:
            raise _Invalid(_("Enter a value of at least %(limit)s.") % {"limit": _fmt(scale.min)})
        if scale.max is not None and number > scale.max:
            raise _Invalid(_("Enter a value of at most %(limit)s.") % {"limit": _fmt(scale.max)})
        return int(number) if scale.integer else number
    if not isinstance(raw, str):
        raise _Invalid(_("Enter text."))
    text = raw.strip()
    if len(text) > scale.max_length:
        raise _Invalid(_("Enter at most %(limit)s characters.") % {"limit": scale.max_length})
    return text


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def check_answers(definition: Definition, raw: dict) -> tuple[dict, dict[str, str]]:
    """(answers as stored, errors by item code). Unknown items and values outside the
    scale are errors; empty answers are left out; answers to items the skip rules
    hide are dropped (they were not asked)."""
    if not isinstance(raw, dict):
        return {}, {"": _("The answers are an object mapping item codes to values.")}
    errors: dict[str, str] = {}
    typed: dict = {}
    for code, value in raw.items():
        item = definition.item(str(code))
        if item is None:
            errors[str(code)] = _("This instrument has no item %(code)s.") % {"code": code}
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            typed[item.code] = coerce(definition.scale_of(item), value)
        except _Invalid as exc:
            errors[item.code] = str(exc)
    shown = {item.code for item in shown_items(definition, typed)}
    answers = {
        i.code: typed[i.code] for i in definition.items if i.code in typed and i.code in shown
    }
    return answers, errors


def missing_items(definition: Definition, answers: dict) -> list[str]:
    return [
        item.code
        for item in shown_items(definition, answers)
        if item.required and answers.get(item.code) in (None, "")
    ]


# --- scores -------------------------------------------------------------------------------


def _points(definition: Definition, item: Item, value) -> float | None:
    scale = definition.scale_of(item)
    if scale.type == "number":
        return _number(value)
    option = scale.option(value) if scale.type != "text" else None
    return option.points if option else None


def _aggregate(rule: Rule, definition: Definition, items: list[Item], answers: dict):
    if rule.method == "count":
        return float(
            sum(
                1
                for i in items
                if i.code in answers and any(_same(answers[i.code], v) for v in rule.values or [])
            )
        )
    points = [
        p
        for i in items
        if i.code in answers and (p := _points(definition, i, answers[i.code])) is not None
    ]
    if rule.method == "sum":
        return float(sum(points))
    if not points:
        return None
    if rule.method == "mean":
        return sum(points) / len(points)
    return max(points) if rule.method == "max" else min(points)


def _finish(rule: Rule, value: float | None) -> float | int | None:
    if value is None:
        return None
    value *= rule.multiplier
    if rule.floor is not None:
        value = max(value, rule.floor)
    if rule.ceiling is not None:
        value = min(value, rule.ceiling)
    value = round(value, rule.decimals)
    return int(value) if float(value).is_integer() else value


def band_of(rule: Rule, value) -> Band | None:
    if value is None:
        return None
    return next((b for b in rule.bands if b.contains(float(value))), None)


def evaluate(definition: Definition, answers: dict) -> Result:
    """Score checked answers (see ``check_answers``)."""
    missing = missing_items(definition, answers)
    if missing:
        return Result(is_complete=False, missing_items=missing)
    values: dict[str, float | int | None] = {}
    subscores: dict[str, dict] = {}
    for rule in definition.scoring.rules:
        items = definition.items_of(rule)
        if rule.method == "combine":
            parts = [(values.get(t.score), t.weight) for t in rule.terms or []]
            raw = None if any(v is None for v, _w in parts) else sum(v * w for v, w in parts)
        else:
            raw = _aggregate(rule, definition, items, answers)
        value = _finish(rule, raw)
        values[rule.code] = value
        band = band_of(rule, value)
        subscores[rule.code] = {"value": value, "band": band.code if band else ""}
        if rule.by:
            keys: list[str] = []
            for item in items:
                for key in [item.group] if rule.by == "group" else item.components:
                    if key and key not in keys:
                        keys.append(key)
            for key in keys:
                members = [
                    i
                    for i in items
                    if (i.group == key if rule.by == "group" else key in i.components)
                ]
                part = _finish(rule, _aggregate(rule, definition, members, answers))
                part_band = band_of(rule, part)
                subscores[f"{rule.code}.{key}"] = {
                    "value": part,
                    "band": part_band.code if part_band else "",
                }
    main = definition.scoring.main
    score = values.get(main) if main else None
    band = ""
    if definition.scoring.band_from:
        worst = None
        for code in definition.scoring.band_from:
            found = band_of(definition.rule(code), values.get(code))
            if found and (worst is None or found.level > worst.level):
                worst = found
        band = worst.code if worst else ""
    elif main:
        found = band_of(definition.rule(main), score)
        band = found.code if found else ""
    return Result(
        is_complete=True,
        missing_items=[],
        score=None if score is None else Decimal(str(score)),
        band=band,
        subscores=subscores,
    )


# --- for display ----------------------------------------------------------------------------


def band_label(definition: Definition, code: str, rule_code: str | None = None):
    """The Band with this code (in ``rule_code``'s bands, else the main/band_from rules')."""
    rules = (
        [definition.rule(rule_code)]
        if rule_code
        else [
            definition.rule(c)
            for c in [definition.scoring.main, *definition.scoring.band_from]
            if c
        ]
    )
    for rule in rules:
        if rule is None:
            continue
        for band in rule.bands:
            if band.code == code:
                return band
    return None


def describe_subscores(definition: Definition, subscores: dict) -> list[dict]:
    """Rows for a result page: label, value, band (a Band or None), in rule order."""
    rows = []
    for code, entry in subscores.items():
        rule_code, _sep, key = code.partition(".")
        rule = definition.rule(rule_code)
        if rule is None:
            continue
        if key:
            group = definition.group(key)
            label = f"{rule.label} · {group.title if group else key}"
        else:
            label = str(rule.label)
        band = next((b for b in rule.bands if b.code == entry.get("band")), None)
        rows.append(
            {
                "code": code,
                "label": label,
                "value": entry.get("value"),
                "band": band,
                "sub": bool(key),
            }
        )
    return rows
