"""The definition of an assessment instrument, validated.

A definition is JSON (or YAML) data; nothing in it is executed. It holds:

* ``title``, ``instructions``, ``recall_period``, ``licence`` — bilingual texts
  (``{"id": "…", "en": "…"}``);
* ``scales`` — answer scales by code: ``choice`` (options with a stored ``value``,
  a bilingual ``label`` and the ``score`` it counts for, the value by default),
  ``yes_no`` (1 = yes, 0 = no), ``number`` (``min``/``max``) or ``text``;
* ``groups`` — optional domains that items belong to (sub-scores per domain);
* ``items`` — in the order asked: ``code``, bilingual ``text``, ``scale``,
  ``required``, ``group``, ``components`` (ATENSI service components the item
  points to) and ``show_if``, a skip rule on EARLIER answers::

      {"item": "q1_alcohol", "equals": 1}
      {"item": "q2_alcohol", "not_in": [0]}   # also "in", "gt", "gte", "lt", "lte"
      {"all": [<rule>, …]}  {"any": [<rule>, …]}

* ``scoring`` — ``rules`` computed in order, each a named score:

      sum / mean / max / min   over ``items`` or a ``group``'s items (× ``multiplier``)
      count                    how many of the items have an answer in ``values``
      combine                  Σ weight × an earlier score (``terms``)

  with ``by: "group" | "component"`` for one sub-score per domain or per ATENSI
  component, optional ``floor``/``ceiling``, and ``bands`` (score ranges → a
  bilingual label, a severity ``level`` and an optional ``response`` time).
  ``main`` names the assessment's score; ``band_from`` (several scores) makes the
  assessment's band the most severe of theirs (ASSIST: the riskiest substance).

``validate_definition(data)`` returns a :class:`Definition` or raises
:class:`DefinitionError` listing every problem with its path
(``items[3].show_if.item: …``).
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, ClassVar, Literal

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,59}$")]
Scalar = int | float | str


class DefinitionError(Exception):
    """A definition that is not valid: ``errors`` is a list of (path, message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors))

    def as_lines(self) -> list[str]:
        return [f"{path}: {message}" if path else message for path, message in self.errors]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Indonesian and English."""

    id: Annotated[str, StringConstraints(min_length=1)]
    en: Annotated[str, StringConstraints(min_length=1)]

    def get(self, language: str | None = None) -> str:
        language = language or get_language() or "id"
        return self.id if language.startswith("id") else self.en

    def __str__(self) -> str:
        return self.get()


class Option(Strict):
    value: Scalar
    label: Text
    score: float | None = None  # points it counts for; the value itself when numeric

    @property
    def points(self) -> float | None:
        if self.score is not None:
            return self.score
        if isinstance(self.value, bool):
            return float(self.value)
        return float(self.value) if isinstance(self.value, int | float) else None


YES_NO = (
    Option(value=1, label=Text(id="Ya", en="Yes")),
    Option(value=0, label=Text(id="Tidak", en="No")),
)


class Scale(Strict):
    code: Code
    type: Literal["choice", "yes_no", "number", "text"] = "choice"
    options: list[Option] = []
    min: float | None = None
    max: float | None = None
    integer: bool = True  # for number scales: whole numbers only
    max_length: int = Field(500, ge=1, le=5000)  # for text scales

    @property
    def choices(self) -> tuple[Option, ...]:
        return YES_NO if self.type == "yes_no" else tuple(self.options)

    def option(self, value) -> Option | None:
        for option in self.choices:
            if option.value == value and type(option.value) is type(value):
                return option
        return None

    @property
    def scored(self) -> bool:
        if self.type == "text":
            return False
        if self.type == "number":
            return True
        return all(o.points is not None for o in self.choices)


class Condition(Strict):
    """A skip rule: the item is shown only when this holds on earlier answers."""

    item: Code | None = None
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    not_in: list[Scalar] | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    answered: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    TESTS: ClassVar[tuple[str, ...]] = (
        "equals",
        "not_equals",
        "in_",
        "not_in",
        "gt",
        "gte",
        "lt",
        "lte",
        "answered",
    )

    def referenced_items(self) -> list[str]:
        found = [self.item] if self.item else []
        for part in (self.all or []) + (self.any or []):
            found.extend(part.referenced_items())
        return found


class Group(Strict):
    code: Code
    title: Text


class Item(Strict):
    code: Code
    text: Text
    scale: Code
    required: bool = True
    help: Text | None = None
    group: Code | None = None
    components: list[Code] = []
    show_if: Condition | None = None


class Band(Strict):
    code: Code
    label: Text
    min: float | None = None  # inclusive; open below when missing
    max: float | None = None  # inclusive; open above when missing
    level: int = 0  # severity: the higher, the worse (band_from picks the highest)
    response: Text | None = None  # e.g. the response time a policy sets for this band

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Term(Strict):
    score: Code
    weight: float = 1


class Rule(Strict):
    code: Code
    label: Text
    method: Literal["sum", "mean", "max", "min", "count", "combine"]
    items: list[Code] | None = None
    group: Code | None = None
    values: list[Scalar] | None = None  # for count
    terms: list[Term] | None = None  # for combine
    multiplier: float = 1
    by: Literal["group", "component"] | None = None
    floor: float | None = None
    ceiling: float | None = None
    decimals: int = Field(2, ge=0, le=4)
    bands: list[Band] = []


class Scoring(Strict):
    rules: list[Rule] = []
    main: Code | None = None
    band_from: list[Code] = []


class Definition(Strict):
    code: Code
    title: Text
    instructions: Text | None = None
    recall_period: Text | None = None
    licence: Text | None = None
    clusters: list[Literal["ANAK", "LU", "PD", "KPN", "TS-KPO", "LAIN"]] = []
    groups: list[Group] = []
    scales: list[Scale]
    items: list[Item] = Field(min_length=1)
    scoring: Scoring = Scoring()

    # --- lookups ---------------------------------------------------------------------

    def scale_of(self, item: Item) -> Scale:
        return next(s for s in self.scales if s.code == item.scale)

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def group(self, code: str) -> Group | None:
        return next((g for g in self.groups if g.code == code), None)

    def rule(self, code: str) -> Rule | None:
        return next((r for r in self.scoring.rules if r.code == code), None)

    def items_of(self, rule: Rule) -> list[Item]:
        if rule.items is not None:
            return [i for code in rule.items if (i := self.item(code))]
        if rule.group is not None:
            return [i for i in self.items if i.group == rule.group]
        return list(self.items)


def _path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            part = "in" if part == "in_" else part
            path += f".{part}" if path else str(part)
    return path


def _pydantic_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This is required.")
    if kind == "extra_forbidden":
        return _("Unknown key: remove it or check its spelling.")
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        return _("Must be one of %(expected)s.") % {"expected": expected}
    if kind == "string_pattern_mismatch":
        return _(
            "A code starts with a letter and holds only letters, digits, '_' and '-' "
            "(at most 60 characters)."
        )
    return str(error.get("msg", _("This value is not valid.")))


def _without_union_noise(errors: list[dict]) -> list[dict]:
    # A scalar (int | float | str) that fails reports once per member: keep one.
    seen, kept = set(), []
    for error in errors:
        loc = tuple(p for p in error.get("loc", ()) if p not in ("int", "float", "str"))
        if loc in seen:
            continue
        seen.add(loc)
        kept.append({**error, "loc": loc})
    return kept


def validate_definition(data: Any) -> Definition:
    """The definition, or DefinitionError with every problem and its path."""
    if not isinstance(data, dict):
        raise DefinitionError([("", _("A definition is an object (a mapping of keys)."))])
    try:
        definition = Definition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(
            [
                (_path(e["loc"]), _pydantic_message(e))
                for e in _without_union_noise(exc.errors(include_url=False))
            ]
        ) from None
    errors = _cross_checks(definition)
    if errors:
        raise DefinitionError(errors)
    return definition


def _duplicates(codes: list[str]) -> set[str]:
    seen, repeated = set(), set()
    for code in codes:
        (repeated if code in seen else seen).add(code)
    return repeated


def _cross_checks(d: Definition) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    scales = {s.code: s for s in d.scales}
    groups = {g.code for g in d.groups}

    for name, codes in (
        ("scales", [s.code for s in d.scales]),
        ("groups", [g.code for g in d.groups]),
        ("items", [i.code for i in d.items]),
        ("scoring.rules", [r.code for r in d.scoring.rules]),
    ):
        for code in sorted(_duplicates(codes)):
            errors.append((name, _("The code %(code)s is used twice.") % {"code": code}))

    for n, scale in enumerate(d.scales):
        where = f"scales[{n}]"
        if scale.type == "choice" and not scale.options:
            errors.append((f"{where}.options", _("A choice scale needs at least one option.")))
        if scale.type != "choice" and scale.options:
            errors.append(
                (f"{where}.options", _("Only a choice scale lists options; remove them."))
            )
        values = [repr(o.value) for o in scale.options]
        for value in sorted(_duplicates(values)):
            errors.append(
                (f"{where}.options", _("The value %(value)s is used twice.") % {"value": value})
            )
        if scale.min is not None and scale.max is not None and scale.min > scale.max:
            errors.append((f"{where}.min", _("The minimum is above the maximum.")))

    earlier: set[str] = set()
    for n, item in enumerate(d.items):
        where = f"items[{n}]"
        if item.scale not in scales:
            errors.append(
                (f"{where}.scale", _("No scale has the code %(code)s.") % {"code": item.scale})
            )
        if item.group and item.group not in groups:
            errors.append(
                (f"{where}.group", _("No group has the code %(code)s.") % {"code": item.group})
            )
        if item.show_if is not None:
            errors.extend(_check_condition(item.show_if, f"{where}.show_if", earlier, d))
        earlier.add(item.code)

    rules_before: dict[str, Rule] = {}
    for n, rule in enumerate(d.scoring.rules):
        errors.extend(_check_rule(rule, f"scoring.rules[{n}]", d, scales, groups, rules_before))
        rules_before[rule.code] = rule

    if d.scoring.main and d.scoring.main not in rules_before:
        errors.append(
            ("scoring.main", _("No scoring rule has the code %(code)s.") % {"code": d.scoring.main})
        )
    for n, code in enumerate(d.scoring.band_from):
        rule = rules_before.get(code)
        if rule is None:
            errors.append(
                (
                    f"scoring.band_from[{n}]",
                    _("No scoring rule has the code %(code)s.") % {"code": code},
                )
            )
        elif not rule.bands:
            errors.append(
                (
                    f"scoring.band_from[{n}]",
                    _("The rule %(code)s has no bands.") % {"code": code},
                )
            )
    return errors


def _check_condition(cond: Condition, where: str, earlier: set[str], d: Definition) -> list:
    errors = []
    tests = [name for name in Condition.TESTS if getattr(cond, name) is not None]
    if cond.all is not None or cond.any is not None:
        if cond.item or tests or (cond.all is not None and cond.any is not None):
            errors.append(
                (where, _("Use either 'all', 'any', or one test on an item — not several."))
            )
        for key in ("all", "any"):
            for n, part in enumerate(getattr(cond, key) or []):
                errors.extend(_check_condition(part, f"{where}.{key}[{n}]", earlier, d))
        return errors
    if not cond.item:
        errors.append((f"{where}.item", _("Name the earlier item this rule looks at.")))
    elif cond.item not in earlier:
        message = (
            _(
                "The item %(code)s comes later or is the item itself: "
                "a rule looks only at earlier answers."
            )
            if d.item(cond.item)
            else _("No item has the code %(code)s.")
        )
        errors.append((f"{where}.item", message % {"code": cond.item}))
    if len(tests) != 1:
        errors.append(
            (
                where,
                _(
                    "Give exactly one test: equals, not_equals, in, not_in, "
                    "gt, gte, lt, lte or answered."
                ),
            )
        )
    return errors


def _check_rule(rule, where, d, scales, groups, rules_before) -> list:
    errors = []
    if rule.method == "combine":
        if not rule.terms:
            errors.append((f"{where}.terms", _("A combined score lists its terms.")))
        for n, term in enumerate(rule.terms or []):
            if term.score not in rules_before:
                errors.append(
                    (
                        f"{where}.terms[{n}].score",
                        _("No earlier scoring rule has the code %(code)s.") % {"code": term.score},
                    )
                )
        if rule.items is not None or rule.group is not None or rule.by:
            errors.append((where, _("A combined score takes terms, not items, group or by.")))
    else:
        if rule.terms:
            errors.append((f"{where}.terms", _("Only a combined score takes terms.")))
        if rule.items is not None and rule.group is not None:
            errors.append((where, _("Give either items or a group, not both.")))
        for n, code in enumerate(rule.items or []):
            item = d.item(code)
            if item is None:
                errors.append(
                    (f"{where}.items[{n}]", _("No item has the code %(code)s.") % {"code": code})
                )
            elif item.scale in scales and not scales[item.scale].scored:
                errors.append(
                    (
                        f"{where}.items[{n}]",
                        _(
                            "The item %(code)s has no numeric score "
                            "(a text answer or an option without a score)."
                        )
                        % {"code": code},
                    )
                )
        if rule.group is not None and rule.group not in groups:
            errors.append(
                (f"{where}.group", _("No group has the code %(code)s.") % {"code": rule.group})
            )
        if rule.items is None and rule.group is None:
            unscored = [i.code for i in d.items if i.scale in scales and not scales[i.scale].scored]
            if unscored and rule.method != "count":
                errors.append(
                    (
                        f"{where}.items",
                        _("List the items to score: %(codes)s cannot be scored.")
                        % {"codes": ", ".join(unscored)},
                    )
                )
    if rule.method == "count" and not rule.values:
        errors.append((f"{where}.values", _("A count lists the answer values it counts.")))
    if rule.method != "count" and rule.values:
        errors.append((f"{where}.values", _("Only a count takes values.")))
    ordered = sorted(
        enumerate(rule.bands),
        key=lambda nb: float("-inf") if nb[1].min is None else nb[1].min,
    )
    for n, band in enumerate(rule.bands):
        if band.min is not None and band.max is not None and band.min > band.max:
            errors.append((f"{where}.bands[{n}].min", _("The minimum is above the maximum.")))
    for (_n1, first), (n2, second) in itertools.pairwise(ordered):
        first_max = float("inf") if first.max is None else first.max
        second_min = float("-inf") if second.min is None else second.min
        if second_min <= first_max:
            errors.append(
                (
                    f"{where}.bands[{n2}]",
                    _("The band %(code)s overlaps the band %(other)s.")
                    % {"code": second.code, "other": first.code},
                )
            )
    for code in sorted(_duplicates([b.code for b in rule.bands])):
        errors.append((f"{where}.bands", _("The code %(code)s is used twice.") % {"code": code}))
    return errors


def json_schema() -> dict:
    """The JSON schema of a definition (for editors and the API docs)."""
    return Definition.model_json_schema(by_alias=True)
