"""Panels that higher apps add to the centre's page.

facilities sits below cases, standards and workforce, so they register a provider
at start-up (like ``registry.person_panels``)::

    from rehsos.facilities import panels

    @panels.register
    def occupancy(request, facility):
        return panels.Panel("cases/facility_occupancy.html", {...}, order=20)

A provider returns ``None`` when it has nothing for the reader.
"""

from collections.abc import Callable

from rehsos.core.home_panels import Panel

__all__ = ["Panel", "panels_for", "register"]

_PROVIDERS: list[Callable] = []


def register(provider: Callable) -> Callable:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def panels_for(request, facility) -> list[Panel]:
    found = [panel for provider in _PROVIDERS if (panel := provider(request, facility)) is not None]
    return sorted(found, key=lambda panel: panel.order)
