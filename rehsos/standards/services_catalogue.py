"""Writes to the standards catalogue: catalogues, versions and their criteria.

The life of a version: **draft → adopted → retired**.

* ``create_catalogue`` makes a catalogue with an empty draft version 1;
  ``new_draft`` copies the latest version into a new draft (one draft at a time per
  catalogue: the ``catalogue_one_draft`` constraint).
* Criteria change only in a draft (``add_criterion``, ``update_criterion``,
  ``delete_criterion``, ``reorder_criteria``, ``move_criterion``, and
  ``replace_criteria`` for a whole imported sheet). Every change bumps the draft's row
  version; each edit carries the row version it read, so a stale edit is refused
  (:class:`~rehsos.core.errors.Conflict`) instead of overwriting someone else's.
* ``adopt`` makes a draft binding from ``effective_from``. The version adopted before
  it (the latest one still adopted) gets ``effective_to`` = the day before. Retirement
  is **dated**: that version stays "adopted" while it is in force and becomes
  "retired" on the new version's first day — at once when that day is today or past,
  otherwise by :func:`retire_due` (queued hourly by the worker, ``tasks_catalogue``,
  and run at every adoption).
  Which version is in force on a day is always read from the dates
  (:func:`rehsos.standards.selectors_catalogue.version_in_force`), so a late status
  flip never changes an answer.
* ``retire`` withdraws an adopted version from a day (default today) with no
  successor; the same dated rule applies.
* An adopted or retired version is immutable: every write to criteria checks, under a
  row lock, that the version is a draft (:class:`NotADraft`, HTTP 409).

Criterion values are checked by :func:`clean_criterion`, the one rule set shared by
the pages, the API, the XLSX import and the starter catalogue loader.
"""

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.core.errors import Conflict, DomainError, ValidationFailed
from rehsos.core.permissions import require
from rehsos.standards.models import Catalogue, CatalogueVersion, Criterion, Domain, Scale

MANAGE = "standards.manage_catalogue"
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")
CODE_MAX = 20
TEXT_MAX = 2000
LONG_TEXT_MAX = 4000
REFERENCE_MAX = 200
WEIGHT_MAX = Decimal("999.99")
RESIDENTS_MAX = 1000
CATALOGUE_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RESERVED_CODES = {"new"}  # taken by the pages' own paths (catalogues/new/)
CLUSTERS = ("ANAK", "LU", "PD", "KPN", "TS-KPO")
TRUE_WORDS = {"yes", "y", "true", "1", "ya", "x", "critical", "kritis"}
FALSE_WORDS = {"no", "n", "false", "0", "tidak", "t", ""}


class NotADraft(DomainError):
    """A write to a version that is not a draft (adopted versions are immutable)."""

    status = 409
    code = "not_a_draft"
    title = gettext_lazy("Only a draft version can be changed")


# --- the fields of a criterion --------------------------------------------------------


@dataclass(frozen=True)
class CriterionField:
    name: str  # the name in the API, the XLSX header and the forms
    attr: str  # the model attribute
    label: Promise
    required: bool = False


