"""Legal holds: reasons a person's data may not be erased now.

The registry cannot know about cases or placements (they live in higher layers),
so those apps register a check at start-up::

    from rehsos.registry import holds
    holds.register(lambda person: [_("An open case")] if ... else [])
"""

from collections.abc import Callable

_CHECKS: list[Callable] = []


def register(check: Callable) -> Callable:
    if check not in _CHECKS:
        _CHECKS.append(check)
    return check


def reasons(person) -> list[str]:
    found = []
    for check in _CHECKS:
        found.extend(str(reason) for reason in check(person))
    return found
