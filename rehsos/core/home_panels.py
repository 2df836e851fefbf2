"""Panels that higher apps add to the home page.

core sits below every app, so an app registers a provider at start-up::

    from rehsos.core import home_panels

    @home_panels.register
    def overdue_tasks(user):
        if not can(user, "cases.view"):
            return None
        return home_panels.Panel("cases/panels/overdue.html", {"tasks": ...}, order=10)

A provider returns ``None`` when it has nothing for the user; panels show in
``order`` under the role's own section.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

_PROVIDERS: list[Callable] = []


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50


def register(provider: Callable) -> Callable:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def panels_for(user) -> list[Panel]:
    found = [panel for provider in _PROVIDERS if (panel := provider(user)) is not None]
    return sorted(found, key=lambda panel: panel.order)
