"""The eligibility rules and scoring criteria of an internship call: their JSON shape,
checked with field-named errors, and how each rule is decided for one applicant.

``InternshipCall.eligibility`` is a list of rules, each a dict with a ``rule`` and its
parameters; every rule must hold. A rule appears at most once per call (its result is
stored under the rule's name on the application).

=======================  ==========================================  =====================
rule                     parameters                                  holds when
=======================  ==========================================  =====================
role_in                  ``roles``: list of staff roles              the staff member's
                                                                     role is one of them
employment_in            ``employments``: list (pns, pppk, …)        the employment is one
min_service_years        ``years``: 0–60                             full years from
                                                                     ``started_on`` to the
                                                                     call's closing date
max_age / min_age        ``years``: 15–80                            closing year minus
                                                                     birth year (birth
                                                                     year required)
facility_model           (none)                                      the centre is a
                                                                     national model centre
facility_in              ``facilities``: list of centre codes        the centre is listed
has_certification        ``name``: text                              a certification whose
                                                                     name contains the
                                                                     text, not expired on
                                                                     the closing date
has_competency           ``code`` or ``name``; ``min_level``         a competency with the
                         (basic / intermediate / advanced, optional) SKKNI code (or name
                                                                     containing the text)
                                                                     at least that level
min_qualification        ``level``: sma, d3, d4, s1, profession,     the highest
                         s2, s3                                      qualification reaches
                                                                     its KKNI level
not_previously_selected  (none)                                      never selected in
                                                                     another call
=======================  ==========================================  =====================

Ages and service are counted at the call's closing date (``closes_on``), so the
result does not depend on the day someone applied.

``InternshipCall.scoring`` is a list of criteria ``{"code", "label", "weight", "max"}``:
codes are unique slugs, weights positive and adding up to 100, ``max`` the most points
the panel may give. The total of an application is Σ weight × points / max (0–100).
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from rehsos.core.errors import ValidationFailed
from rehsos.workforce.models import Competency, Qualification, StaffMember, StaffRole

# KKNI levels of the qualifications (Perpres 8/2012): D4 and S1 are both level 6, a
# professional education (profesi) after S1 level 7, S2 level 8, S3 level 9. Senior
# high school is counted as level 2.
QUALIFICATION_LEVEL = {
    Qualification.Level.SMA: 2,
    Qualification.Level.D3: 5,
    Qualification.Level.D4: 6,
    Qualification.Level.S1: 6,
    Qualification.Level.PROFESSIONAL: 7,
    Qualification.Level.S2: 8,
    Qualification.Level.S3: 9,
}
COMPETENCY_LEVEL = {
    Competency.Level.BASIC: 1,
    Competency.Level.INTERMEDIATE: 2,
    Competency.Level.ADVANCED: 3,
}
MAX_RULES = 20
MAX_CRITERIA = 20
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str


# --- the shape of the rules -----------------------------------------------------------


def _choices_list(value, allowed: set[str], field: str, errors: dict) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors[field] = _("Give a non-empty list.")
        return
    unknown = [v for v in value if v not in allowed]
    if unknown:
        errors[field] = _("Unknown: %(unknown)s. Choose from: %(known)s.") % {
            "unknown": ", ".join(unknown),
            "known": ", ".join(sorted(allowed)),
        }


def _whole(value, low: int, high: int, field: str, errors: dict) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = _("Give a whole number from %(low)d to %(high)d.") % {
            "low": low,
            "high": high,
        }


def _text(value, field: str, errors: dict, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        errors[field] = _("Give a text of 1 to 200 characters.")


def _no_params(rule: dict, field: str, errors: dict) -> None:
    extra = sorted(set(rule) - {"rule"})
    if extra:
        errors[f"{field}.{extra[0]}"] = _("This rule takes no parameters.")


def _shape_competency(rule: dict, field: str, errors: dict) -> None:
    if not rule.get("code") and not rule.get("name"):
        errors[f"{field}.code"] = _("Give the SKKNI unit code or the competency's name.")
    for key in ("code", "name"):
        if rule.get(key) is not None:
            _text(rule[key], f"{field}.{key}", errors)
    if rule.get("min_level") is not None and rule["min_level"] not in COMPETENCY_LEVEL:
        errors[f"{field}.min_level"] = _("Choose from: %(known)s.") % {
            "known": ", ".join(COMPETENCY_LEVEL)
        }


SHAPES: dict[str, Callable[[dict, str, dict], None]] = {
    "role_in": lambda r, f, e: _choices_list(
        r.get("roles"), set(StaffRole.values), f"{f}.roles", e
    ),
    "employment_in": lambda r, f, e: _choices_list(
        r.get("employments"), set(StaffMember.Employment.values), f"{f}.employments", e
    ),
    "min_service_years": lambda r, f, e: _whole(r.get("years"), 0, 60, f"{f}.years", e),
    "max_age": lambda r, f, e: _whole(r.get("years"), 15, 80, f"{f}.years", e),
    "min_age": lambda r, f, e: _whole(r.get("years"), 15, 80, f"{f}.years", e),
    "facility_model": _no_params,
    "facility_in": lambda r, f, e: _codes(r.get("facilities"), f"{f}.facilities", e),
    "has_certification": lambda r, f, e: _text(r.get("name"), f"{f}.name", e),
    "has_competency": _shape_competency,
    "min_qualification": lambda r, f, e: _choices_list(
        [r.get("level")] if isinstance(r.get("level"), str) else None,
        set(QUALIFICATION_LEVEL),
        f"{f}.level",
        e,
    ),
    "not_previously_selected": _no_params,
}
RULES = tuple(SHAPES)


def _codes(value, field: str, errors: dict) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors[field] = _("Give a non-empty list of centre codes.")


def validate_rules(rules) -> list[dict]:
    """The rules as given, or ValidationFailed naming each bad field
    (``eligibility[1].years``)."""
    if rules in (None, ""):
        return []
    if not isinstance(rules, list):
        raise ValidationFailed(fields={"eligibility": _("Give a list of rules.")})
    if len(rules) > MAX_RULES:
        raise ValidationFailed(
            fields={"eligibility": _("Give at most %(n)d rules.") % {"n": MAX_RULES}}
        )
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        field = f"eligibility[{i}]"
        if not isinstance(rule, dict):
            errors[field] = _('Give each rule as an object with a "rule".')
            continue
        name = rule.get("rule")
        if name not in SHAPES:
            errors[f"{field}.rule"] = _("Unknown rule %(rule)s. Known rules: %(known)s.") % {
                "rule": repr(name),
                "known": ", ".join(RULES),
            }
            continue
        if name in seen:
            errors[f"{field}.rule"] = _("The rule %(rule)s is given twice.") % {"rule": name}
            continue
        seen.add(name)
        SHAPES[name](rule, field, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    return rules


def plain(number: Decimal) -> str:
    """A decimal as people write it: 60, 7.5 (never 6E+1)."""
    return format(number.normalize(), "f")


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def validate_scoring(criteria) -> list[dict]:
    """The scoring criteria as given (weights and maxima as numbers), or
    ValidationFailed naming each bad field (``scoring[0].weight``)."""
    if criteria in (None, ""):
        return []
    if not isinstance(criteria, list):
        raise ValidationFailed(fields={"scoring": _("Give a list of criteria.")})
    if len(criteria) > MAX_CRITERIA:
        raise ValidationFailed(
            fields={"scoring": _("Give at most %(n)d criteria.") % {"n": MAX_CRITERIA}}
        )
    errors: dict[str, str] = {}
    codes: set[str] = set()
    total = Decimal(0)
    cleaned = []
    for i, criterion in enumerate(criteria):
        field = f"scoring[{i}]"
        if not isinstance(criterion, dict):
            errors[field] = _("Give each criterion as an object with code, label, weight, max.")
            continue
        code = criterion.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            errors[f"{field}.code"] = _(
                "Give a code of lower-case letters, digits, - or _ (at most 40)."
            )
        elif code in codes:
            errors[f"{field}.code"] = _("The code %(code)s is given twice.") % {"code": code}
        else:
            codes.add(code)
        _text(criterion.get("label"), f"{field}.label", errors)
        weight = _number(criterion.get("weight"))
        if weight is None or weight <= 0 or weight > HUNDRED:
            errors[f"{field}.weight"] = _("Give a weight above 0 and at most 100.")
        else:
            total += weight
        most = _number(criterion.get("max"))
        if most is None or most <= 0 or most > 1000:
            errors[f"{field}.max"] = _("Give the most points, above 0 and at most 1000.")
        extra = sorted(set(criterion) - {"code", "label", "weight", "max"})
        if extra:
            errors[f"{field}.{extra[0]}"] = _("Unknown key; use code, label, weight and max.")
        cleaned.append(criterion)
    if not errors and cleaned and total != HUNDRED:
        errors["scoring"] = _("The weights add up to %(total)s; they must add up to 100.") % {
            "total": plain(total)
        }
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


# --- scoring --------------------------------------------------------------------------


def check_points(criteria: list[dict], points: dict) -> dict[str, Decimal]:
    """The panel's points per criterion code (each 0..max), or ValidationFailed naming
    ``scores.<code>``. Points may be partial (not every criterion yet)."""
    if not isinstance(points, dict):
        raise ValidationFailed(fields={"scores": _("Give points per criterion code.")})
    by_code = {c["code"]: c for c in criteria}
    errors, cleaned = {}, {}
    for code, value in points.items():
        field = f"scores.{code}"
        if code not in by_code:
            errors[field] = _("No such criterion in this call.")
            continue
        if value is None or value == "":
            continue
        number = _number(value)
        most = Decimal(str(by_code[code]["max"]))
        if number is None or number < 0 or number > most:
            errors[field] = _("Give 0 to %(max)s points.") % {"max": plain(most)}
            continue
        cleaned[code] = number
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def weighted_total(criteria: list[dict], points: dict) -> Decimal | None:
    """Σ weight × points / max over the criteria, rounded to 2 places: out of 100 when
    the weights add up to 100. ``None`` until every criterion has points."""
    if not criteria or any(c["code"] not in points for c in criteria):
        return None
    total = sum(
        (
            Decimal(str(c["weight"])) * Decimal(str(points[c["code"]])) / Decimal(str(c["max"]))
            for c in criteria
        ),
        Decimal(0),
    )
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- deciding the rules for one applicant -----------------------------------------------


@dataclass(frozen=True)
class Applicant:
    """What the rules read about a staff member, loaded once (see ``applicant``)."""

    staff: StaffMember
    certifications: list
    competencies: list
    qualification_levels: list[str]
    selected_before: bool


def full_years(start: datetime.date, on: datetime.date) -> int:
    years = on.year - start.year - ((on.month, on.day) < (start.month, start.day))
    return max(years, 0)


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value))


def _role_in(rule, who: Applicant, on) -> Check:
    role = _label(StaffRole.choices, who.staff.role)
    if who.staff.role in rule["roles"]:
        return Check(True, _("Role %(role)s is eligible.") % {"role": role})
    return Check(False, _("Role %(role)s is not among the eligible roles.") % {"role": role})


def _employment_in(rule, who: Applicant, on) -> Check:
    kind = _label(StaffMember.Employment.choices, who.staff.employment)
    if who.staff.employment in rule["employments"]:
        return Check(True, _("Employment %(kind)s is eligible.") % {"kind": kind})
    return Check(False, _("Employment %(kind)s is not eligible.") % {"kind": kind})


def _min_service_years(rule, who: Applicant, on) -> Check:
    years = full_years(who.staff.started_on, on)
    need = rule["years"]
    values = {"years": years, "need": need}
    if years >= need:
        return Check(True, _("%(years)d full years of service (at least %(need)d).") % values)
    return Check(False, _("%(years)d full years of service; at least %(need)d needed.") % values)


def _age(rule, who: Applicant, on, *, at_most: bool) -> Check:
    if who.staff.birth_year is None:
        return Check(False, _("The birth year is not recorded."))
    age = on.year - who.staff.birth_year
    limit = rule["years"]
    values = {"age": age, "limit": limit}
    if at_most:
        if age <= limit:
            return Check(True, _("Age %(age)d at the closing date (at most %(limit)d).") % values)
        return Check(False, _("Age %(age)d at the closing date; at most %(limit)d.") % values)
    if age >= limit:
        return Check(True, _("Age %(age)d at the closing date (at least %(limit)d).") % values)
    return Check(False, _("Age %(age)d at the closing date; at least %(limit)d.") % values)


def _facility_model(rule, who: Applicant, on) -> Check:
    if who.staff.facility.is_model:
        return Check(True, _("Works at a national model centre."))
    return Check(False, _("Does not work at a national model centre."))


def _facility_in(rule, who: Applicant, on) -> Check:
    if who.staff.facility.code in rule["facilities"]:
        return Check(True, _("Works at an eligible centre."))
    return Check(False, _("The centre is not among the eligible centres."))


def _has_certification(rule, who: Applicant, on) -> Check:
    wanted = rule["name"].strip().casefold()
    found = [c for c in who.certifications if wanted in c.name.casefold()]
    valid = [c for c in found if c.expires_on is None or c.expires_on >= on]
    if valid:
        return Check(
            True, _("Holds %(name)s, valid at the closing date.") % {"name": valid[0].name}
        )
    if found:
        return Check(
            False,
            _("%(name)s expired on %(date)s, before the closing date.")
            % {"name": found[0].name, "date": found[0].expires_on.isoformat()},
        )
    return Check(False, _("No certification %(name)s recorded.") % {"name": rule["name"]})


def _has_competency(rule, who: Applicant, on) -> Check:
    code = (rule.get("code") or "").strip().casefold()
    name = (rule.get("name") or "").strip().casefold()
    matching = [
        c
        for c in who.competencies
        if (code and c.code.strip().casefold() == code) or (name and name in c.name.casefold())
    ]
    wanted = rule.get("code") or rule.get("name")
    if not matching:
        return Check(False, _("No competency %(what)s recorded.") % {"what": wanted})
    need = rule.get("min_level")
    best = max(matching, key=lambda c: COMPETENCY_LEVEL.get(c.level, 0))
    level = _label(Competency.Level.choices, best.level)
    if need and COMPETENCY_LEVEL.get(best.level, 0) < COMPETENCY_LEVEL[need]:
        return Check(
            False,
            _("%(what)s at level %(level)s; %(need)s needed.")
            % {"what": wanted, "level": level, "need": _label(Competency.Level.choices, need)},
        )
    return Check(True, _("%(what)s at level %(level)s.") % {"what": wanted, "level": level})


def _min_qualification(rule, who: Applicant, on) -> Check:
    need = rule["level"]
    need_label = _label(Qualification.Level.choices, need)
    levels = [lv for lv in who.qualification_levels if lv in QUALIFICATION_LEVEL]
    if not levels:
        return Check(False, _("No qualification recorded; %(need)s needed.") % {"need": need_label})
    best = max(levels, key=QUALIFICATION_LEVEL.__getitem__)
    values = {"best": _label(Qualification.Level.choices, best), "need": need_label}
    if QUALIFICATION_LEVEL[best] >= QUALIFICATION_LEVEL[need]:
        return Check(True, _("Highest qualification %(best)s (at least %(need)s).") % values)
    return Check(False, _("Highest qualification %(best)s; at least %(need)s needed.") % values)


def _not_previously_selected(rule, who: Applicant, on) -> Check:
    if who.selected_before:
        return Check(False, _("Was selected for an earlier internship."))
    return Check(True, _("Not selected for an earlier internship."))


DECIDERS: dict[str, Callable[[dict, Applicant, datetime.date], Check]] = {
    "role_in": _role_in,
    "employment_in": _employment_in,
    "min_service_years": _min_service_years,
    "max_age": lambda r, w, on: _age(r, w, on, at_most=True),
    "min_age": lambda r, w, on: _age(r, w, on, at_most=False),
    "facility_model": _facility_model,
    "facility_in": _facility_in,
    "has_certification": _has_certification,
    "has_competency": _has_competency,
    "min_qualification": _min_qualification,
    "not_previously_selected": _not_previously_selected,
}


def applicant(staff: StaffMember, *, call_id: int | None = None) -> Applicant:
    """Load what the rules read about ``staff`` (a few queries, whatever the rules)."""
    from rehsos.workforce.models import Application

    selected = Application.objects.filter(staff=staff, decision=Application.Decision.SELECTED)
    if call_id is not None:
        selected = selected.exclude(call_id=call_id)
    return Applicant(
        staff=staff,
        certifications=list(staff.certifications.all()),
        competencies=list(staff.competencies.all()),
        qualification_levels=list(staff.qualifications.values_list("level", flat=True)),
        selected_before=selected.exists(),
    )


def evaluate(rules: list[dict], who: Applicant, on: datetime.date) -> dict[str, dict]:
    """Each rule's result, ``{rule: {"ok": bool, "reason": str}}``, in the rules' order."""
    results = {}
    for rule in rules:
        check = DECIDERS[rule["rule"]](rule, who, on)
        results[rule["rule"]] = {"ok": check.ok, "reason": str(check.reason)}
    return results


def describe(rule: dict) -> str:
    """One rule in words, for the call's page."""
    name = rule.get("rule")
    if name == "role_in":
        roles = ", ".join(_label(StaffRole.choices, r) for r in rule.get("roles", []))
        return _("Role is one of: %(roles)s") % {"roles": roles}
    if name == "employment_in":
        kinds = ", ".join(
            _label(StaffMember.Employment.choices, e) for e in rule.get("employments", [])
        )
        return _("Employment is one of: %(kinds)s") % {"kinds": kinds}
    if name == "min_service_years":
        return _("At least %(n)s full years of service at the closing date") % {"n": rule["years"]}
    if name == "max_age":
        return _("At most %(n)s years old in the closing year") % {"n": rule["years"]}
    if name == "min_age":
        return _("At least %(n)s years old in the closing year") % {"n": rule["years"]}
    if name == "facility_model":
        return _("Works at a national model centre")
    if name == "facility_in":
        return _("Works at one of: %(codes)s") % {"codes": ", ".join(rule.get("facilities", []))}
    if name == "has_certification":
        return _("Holds a valid certification: %(name)s") % {"name": rule["name"]}
    if name == "has_competency":
        what = rule.get("code") or rule.get("name")
        if rule.get("min_level"):
            return _("Competency %(what)s at level %(level)s or above") % {
                "what": what,
                "level": _label(Competency.Level.choices, rule["min_level"]),
            }
        return _("Competency %(what)s") % {"what": what}
    if name == "min_qualification":
        return _("Qualification %(level)s or higher") % {
            "level": _label(Qualification.Level.choices, rule["level"])
        }
    if name == "not_previously_selected":
        return _("Not selected for an earlier internship")
    return str(name)
