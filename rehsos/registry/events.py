"""Constructors of timeline rows. Later modules call ``record`` with their own kinds."""

from rehsos.registry.models import PersonEvent


def record(person, kind: str, *, actor=None, **data) -> PersonEvent:
    return PersonEvent.objects.create(person=person, kind=kind, actor=actor, data=data)


def record_many(persons, kind: str, *, actor=None, **data) -> None:
    PersonEvent.objects.bulk_create(
        [PersonEvent(person=p, kind=kind, actor=actor, data=data) for p in persons],
        batch_size=500,
    )
