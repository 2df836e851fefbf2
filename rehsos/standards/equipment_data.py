"""The starter standard list of equipment and furniture (``data/equipment/starter.csv``):
written by us as a draft for the ministry to adopt, with unit costs that are 2026
estimates in rupiah (see the README beside the file).

``load()`` adds the items whose code is not in the database yet and returns how many
it added: running it again adds nothing, and it never overwrites an item the ministry
has edited or deactivated. ``rehsos load-standards`` (the catalogue part) calls it.
"""

import csv
from pathlib import Path

from django.db import transaction

from rehsos.core.errors import ValidationFailed
from rehsos.standards.models import EquipmentItem
from rehsos.standards.services_equipment import clean_item

STARTER = Path(__file__).parent / "data" / "equipment" / "starter.csv"


class StarterListError(ValueError):
    """The starter file has bad rows: one line per problem, with its row number."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def read(path: Path = STARTER) -> list[dict]:
    """The file's rows, checked like an item entered on the page. Raises
    StarterListError listing every bad row (row 2 is the first after the header)."""
    items, problems, seen = [], [], set()
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                values = clean_item(row)
            except ValidationFailed as exc:
                problems += [f"row {number}, {name}: {msg}" for name, msg in exc.fields.items()]
                continue
            if values["code"] in seen:
                problems.append(f"row {number}, code: {values['code']} is repeated")
                continue
            seen.add(values["code"])
            items.append(values)
    if problems:
        raise StarterListError(problems)
    return items


def load(path: Path = STARTER) -> int:
    """Add the starter items that are missing; return how many were added."""
    items = read(path)
    with transaction.atomic():
        present = set(EquipmentItem.objects.values_list("code", flat=True))
        new = [EquipmentItem(**values) for values in items if values["code"] not in present]
        if not new:
            return 0
        before = len(present)
        # Another loader running at the same moment: its rows win, ours are skipped.
        EquipmentItem.objects.bulk_create(new, ignore_conflicts=True)
        return EquipmentItem.objects.count() - before
