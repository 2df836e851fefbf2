"""Re-encrypting NIK and KK under the current key (key rotation).

Rotation: put the new key first in REHSOS_IDENTIFIER_KEYS (keep the old ones after
it), restart, run ``rehsos rotate-identifier-keys``, then remove the old keys.
The blind-index key (REHSOS_BLIND_INDEX_KEY) is separate and is not rotated by this
command: changing it means recomputing every index from the decrypted values.
"""

from collections.abc import Callable

from django.db import transaction

from rehsos.registry.identifiers import Sealer
from rehsos.registry.models import Household, Person

BATCH = 2000


def rotate(progress: Callable[[int, int], None] | None = None) -> int:
    """Re-seal every stored NIK/KK that is not under the current key. Returns rows changed.
    Safe to interrupt and run again: each batch commits on its own."""
    sealer = Sealer()
    current = f":{sealer.ring.current_id}:"
    changed = 0
    for model, fields in ((Person, ("nik_sealed", "kk_sealed")), (Household, ("kk_sealed",))):
        stale = model.objects.none()
        for name in fields:
            stale = stale | model.objects.exclude(**{name: ""}).exclude(
                **{f"{name}__contains": current}
            )
        total = stale.count()
        done = 0
        last_pk = 0
        while True:
            rows = list(stale.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
            if not rows:
                break
            for row in rows:
                for name in fields:
                    value = getattr(row, name)
                    if value and current not in value:
                        setattr(row, name, sealer.seal(sealer.unseal(value)))
            with transaction.atomic():
                model.objects.bulk_update(rows, list(fields), batch_size=500)
            changed += len(rows)
            done += len(rows)
            last_pk = rows[-1].pk
            if progress:
                progress(done, total)
    return changed
