"""Plain-language reasons for a match score, one per comparison.

A pair's explanation is stored as data — ``[{"field": "nik", "level": "exact",
"weight": 14.2}, …]``, the weight being log2 of the level's m/u (how much the
level moves the odds) — and turned into words when shown, through gettext, so
the same stored pair reads in Indonesian or English.
"""

import math
from contextlib import nullcontext

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from rehsos.registry.dedup import model

MESSAGES = {
    ("nik", "missing"): _("NIK missing on one of the records"),
    ("nik", "exact"): _("Same NIK"),
    ("nik", "one_digit"): _("NIK differs by one digit (a typing error?)"),
    ("nik", "other"): _("Different NIK"),
    ("name", "missing"): _("Name missing on one of the records"),
    ("name", "exact"): _("Same name"),
    ("name", "same_words"): _("Same names in a different order"),
    ("name", "sounds_same"): _("Names sound the same (old and new spelling, Muhammad/Moh., …)"),
    ("name", "close"): _("Names nearly identical (a typing error?)"),
    ("name", "part_of"): _("One name is part of the other (a name left out?)"),
    ("name", "similar"): _("Names somewhat similar"),
    ("name", "other"): _("Different names"),
    ("birth_date", "missing"): _("Date of birth missing on one of the records"),
    ("birth_date", "exact"): _("Same date of birth"),
    ("birth_date", "swapped"): _("Date of birth with day and month swapped"),
    ("birth_date", "year_typo"): _("Same day and month of birth, year differs by 1 or 10"),
    ("birth_date", "january"): _(
        "Date of birth given as 1 January on one record (often written for an unknown date)"
    ),
    ("birth_date", "same_year"): _("Born in the same year"),
    ("birth_date", "other"): _("Different dates of birth"),
    ("sex", "missing"): _("Sex missing on one of the records"),
    ("sex", "same"): _("Same sex"),
    ("sex", "other"): _("Different sex"),
    ("region", "missing"): _("Address missing on one of the records"),
    ("region", "village"): _("Same village"),
    ("region", "district"): _("Same district (kecamatan), another village"),
    ("region", "regency"): _("Same regency or city, another district"),
    ("region", "other"): _("Live in different regencies"),
    ("mother", "missing"): _("Mother's name missing on one of the records"),
    ("mother", "exact"): _("Same mother's name"),
    ("mother", "similar"): _("Mother's names nearly identical"),
    ("mother", "other"): _("Different mother's names"),
}


def reasons(levels: dict[str, str], parameters: dict) -> list[dict]:
    """The stored explanation of a pair from its level per comparison."""
    out = []
    for spec in model.COMPARISONS:
        level = levels.get(spec.name, "missing")
        factor = model.bayes_factor(parameters, spec.name, level)
        weight = 0.0 if level == "missing" else round(math.log2(factor), 2)
        out.append({"field": spec.name, "level": level, "weight": weight})
    return out


def text(reason: dict) -> str:
    """One reason in the active language."""
    message = MESSAGES.get((reason.get("field"), reason.get("level")))
    return str(message) if message else f"{reason.get('field')}: {reason.get('level')}"


def describe(explanation: list[dict], language: str | None = None) -> list[dict]:
    """The reasons with their words and their direction (for, against, neutral),
    strongest first; in ``language`` if given, else in the active one."""
    with translation.override(language) if language else nullcontext():
        described = [
            {
                **reason,
                "text": text(reason),
                "direction": (
                    "for"
                    if reason.get("weight", 0) > 0.5
                    else "against"
                    if reason.get("weight", 0) < -0.5
                    else "neutral"
                ),
            }
            for reason in explanation
        ]
    return sorted(described, key=lambda r: -abs(r.get("weight", 0)))


def summary(explanation: list[dict], language: str | None = None) -> str:
    """The reasons in one line, for the CSV export."""
    return "; ".join(
        ("+ " if r["direction"] == "for" else "- " if r["direction"] == "against" else "")
        + r["text"]
        for r in describe(explanation, language)
    )
