"""Deciding duplicate pairs, merging two records of one person, and undoing a merge.

A merge keeps one record (the survivor), takes the value of each field from the
record the reviewer picked, moves every row that points at the other record to
the survivor, and marks the other record ``merged_into`` the survivor, so that
its public id keeps leading to the survivor. The rows are found generically,
by walking every foreign key to Person that any installed app declares (cases,
stays, placements… of later modules included), so nothing here imports them.

The :class:`Merge` row keeps what an exact undo needs: the values chosen, both
records as they were before (``snapshot``) and each moved row (model, pk,
field, and any other change made to let it move). ``unmerge`` puts all of it back.

Unique rules that a move would break are resolved explicitly: of two open
household memberships the merged record's is closed (and reopened on undo); a
row that still cannot move (a one-to-one link the survivor already has, another
unique rule) stays with the merged record and is listed as kept.
"""

import datetime
import uuid
from decimal import Decimal

from auditlog.context import set_actor
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.registry import events
from rehsos.registry.models import HouseholdMembership, MatchPair, Merge, Person

# The fields a reviewer chooses, each with the columns that travel together.
CHOICES: dict[str, tuple[str, ...]] = {
    "full_name": ("full_name",),
    "other_names": ("other_names",),
    "sex": ("sex",),
    "birth_date": ("birth_date", "birth_date_precision"),
    "birth_place": ("birth_place",),
    "nik": ("nik_sealed", "nik_index"),
    "kk_number": ("kk_sealed", "kk_index"),
    "mother_name": ("mother_name",),
    "village": ("village_id",),
    "address": ("address",),
    "phone": ("phone",),
    "education": ("education",),
    "marital_status": ("marital_status",),
    "religion": ("religion",),
    "functioning": (
        "wg_seeing",
        "wg_hearing",
        "wg_walking",
        "wg_cognition",
        "wg_selfcare",
        "wg_communication",
    ),
    "photo": ("photo",),
    "facility": ("facility_id",),
}
LABELS = {
    "full_name": gettext_lazy("Full name"),
    "other_names": gettext_lazy("Other names"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Date of birth"),
    "birth_place": gettext_lazy("Place of birth"),
    "nik": "NIK",
    "kk_number": gettext_lazy("KK number"),
    "mother_name": gettext_lazy("Mother's name"),
    "village": gettext_lazy("Village"),
    "address": gettext_lazy("Street address"),
    "phone": gettext_lazy("Phone"),
    "education": gettext_lazy("Education"),
    "marital_status": gettext_lazy("Marital status"),
    "religion": gettext_lazy("Religion"),
    "functioning": gettext_lazy("Functioning (Washington Group)"),
    "photo": gettext_lazy("Photo"),
    "facility": gettext_lazy("Registering centre"),
}
SURVIVOR, MERGED, BOTH = "survivor", "merged", "both"
# Bookkeeping that is never copied from a snapshot by hand.
_NOT_SNAPSHOT = {"id", "public_id", "created_at"}


# -- values in and out of JSON -------------------------------------------------------


def _encode(value):
    if isinstance(value, tuple):  # a composite primary key
        return [_encode(part) for part in value]
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def _columns() -> dict[str, models.Field]:
    return {f.attname: f for f in Person._meta.concrete_fields if f.attname not in _NOT_SNAPSHOT}


def _dump(person: Person) -> dict:
    return {name: _encode(getattr(person, name)) for name in _columns()}


def _decode(field: models.Field, raw):
    if raw is None or isinstance(field, models.JSONField | models.FileField):
        return raw
    return field.to_python(raw)


def _assign(person: Person, values: dict) -> None:
    fields = _columns()
    for name, raw in values.items():
        setattr(person, name, _decode(fields[name], raw))


# -- reading pairs -------------------------------------------------------------------


def _lock(*persons: Person) -> dict[int, Person]:
    """Lock the persons' rows in id order (a fixed order: two merges never deadlock)."""
    ids = sorted(p.pk for p in persons)
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(locked) != len(ids):
        raise NotFound(_("One of the records no longer exists."))
    return locked


def decide_pair(*, pair: MatchPair, decision: str, by) -> MatchPair:
    """Record a reviewer's decision on a candidate pair."""
    if decision not in MatchPair.Decision.values or decision == MatchPair.Decision.PENDING:
        raise ValidationFailed(
            fields={"decision": _("Choose one of: same, different, unsure.")},
        )
    with transaction.atomic(), set_actor(by):
        row = MatchPair.objects.select_for_update().get(pk=pair.pk)
        row.decision = decision
        row.decided_by = by
        row.decided_at = timezone.now()
        row.save(update_fields=["decision", "decided_by", "decided_at"])
    return row


# -- the links to a person -----------------------------------------------------------


def _links() -> list[models.ForeignKey]:
    """Every foreign key of any installed model that points at Person, except the
    bookkeeping of merges themselves (match pairs, merges, merged_into)."""
    found = []
    for relation in Person._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        if not (relation.one_to_many or relation.one_to_one):
            continue
        model = relation.related_model
        if model in (MatchPair, Merge, Person):
            continue
        found.append(relation.field)
    return sorted(found, key=lambda f: (f.model._meta.label_lower, f.name))


def _entry(field: models.ForeignKey, pk, **extra) -> dict:
    return {
        "model": field.model._meta.label_lower,
        "pk": _encode(pk),
        "field": field.name,
        **extra,
    }


def _close_open_membership(survivor: Person, merged: Person, today) -> dict[int, dict]:
    """Of two open household memberships keep the survivor's; close the merged one's."""
    changes: dict[int, dict] = {}
    if not HouseholdMembership.objects.filter(person=survivor, end__isnull=True).exists():
        return changes
    for membership in HouseholdMembership.objects.filter(person=merged, end__isnull=True):
        HouseholdMembership.objects.filter(pk=membership.pk).update(end=today)
        changes[membership.pk] = {"end": [None, today.isoformat()]}
    return changes


def _move_rows(survivor: Person, merged: Person) -> list[dict]:
    today = timezone.localdate()
    entries: list[dict] = []
    membership_changes = _close_open_membership(survivor, merged, today)
    for field in _links():
        manager = field.model._base_manager
        rows = list(manager.filter(**{field.attname: merged.pk}).values_list("pk", flat=True))
        if not rows:
            continue
        if field.one_to_one and manager.filter(**{field.attname: survivor.pk}).exists():
            entries.extend(_entry(field, pk, kept=True) for pk in rows)
            continue
        try:
            with transaction.atomic():
                manager.filter(pk__in=rows).update(**{field.attname: survivor.pk})
            moved, kept = rows, []
        except IntegrityError:
            moved, kept = [], []
            for pk in rows:
                try:
                    with transaction.atomic():
                        manager.filter(pk=pk).update(**{field.attname: survivor.pk})
                    moved.append(pk)
                except IntegrityError:
                    kept.append(pk)
        for pk in moved:
            changes = membership_changes.get(pk) if field.model is HouseholdMembership else None
            entries.append(_entry(field, pk, **({"changes": changes} if changes else {})))
        entries.extend(_entry(field, pk, kept=True) for pk in kept)
    return entries


# -- merge ---------------------------------------------------------------------------


def _other_names(before: dict, merged: Person, full_name: str) -> list[str]:
    """Both records' other names and the full name not kept, without repeats."""
    names = []
    for name in [
        *(before["other_names"] or []),
        *merged.other_names,
        before["full_name"],
        merged.full_name,
    ]:
        if name and name != full_name and name not in names:
            names.append(name)
    return names[:20]


def _clean_choices(chosen: dict | None) -> dict[str, str]:
    chosen = dict(chosen or {})
    errors = {}
    for name, source in chosen.items():
        if name not in CHOICES:
            errors[f"chosen.{name}"] = _("This field cannot be chosen in a merge.")
        elif source not in (SURVIVOR, MERGED) and not (name == "other_names" and source == BOTH):
            errors[f"chosen.{name}"] = _("Choose survivor or merged.")
    if errors:
        raise ValidationFailed(fields=errors)
    chosen.setdefault("other_names", BOTH)
    return chosen


def merge_persons(
    *,
    survivor: Person,
    merged: Person,
    chosen: dict | None,
    survivor_version: int,
    merged_version: int,
    by,
) -> Merge:
    """Merge ``merged`` into ``survivor``. ``chosen`` maps a field of :data:`CHOICES` to
    "survivor" or "merged" (other_names also "both", the default); fields not named keep
    the survivor's value. The versions are those the reviewer saw: if either record
    changed since, nothing is done and Conflict (409) is raised."""
    if survivor.pk == merged.pk:
        raise ValidationFailed(fields={"merged": _("A record cannot be merged into itself.")})
    choices = _clean_choices(chosen)
    with transaction.atomic(), set_actor(by):
        locked = _lock(survivor, merged)
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        stale = {}
        if survivor.version != survivor_version:
            stale["survivor_version"] = survivor.version
        if merged.version != merged_version:
            stale["merged_version"] = merged.version
        if stale:
            raise Conflict(
                _("Someone changed one of these records after you opened them. Compare again."),
                code="stale_version",
                extra={"current": stale},
            )
        for person, role in ((survivor, "survivor"), (merged, "merged")):
            if person.merged_into_id:
                raise Conflict(
                    _("This record was already merged into another one."),
                    code="already_merged",
                    extra={"record": role},
                )
            if person.erased_at:
                raise Conflict(
                    _("The data of this record was erased; it cannot be merged."),
                    code="erased",
                    extra={"record": role},
                )
        before_survivor, before_merged = _dump(survivor), _dump(merged)
        stored_choices = {}
        for name, source in choices.items():
            columns = CHOICES[name]
            if name == "other_names" and source == BOTH:
                continue
            origin = merged if source == MERGED else survivor
            for column in columns:
                setattr(survivor, column, getattr(origin, column))
            stored_choices[name] = {
                "from": source,
                "value": {column: _encode(getattr(origin, column)) for column in columns},
            }
        if choices.get("other_names") == BOTH:
            survivor.other_names = _other_names(before_survivor, merged, survivor.full_name)
            stored_choices["other_names"] = {
                "from": BOTH,
                "value": {"other_names": survivor.other_names},
            }
        survivor.version += 1
        survivor.save()
        merged.merged_into = survivor
        merged.version += 1
        merged.save()
        moved = _move_rows(survivor, merged)
        merge = Merge.objects.create(
            survivor=survivor,
            merged=merged,
            chosen=stored_choices,
            snapshot={
                "survivor": before_survivor,
                "merged": before_merged,
                "survivor_after": _dump(survivor),
            },
            moved=moved,
            by=by,
        )
        MatchPair.objects.filter(
            left_id=min(survivor.pk, merged.pk),
            right_id=max(survivor.pk, merged.pk),
            decision__in=[MatchPair.Decision.PENDING, MatchPair.Decision.UNSURE],
        ).update(decision=MatchPair.Decision.SAME, decided_by=by, decided_at=timezone.now())
        data = {"merge": merge.pk, "rows_moved": sum(1 for e in moved if not e.get("kept"))}
        events.record(survivor, "merged", actor=by, merged=str(merged.public_id), **data)
        events.record(merged, "merged_into", actor=by, survivor=str(survivor.public_id), **data)
        _reindex_on_commit(survivor.pk, merged.pk)
    return merge


# -- unmerge -------------------------------------------------------------------------


def _restore_bookkeeping(person: Person, before: dict) -> None:
    """Version and update time as they were: the record is again exactly what it was,
    so a page opened before the merge may save, and one opened since may not."""
    updated_at = _decode(_columns()["updated_at"], before["updated_at"])
    Person.objects.filter(pk=person.pk).update(version=before["version"], updated_at=updated_at)


def _restore_survivor(survivor: Person, snapshot: dict) -> None:
    before, after = snapshot["survivor"], snapshot["survivor_after"]
    current = _dump(survivor)
    untouched_since = current["version"] == after["version"]
    if untouched_since:
        _assign(survivor, {k: v for k, v in before.items() if k not in ("version", "updated_at")})
        survivor.save()
        Person.objects.filter(pk=survivor.pk).update(
            version=before["version"],
            updated_at=_decode(_columns()["updated_at"], before["updated_at"]),
        )
        return
    # Edited after the merge: give back only what the merge put there and nobody changed.
    restore = {
        name: before[name]
        for name in before
        if name not in ("version", "updated_at")
        and before[name] != after[name]
        and current[name] == after[name]
    }
    _assign(survivor, restore)
    survivor.version += 1
    survivor.save()


def unmerge(*, merge: Merge, by) -> Merge:
    """Undo a merge exactly: the survivor's values as they were, every moved row back,
    the merged record live again. Refused (409) when the merge was already undone or
    the survivor has since been merged into another record (undo that first)."""
    with transaction.atomic(), set_actor(by):
        merge = Merge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at:
            raise Conflict(_("This merge was already undone."), code="already_undone")
        locked = _lock(merge.survivor, merge.merged)
        survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
        if survivor.merged_into_id:
            raise Conflict(
                _("The surviving record was merged again since; undo that merge first."),
                code="merged_again",
            )
        if merged.merged_into_id != survivor.pk:
            raise Conflict(_("The records are no longer merged."), code="not_merged")
        missing = _move_back(merge.moved, survivor, merged)
        _restore_survivor(survivor, merge.snapshot)
        before = merge.snapshot["merged"]
        _assign(merged, {k: v for k, v in before.items() if k not in ("version", "updated_at")})
        merged.save()
        _restore_bookkeeping(merged, before)
        merge.undone_at = timezone.now()
        merge.undone_by = by
        merge.save(update_fields=["undone_at", "undone_by"])
        data = {"merge": merge.pk, "rows_not_restored": missing}
        events.record(survivor, "unmerged", actor=by, merged=str(merged.public_id), **data)
        events.record(merged, "unmerged", actor=by, survivor=str(survivor.public_id), **data)
        _reindex_on_commit(survivor.pk, merged.pk)
    return merge


def _move_back(entries: list[dict], survivor: Person, merged: Person) -> int:
    """Point every moved row at the merged record again; returns how many were gone."""
    missing = 0
    for entry in entries:
        if entry.get("kept"):
            continue
        try:
            model = apps.get_model(entry["model"])
        except LookupError:
            missing += 1
            continue
        field = model._meta.get_field(entry["field"])
        values = {field.attname: merged.pk}
        for name, (old, _new) in (entry.get("changes") or {}).items():
            values[model._meta.get_field(name).attname] = old
        pk = tuple(entry["pk"]) if isinstance(entry["pk"], list) else entry["pk"]  # composite
        rows = model._base_manager.filter(pk=pk, **{field.attname: survivor.pk})
        changed = rows.update(**values)
        missing += 1 - changed
    return missing


def _reindex_on_commit(*person_ids: int) -> None:
    from rehsos.registry.search import index_persons

    transaction.on_commit(lambda: index_persons(person_ids))


def resolve_person(public_id) -> Person:
    """The live record a public id leads to, following merges (NotFound if none).
    Scoped reads use :func:`rehsos.registry.selectors.person_for`, which does the same."""
    from rehsos.registry.services.persons import get_person

    return get_person(public_id)


def merges_of(person: Person):
    """The merges a record took part in, newest first."""
    return Merge.objects.filter(models.Q(survivor=person) | models.Q(merged=person)).select_related(
        "survivor", "merged", "by"
    )
