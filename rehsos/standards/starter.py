"""The starter catalogue: one standards catalogue per model function — older persons
(LU), children (ANAK), persons with disabilities (PD), drug use (KPN) — written by the
rehsos team from public reference topics and shipped as a **draft for the ministry to
adopt** (its ``source_note`` says so on every page and export).

The data lives in ``data/catalogue/``: ``core.json`` holds the criteria every centre
shares (all eight domains) and the source note; ``centre-<function>.json`` adds the
function's own criteria. A catalogue is the core criteria plus its function's, in
the domains' order (core first within a domain). Every criterion is checked with the
rules of the pages and the XLSX import before anything is written.

:func:`load` is idempotent: a catalogue whose code exists already is left alone (the
ministry may have edited or adopted it), so a second run adds nothing. Called by
``rehsos load-standards`` and by the demo data.
"""

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.standards.models import Catalogue, CatalogueVersion, Criterion, Domain
from rehsos.standards.services_catalogue import clean_criterion, model_values

DATA = Path(__file__).resolve().parent / "data" / "catalogue"
CORE_FILE = "core.json"
LOADED_NOTE = "Loaded from the rehsos starter catalogue."


class StarterError(Exception):
    """The shipped data breaks a rule: one line per problem, naming file and code."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Definition:
    code: str
    clusters: list[str]
    name_id: str
    name_en: str
    description: str
    source_note: str
    criteria: list[dict]  # cleaned values, in order


@dataclass
class Loaded:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    criteria: int = 0

    def __str__(self) -> str:
        existing = {"count": len(self.unchanged), "codes": ", ".join(self.unchanged)}
        if not self.created:
            return (
                _(
                    "Standards catalogue: nothing added; "
                    "%(count)s catalogues exist already (%(codes)s)."
                )
                % existing
            )
        text = _(
            "Standards catalogue: %(count)s catalogues added (%(codes)s) "
            "with %(criteria)s criteria."
        ) % {
            "count": len(self.created),
            "codes": ", ".join(self.created),
            "criteria": self.criteria,
        }
        if self.unchanged:
            text += " " + _("%(count)s exist already (%(codes)s).") % existing
        return text


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _clean_all(rows: list[dict], source: str, problems: list[str]) -> list[dict]:
    cleaned = []
    for raw in rows:
        clean, errors = clean_criterion(raw)
        for name, message in errors.items():
            problems.append(f"{source} {raw.get('code', '?')}: {name}: {message}")
        cleaned.append(clean)
    return cleaned


def definitions() -> list[Definition]:
    """Every starter catalogue, checked. Raises :class:`StarterError` listing every
    problem (a bad value, a duplicate code, a function file without a core)."""
    problems: list[str] = []
    core = _read(DATA / CORE_FILE)
    core_rows = _clean_all(core["criteria"], CORE_FILE, problems)
    rank = {code: i for i, code in enumerate(Domain.values)}
    found = []
    for path in sorted(DATA.glob("centre-*.json")):
        data = _read(path)
        own = _clean_all(data["criteria"], path.name, problems)
        rows = sorted(
            [(0, i, row) for i, row in enumerate(core_rows)]
            + [(1, i, row) for i, row in enumerate(own)],
            key=lambda item: (rank.get(item[2]["domain"], len(rank)), item[0], item[1]),
        )
        seen: set[str] = set()
        for _origin, _i, row in rows:
            if row["code"] in seen:
                problems.append(f"{path.name} {row['code']}: code: the code is used twice.")
            seen.add(row["code"])
        found.append(
            Definition(
                code=data["code"],
                clusters=list(data.get("clusters", [])),
                name_id=data["name_id"],
                name_en=data["name_en"],
                description="\n\n".join(
                    text
                    for text in (data.get("description_id"), data.get("description_en"))
                    if text
                ),
                source_note=core["source_note"],
                criteria=[row for _origin, _i, row in rows],
            )
        )
    if not found:
        problems.append(f"{DATA}: no centre-*.json file.")
    if problems:
        raise StarterError(problems)
    return found


def load(*, adopt_from: datetime.date | None = None) -> Loaded:
    """Add every starter catalogue that does not exist yet, as draft version 1 (or, with
    ``adopt_from``, adopted from that day — for demo data; the source note still says
    it is a starter draft)."""
    loaded = Loaded()
    for definition in definitions():
        with transaction.atomic():
            catalogue, created = Catalogue.objects.get_or_create(
                code=definition.code,
                defaults={
                    "name_id": definition.name_id,
                    "name_en": definition.name_en,
                    "clusters": definition.clusters,
                    "description": definition.description,
                },
            )
            if not created:
                loaded.unchanged.append(definition.code)
                continue
            version = CatalogueVersion.objects.create(
                catalogue=catalogue,
                number=1,
                source_note=definition.source_note,
                notes=LOADED_NOTE,
            )
            Criterion.objects.bulk_create(
                [
                    Criterion(version=version, order=position * 10, **model_values(row))
                    for position, row in enumerate(definition.criteria, start=1)
                ]
            )
            if adopt_from is not None:
                # A system action of the demo: no user adopts it, so no service call.
                version.status = CatalogueVersion.Status.ADOPTED
                version.effective_from = adopt_from
                version.adopted_at = timezone.now()
                version.save(update_fields=["status", "effective_from", "adopted_at"])
        loaded.created.append(definition.code)
        loaded.criteria += len(definition.criteria)
    return loaded
