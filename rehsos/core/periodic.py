"""Periodic work: functions that the worker calls every so many minutes.

An app registers them in its ``tasks.py`` (imported by the worker, like the job
handlers)::

    from rehsos.core import periodic

    @periodic.every(minutes=15, name="cases.alerts")
    def queue_alerts() -> None:
        generate_alerts.enqueue()        # a django-tasks task: the worker runs it

``rehsos worker`` calls :func:`run_due` from the thread that also recovers stale
jobs (every ``RECOVERY_SECONDS``). Each run is claimed with an atomic ``add`` in the
database cache, which every worker shares, so with several workers a function runs
once per interval. Keep the function short (enqueue a task, as above): the work
itself then runs as a task, with the worker's retries and logging.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: int
    function: Callable[[], object]


_SCHEDULE: dict[str, Periodic] = {}


def every(*, minutes: float, name: str) -> Callable:
    """Register ``function()`` to be called every ``minutes`` by the worker."""
    seconds = max(1, int(minutes * 60))

    def register(function: Callable) -> Callable:
        known = _SCHEDULE.get(name)
        if known is not None and known.function.__qualname__ != function.__qualname__:
            raise ValueError(f"periodic work {name!r} is already registered")
        _SCHEDULE[name] = Periodic(name=name, seconds=seconds, function=function)
        return function

    return register


def schedule() -> list[Periodic]:
    from rehsos.core.jobs import _discover

    _discover()  # every app's tasks.py, where periodic work is registered
    return sorted(_SCHEDULE.values(), key=lambda entry: entry.name)


def run_due() -> list[str]:
    """Call each registered function whose interval has passed; returns their names."""
    ran = []
    for entry in schedule():
        if not cache.add(
            f"rehsos:periodic:{entry.name}", timezone.now().isoformat(), entry.seconds
        ):
            continue  # run within the interval, by this worker or another one
        try:
            entry.function()
        except Exception as exc:
            # The class only: a message may quote data.
            logger.error("periodic work %s failed: %s", entry.name, type(exc).__name__)
            continue
        ran.append(entry.name)
    return ran
