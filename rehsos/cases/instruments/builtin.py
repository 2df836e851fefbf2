"""The built-in instruments (``definitions/*.json``) loaded into Instrument and
InstrumentVersion rows: published, marked ``is_builtin``.

Loading is idempotent: an instrument whose latest published definition equals its
file is left alone; a changed file becomes a new published version and the one
before it is retired (its assessments stay readable). Called from the data
migration 0003 (with the historical models) and by ``rehsos load-instruments``."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from rehsos.cases.instruments.schema import validate_definition

DEFINITIONS = Path(__file__).resolve().parent / "definitions"


@dataclass
class Loaded:
    created: int = 0
    versioned: int = 0
    unchanged: int = 0


def builtin_definitions() -> list[dict]:
    """Every built-in definition, validated (a bad file stops the load, named)."""
    found = []
    for path in sorted(DEFINITIONS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        validate_definition(data)
        found.append(data)
    return found


def load_builtins(instrument_model=None, version_model=None) -> Loaded:
    if instrument_model is None or version_model is None:
        from rehsos.cases.models import Instrument, InstrumentVersion

        instrument_model, version_model = Instrument, InstrumentVersion
    loaded = Loaded()
    now = timezone.now()
    for data in builtin_definitions():
        instrument, created = instrument_model.objects.get_or_create(
            code=data["code"],
            defaults={
                "name_id": data["title"]["id"][:200],
                "name_en": data["title"]["en"][:200],
                "clusters": data.get("clusters", []),
                "is_builtin": True,
            },
        )
        versions = version_model.objects.filter(instrument=instrument)
        latest = versions.exclude(status="draft").order_by("-version").first()
        if latest is not None and latest.definition == data:
            loaded.unchanged += 1
            continue
        number = (versions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        versions.filter(status="published").update(status="retired")
        version_model.objects.create(
            instrument=instrument,
            version=number,
            status="published",
            definition=data,
            published_at=now,
        )
        instrument_model.objects.filter(pk=instrument.pk).update(
            name_id=data["title"]["id"][:200],
            name_en=data["title"]["en"][:200],
            clusters=data.get("clusters", []),
            is_builtin=True,
        )
        if created:
            loaded.created += 1
        else:
            loaded.versioned += 1
    return loaded
