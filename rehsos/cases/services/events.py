"""The case's event feed and the person's timeline, written together.

Every service that changes a case calls ``record``; the data holds ids, codes and
numbers only (the feed is read by partners' systems), never names or free text."""

from rehsos.cases.models import Case, CaseEvent
from rehsos.registry import events as person_events


def record(case: Case, kind: str, *, actor=None, **data) -> CaseEvent:
    event = CaseEvent.objects.create(case=case, kind=kind, actor=actor, data=data)
    person_events.record(case.person, f"case.{kind}", actor=actor, case=case.number, **data)
    return event
