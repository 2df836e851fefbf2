"""Panels that higher apps add to the person page.

The registry sits below cases and employment, so they register a provider at
start-up (like ``holds``)::

    from rehsos.registry import person_panels

    @person_panels.register
    def person_cases(request, person):
        return person_panels.Panel("cases/person_cases.html", {"cases": [...]})

A provider returns ``None`` when it has nothing for the reader; the panel's
template is rendered with ``panel`` set to its context.
"""

from collections.abc import Callable

from rehsos.core.home_panels import Panel

__all__ = ["Panel", "panels_for", "register"]

_PROVIDERS: list[Callable] = []


def register(provider: Callable) -> Callable:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def panels_for(request, person) -> list[Panel]:
    found = [panel for provider in _PROVIDERS if (panel := provider(request, person)) is not None]
    return sorted(found, key=lambda panel: panel.order)