FIELDS: tuple[CriterionField, ...] = (
    CriterionField("code", "code", gettext_lazy("Code"), True),
    CriterionField("domain", "domain", gettext_lazy("Domain"), True),
    CriterionField("text_id", "text_id", gettext_lazy("Criterion (Indonesian)"), True),
    CriterionField("text_en", "text_en", gettext_lazy("Criterion (English)"), True),
    CriterionField("guidance_id", "guidance_id", gettext_lazy("Guidance (Indonesian)")),
    CriterionField("guidance_en", "guidance_en", gettext_lazy("Guidance (English)")),
    CriterionField("evidence_id", "evidence_required", gettext_lazy("Evidence (Indonesian)")),
    CriterionField("evidence_en", "evidence_required_en", gettext_lazy("Evidence (English)")),
    CriterionField("weight", "weight", gettext_lazy("Weight"), True),
    CriterionField("scale", "scale", gettext_lazy("Rating scale"), True),
    CriterionField("critical", "critical", gettext_lazy("Critical")),
    CriterionField("reference", "reference", gettext_lazy("Reference")),
    CriterionField("staff_role", "staff_role", gettext_lazy("Staff role")),
    CriterionField(
        "residents_per_staff", "residents_per_staff", gettext_lazy("Residents per staff member")
    ),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
BY_NAME = {f.name: f for f in FIELDS}
TEXT_FIELDS = {"text_id": TEXT_MAX, "text_en": TEXT_MAX}
LONG_FIELDS = ("guidance_id", "guidance_en", "evidence_id", "evidence_en")


def staff_roles() -> dict[str, str]:
    """The staff roles of the workforce app (value → label). Read through the app
    registry: standards and workforce sit on the same layer and never import each other."""
    try:
        model = apps.get_model("workforce", "StaffMember")
    except LookupError:
        return {}
    return {value: str(label) for value, label in model._meta.get_field("role").choices}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _weight(value) -> tuple[Decimal | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, _("Give a weight (a number of 0 or more, e.g. 1, 2 or 3).")
    if isinstance(value, bool):
        return None, _("The weight must be a number, e.g. 1, 2 or 3.")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None, _("The weight must be a number, e.g. 1, 2 or 3.")
    if not number.is_finite():
        return None, _("The weight must be a number, e.g. 1, 2 or 3.")
    if number < 0:
        return None, _("The weight cannot be negative.")
    if number > WEIGHT_MAX:
        return None, _("The weight can be at most %(max)s.") % {"max": WEIGHT_MAX}
    if number != number.quantize(Decimal("0.01")):
        return None, _("Give the weight with at most two decimals.")
    return number.quantize(Decimal("0.01")), None


def _flag(value) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value), None
    word = _text(value).lower()
    if word in TRUE_WORDS:
        return True, None
    if word in FALSE_WORDS:
        return False, None
    return None, _("Write yes or no.")


def _whole(value) -> tuple[int | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, _("Give a whole number of residents, e.g. 5.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None, _("Give a whole number of residents, e.g. 5.")
    if not number.is_finite() or number != number.to_integral_value():
        return None, _("Give a whole number of residents, e.g. 5.")
    if not 1 <= number <= RESIDENTS_MAX:
        return None, _("Give a number of residents from 1 to %(max)s.") % {"max": RESIDENTS_MAX}
    return int(number), None


def clean_criterion(raw: Mapping[str, object]) -> tuple[dict, dict[str, str]]:
    """Check one criterion's values (keyed by :data:`FIELD_NAMES`). Returns the cleaned
    values and the problems, each keyed by the field it is about; a field absent from
    ``raw`` counts as empty. Codes are upper-cased; texts are stripped."""
    clean: dict = {}
    errors: dict[str, str] = {}

    code = _text(raw.get("code")).upper()
    if not code:
        errors["code"] = _("Give the criterion a code, e.g. ACC-01.")
    elif len(code) > CODE_MAX:
        errors["code"] = _("The code can be at most %(max)s characters.") % {"max": CODE_MAX}
    elif not CODE_PATTERN.match(code):
        errors["code"] = _("Use only letters, digits, dots, hyphens and underscores in the code.")
    clean["code"] = code

    domain = _text(raw.get("domain")).upper()
    if not domain:
        errors["domain"] = _("Choose a domain: %(codes)s.") % {"codes": ", ".join(Domain.values)}
    elif domain not in Domain.values:
        errors["domain"] = _("Unknown domain %(value)s: use one of %(codes)s.") % {
            "value": domain,
            "codes": ", ".join(Domain.values),
        }
    clean["domain"] = domain

    for name, limit in TEXT_FIELDS.items():
        value = _text(raw.get(name))
        if not value:
            errors[name] = (
                _("Write the criterion in Indonesian.")
                if name == "text_id"
                else _("Write the criterion in English.")
            )
        elif len(value) > limit:
            errors[name] = _("At most %(max)s characters.") % {"max": limit}
        clean[name] = value
    for name in LONG_FIELDS:
        value = _text(raw.get(name))
        if len(value) > LONG_TEXT_MAX:
            errors[name] = _("At most %(max)s characters.") % {"max": LONG_TEXT_MAX}
        clean[name] = value

    clean["weight"], problem = _weight(raw.get("weight"))
    if problem:
        errors["weight"] = problem

    scale = _text(raw.get("scale")).lower()
    if scale not in Scale.values:
        errors["scale"] = _("Choose a rating scale: %(codes)s.") % {
            "codes": ", ".join(Scale.values)
        }
    clean["scale"] = scale

    clean["critical"], problem = _flag(raw.get("critical"))
    if problem:
        errors["critical"] = problem

    reference = _text(raw.get("reference"))
    if len(reference) > REFERENCE_MAX:
        errors["reference"] = _("At most %(max)s characters.") % {"max": REFERENCE_MAX}
    clean["reference"] = reference

    role = _text(raw.get("staff_role")).lower()
    if role:
        known = staff_roles()
        if role not in known:
            errors["staff_role"] = _("Unknown staff role %(value)s: use one of %(roles)s.") % {
                "value": role,
                "roles": ", ".join(known),
            }
    clean["staff_role"] = role

    clean["residents_per_staff"], problem = _whole(raw.get("residents_per_staff"))
    if problem:
        errors["residents_per_staff"] = problem
    elif clean["residents_per_staff"] is not None and not role:
        errors["residents_per_staff"] = _(
            "A ratio needs a staff role: give the staff role, or leave this empty."
        )
    return clean, errors


def model_values(clean: Mapping[str, object]) -> dict:
    """Cleaned values (API names) → model attributes."""
    return {BY_NAME[name].attr: value for name, value in clean.items() if name in BY_NAME}


def criterion_values(criterion: Criterion) -> dict:
    """A criterion's values by API name (the shape :func:`clean_criterion` returns)."""
    values = {f.name: getattr(criterion, f.attr) for f in FIELDS}
    values["weight"] = Decimal(values["weight"]).quantize(Decimal("0.01"))
    return values


# --- helpers ---------------------------------------------------------------------------


def _lock_draft(version: CatalogueVersion, expected_version: int | None) -> CatalogueVersion:
    """The version row, locked; refused unless it is a draft at ``expected_version``."""
    locked = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != CatalogueVersion.Status.DRAFT:
        raise NotADraft(
            _("Version %(number)s is %(status)s and cannot be changed; make a new draft.")
            % {"number": locked.number, "status": locked.get_status_display().lower()},
            extra={"status_of_version": locked.status},
        )
    _check_version(locked, expected_version)
    return locked


def _check_version(locked: CatalogueVersion, expected_version: int | None) -> None:
    if expected_version is None:
        raise ValidationFailed(fields={"version": _("Send the row version of the draft you read.")})
    if locked.version != expected_version:
        raise Conflict(
            _(
                "Someone changed this draft after you opened it (row version %(current)s, "
                "you read %(read)s). Reload it and make your change again."
            )
            % {"current": locked.version, "read": expected_version},
            extra={"current_version": locked.version},
        )


def _touch(version: CatalogueVersion) -> None:
    CatalogueVersion.objects.filter(pk=version.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    version.refresh_from_db(fields=["version", "updated_at"])


def _renumber(version: CatalogueVersion, codes: list[str]) -> None:
    """Give the criteria ``order`` 10, 20, … in the order of ``codes``."""
    rows = {c.code: c for c in Criterion.objects.filter(version=version)}
    changed = []
    for position, code in enumerate(codes, start=1):
        row = rows[code]
        if row.order != position * 10:
            row.order = position * 10
            changed.append(row)
    Criterion.objects.bulk_update(changed, ["order"], batch_size=500)


def _codes_in_order(version: CatalogueVersion) -> list[str]:
    return list(
        Criterion.objects.filter(version=version)
        .order_by("order", "code")
        .values_list("code", flat=True)
    )


# --- catalogues and versions -----------------------------------------------------------


def create_catalogue(
    *,
    user,
    code: str,
    name_id: str,
    name_en: str,
    clusters: Iterable[str] = (),
    description: str = "",
    source_note: str = "",
) -> Catalogue:
    """A new catalogue with an empty draft version 1."""
    require(user, MANAGE)
    code = (code or "").strip().lower()
    name_id, name_en = (name_id or "").strip(), (name_en or "").strip()
    clusters = list(dict.fromkeys(c.strip().upper() for c in clusters if c and c.strip()))
    errors = {}
    if not code:
        errors["code"] = _("Give the catalogue a code, e.g. centre-lu.")
    elif code in RESERVED_CODES:
        errors["code"] = _("This code is reserved; choose another.")
    elif len(code) > 40 or not CATALOGUE_CODE.match(code):
        errors["code"] = _(
            "Use at most 40 lower-case letters, digits and hyphens in the code, e.g. centre-lu."
        )
    if not name_id:
        errors["name_id"] = _("Give the name in Indonesian.")
    if not name_en:
        errors["name_en"] = _("Give the name in English.")
    unknown = [c for c in clusters if c not in CLUSTERS]
    if unknown:
        errors["clusters"] = _("Unknown functions %(values)s: use %(known)s.") % {
            "values": ", ".join(unknown),
            "known": ", ".join(CLUSTERS),
        }
    if "code" not in errors and Catalogue.objects.filter(code=code).exists():
        errors["code"] = _("A catalogue with this code exists already.")
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic():
            catalogue = Catalogue.objects.create(
                code=code,
                name_id=name_id[:200],
                name_en=name_en[:200],
                clusters=clusters,
                description=description.strip(),
            )
            CatalogueVersion.objects.create(
                catalogue=catalogue, number=1, source_note=source_note.strip()
            )
    except IntegrityError:
        raise ValidationFailed(
            fields={"code": _("A catalogue with this code exists already.")}
        ) from None
    return catalogue


def new_draft(*, user, catalogue: Catalogue, notes: str = "") -> CatalogueVersion:
    """A new draft: a copy of the catalogue's latest version (its criteria, their order
    and its source note), numbered one above it."""
    require(user, MANAGE)
    with transaction.atomic():
        Catalogue.objects.select_for_update().get(pk=catalogue.pk)
        versions = CatalogueVersion.objects.filter(catalogue=catalogue)
        draft = versions.filter(status=CatalogueVersion.Status.DRAFT).first()
        if draft is not None:
            raise Conflict(
                _("Version %(number)s is already a draft: edit it, or discard it first.")
                % {"number": draft.number},
                code="draft_exists",
                extra={"draft": draft.number},
            )
        latest = versions.order_by("-number").first()
        try:
            with transaction.atomic():
                version = CatalogueVersion.objects.create(
                    catalogue=catalogue,
                    number=(latest.number + 1) if latest else 1,
                    source_note=latest.source_note if latest else "",
                    notes=(notes or "").strip(),
                )
        except IntegrityError:
            raise Conflict(
                _("Someone else has just made a draft of this catalogue. Reload the page."),
                code="draft_exists",
            ) from None
        if latest is not None:
            copies = []
            for criterion in Criterion.objects.filter(version=latest).order_by("order", "code"):
                criterion.pk = None
                criterion.version = version
                copies.append(criterion)
            Criterion.objects.bulk_create(copies, batch_size=500)
    return version


def discard_draft(*, user, version: CatalogueVersion, expected_version: int | None) -> None:
    """Delete a draft and its criteria (an adopted version is never deleted)."""
    require(user, MANAGE)
    with transaction.atomic():
        locked = _lock_draft(version, expected_version)
        if locked.assessments.exists():
            raise ValidationFailed(
                _("Assessments were started against this draft; it cannot be discarded."),
                fields={"version": _("Assessments were started against this draft.")},
            )
        locked.imports.all().delete()
        Criterion.objects.filter(version=locked).delete()
        locked.delete()


# --- criteria in a draft ---------------------------------------------------------------


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(fields=errors)


def add_criterion(
    *,
    user,
    version: CatalogueVersion,
    data: Mapping[str, object],
    expected_version: int | None,
    position: int | None = None,
) -> Criterion:
    """Add a criterion to a draft, at ``position`` (1-based) or at the end of its
    domain's criteria."""
    require(user, MANAGE)
    clean, errors = clean_criterion(data)
    _refuse(errors)
    with transaction.atomic():
        locked = _lock_draft(version, expected_version)
        if Criterion.objects.filter(version=locked, code=clean["code"]).exists():
            _refuse(
                {
                    "code": _("Another criterion of this version has the code %(code)s.")
                    % {"code": clean["code"]}
                }
            )
        codes = _codes_in_order(locked)
        if position is None:
            domains = dict(Criterion.objects.filter(version=locked).values_list("code", "domain"))
            rank = {d: i for i, d in enumerate(Domain.values)}
            mine = rank[clean["domain"]]
            # After the last criterion of the same or an earlier domain.
            index = 0
            for i, code in enumerate(codes):
                if rank.get(domains[code], 99) <= mine:
                    index = i + 1
        else:
            index = max(0, min(len(codes), position - 1))
        criterion = Criterion.objects.create(version=locked, order=0, **model_values(clean))
        codes.insert(index, criterion.code)
        _renumber(locked, codes)
        _touch(locked)
    criterion.refresh_from_db()
    version.version = locked.version
    return criterion


def update_criterion(
    *, user, criterion: Criterion, data: Mapping[str, object], expected_version: int | None
) -> Criterion:
    """Change some or all of a criterion's values (fields absent from ``data`` keep their
    value). The whole criterion is checked again."""
    require(user, MANAGE)
    merged = {**criterion_values(criterion), **{k: v for k, v in data.items() if k in BY_NAME}}
    clean, errors = clean_criterion(merged)
    _refuse(errors)
    with transaction.atomic():
        locked = _lock_draft(criterion.version, expected_version)
        if (
            clean["code"] != criterion.code
            and Criterion.objects.filter(version=locked, code=clean["code"]).exists()
        ):
            _refuse(
                {
                    "code": _("Another criterion of this version has the code %(code)s.")
                    % {"code": clean["code"]}
                }
            )
        if clean["code"] != criterion.code and _is_referenced(criterion):
            _refuse({"code": _("Answers or actions point to this criterion: keep its code.")})
        for attr, value in model_values(clean).items():
            setattr(criterion, attr, value)
        criterion.save()
        _touch(locked)
    criterion.version = locked
    return criterion


def _is_referenced(criterion: Criterion) -> bool:
    return criterion.answers.exists() or criterion.actions.exists()


def delete_criterion(*, user, criterion: Criterion, expected_version: int | None) -> None:
    require(user, MANAGE)
    with transaction.atomic():
        locked = _lock_draft(criterion.version, expected_version)
        try:
            with transaction.atomic():
                criterion.delete()
        except ProtectedError:
            _refuse(
                {"code": _("Answers or actions point to this criterion: it cannot be deleted.")}
            )
        _touch(locked)


def reorder_criteria(
    *, user, version: CatalogueVersion, codes: list[str], expected_version: int | None
) -> None:
    """Put the draft's criteria in the order of ``codes`` (every code exactly once)."""
    require(user, MANAGE)
    codes = [(c or "").strip().upper() for c in codes]
    with transaction.atomic():
        locked = _lock_draft(version, expected_version)
        current = _codes_in_order(locked)
        if sorted(codes) != sorted(current) or len(set(codes)) != len(codes):
            missing = sorted(set(current) - set(codes))
            unknown = sorted(set(codes) - set(current))
            twice = sorted({c for c in codes if codes.count(c) > 1})
            parts = []
            if missing:
                parts.append(_("missing: %(codes)s") % {"codes": ", ".join(missing)})
            if unknown:
                parts.append(_("not in this version: %(codes)s") % {"codes": ", ".join(unknown)})
            if twice:
                parts.append(_("given twice: %(codes)s") % {"codes": ", ".join(twice)})
            _refuse(
                {
                    "codes": _("List every criterion code once (%(problems)s).")
                    % {"problems": "; ".join(parts)}
                }
            )
        _renumber(locked, codes)
        _touch(locked)
    version.version = locked.version


def move_criterion(
    *, user, criterion: Criterion, offset: int, expected_version: int | None
) -> None:
    """Move a criterion ``offset`` places up (negative) or down (positive)."""
    require(user, MANAGE)
    with transaction.atomic():
        locked = _lock_draft(criterion.version, expected_version)
        codes = _codes_in_order(locked)
        index = codes.index(criterion.code)
        target = max(0, min(len(codes) - 1, index + offset))
        if target != index:
            codes.insert(target, codes.pop(index))
            _renumber(locked, codes)
            _touch(locked)


def replace_criteria(
    *, version: CatalogueVersion, rows: list[dict], expected_version: int | None
) -> dict[str, int]:
    """Make the draft's criteria exactly ``rows`` (cleaned values, in order), matching
    criteria by code: new codes are added, missing ones removed, the others updated.
    All or nothing. Returns the counts of added, removed and updated criteria."""
    with transaction.atomic():
        locked = _lock_draft(version, expected_version)
        existing = {c.code: c for c in Criterion.objects.filter(version=locked)}
        wanted = {row["code"] for row in rows}
        removed = [c for code, c in existing.items() if code not in wanted]
        referenced = [c.code for c in removed if _is_referenced(c)]
        if referenced:
            _refuse(
                {
                    "code": _("Answers or actions point to %(codes)s: keep these criteria.")
                    % {"codes": ", ".join(sorted(referenced))}
                }
            )
        Criterion.objects.filter(pk__in=[c.pk for c in removed]).delete()
        added, updated = [], []
        attrs = [f.attr for f in FIELDS if f.attr != "code"] + ["order"]
        for position, row in enumerate(rows, start=1):
            values = {**model_values(row), "order": position * 10}
            current = existing.get(row["code"])
            if current is None:
                added.append(Criterion(version=locked, **values))
                continue
            if any(getattr(current, attr) != values[attr] for attr in attrs):
                for attr in attrs:
                    setattr(current, attr, values[attr])
                updated.append(current)
        Criterion.objects.bulk_create(added, batch_size=500)
        Criterion.objects.bulk_update(updated, attrs, batch_size=500)
        _touch(locked)
    version.version = locked.version
    return {"added": len(added), "removed": len(removed), "updated": len(updated)}


# --- adoption and retirement -------------------------------------------------------


def retire_due(today: datetime.date | None = None) -> int:
    """Mark retired every adopted version whose last day in force has passed. Idempotent;
    returns the number of versions retired."""
    today = today or timezone.localdate()
    return CatalogueVersion.objects.filter(
        status=CatalogueVersion.Status.ADOPTED, effective_to__lt=today
    ).update(status=CatalogueVersion.Status.RETIRED, updated_at=timezone.now())


def adopt(
    *,
    user,
    version: CatalogueVersion,
    effective_from: datetime.date | None,
    expected_version: int | None,
) -> CatalogueVersion:
    """Make a draft binding from ``effective_from``. The latest version still adopted
    ends the day before; it is retired on that date (see the module doc)."""
    require(user, MANAGE)
    if effective_from is None:
        raise ValidationFailed(fields={"effective_from": _("Give the date it takes effect.")})
    with transaction.atomic():
        Catalogue.objects.select_for_update().get(pk=version.catalogue_id)
        locked = _lock_draft(version, expected_version)
        if not Criterion.objects.filter(version=locked).exists():
            raise ValidationFailed(
                _("A version without criteria cannot be adopted."),
                fields={"criteria": _("Add criteria before adopting the version.")},
            )
        previous = (
            CatalogueVersion.objects.select_for_update()
            .filter(catalogue_id=locked.catalogue_id, status=CatalogueVersion.Status.ADOPTED)
            .order_by("-number")
            .first()
        )
        if (
            previous is not None
            and previous.effective_from
            and (effective_from <= previous.effective_from)
        ):
            raise ValidationFailed(
                fields={
                    "effective_from": _(
                        "Version %(number)s takes effect on %(day)s: choose a later date."
                    )
                    % {"number": previous.number, "day": previous.effective_from.isoformat()}
                }
            )
        now = timezone.now()
        if previous is not None:
            end = effective_from - datetime.timedelta(days=1)
            if previous.effective_to is None or previous.effective_to > end:
                previous.effective_to = end
                previous.version += 1
                previous.save(update_fields=["effective_to", "version", "updated_at"])
        locked.status = CatalogueVersion.Status.ADOPTED
        locked.effective_from = effective_from
        locked.effective_to = None
        locked.adopted_by = user
        locked.adopted_at = now
        locked.version += 1
        locked.save(
            update_fields=[
                "status",
                "effective_from",
                "effective_to",
                "adopted_by",
                "adopted_at",
                "version",
                "updated_at",
            ]
        )
        retire_due()
    locked.refresh_from_db()
    return locked


def retire(
    *,
    user,
    version: CatalogueVersion,
    on: datetime.date | None = None,
    expected_version: int | None,
) -> CatalogueVersion:
    """Withdraw an adopted version from ``on`` (default today): its last day in force
    is the day before; it is marked retired on that day (at once when it is not in the
    future)."""
    require(user, MANAGE)
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != CatalogueVersion.Status.ADOPTED:
            raise NotADraft(
                _("Only an adopted version can be retired; version %(number)s is %(status)s.")
                % {"number": locked.number, "status": locked.get_status_display().lower()},
                code="not_adopted",
            )
        _check_version(locked, expected_version)
        end = on - datetime.timedelta(days=1)
        if locked.effective_to is not None and locked.effective_to <= end:
            raise ValidationFailed(
                fields={
                    "on": _("The version already ends on %(day)s.")
                    % {"day": locked.effective_to.isoformat()}
                }
            )
        locked.effective_to = end
        locked.version += 1
        locked.save(update_fields=["effective_to", "version", "updated_at"])
        retire_due()
    locked.refresh_from_db()
    return locked
